"""What customers wrote: the comments of a campaign's responses, newest first, filtered by
outlet, channel and words."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from ..db import db
from ..errors import DomainError
from ..models import Campaign, Outlet, Response
from ..vocabulary import CHANNELS
from .bounds import bounded_id

#: comments on one page of the list
PER_PAGE = 50
#: the longest search text (a phrase, not a document)
MAX_QUERY = 100


@dataclass(frozen=True)
class Comment:
    response_id: int
    outlet: str
    channel: str
    submitted_at: datetime
    comment: str
    excluded: bool


@dataclass(frozen=True)
class CommentFilter:
    """Which comments: one outlet of the campaign, one channel, words they contain."""

    outlet: int | None = None
    channel: str | None = None
    words: str | None = None

    def checked(self, campaign: Campaign) -> CommentFilter:
        """The filter with its outlet checked against the campaign (DomainError otherwise)."""
        if self.outlet is not None:
            oid = bounded_id(self.outlet, "outlet")
            if not any(o.id == oid for o in campaign.outlets):
                raise DomainError("unknown_outlet", "outlet")
        if self.channel is not None and self.channel not in CHANNELS:
            raise DomainError("invalid", "channel")
        words = (self.words or "").strip()
        if len(words) > MAX_QUERY:
            raise DomainError("too_long", "q", max=MAX_QUERY)
        return CommentFilter(self.outlet, self.channel, words or None)


NO_FILTER = CommentFilter()


def _where(campaign: Campaign, f: CommentFilter):
    conds = [
        Response.campaign_id == campaign.id,
        Response.comment.is_not(None),
        func.length(func.trim(Response.comment)) > 0,
    ]
    if f.outlet is not None:
        conds.append(Response.outlet_id == f.outlet)
    if f.channel is not None:
        conds.append(Response.channel == f.channel)
    if f.words:
        conds.append(Response.comment.contains(f.words, autoescape=True))
    return conds


def count(campaign: Campaign, f: CommentFilter = NO_FILTER) -> int:
    """How many responses carry a comment (excluded ones included: the words were said)."""
    return db.session.scalar(select(func.count(Response.id)).where(*_where(campaign, f)))


def latest(
    campaign: Campaign, limit: int = PER_PAGE, offset: int = 0, f: CommentFilter = NO_FILTER
) -> list[Comment]:
    """The newest comments first, with their outlet and channel."""
    rows = db.session.execute(
        select(
            Response.id,
            Outlet.name,
            Response.channel,
            Response.submitted_at,
            Response.comment,
            Response.excluded,
        )
        .join(Outlet, Outlet.id == Response.outlet_id)
        .where(*_where(campaign, f))
        .order_by(Response.submitted_at.desc(), Response.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return [Comment(*r) for r in rows]
