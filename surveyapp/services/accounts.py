"""Accounts use cases: create users, sign in with throttling, issue and revoke API tokens."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from ..db import db, utcnow
from ..errors import DomainError
from ..models import ROLES, ApiToken, Campaign, User, hash_token
from .bounds import bounded_id
from .uow import unit_of_work

#: a hash to compare against when the user does not exist, so timing does not reveal names
MIN_PASSWORD = 8
_DUMMY_HASH = generate_password_hash("not-a-password", method="scrypt")


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
        raise DomainError("username_length", "username")
    if not all(c.isalnum() or c in "._-@" for c in name):
        raise DomainError("username_chars", "username")
    return name


def create_user(
    username: str, role: str, password: str | None = None, display_name: str | None = None
) -> tuple[User, str, str]:
    """Create a user; returns (user, password, api_token). A password is generated if not given."""
    username = validate_username(username)
    if role not in ROLES:
        raise DomainError("unknown_role", "role", role=role, roles=list(ROLES))
    if password is None:
        password = secrets.token_urlsafe(12)
    if len(password) < MIN_PASSWORD:
        raise DomainError("password_too_short", "password", min=MIN_PASSWORD)
    if db.session.scalar(select(User.id).where(User.username == username)) is not None:
        raise DomainError("user_exists", "username", username=username)
    user = User(
        username=username,
        role=role,
        display_name=display_name,
        password_hash=generate_password_hash(password, method="scrypt"),
    )
    with unit_of_work() as uow:
        db.session.add(user)
        token = _new_token(user, label="created with the account")
        uow.audit("user.create", target=lambda: f"user:{user.id}", detail={"role": role})
    return user, password, token


def _new_token(user: User, label: str | None) -> str:
    token = "sa_" + secrets.token_urlsafe(32)
    db.session.add(
        ApiToken(user=user, token_hash=hash_token(token), prefix=token[:10], label=label)
    )
    return token


def issue_token(user: User, label: str | None = None) -> str:
    """A new API token for the user; shown once, stored only as its hash."""
    with unit_of_work() as uow:
        token = _new_token(user, label)
        uow.audit("token.issue", target=f"user:{user.id}")
    return token


def revoke_token(token_id: int, by: User) -> None:
    """Revoke a token (the owner or an admin); revoked tokens stop working at once."""
    tok = db.session.get(ApiToken, token_id)
    if tok is None or (tok.user_id != by.id and by.role != "admin"):
        raise DomainError("unknown_token", "token")
    if tok.revoked_at is None:
        with unit_of_work() as uow:
            tok.revoked_at = utcnow()
            uow.audit("token.revoke", target=f"token:{tok.id}")


def _named(username: str) -> User:
    """The user of that name, else DomainError unknown_user."""
    user = db.session.scalar(select(User).where(User.username == (username or "").strip()))
    if user is None:
        raise DomainError("unknown_user", "username", users=[username])
    return user


def deactivate_user(username: str, by: User | None = None) -> User:
    """The user can no longer sign in; every token is revoked and every session ends at the
    next request (the user loader refuses inactive users). The row stays: ids are never reused."""
    user = _named(username)
    with unit_of_work() as uow:
        user.active = False
        user.session_epoch = (user.session_epoch or 0) + 1
        now = utcnow()
        for tok in user.tokens:
            if tok.revoked_at is None:
                tok.revoked_at = now
        uow.audit("user.deactivate", target=f"user:{user.id}", by=by)
    return user


def grant(username: str, campaign_id: int | None = None, every: bool = False) -> str:
    """Give an auditor or a viewer access to a campaign (an auditor is assigned to it), or a
    viewer every campaign (`every`); returns what was granted, in words for the CLI."""
    user = _named(username)
    if user.role == "admin":
        raise DomainError("grant_not_needed", "username", username=user.username)
    if every:
        if user.role != "viewer":
            raise DomainError("grant_all_viewers_only", "username", username=user.username)
        with unit_of_work() as uow:
            user.sees_all = True
            uow.audit("grant.all", target=f"user:{user.id}")
        return f"{user.username} may read every campaign"
    campaign = db.session.get(Campaign, bounded_id(campaign_id, "campaign"))
    if campaign is None:
        raise DomainError("not_found", "campaign")
    granted = campaign.auditors if user.role == "auditor" else campaign.viewers
    with unit_of_work() as uow:
        if user not in granted:
            granted.append(user)
        uow.audit("grant.campaign", target=f"campaign:{campaign.id}", detail={"user": user.id})
    return f"{user.username} ({user.role}) may read campaign {campaign.id}"


def sign_out(user: User) -> None:
    """End every session of the user (copies of the cookie included) and audit the sign-out."""
    with unit_of_work() as uow:
        user.session_epoch = (user.session_epoch or 0) + 1
        uow.audit("logout", by=user)


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
        with unit_of_work() as uow:
            uow.audit("login.failed", username=username, detail={"reason": "unknown user"})
        return SignIn(None, "wrong username or password", "invalid")
    if user.locked_until is not None and user.locked_until > now:
        with unit_of_work() as uow:
            uow.audit("login.refused", username=username, detail={"reason": "locked"})
        return SignIn(None, "too many failed sign-ins; try again later", "locked")
    if not user.active or not check_password_hash(user.password_hash, password or ""):
        with unit_of_work() as uow:
            user.failed_logins = (user.failed_logins or 0) + 1
            if user.failed_logins >= max_failures:
                user.locked_until = now + timedelta(minutes=lock_minutes)
                user.failed_logins = 0
            uow.audit("login.failed", by=user)
        return SignIn(None, "wrong username or password", "invalid")
    with unit_of_work() as uow:
        user.failed_logins = 0
        user.locked_until = None
        uow.audit("login", by=user)
    return SignIn(user)
