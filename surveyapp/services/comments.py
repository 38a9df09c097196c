"""What customers wrote: the comments of a campaign's responses, newest first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from ..db import db
from ..models import Campaign, Outlet, Response


@dataclass(frozen=True)
class Comment:
    response_id: int
    outlet: str
    channel: str
    submitted_at: datetime
    comment: str


def _with_comment(campaign: Campaign):
    return (
        Response.campaign_id == campaign.id,
        Response.comment.is_not(None),
        func.length(func.trim(Response.comment)) > 0,
    )


def count(campaign: Campaign) -> int:
    """How many responses carry a comment (excluded ones included: the words were said)."""
    return db.session.scalar(select(func.count(Response.id)).where(*_with_comment(campaign)))


def latest(campaign: Campaign, limit: int = 50, offset: int = 0) -> list[Comment]:
    """The newest comments first, with their outlet and channel."""
    rows = db.session.execute(
        select(Response.id, Outlet.name, Response.channel, Response.submitted_at, Response.comment)
        .join(Outlet, Outlet.id == Response.outlet_id)
        .where(*_with_comment(campaign))
        .order_by(Response.submitted_at.desc(), Response.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return [Comment(*r) for r in rows]
