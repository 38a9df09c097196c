"""Odd input never becomes a 500, scripts of a page are told 401 instead of a sign-in page,
pages with secrets are not cached, and a role change takes its grants with it."""

from __future__ import annotations

import pytest

from surveyapp.limits_store import SQLiteStorage
from surveyapp.services import accounts
from tests import factories


def test_a_page_script_signed_out_is_told_401_not_redirected(client, make_campaign):
    c = make_campaign()
    resp = client.post(
        f"/interview/{c.id}/queued", json={"outlet": 1}, headers={"Accept": "application/json"}
    )
    assert resp.status_code == 401 and resp.json["error"]["code"] == "unauthorized"
    page = client.get(f"/interview/{c.id}")
    assert page.status_code == 302 and "/login" in page.headers["Location"]


@pytest.mark.parametrize("value", ["²", "٣", "１２"])
def test_unicode_digits_are_not_numbers(client, make_user, login, make_campaign, value):
    make_user("admin", "odd.admin")
    login("odd.admin")
    assert client.get(f"/admin/audit?campaign={value}").status_code == 200
    assert client.get(f"/admin/audit.csv?campaign={value}").status_code == 200
    c = make_campaign()
    token = factories.outlet_token(c)
    data = factories.form_data(c, 4)
    data[next(k for k in data if k.startswith("q_"))] = value
    assert client.post(f"/s/{token}", data=data).status_code == 422


def test_secrets_are_sent_no_store(client, make_user, login):
    make_user("admin", "secret.admin")
    login("secret.admin")
    created = client.post("/admin/users/new", data={"username": "fresh.user", "role": "viewer"})
    assert created.status_code == 201 and created.headers["Cache-Control"] == "no-store"
    token = client.post("/account/tokens", data={"label": "x"})
    assert token.status_code == 201 and token.headers["Cache-Control"] == "no-store"


def test_a_role_change_takes_its_grants_with_it(app, make_user):
    user, _t = make_user("auditor", "mover.role")
    c = factories.make_campaign(auditors=[user])
    admin, _ = make_user("admin", "role.admin")
    accounts.change_role(user, "viewer", by=admin)
    assert user not in c.auditors and accounts.granted_campaigns(user) == []
    accounts.change_role(user, "auditor", by=admin)
    assert accounts.granted_campaigns(user) == []  # not silently given back


def test_the_limit_store_reads_paths_as_sqlalchemy_does(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    relative = SQLiteStorage("sqlite:///limits.sqlite3")
    assert relative.path == str(tmp_path / "limits.sqlite3")
    absolute = SQLiteStorage(f"sqlite:///{tmp_path}/a.sqlite3")
    assert absolute.path == f"{tmp_path}/a.sqlite3"
    assert absolute.incr("k", 60) == 1 and absolute.incr("k", 60) == 2 and absolute.get("k") == 2
    with pytest.raises(ValueError):
        SQLiteStorage("sqlite://")
