"""Accounts use cases: create users, sign in with throttling, issue and revoke API tokens."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app, has_app_context
from sqlalchemy import delete, func, select
from werkzeug.security import check_password_hash, generate_password_hash

from ..db import db, utcnow
from ..errors import DomainError
from ..models import (
    ROLES,
    ApiToken,
    Campaign,
    KnownAddress,
    LoginFailure,
    User,
    campaign_auditors,
    campaign_viewers,
    hash_token,
)
from . import ledger
from .bounds import bounded_id
from .uow import unit_of_work

MIN_PASSWORD = 8
#: a token's last use is recorded to within this (one write a minute, not one per request)
TOKEN_USE_RESOLUTION = timedelta(minutes=1)
#: hashes to compare against when the user does not exist, one per method, so timing does not
#: reveal names
_DUMMY_HASHES: dict[str, str] = {}


def _method() -> str:
    """The password hash (werkzeug's scrypt, N = 2^15 unless PASSWORD_HASH_METHOD says
    otherwise: the tests use a cheaper N, never a weaker algorithm)."""
    configured = current_app.config.get("PASSWORD_HASH_METHOD") if has_app_context() else None
    return configured or "scrypt"


def _hash(password: str) -> str:
    return generate_password_hash(password, method=_method())


def _dummy_hash() -> str:
    method = _method()
    if method not in _DUMMY_HASHES:
        _DUMMY_HASHES[method] = generate_password_hash("not-a-password", method=method)
    return _DUMMY_HASHES[method]


@dataclass(frozen=True)
class SignIn:
    """The outcome of a sign-in: the user, or why not ."""

    user: User | None
    error: str | None = None
    code: str | None = None  #: invalid, throttled or locked
    retry_after: int | None = None  #: seconds, when throttled or locked


def validate_username(name: str) -> str:
    """Usernames: 2–64 chars, letters/digits/._- (CJK letters allowed), no surrounding blanks."""
    name = (name or "").strip()
    if not 2 <= len(name) <= 64:
        raise DomainError("username_length", "username")
    if not all(c.isalnum() or c in "._-@" for c in name):
        raise DomainError("username_chars", "username")
    return name


def create_user(
    username: str,
    role: str,
    password: str | None = None,
    display_name: str | None = None,
    *,
    must_change_password: bool = False,
    with_token: bool = True,
    by: User | None = None,
) -> tuple[User, str, str | None]:
    """Create a user; returns (user, password, api_token or None). A password is generated if
    not given; `must_change_password` makes the user choose their own at the first sign-in."""
    username = validate_username(username)
    if role not in ROLES:
        raise DomainError("unknown_role", "role", role=role, roles=list(ROLES))
    if password is None:
        password = secrets.token_urlsafe(12)
    _check_password(password)
    if db.session.scalar(select(User.id).where(User.username == username)) is not None:
        raise DomainError("user_exists", "username", username=username)
    user = User(
        username=username,
        role=role,
        display_name=(display_name or "").strip()[:120] or None,
        password_hash=_hash(password),
        must_change_password=must_change_password,
    )
    with unit_of_work() as uow:
        db.session.add(user)
        token = _new_token(user, label=None) if with_token else None
        uow.audit("user.create", target=lambda: f"user:{user.id}", detail={"role": role}, by=by)
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


def revoke_token(token_id: int, by: User, owner: User | None = None) -> None:
    """Revoke a token (by its owner or an admin; `owner`: only a token of that user);
    revoked tokens stop working at once."""
    tok = db.session.get(ApiToken, token_id)
    if tok is None or (tok.user_id != by.id and by.role != "admin"):
        raise DomainError("unknown_token", "token")
    if owner is not None and tok.user_id != owner.id:
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


def _end_sessions(user: User) -> None:
    """Every session of the user ends at its next request and every API token stops at once."""
    user.session_epoch = (user.session_epoch or 0) + 1
    now = utcnow()
    for tok in user.tokens:
        if tok.revoked_at is None:
            tok.revoked_at = now


def _other_active_admins(user: User) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(User)
        .where(User.role == "admin", User.active.is_(True), User.id != user.id)
    )


def deactivate_user(user: User | str, by: User | None = None) -> User:
    """The user can no longer sign in; every token is revoked and every session ends at the
    next request (the user loader refuses inactive users). The row stays: ids are never reused."""
    user = _named(user) if isinstance(user, str) else user
    if by is not None and by.id == user.id:
        raise DomainError("cannot_change_self", "user")
    if user.role == "admin" and not _other_active_admins(user):
        raise DomainError("last_admin", "user")
    with unit_of_work() as uow:
        user.active = False
        _end_sessions(user)
        uow.audit("user.deactivate", target=f"user:{user.id}", by=by)
    return user


def activate_user(user: User, by: User | None = None) -> User:
    """Let a deactivated user sign in again (with the same password; tokens stay revoked)."""
    if not user.active:
        with unit_of_work() as uow:
            user.active = True
            uow.audit("user.activate", target=f"user:{user.id}", by=by)
    return user


def change_role(user: User, role: str, by: User | None = None) -> User:
    """A new role: the user's sessions and tokens end (what they could do has changed)."""
    if role not in ROLES:
        raise DomainError("unknown_role", "role", role=role, roles=list(ROLES))
    if role == user.role:
        return user
    if by is not None and by.id == user.id:
        raise DomainError("cannot_change_self", "role")
    if user.role == "admin" and not _other_active_admins(user):
        raise DomainError("last_admin", "role")
    with unit_of_work() as uow:
        old, user.role = user.role, role
        if role != "viewer":
            user.sees_all = False
        # grants belong to a role: an auditor's assignments do not become a viewer's reading,
        # nor come back if the role is given again
        # through the campaigns' collections, so each campaign's grants are recorded
        for table, attr, keeps in (
            (campaign_auditors, "auditors", "auditor"),
            (campaign_viewers, "viewers", "viewer"),
        ):
            if role != keeps:
                granted = select(table.c.campaign_id).where(table.c.user_id == user.id)
                for campaign in db.session.scalars(
                    select(Campaign).where(Campaign.id.in_(granted))
                ):
                    ledger.lock_row(campaign)
                    if user in getattr(campaign, attr):
                        getattr(campaign, attr).remove(user)
        _end_sessions(user)
        uow.audit("user.role", target=f"user:{user.id}", by=by, detail={"role": [old, role]})
    return user


