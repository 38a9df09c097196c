"""GET /campaigns/<id>/comments: what customers wrote, newest first."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ...i18n import local_zone
from ...scoring.survey import CHANNELS, DIMENSIONS
from ...services import comments
from ...vocabulary import ids
from ..params import MAX_PAGE
from . import api_auth, api_campaign, bp
from .document import operation
from .schema import Id, Int, Output, Payload, Text, out, query
from .scores import READERS


class CommentQuery(Payload):
    """Which comments (all by default), one page of them."""

    outlet: Id | None = Field(None, description="an outlet id of this campaign")
    channel: Literal[tuple(CHANNELS)] | None = None
    q: Text(comments.MAX_QUERY) | None = Field(None, description="words the comment contains")
    dimension: Literal[tuple(DIMENSIONS)] | None = Field(
        None,
        description="the response's own score on this dimension (alone: those that rated it)",
    )
    band: Literal[ids("score_band")] | None = Field(
        None,
        description="low < 60 ≤ mid < 80 ≤ high (0–100 points) on the dimension, or without "
        "one on the response's dimension-weighted score",
    )
    page: Int(1, MAX_PAGE) = 1


class CommentOut(Output):
    response_id: int
    outlet: str
    channel: str
    submitted_at: str = Field(description="local time with its offset, e.g. …+08:00")
    comment: str
    excluded: bool = Field(description="the response is excluded from the scores")


class CommentPage(Output):
    comments: list[CommentOut]
    total: int
    page: int
    per_page: int


@bp.get("/campaigns/<int:campaign_id>/comments")
@operation("Customers' comments, newest first", query=CommentQuery, ok={200: CommentPage})
@api_auth(*READERS)
def campaign_comments(campaign_id: int):
    """The comments of the campaign's responses (admins, assigned auditors, granted viewers)."""
    campaign = api_campaign(campaign_id)
    q = query(CommentQuery)
    f = comments.CommentFilter(q.outlet, q.channel, q.q, q.dimension, q.band).checked(campaign)
    rows = comments.latest(campaign, comments.PER_PAGE, (q.page - 1) * comments.PER_PAGE, f)
    zone = local_zone()
    return out(
        CommentPage,
        {
            "comments": [
                {
                    "response_id": c.response_id,
                    "outlet": c.outlet,
                    "channel": c.channel,
                    "submitted_at": c.submitted_at.astimezone(zone).isoformat(),
                    "comment": c.comment,
                    "excluded": bool(c.excluded),
                }
                for c in rows
            ],
            "total": comments.count(campaign, f),
            "page": q.page,
            "per_page": comments.PER_PAGE,
        },
    )
