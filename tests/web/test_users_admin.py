"""User administration in the app: create, role, deactivate, reset, unlock, tokens, grants;
every change ends the sessions and tokens it should, and only admins reach any of it."""

import re

import pytest
from sqlalchemy import select

from surveyapp.db import db
from surveyapp.errors import DomainError
from surveyapp.models import ApiToken, AuditLog, User
from surveyapp.services import accounts
from tests.factories import make_campaign
from tests.helpers import bearer

PW = "correct-horse"


@pytest.fixture
def site(make_app):
    """An app without a pushed context (each request its own `g`, as in production), with an
    admin signed in on one client; `site.client()` gives more browsers."""

    class Site:
        def __init__(self):
            self.app = make_app()
            with self.app.app_context():
                accounts.create_user("root", "admin", PW)
                accounts.create_user("root2", "admin", PW)
            self.admin = self.sign_in("root")

        def client(self):
            return self.app.test_client()

        def sign_in(self, name, password=PW, expect=302):
            c = self.client()
            resp = c.post("/login", data={"username": name, "password": password})
            assert resp.status_code == expect, resp.get_data(as_text=True)[:300]
            return c

        def user(self, name):
            with self.app.app_context():
                u = db.session.scalar(select(User).where(User.username == name))
                db.session.expunge(u)
                return u

        def make(self, name, role="auditor"):
            with self.app.app_context():
                user, _pw, token = accounts.create_user(name, role, PW)
                return user.id, token

    return Site()


def _temporary(html: str) -> str:
    return re.search(r'<code class="secret">([^<]+)</code>', html).group(1)


def test_admin_creates_a_user_who_must_choose_a_password(site):
    page = site.admin.get("/admin/users/new")
    assert page.status_code == 200 and "新建用户" in page.get_data(as_text=True)
    resp = site.admin.post(
        "/admin/users/new",
        data={"username": "zhang.san", "display_name": "张三", "role": "auditor"},
    )
    assert resp.status_code == 201
    temporary = _temporary(resp.get_data(as_text=True))
    assert "只显示这一次" in resp.get_data(as_text=True)
    new = site.client()
    signed = new.post("/login", data={"username": "zhang.san", "password": temporary})
    assert signed.status_code == 302 and signed.headers["Location"].endswith("/account/password")
    # every page leads to the password form until a new one is chosen
    assert new.get("/campaigns/").headers["Location"].endswith("/account/password")
    bad = new.post(
        "/account/password", data={"current": temporary, "new": "short", "repeat": "short"}
    )
    assert bad.status_code == 422
    ok = new.post(
        "/account/password",
        data={"current": temporary, "new": "my-own-secret", "repeat": "my-own-secret"},
    )
    assert ok.status_code == 303
    assert new.get("/campaigns/").status_code == 200  # this browser stays signed in
    site.sign_in("zhang.san", temporary, expect=401)
    site.sign_in("zhang.san", "my-own-secret")


def test_a_taken_name_is_shown_at_its_field(site):
    site.make("taken")
    resp = site.admin.post("/admin/users/new", data={"username": "taken", "role": "viewer"})
    assert resp.status_code == 422 and "用户 taken 已存在" in resp.get_data(as_text=True)


@pytest.mark.parametrize(
    "action, data",
    [("role", {"role": "viewer"}), ("reset-password", {}), ("deactivate", {})],
)
def test_role_change_reset_and_deactivation_end_sessions_and_tokens(site, action, data):
    uid, token = site.make("subject")
    browser = site.sign_in("subject")
    assert browser.get("/campaigns/").status_code == 200
    assert browser.get("/api/v1/me", headers=bearer(token)).status_code == 200
    resp = site.admin.post(f"/admin/users/{uid}/{action}", data=data)
    assert resp.status_code in (200, 303)
    assert browser.get("/campaigns/").status_code == 302  # that session has ended
    assert site.client().get("/api/v1/me", headers=bearer(token)).status_code == 401
    with site.app.app_context():
        assert db.session.scalar(
            select(AuditLog.id).where(AuditLog.target == f"user:{uid}", AuditLog.username == "root")
        )


def test_reset_shows_a_temporary_password_once(site):
    uid, _ = site.make("forgetful")
    resp = site.admin.post(f"/admin/users/{uid}/reset-password")
    temporary = _temporary(resp.get_data(as_text=True))
    site.sign_in("forgetful", PW, expect=401)
    c = site.sign_in("forgetful", temporary)
    assert c.get("/").headers["Location"].endswith("/account/password")
    # not in the next page, not in a cookie
    assert temporary not in site.admin.get(f"/admin/users/{uid}").get_data(as_text=True)


def test_an_admin_cannot_demote_or_deactivate_themself_or_the_last_admin(site):
    root = site.user("root")
    resp = site.admin.post(f"/admin/users/{root.id}/deactivate")
    assert resp.status_code == 303
    page = site.admin.get(resp.headers["Location"]).get_data(as_text=True)
    assert "不能更改自己的角色或停用自己" in page
    assert site.user("root").active
    root2 = site.user("root2")
    assert site.admin.post(f"/admin/users/{root2.id}/deactivate").status_code == 303
    assert not site.user("root2").active
    with site.app.app_context(), pytest.raises(DomainError, match="last_admin"):
        accounts.change_role(db.session.get(User, root.id), "viewer")


