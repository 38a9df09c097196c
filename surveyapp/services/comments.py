"""What customers wrote: the comments of a campaign's responses, newest first, filtered by
outlet, channel, words, and the response's own score on one dimension (what did those who
rated 时间性 poorly say?)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
from sqlalchemy import func, select

from ..db import db
from ..errors import DomainError
from ..models import Campaign, Outlet, Response
from ..scoring.survey import DIMENSIONS
from ..survey_math.core import make_layout, score_arrays
from ..survey_math.packing import unpack_answers, widths_of
from ..vocabulary import CHANNELS, SCORE_BANDS
from . import keywords as keyword_service
from . import scores
from .bounds import bounded_id
from .scores.cache import RESULTS

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
    """Which comments: one outlet of the campaign, one channel, words they contain, and the
    response's own score: its band on one dimension, or without a dimension on all of them
    (dimension-weighted, as S weighs them); a dimension alone keeps those that rated it."""

    outlet: int | None = None
    channel: str | None = None
    words: str | None = None
    dimension: str | None = None
    band: str | None = None

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
        if self.dimension is not None and self.dimension not in DIMENSIONS:
            raise DomainError("invalid", "dimension")
        if self.band is not None and self.band not in SCORE_BANDS:
            raise DomainError("invalid", "band")
        return CommentFilter(self.outlet, self.channel, words or None, self.dimension, self.band)

    @property
    def by_score(self) -> bool:
        return self.dimension is not None or self.band is not None


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


#: the band limits on a 0–100 dimension score: [lo, hi)
BAND_LIMITS = {"low": (-np.inf, 60.0), "mid": (60.0, 80.0), "high": (80.0, np.inf)}


def dimension_scores(campaign: Campaign, packed: list[str]) -> np.ndarray:
    """Each response's score (0–100) on each of the six dimensions, from its packed answers:
    the mean of its answered scored questions of that dimension, as the campaign's S maps them
    (its frozen scale); NaN where it answered none of them. Shape (n, 6)."""
    questions = scores.questions_of(campaign)
    layout = make_layout(questions, scores.params_of(campaign))
    answers = unpack_answers(packed, widths_of(questions))
    _codes, points, answered = score_arrays(answers, layout)
    sums = points.astype(np.float64) @ layout.membership
    counts = answered.astype(np.float64) @ layout.membership
    return np.divide(sums, counts, out=np.full_like(sums, np.nan), where=counts > 0)


def _in_band(score: np.ndarray, band: str | None) -> np.ndarray:
    """Which scores (NaN = not rated) fall in the band; any band: every rated one."""
    lo, hi = BAND_LIMITS[band] if band is not None else (-np.inf, np.inf)
    return ~np.isnan(score) & (score >= lo) & (score < hi)


def _ids_by_score(campaign: Campaign, f: CommentFilter) -> list[int]:
    """Ids of the commented responses (other filters applied) whose score on f.dimension
    falls in f.band, newest first. Decoded in numpy: ~0.1 s for 100,000 comments."""
    rows = db.session.execute(
        select(Response.id, Response.answers)
        .where(*_where(campaign, f))
        .order_by(Response.submitted_at.desc(), Response.id.desc())
    ).all()
    if not rows:
        return []
    ids, packed = zip(*rows, strict=True)
    dims = dimension_scores(campaign, list(packed))
    if f.dimension is not None:
        score = dims[:, DIMENSIONS.index(f.dimension)]
    else:  # the response's own overall score: its dimensions weighted as S weighs them
        weights = make_layout(scores.questions_of(campaign), scores.params_of(campaign)).dim_weights
        has = ~np.isnan(dims)
        total = (np.where(has, dims, 0.0) * weights).sum(axis=1)
        weight = (has * weights).sum(axis=1)
        score = np.divide(total, weight, out=np.full(len(dims), np.nan), where=weight > 0)
    keep = np.nonzero(_in_band(score, f.band))[0]
    return [int(ids[i]) for i in keep]


def band_counts(campaign: Campaign) -> dict[str, dict[str, int]]:
    """Per dimension, how many commented responses fall in each score band (one decode of the
    commented responses): which dimension the unhappy comments are about."""
    rows = (
        db.session.execute(select(Response.answers).where(*_where(campaign, NO_FILTER)))
        .scalars()
        .all()
    )
    out = {d: dict.fromkeys(BAND_LIMITS, 0) for d in DIMENSIONS}
    if not rows:
        return out
    dims = dimension_scores(campaign, list(rows))
    for j, d in enumerate(DIMENSIONS):
        for band in BAND_LIMITS:
            out[d][band] = int(np.count_nonzero(_in_band(dims[:, j], band)))
    return out


def count(campaign: Campaign, f: CommentFilter = NO_FILTER) -> int:
    """How many responses carry a comment (excluded ones included: the words were said)."""
    if f.by_score:
        return len(_ids_by_score(campaign, f))
    return db.session.scalar(select(func.count(Response.id)).where(*_where(campaign, f)))


def latest(
    campaign: Campaign, limit: int = PER_PAGE, offset: int = 0, f: CommentFilter = NO_FILTER
) -> list[Comment]:
    """The newest comments first, with their outlet and channel."""
    stmt = select(
        Response.id,
        Outlet.name,
        Response.channel,
        Response.submitted_at,
        Response.comment,
        Response.excluded,
    ).join(Outlet, Outlet.id == Response.outlet_id)
    if f.by_score:
        page = _ids_by_score(campaign, f)[offset : offset + limit]
        stmt = stmt.where(Response.id.in_(page))
    else:
        stmt = stmt.where(*_where(campaign, f)).limit(limit).offset(offset)
    rows = db.session.execute(stmt.order_by(Response.submitted_at.desc(), Response.id.desc()))
    return [Comment(*r) for r in rows]


def keywords(campaign: Campaign, f: CommentFilter = NO_FILTER) -> list[tuple[str, int]]:
    """The words most of the filter's newest comments use (services/keywords.py), cached until
    a comment is added or erased."""
    conds = _where(campaign, f)
    if f.by_score:
        ids = _ids_by_score(campaign, f)[: keyword_service.WINDOW]
    else:
        newest = select(Response.id).where(*conds)
        newest = newest.order_by(Response.submitted_at.desc(), Response.id.desc())
        ids = list(db.session.scalars(newest.limit(keyword_service.WINDOW)))
    if not ids:
        return []
    # the campaign's fingerprint moves with every response; the count, with every erased comment
    total = db.session.scalar(select(func.count(Response.id)).where(*conds))
    key = ("keywords", scores.fingerprint(campaign), f, int(total), len(ids), ids[0], ids[-1])

    def make() -> list[tuple[str, int]]:
        texts = db.session.scalars(select(Response.comment).where(Response.id.in_(ids)))
        return keyword_service.top_words(t for t in texts if t)

    return RESULTS.get_or_make(key, make)
