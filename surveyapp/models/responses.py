"""Survey responses with their paradata, and the exclusion history kept beside them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy import false as sa_false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import Base, UTCDateTime, utcnow
from ..vocabulary import check_sql

CHANNELS = ("in_person", "online")


class Response(Base):
    """One customer's answers. Never deleted: an auditor may exclude it, with a reason."""

    __tablename__ = "responses"
    __table_args__ = (
        CheckConstraint("channel IN ('in_person', 'online')", name="channel"),
        #: the same client_id sent twice stores one response (idempotent retries)
        UniqueConstraint("campaign_id", "client_id", name="uq_responses_campaign_client"),
        #: ends in id so the newest response per channel (the scores cache key) is one index
        #: probe; without id, PostgreSQL walks the primary key backwards past newer campaigns
        Index("ix_responses_campaign_channel_id", "campaign_id", "channel", "id"),
        Index("ix_responses_campaign_submitted", "campaign_id", "submitted_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    outlet_id: Mapped[int] = mapped_column(ForeignKey("outlets.id"), index=True)
    #: not indexed: nothing looks responses up by their link (a campaign's are read through
    #: its own indexes, and links are revoked, never deleted), and every submission paid for
    #: the index (migration f9a3d5b1c740)
    link_id: Mapped[int | None] = mapped_column(ForeignKey("survey_links.id"))
    channel: Mapped[str] = mapped_column(String(16))
    #: browser-generated uuid; makes a retried submit idempotent
    client_id: Mapped[str | None] = mapped_column(String(64))
    #: the auditor who ran an in-person interview
    auditor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: server time the questionnaire was served (or the auditor started the interview)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    duration_s: Mapped[float | None] = mapped_column(Float)
    #: salted hash of address + user agent, for burst detection; not reversible
    fingerprint: Mapped[str | None] = mapped_column(String(64))
    #: salted sha256 of the network (the address's /24 or /64) alone: bursts from one network
    #: whatever the browser claims to be (a script rotating user agents); not reversible
    network: Mapped[str | None] = mapped_column(String(64))
    #: each question's answer in questionnaire order, as wide as its kind says (most one char:
    #: '0'-'9', 'A'=10, '-'=n/a; a multiple choice a bit set): survey_math/packing.py
    answers: Mapped[str] = mapped_column(String(1024))
    comment: Mapped[str | None] = mapped_column(Text)
    #: optional customer contact, encrypted with a key kept outside the database
    contact_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
    contact_consent: Mapped[bool] = mapped_column(Boolean, default=False)
    #: the customer's own, separate consent to pass the contact to the certified company
    contact_share: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())
    #: sha256 of the receipt code shown on the thank-you page (privacy page: withdraw, delete)
    receipt_sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    excluded: Mapped[bool] = mapped_column(Boolean, default=False)

    exclusions: Mapped[list[ResponseExclusion]] = relationship(
        back_populates="response", order_by="ResponseExclusion.id"
    )


class ResponseExclusion(Base):
    """Who excluded or reinstated a response, when and why (append-only)."""

    __tablename__ = "response_exclusions"
    __table_args__ = (
        CheckConstraint("action IN ('exclude', 'reinstate')", name="action"),
        # the newest exclusion of one campaign, for its caches' fingerprint
        Index("ix_response_exclusions_campaign_id_id", "campaign_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("responses.id"), index=True)
    #: the response's campaign, copied: an exclusion changes only its own campaign's caches
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    action: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    response: Mapped[Response] = relationship(back_populates="exclusions")


class FollowUp(Base):
    """回访: a consenting customer's call-back, its status and note, who and when.

    Workflow, not a score input: kept beside the response (which the ledger records), never in
    it; the note is personal data and is purged with the contact.
    """

    __tablename__ = "followups"
    __table_args__ = (CheckConstraint(check_sql("status", "followup"), name="status"),)

    response_id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), ForeignKey("responses.id"), primary_key=True
    )
    status: Mapped[str] = mapped_column(String(16), default="todo")
    note: Mapped[str | None] = mapped_column(Text)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
