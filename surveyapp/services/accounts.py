"""Accounts use cases: create users, sign in with throttling, issue and revoke API tokens."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from ..db import db, utcnow
from ..models import ROLES, ApiToken, User, hash_token
from . import audit

#: a hash to compare against when the user does not exist, so timing does not reveal names
_DUMMY_HASH = generate_password_hash("not-a-password", method="scrypt")


class AccountError(ValueError):
    """A request about accounts that cannot be carried out; the message is shown to the user."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class SignIn:
    """The outcome of a sign-in: the user, or why not (code `invalid` or `locked`)."""

    user: User | None
    error: str | None = None
    code: str | None = None


def validate_username(name: str) -> str:
    """Usernames: 2–64 chars, letters/digits/._- (CJK letters allowed), no surrounding blanks."""
    name = (name or "").strip()
    if not 2 <= len(name) <= 64:
        raise AccountError("username must be 2 to 64 characters", "username")
    if not all(c.isalnum() or c in "._-@" for c in name):
        raise AccountError("username may contain letters, digits and . _ - @ only", "username")
    return name


def create_user(
    username: str, role: str, password: str | None = None, display_name: str | None = None
) -> tuple[User, str, str]:
    """Create a user; returns (user, password, api_token). A password is generated if not given."""
    username = validate_username(username)
    if role not in ROLES:
        raise AccountError(f"unknown role {role!r}: use one of {', '.join(ROLES)}", "role")
    if password is None:
        password = secrets.token_urlsafe(12)
    if len(password) < 8:
        raise AccountError("password must be at least 8 characters", "password")
    if db.session.scalar(select(User.id).where(User.username == username)) is not None:
        raise AccountError(f"user {username!r} already exists", "username")
    user = User(
        username=username,
        role=role,
        display_name=display_name,
        password_hash=generate_password_hash(password, method="scrypt"),
    )
    db.session.add(user)
    db.session.flush()
    token = _new_token(user, label="created with the account")
    audit.record("user.create", target=f"user:{user.id}", detail={"role": role}, commit=False)
    db.session.commit()
    return user, password, token


def _new_token(user: User, label: str | None) -> str:
    token = "sa_" + secrets.token_urlsafe(32)
    db.session.add(
        ApiToken(user=user, token_hash=hash_token(token), prefix=token[:10], label=label)
    )
    return token


def issue_token(user: User, label: str | None = None) -> str:
    """A new API token for the user; shown once, stored only as its hash."""
    token = _new_token(user, label)
    audit.record("token.issue", target=f"user:{user.id}", commit=False)
    db.session.commit()
    return token


def revoke_token(token_id: int, by: User) -> None:
    """Revoke a token (the owner or an admin); revoked tokens stop working at once."""
    tok = db.session.get(ApiToken, token_id)
    if tok is None or (tok.user_id != by.id and by.role != "admin"):
        raise AccountError("no such token", "token")
    if tok.revoked_at is None:
        tok.revoked_at = utcnow()
        audit.record("token.revoke", target=f"token:{tok.id}", commit=False)
        db.session.commit()


def user_for_token(token: str) -> User | None:
    """The active user owning a valid, unrevoked token, or None."""
    if not token or len(token) > 200:
        return None
    tok = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(token)))
    if tok is None or tok.revoked_at is not None or not tok.user.active:
        return None
    return tok.user


def authenticate(username: str, password: str, max_failures: int, lock_minutes: int) -> SignIn:
    """Check a password; after max_failures consecutive failures the account waits lock_minutes."""
    user = db.session.scalar(select(User).where(User.username == (username or "").strip()))
    now = utcnow()
    if user is None:
        check_password_hash(_DUMMY_HASH, password or "")
        audit.record("login.failed", username=username, detail={"reason": "unknown user"})
        return SignIn(None, "wrong username or password", "invalid")
    if user.locked_until is not None and user.locked_until > now:
        audit.record("login.refused", username=username, detail={"reason": "locked"})
        return SignIn(None, "too many failed sign-ins; try again later", "locked")
    if not user.active or not check_password_hash(user.password_hash, password or ""):
        user.failed_logins = (user.failed_logins or 0) + 1
        if user.failed_logins >= max_failures:
            user.locked_until = now + timedelta(minutes=lock_minutes)
            user.failed_logins = 0
        audit.record("login.failed", username=username, user_id=user.id, commit=False)
        db.session.commit()
        return SignIn(None, "wrong username or password", "invalid")
    user.failed_logins = 0
    user.locked_until = None
    audit.record("login", username=username, user_id=user.id, commit=False)
    db.session.commit()
    return SignIn(user)