def _check_password(password: str | None) -> str:
    if not password or len(password) < MIN_PASSWORD:
        raise DomainError("password_too_short", "password", min=MIN_PASSWORD)
    if len(password) > 200:
        raise DomainError("too_long", "password", max=200)
    return password


def reset_password(user: User, by: User | None = None) -> str:
    """A temporary password, shown once to the admin; the user chooses a new one at the next
    sign-in, and their sessions and tokens end now."""
    temporary = secrets.token_urlsafe(9)
    with unit_of_work() as uow:
        user.password_hash = _hash(temporary)
        user.must_change_password = True
        _end_sessions(user)
        uow.audit("user.reset_password", target=f"user:{user.id}", by=by)
    return temporary


def change_password(user: User, current: str, new: str) -> None:
    """The user's own new password (the current one checked); every other session of the user
    and every token end — the web layer signs the current browser in again."""
    if not check_password_hash(user.password_hash, current or ""):
        raise DomainError("wrong_password", "current")
    _check_password(new)
    if new == current:
        raise DomainError("password_unchanged", "new")
    with unit_of_work() as uow:
        user.password_hash = _hash(new)
        user.must_change_password = False
        _end_sessions(user)
        uow.audit("user.password", target=f"user:{user.id}", by=user)


def users() -> list[User]:
    """Every user, active first, then by name."""
    return list(db.session.scalars(select(User).order_by(User.active.desc(), User.username)))


def last_sign_ins() -> dict[int, object]:
    """Each user's latest sign-in time (from the addresses they signed in from)."""
    rows = db.session.execute(
        select(KnownAddress.user_id, func.max(KnownAddress.last_sign_in_at)).group_by(
            KnownAddress.user_id
        )
    )
    return {uid: at for uid, at in rows}


def is_locked(user: User, now=None) -> bool:
    """Whether failures from many addresses have locked the account (until `locked_until`)."""
    return user.locked_until is not None and user.locked_until > (now or utcnow())


