"""Campaigns: one organization evaluated under one scheme, its outlets and survey links."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    String,
    Table,
    Text,
)
from sqlalchemy import (
    true as sa_true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from ..db import Base, UTCDateTime, utcnow
from ..vocabulary import check_sql
from .users import User

#: viewers granted one campaign (a certified company's managers see their own campaigns only)
campaign_viewers = Table(
    "campaign_viewers",
    Base.metadata,
    Column("campaign_id", ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id"), primary_key=True),
)

campaign_auditors = Table(
    "campaign_auditors",
    Base.metadata,
    Column("campaign_id", ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id"), primary_key=True),
)


class Organization(Base):
    __tablename__ = "organizations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    #: when the organization started operating (criterion "operating at least N months")
    operating_since: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Campaign(Base):
    __tablename__ = "campaigns"
    __table_args__ = (CheckConstraint(check_sql("status", "status"), name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    #: id of a file in schemes/, e.g. cqm-2019
    scheme_id: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(200))
    evaluation_date: Mapped[date | None] = mapped_column(Date)
    opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), default="draft")
    #: the questionnaire frozen when the campaign was created: {"version":…, "questions":[…]}
    questionnaire: Mapped[dict] = mapped_column(JSON)
    #: the questionnaire's version as text (`version_text`), set with it: what a submission's
    #: guarded insert compares, without PostgreSQL parsing the whole questionnaire each time.
    #: Not recorded in the ledger on its own: verification checks it against the questionnaire
    questionnaire_version: Mapped[str] = mapped_column(Text, default="", server_default="")
    #: SurveyParams.as_dict() of the scheme at creation, so S is reproducible later
    survey_params: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    organization: Mapped[Organization] = relationship()
    outlets: Mapped[list[Outlet]] = relationship(back_populates="campaign", order_by="Outlet.id")
    #: in user id order, so each auditor keeps their checklist column on every database (a
    #: secondary table has no order of its own: PostgreSQL returns it as its pages lie)
    auditors: Mapped[list[User]] = relationship(secondary=campaign_auditors, order_by="User.id")
    viewers: Mapped[list[User]] = relationship(secondary=campaign_viewers, order_by="User.id")

    @validates("questionnaire")
    def _keep_version(self, _key: str, value: dict) -> dict:
        self.questionnaire_version = version_text(value)
        return value


def version_text(questionnaire: object) -> str:
    """A frozen questionnaire's version as `campaigns.questionnaire_version` holds it: the
    text of a string (the bank file's sha256), "" when there is none, else its JSON."""
    version = questionnaire.get("version") if isinstance(questionnaire, Mapping) else None
    if version is None:
        return ""
    return version if isinstance(version, str) else json.dumps(version)


class Outlet(Base):
    """A service outlet (服务网点) of the organization, where customers are surveyed."""

    __tablename__ = "outlets"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: a deactivated outlet keeps its answers (never deleted) but its links stop
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=sa_true())

    campaign: Mapped[Campaign] = relationship(back_populates="outlets")


class SurveyLink(Base):
    """A survey URL token: one reusable link per outlet, or single-use ones issued in batches."""

    __tablename__ = "survey_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: 256-bit url-safe random token; the outlet is looked up from it, never read from the URL
    token: Mapped[str] = mapped_column(String(64), unique=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    outlet_id: Mapped[int] = mapped_column(ForeignKey("outlets.id"), index=True)
    single_use: Mapped[bool] = mapped_column(Boolean, default=False)
    #: batch of single-use tokens issued together (e.g. for a day's repair orders)
    batch: Mapped[str | None] = mapped_column(String(64), index=True)
    #: free reference printed beside the code, e.g. a work-order number
    label: Mapped[str | None] = mapped_column(String(120))
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    outlet: Mapped[Outlet] = relationship()
    campaign: Mapped[Campaign] = relationship()
