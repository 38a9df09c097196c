"""Accounts: create-user CLI, password hashing, tokens, throttling."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from surveyapp.db import db, utcnow
from surveyapp.models import ApiToken, AuditLog, User
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


def test_lockout_after_repeated_failures(app, make_user):
    user, _ = make_user("auditor", "wang")
    for _ in range(5):
        assert accounts.authenticate("wang", "wrong-pass", 5, 15).user is None
    # the right password is refused while locked
    result = accounts.authenticate("wang", "correct-horse", 5, 15)
    assert result.user is None and "too many" in result.error
    # after the lock expires, the right password works again
    user.locked_until = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert accounts.authenticate("wang", "correct-horse", 5, 15).user is not None


def test_sign_ins_are_audited(app, make_user):
    make_user("auditor", "zhao")
    accounts.authenticate("zhao", "wrong-pass", 5, 15)
    accounts.authenticate("nobody", "wrong-pass", 5, 15)
    accounts.authenticate("zhao", "correct-horse", 5, 15)
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
