"""Questionnaires designed by a certification body (imported from a spreadsheet), kept to be
used by new campaigns; a campaign freezes a copy of the one it uses."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, UTCDateTime, utcnow


class StoredQuestionnaire(Base):
    """A questionnaire in the frozen JSON form a campaign stores (questionnaire.as_dict())."""

    __tablename__ = "questionnaires"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    document: Mapped[dict] = mapped_column(JSON)
    #: the questions' sha256: the version a campaign's frozen copy carries
    version: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