def grant(
    username: User | str,
    campaign_id: int | None = None,
    every: bool = False,
    by: User | None = None,
) -> str:
    """Give an auditor or a viewer access to a campaign (an auditor is assigned to it), or a
    viewer every campaign (`every`); returns what was granted, in words for the CLI."""
    user = username if isinstance(username, User) else _named(username)
    if user.role == "admin":
        raise DomainError("grant_not_needed", "username", username=user.username)
    if every:
        if user.role != "viewer":
            raise DomainError("grant_all_viewers_only", "username", username=user.username)
        with unit_of_work() as uow:
            user.sees_all = True
            uow.audit("grant.all", target=f"user:{user.id}", by=by)
        return f"{user.username} may read every campaign"
    campaign = db.session.get(Campaign, bounded_id(campaign_id, "campaign"))
    if campaign is None:
        raise DomainError("not_found", "campaign")
    with unit_of_work() as uow:
        ledger.lock_row(campaign)  # concurrent grants to one campaign: one after the other
        granted = campaign.auditors if user.role == "auditor" else campaign.viewers
        if user not in granted:
            granted.append(user)
        uow.audit(
            "grant.campaign", target=f"campaign:{campaign.id}", detail={"user": user.id}, by=by
        )
    return f"{user.username} ({user.role}) may read campaign {campaign.id}"


def revoke_grant(user: User, campaign_id: int | None = None, by: User | None = None) -> None:
    """Take back a campaign (an auditor's assignment, a viewer's grant) or, with no campaign,
    a viewer's every-campaign grant."""
    campaign = None
    if campaign_id is not None:
        campaign = db.session.get(Campaign, bounded_id(campaign_id, "campaign"))
        if campaign is None:
            raise DomainError("not_found", "campaign")
    with unit_of_work() as uow:
        if campaign is None:
            user.sees_all = False
            uow.audit("grant.revoke_all", target=f"user:{user.id}", by=by)
            return
        ledger.lock_row(campaign)
        granted = campaign.auditors if user.role == "auditor" else campaign.viewers
        if user in granted:
            granted.remove(user)
        uow.audit("grant.revoke", target=f"campaign:{campaign.id}", by=by, detail={"user": user.id})


def grant_counts() -> dict[int, int]:
    """How many campaigns each auditor is assigned to and each viewer is granted."""
    counts: dict[int, int] = {}
    for table, role in ((campaign_auditors, "auditor"), (campaign_viewers, "viewer")):
        rows = db.session.execute(
            select(table.c.user_id, func.count())
            .join(User, User.id == table.c.user_id)
            .where(User.role == role)
            .group_by(table.c.user_id)
        )
        counts.update({uid: n for uid, n in rows})
    return counts


def granted_campaigns(user: User) -> list[Campaign]:
    """The campaigns an auditor is assigned to or a viewer is granted, newest first."""
    table = campaign_auditors if user.role == "auditor" else campaign_viewers
    return list(
        db.session.scalars(
            select(Campaign)
            .join(table)
            .where(table.c.user_id == user.id)
            .order_by(Campaign.id.desc())
        )
    )


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
    now = utcnow()
    if tok.last_used_at is None or tok.last_used_at < now - TOKEN_USE_RESOLUTION:
        tok.last_used_at = now  # to the minute: not a write on every request
        db.session.commit()
    return tok.user


@dataclass(frozen=True)
class Throttle:
    """How sign-in failures slow down guessing without handing a stranger the owner's account.

    Failures are counted per name *and* address: after `free_failures` from one address that
    address waits 30 s, then 60 s, 120 s … (at most `max_delay`) before each further try, while
    the owner signing in from elsewhere is not slowed. Failures on one name from
    `lock_addresses` different addresses within `window` (a distributed guess) lock the account
    for `lock_for` — except for addresses the user has signed in from before — and an admin can
    unlock it at once.
    """

    free_failures: int = 5
    max_delay: timedelta = timedelta(minutes=15)
    lock_addresses: int = 10
    lock_for: timedelta = timedelta(hours=24)
    window: timedelta = timedelta(hours=1)

    @classmethod
    def from_config(cls, config) -> Throttle:
        return cls(
            free_failures=int(config["LOGIN_MAX_FAILURES"]),
            max_delay=timedelta(minutes=int(config["LOGIN_LOCK_MINUTES"])),
            lock_addresses=int(config["LOGIN_LOCK_ADDRESSES"]),
            lock_for=timedelta(hours=int(config["LOGIN_ACCOUNT_LOCK_HOURS"])),
        )

    def delay(self, failures: int) -> timedelta:
        """The wait after the last failure once `failures` have come from one address."""
        over = failures - self.free_failures
        if over < 0:
            return timedelta(0)
        return min(self.max_delay, timedelta(seconds=30 * 2 ** min(over, 20)))