def test_deactivated_users_stay_and_can_be_reactivated(site):
    uid, _ = site.make("seasonal")
    site.admin.post(f"/admin/users/{uid}/deactivate")
    site.sign_in("seasonal", expect=401)
    listing = site.admin.get("/admin/users/").get_data(as_text=True)
    assert "seasonal" in listing and "已停用" in listing
    site.admin.post(f"/admin/users/{uid}/activate")
    site.sign_in("seasonal")
    # a new user never takes an old id
    new_id, _ = site.make("newcomer")
    assert new_id > uid


def test_an_admin_unlocks_from_the_page(site):
    uid, _ = site.make("besieged")
    with site.app.app_context():
        throttle = accounts.Throttle(lock_addresses=2)
        for i in range(2):
            accounts.authenticate("besieged", "nope-nope", f"198.51.100.{i}", throttle)
    page = site.admin.get(f"/admin/users/{uid}").get_data(as_text=True)
    assert "已锁定" in page and "解锁" in page
    site.admin.post(f"/admin/users/{uid}/unlock")
    assert not site.user("besieged").locked_until


def test_tokens_are_listed_with_their_last_use_and_revoked(site):
    uid, token = site.make("scripted")
    assert site.client().get("/api/v1/me", headers=bearer(token)).status_code == 200
    page = site.admin.get(f"/admin/users/{uid}").get_data(as_text=True)
    assert token[:10] in page and token not in page and "从未" not in page.split("API 令牌")[1]
    with site.app.app_context():
        tok = db.session.scalar(select(ApiToken).where(ApiToken.user_id == uid))
        assert tok.last_used_at is not None
        tid = tok.id
    site.admin.post(f"/admin/users/{uid}/tokens/{tid}/revoke")
    assert site.client().get("/api/v1/me", headers=bearer(token)).status_code == 401


def test_users_issue_and_revoke_their_own_tokens(site):
    site.make("selfserve")
    c = site.sign_in("selfserve")
    resp = c.post("/account/tokens", data={"label": "同步脚本"})
    assert resp.status_code == 201
    token = _temporary(resp.get_data(as_text=True))
    assert c.get("/api/v1/me", headers=bearer(token)).json["username"] == "selfserve"
    with site.app.app_context():
        tid = db.session.scalar(select(ApiToken.id).where(ApiToken.prefix == token[:10]))
    c.post(f"/account/tokens/{tid}/revoke")
    assert c.get("/api/v1/me", headers=bearer(token)).status_code == 401


def test_changing_ones_password_ends_other_sessions_and_tokens(site):
    _uid, token = site.make("mover")
    laptop, phone = site.sign_in("mover"), site.sign_in("mover")
    laptop.post(
        "/account/password", data={"current": PW, "new": "new-secret-1", "repeat": "new-secret-1"}
    )
    assert laptop.get("/campaigns/").status_code == 200
    assert phone.get("/campaigns/").status_code == 302
    assert site.client().get("/api/v1/me", headers=bearer(token)).status_code == 401
    wrong = laptop.post(
        "/account/password", data={"current": "nope-nope", "new": "x" * 9, "repeat": "x" * 9}
    )
    assert wrong.status_code == 422 and "当前密码不正确" in wrong.get_data(as_text=True)


def test_grants_from_the_page_decide_what_a_manager_sees(site):
    uid, _ = site.make("manager", "viewer")
    with site.app.app_context():
        campaign = make_campaign(outlets=["一号网点"])
        cid = campaign.id
    manager = site.sign_in("manager")
    assert manager.get(f"/campaigns/{cid}").status_code == 403
    site.admin.post(f"/admin/users/{uid}/grants", data={"campaign": cid})
    assert manager.get(f"/campaigns/{cid}").status_code == 200
    site.admin.post(f"/admin/users/{uid}/grants/revoke", data={"campaign": cid})
    assert manager.get(f"/campaigns/{cid}").status_code == 403
    site.admin.post(f"/admin/users/{uid}/grants", data={"every": "1"})
    assert manager.get(f"/campaigns/{cid}").status_code == 200
    bad = site.admin.post(f"/admin/users/{uid}/grants", data={"campaign": "abc"})
    assert bad.status_code == 303  # refused with a message, nothing changed


@pytest.mark.parametrize("role", ["auditor", "viewer"])
def test_only_admins_reach_user_administration(site, role):
    uid, _ = site.make(f"not-admin-{role}", role)
    c = site.sign_in(f"not-admin-{role}")
    for path in ("/admin/users/", "/admin/users/new", f"/admin/users/{uid}"):
        assert c.get(path).status_code == 403
    assert c.post(f"/admin/users/{uid}/role", data={"role": "admin"}).status_code == 403
    assert site.user(f"not-admin-{role}").role == role
