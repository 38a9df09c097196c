"""Accounts: users with a role, and revocable API tokens stored as hashes."""

from __future__ import annotations

import hashlib
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy import false as sa_false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import Base, UTCDateTime, utcnow
from ..vocabulary import check_sql, ids

ROLES = ids("role")


class User(UserMixin, Base):
    __tablename__ = "users"
    __table_args__ = (CheckConstraint(check_sql("role", "role"), name="role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    #: werkzeug scrypt hash; never the password
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    display_name: Mapped[str | None] = mapped_column(String(120))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: the account is locked until then, after failed sign-ins from many addresses (an admin can
    #: unlock it earlier); addresses the user has signed in from before are not refused
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: set when an admin resets the password: the next sign-in leads to choosing a new one
    must_change_password: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=sa_false()
    )
    #: part of every session cookie; raised on sign-out and deactivation, so a copied cookie
    #: from before stops working (Flask's sessions live in the cookie, not on the server)
    session_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: a viewer granted every campaign (the certification body's reviewers); other viewers see
    #: only the campaigns granted to them (campaign_viewers)
    sees_all: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())

    tokens: Mapped[list[ApiToken]] = relationship(back_populates="user")

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.active

    def get_id(self) -> str:  # Flask-Login: what the session cookie names
        return f"{self.id}.{self.session_epoch or 0}"

    def has_role(self, *roles: str) -> bool:
        """True when the user holds one of the roles."""
        return self.role in roles

    def __repr__(self) -> str:
        return f"<User {self.username} {self.role}>"


def hash_token(token: str) -> str:
    """SHA-256 of an API token: tokens carry 256 random bits, so a fast hash is enough."""
    return hashlib.sha256(token.encode()).hexdigest()


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    #: sha256 hex of the token; the token itself is shown once and never stored
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: first characters, to tell tokens apart in lists
    prefix: Mapped[str] = mapped_column(String(12))
    label: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(back_populates="tokens")


class LoginFailure(Base):
    """A failed sign-in: the name typed and the address it came from (kept for a day).

    Throttling counts these per name and address, so a stranger's failures slow the stranger,
    not the owner signing in from elsewhere; many addresses failing on one name lock it.
    """

    __tablename__ = "login_failures"
    __table_args__ = (Index("ix_login_failures_username_at", "username", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    address: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class KnownAddress(Base):
    """An address the user has signed in from: a lock of the account does not refuse it."""

    __tablename__ = "known_addresses"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    address: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_sign_in_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
