"""Accounts: create-user CLI, password hashing, tokens, throttling."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from surveyapp.db import db, utcnow
from surveyapp.models import ApiToken, AuditLog, LoginFailure, User
from surveyapp.services import accounts
from tests.helpers import bearer


def count_users():
    return db.session.scalar(select(func.count(User.id)))


def test_create_user_prints_token_that_authenticates(app, runner, client):
    result = runner.invoke(
        args=["create-user", "li.lei", "--role", "auditor", "--password", "s3cret-pass"]
    )
    assert result.exit_code == 0, result.output
    token = result.stdout.strip()
    assert token.startswith("sa_") and len(token) > 40
    resp = client.get("/api/v1/me", headers=bearer(token))
    assert resp.status_code == 200
    assert resp.json == {"id": resp.json["id"], "username": "li.lei", "role": "auditor"}


def test_password_and_token_stored_hashed(app, runner):
    result = runner.invoke(
        args=["create-user", "han", "--role", "viewer", "--password", "s3cret-pass"]
    )
    token = result.stdout.strip()
    user = db.session.scalar(select(User).where(User.username == "han"))
    assert user.password_hash.startswith("scrypt:")
    assert "s3cret-pass" not in user.password_hash
    stored = db.session.scalars(select(ApiToken.token_hash)).all()
    assert token not in stored and len(stored) == 1


def test_generated_password_goes_to_stderr(app, runner):
    result = runner.invoke(args=["create-user", "mei", "--role", "viewer"])
    assert result.exit_code == 0
    assert "generated password for mei" in result.stderr
    assert result.stdout.strip().startswith("sa_")


@pytest.mark.parametrize(
    "args, message",
    [
        (
            ["create-user", "dup", "--role", "admin", "--password", "another-pass"],
            "error: username: 用户 dup 已存在。",
        ),
        (
            ["create-user", "x", "--role", "admin", "--password", "long-enough"],
            "error: username: 用户名须为 2 到 64 个字符。",
        ),
        (
            ["create-user", "bad name!", "--role", "admin", "--password", "long-enough"],
            "error: username: 用户名只能包含字母、数字和 . _ - @。",
        ),
        (
            ["create-user", "short", "--role", "admin", "--password", "short"],
            "error: password: 密码至少 8 个字符。",
        ),
    ],
)
def test_create_user_rejects_bad_input_and_changes_nothing(app, runner, args, message):
    accounts.create_user("dup", "admin", "first-pass")
    before = count_users()
    result = runner.invoke(args=args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert result.stdout == ""
    assert count_users() == before


def test_unknown_role_rejected(app, runner):
    result = runner.invoke(args=["create-user", "zhang", "--role", "king"])
    assert result.exit_code == 2
    assert count_users() == 0


def test_revoked_token_stops_working(app, client, make_user):
    user, token = make_user("auditor")
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 200
    tok = db.session.scalar(select(ApiToken).where(ApiToken.user_id == user.id))
    accounts.revoke_token(tok.id, by=user)
    resp = client.get("/api/v1/me", headers=bearer(token))
    assert resp.status_code == 401
    assert resp.json["error"]["code"] == "unauthorized"


def test_issue_second_token(app, client, make_user):
    user, first = make_user("viewer")
    second = accounts.issue_token(user, "laptop")
    assert first != second
    assert client.get("/api/v1/me", headers=bearer(second)).status_code == 200


@pytest.mark.parametrize(
    "header", ["", "Bearer", "Bearer nope", "Basic abc", "Bearer " + "x" * 500]
)
def test_api_rejects_missing_or_bad_token(client, header):
    resp = client.get("/api/v1/me", headers={"Authorization": header} if header else {})
    assert resp.status_code == 401
    assert resp.is_json and resp.json["error"]["code"] == "unauthorized"


HOME, STRANGER = "10.0.0.7", "203.0.113.9"


def test_failures_slow_the_address_they_come_from_not_the_owner(app, make_user):
    make_user("auditor", "wang")
    throttle = accounts.Throttle()
    for _ in range(throttle.free_failures):
        assert accounts.authenticate("wang", "wrong-pass", STRANGER, throttle).code == "invalid"
    # the stranger's address now waits 30 s, even with the right password
    result = accounts.authenticate("wang", "correct-horse", STRANGER, throttle)
    assert result.code == "throttled" and 1 <= result.retry_after <= 30
    # the owner, from their own address, is not slowed at all
    assert accounts.authenticate("wang", "correct-horse", HOME, throttle).user is not None


def test_delays_grow_and_are_capped():
    t = accounts.Throttle(free_failures=5, max_delay=timedelta(minutes=15))
    assert [t.delay(n).total_seconds() for n in (4, 5, 6, 7, 10, 40)] == [
        0,
        30,
        60,
        120,
        900,
        900,
    ]


def test_waiting_out_the_delay_lets_the_address_try_again(app, make_user):
    make_user("auditor", "patient")
    throttle = accounts.Throttle(free_failures=2)
    for _ in range(2):
        accounts.authenticate("patient", "wrong-pass", STRANGER, throttle)
    assert accounts.authenticate("patient", "correct-horse", STRANGER, throttle).code == "throttled"
    db.session.execute(LoginFailure.__table__.update().values(at=utcnow() - timedelta(seconds=31)))
    db.session.commit()
    assert accounts.authenticate("patient", "correct-horse", STRANGER, throttle).user is not None


def test_a_hundred_strangers_do_not_stop_the_owner(app, make_user):
    user, _ = make_user("admin", "owner")
    throttle = accounts.Throttle()
    assert accounts.authenticate("owner", "correct-horse", HOME, throttle).user is not None
    for i in range(100):
        accounts.authenticate("owner", f"guess-{i}", f"198.51.100.{i}", throttle)
    db.session.refresh(user)
    assert accounts.is_locked(user)  # many addresses: the account is locked…
    new_place = accounts.authenticate("owner", "correct-horse", "192.0.2.1", throttle)
    assert new_place.code == "locked"  # …for addresses it has never signed in from
    assert accounts.authenticate("owner", "correct-horse", HOME, throttle).user is not None
    actions = db.session.scalars(select(AuditLog.action).where(AuditLog.action == "user.lock"))
    assert list(actions) == ["user.lock"]  # locked once, not once per failure


def test_an_admin_unlocks(app, make_user):
    user, _ = make_user("auditor", "locked-out")
    throttle = accounts.Throttle(lock_addresses=3)
    for i in range(3):
        accounts.authenticate("locked-out", "nope-nope", f"198.51.100.{i}", throttle)
    assert accounts.authenticate("locked-out", "correct-horse", HOME, throttle).code == "locked"
    admin, _ = make_user("admin", "unlocker")
    accounts.unlock(user, by=admin)
    assert not accounts.is_locked(user)
    assert accounts.authenticate("locked-out", "correct-horse", HOME, throttle).user is not None
    entry = db.session.scalars(select(AuditLog).where(AuditLog.action == "user.unlock")).one()
    assert entry.username == "unlocker" and entry.target == f"user:{user.id}"


def test_unknown_names_are_throttled_too(app):
    throttle = accounts.Throttle(free_failures=3)
    for _ in range(3):
        assert accounts.authenticate("ghost", "x-x-x-x-x", STRANGER, throttle).code == "invalid"
    assert accounts.authenticate("ghost", "x-x-x-x-x", STRANGER, throttle).code == "throttled"


def test_old_failures_are_forgotten(app, make_user):
    make_user("auditor", "forgetful")
    db.session.add(
        LoginFailure(username="forgetful", address=STRANGER, at=utcnow() - timedelta(days=2))
    )
    db.session.commit()
    accounts.authenticate("forgetful", "wrong-pass", STRANGER)
    rows = db.session.scalars(select(LoginFailure).where(LoginFailure.username == "forgetful"))
    assert len(list(rows)) == 1  # the two-day-old one was deleted with the new failure


def test_sign_ins_are_audited(app, make_user):
    make_user("auditor", "zhao")
    accounts.authenticate("zhao", "wrong-pass", HOME)
    accounts.authenticate("nobody", "wrong-pass", HOME)
    accounts.authenticate("zhao", "correct-horse", HOME)
    actions = db.session.execute(
        select(AuditLog.action, AuditLog.username).order_by(AuditLog.id)
    ).all()
    assert [a for a, _ in actions if a.startswith("login")] == [
        "login.failed",
        "login.failed",
        "login",
    ]


def test_deactivate_user_stops_tokens_and_sessions_at_once(app, runner, client):
    _user, _pw, token = accounts.create_user("leaver", "auditor", "leaver-pass-1")
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert (
        client.post("/login", data={"username": "leaver", "password": "leaver-pass-1"}).status_code
        == 302
    )
    assert client.get("/campaigns/").status_code == 200  # signed in
    before = count_users()
    result = runner.invoke(args=["deactivate-user", "leaver"])
    assert result.exit_code == 0, result.output
    assert "deactivated leaver" in result.stdout
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert client.get("/campaigns/").status_code == 302  # the old session cookie no longer works
    relog = client.post("/login", data={"username": "leaver", "password": "leaver-pass-1"})
    assert relog.status_code != 302
    assert count_users() == before  # the row stays; its id is never reused
    unknown = runner.invoke(args=["deactivate-user", "nobody"])
    assert unknown.exit_code == 2 and unknown.stderr.startswith("error: username:")
