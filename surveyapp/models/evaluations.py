"""Evaluations: the auditor's checklist input for a campaign and the computed level."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, UTCDateTime, utcnow


class Evaluation(Base):
    """A draft is edited in place; a finalized one is frozen and only superseded by a new one."""

    __tablename__ = "evaluations"
    __table_args__ = (
        CheckConstraint("status IN ('draft', 'finalized', 'superseded')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="draft")
    #: the evaluation input of CONTRACT.md without scheme and survey
    input: Mapped[dict] = mapped_column(JSON)
    #: the engine's result, frozen at finalization (drafts recompute on read)
    result: Mapped[dict | None] = mapped_column(JSON)
    #: the survey figures used, frozen at finalization
    survey: Mapped[dict | None] = mapped_column(JSON)
    #: sha256 of the scheme file the result was computed with
    scheme_sha256: Mapped[str | None] = mapped_column(String(64))
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("evaluations.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    finalized_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finalized_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