#: failures older than this are deleted (the audit log keeps every one)
FAILURES_KEPT = timedelta(days=1)


def _address(address: str | None) -> str:
    return (address or "unknown")[:64]


def _is_known(user: User, address: str) -> bool:
    return db.session.get(KnownAddress, (user.id, address)) is not None


def authenticate(
    username: str, password: str, address: str | None, throttle: Throttle | None = None
) -> SignIn:
    """Check a password from an address, under `throttle` (see Throttle); never sleeps."""
    throttle = throttle or Throttle()
    name = (username or "").strip()[:64]
    address = _address(address)
    now = utcnow()
    count, last = db.session.execute(
        select(func.count(), func.max(LoginFailure.at)).where(
            LoginFailure.username == name,
            LoginFailure.address == address,
            LoginFailure.at >= now - throttle.window,
        )
    ).one()
    wait = throttle.delay(count)
    if last is not None and wait and last + wait > now:
        retry = int((last + wait - now).total_seconds()) + 1
        with unit_of_work() as uow:
            uow.audit("login.refused", username=name, detail={"reason": "throttled"})
        return SignIn(None, "too many failed sign-ins; try again later", "throttled", retry)
    user = db.session.scalar(select(User).where(User.username == name)) if name else None
    locked = user is not None and is_locked(user, now)
    if locked and not _is_known(user, address):
        with unit_of_work() as uow:
            uow.audit("login.refused", username=name, detail={"reason": "locked"})
        retry = int((user.locked_until - now).total_seconds()) + 1
        return SignIn(None, "the account is locked; try from a usual address", "locked", retry)
    if user is None or not user.active:
        check_password_hash(_dummy_hash(), password or "")
        ok = False
    else:
        ok = check_password_hash(user.password_hash, password or "")
    if not ok:
        _failed(name, address, user, now, throttle)
        return SignIn(None, "wrong username or password", "invalid")
    with unit_of_work() as uow:
        db.session.execute(
            delete(LoginFailure).where(
                LoginFailure.username == name, LoginFailure.address == address
            )
        )
        known = db.session.get(KnownAddress, (user.id, address))
        if known is None:
            db.session.add(KnownAddress(user_id=user.id, address=address, last_sign_in_at=now))
        else:
            known.last_sign_in_at = now
        uow.audit("login", by=user)
    return SignIn(user)


def _failed(name: str, address: str, user: User | None, now, throttle: Throttle) -> None:
    """Record a failure; lock the account when many addresses have failed on it."""
    with unit_of_work() as uow:
        db.session.execute(delete(LoginFailure).where(LoginFailure.at < now - FAILURES_KEPT))
        db.session.add(LoginFailure(username=name, address=address, at=now))
        if user is None:
            uow.audit("login.failed", username=name, detail={"reason": "unknown user"})
            return
        uow.audit("login.failed", by=user)
        db.session.flush()
        addresses = db.session.scalar(
            select(func.count(func.distinct(LoginFailure.address))).where(
                LoginFailure.username == name, LoginFailure.at >= now - throttle.window
            )
        )
        already = is_locked(user, now)
        if addresses >= throttle.lock_addresses and not already:
            user.locked_until = now + throttle.lock_for
            uow.audit(
                "user.lock", target=f"user:{user.id}", by=None, detail={"addresses": addresses}
            )


def unlock(user: User, by: User | None = None) -> None:
    """Lift a lock and forget the name's failures (an admin, after checking with the owner)."""
    with unit_of_work() as uow:
        user.locked_until = None
        db.session.execute(delete(LoginFailure).where(LoginFailure.username == user.username))
        uow.audit("user.unlock", target=f"user:{user.id}", by=by)
