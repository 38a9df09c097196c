"""Load a campaign's responses in one aggregate select: the full frame, or the light paradata."""

from __future__ import annotations

import threading

import numpy as np
import pandas as pd
from cachetools import LRUCache
from sqlalchemy import case, func, select

from ...db import db
from ...models import Campaign, Response, SurveyLink
from ...scoring.survey import CHANNELS
from ...survey_math import ResponseFrame
from ...survey_math.packing import widths_of
from .adapters import questions_of
from .decoding import (
    NO_PRINT,
    PRINT_WIDTH,
    SEP,
    agg,
    answers_of,
    flags01,
    ints,
    row_codes,
    timestamp_ns,
    ts_text,
    utc_series,
    wide_of,
)


def _aggregate_select(campaign_id: int, dialect: str, after: int | None = None):
    """The campaign's responses as aggregate strings; with `after`, only those with a larger
    id — a range of the (campaign, channel, id) index per channel — and the campaign's count
    of responses in the same statement (one snapshot: `extend_frame`'s check)."""
    r = Response
    where = [r.campaign_id == campaign_id]
    extra = []
    if after is not None:
        where += [r.channel.in_(CHANNELS), r.id > after]
        total = select(func.count()).where(r.campaign_id == campaign_id).scalar_subquery()
        extra = [total.label("total")]
    return select(
        func.count().label("n"),
        agg(r.id).label("id"),
        agg(r.outlet_id).label("outlet_id"),
        agg(case((r.channel == CHANNELS[0], "0"), else_="1"), "").label("channel"),
        agg(case((r.excluded, "1"), else_="0"), "").label("excluded"),
        agg(ts_text(r.submitted_at, dialect)).label("submitted_at"),
        agg(r.answers).label("answers"),
        *extra,
    ).where(*where)


def load_frame(campaign: Campaign) -> ResponseFrame:
    """Every stored response of the campaign (one aggregate select), ordered by id.

    The core columns the scores and dashboard need; the flags' paradata is `load_paradata`.
    """
    questions = questions_of(campaign)
    dialect = db.session.get_bind().dialect.name
    return _frame_of(db.session.execute(_aggregate_select(campaign.id, dialect)).one(), questions)


def extend_frame(campaign: Campaign, prev: ResponseFrame, exclusions_changed: bool = True):
    """`prev` (an earlier frame of this campaign) with the responses stored since: those with
    an id above its newest, read alone, and — when exclusions changed — every response's
    `excluded` read again. None when `prev` cannot be extended, and the caller loads the
    whole frame: another questionnaire, or a response with a lower id committed after `prev`
    was read (PostgreSQL hands out ids before commit). The check is a count: responses are
    never deleted, so `prev` ∪ the new ones ⊆ the campaign's responses, and equal counts make
    them the same set."""
    questions = questions_of(campaign)
    if tuple(questions) != prev.questions:
        return None
    r = Response
    last = int(prev.meta["id"].iloc[-1]) if len(prev) else 0
    dialect = db.session.get_bind().dialect.name
    row = db.session.execute(_aggregate_select(campaign.id, dialect, after=last)).one()
    new = _frame_of(row, questions)
    if int(row.total) != len(prev) + len(new):
        return None
    meta = pd.concat([prev.meta, new.meta], ignore_index=True)
    meta["channel"] = pd.Categorical(meta["channel"], categories=list(CHANNELS))
    if exclusions_changed:
        excluded = db.session.scalars(
            select(r.id).where(r.campaign_id == campaign.id, r.excluded.is_(True))
        ).all()
        meta["excluded"] = np.isin(meta["id"].to_numpy(), np.asarray(excluded, dtype=np.int64))
    answers = np.concatenate([prev.answers, new.answers])
    wide = {i: np.concatenate([v, new.wide[i]]) for i, v in prev.wide.items()}
    return ResponseFrame(meta, answers, questions, wide)


def _frame_of(row, questions) -> ResponseFrame:
    """A frame from one aggregate row (count and the separated columns), ordered by id."""
    n = int(row.n)
    ids = ints(row.id, n)
    meta = pd.DataFrame(
        {
            "id": ids,
            "channel": pd.Categorical.from_codes(
                flags01(row.channel, n).astype(np.int8), categories=list(CHANNELS)
            ),
            "outlet_id": ints(row.outlet_id, n),
            "submitted_at": utc_series(timestamp_ns(row.submitted_at, n)),
            "excluded": flags01(row.excluded, n),
        }
    )
    answers = answers_of(row.answers, n, widths_of(questions))
    wide = wide_of(row.answers, n, widths_of(questions))
    order = np.argsort(ids, kind="stable")
    if n and not (order == np.arange(n)).all():  # same order whatever plan the database chose
        meta = meta.iloc[order].reset_index(drop=True)
        answers = answers[order]
        wide = {i: v[order] for i, v in wide.items()}
    return ResponseFrame(meta, answers, questions, wide)


#: responses per page of the light paradata load (a page's aggregate strings are ~5 MB)
FLAG_PAGE = 50_000


def _paradata_page_select(
    campaign_id: int, dialect: str, after: int, limit: int, by_campaign: bool = False
):
    """The aggregate strings of the next `limit` responses by id after `after`: paradata only.

    A whole campaign walks the primary key from `after` (`+ 0` keeps the planner off the
    campaign index, which would sort the whole campaign for every page); the few responses
    since an earlier load (`by_campaign`) come through the (campaign, channel, id) index
    instead, which does not visit other campaigns' newer responses."""
    r = Response
    where = (
        [r.campaign_id == campaign_id, r.channel.in_(CHANNELS), r.id > after]
        if by_campaign
        else [(r.campaign_id + 0) == campaign_id, r.id > after]
    )
    page = (
        select(r.id, r.channel, r.submitted_at, r.duration_s, r.link_id, r.fingerprint, r.network)
        .where(*where)
        .order_by(r.id)
        .limit(limit)
        .subquery()
    )
    p = page.c
    # fixed-width or numeric text with sentinels for NULL, so numpy decodes it without a
    # Python string per row; the device fingerprint (a salted sha256 hex) is compared on its
    # first 16 characters (64 bits)
    return select(
        func.count().label("n"),
        func.max(p.id).label("last"),
        agg(p.id).label("id"),
        agg(case((p.channel == CHANNELS[0], "0"), else_="1"), "").label("channel"),
        agg(ts_text(p.submitted_at, dialect)).label("submitted_at"),
        agg(func.coalesce(p.duration_s, -1.0)).label("duration_s"),
        agg(func.coalesce(p.link_id, 0)).label("link_id"),
        agg(func.substr(func.coalesce(p.fingerprint, "") + NO_PRINT, 1, PRINT_WIDTH), "").label(
            "fingerprint"
        ),
        agg(func.substr(func.coalesce(p.network, "") + NO_PRINT, 1, PRINT_WIDTH), "").label(
            "network"
        ),
    )


def load_paradata(campaign: Campaign, page: int = FLAG_PAGE) -> pd.DataFrame:
    """What the campaign-wide quality flags need, without the answers: compact numpy columns.

    id, channel, submitted_at, duration_s, token_id (single-use links) and fingerprint (codes
    of the 64-bit prefix), ordered by id; no client_id column, as duplicates cannot be stored
    (unique per campaign). Read in keyset pages of aggregate strings into arrays sized from a
    count first, so a million responses take ~40 MB and no per-row Python objects.
    """
    columns = _extended_paradata(campaign, page)
    if columns is None:
        columns = _read_paradata(campaign, page)
    key = _paradata_key(campaign)
    with _PARADATA_LOCK:
        _PARADATA[key] = columns
    # the frame pops each column out of its own dict as it is used
    return _paradata_frame(campaign, dict(columns))


#: the decoded paradata columns of the campaigns loaded last (memory only): a busy campaign's
#: next load reads only the responses stored since (as `extend_frame` does for the frame)
_PARADATA: LRUCache = LRUCache(maxsize=2)
_PARADATA_LOCK = threading.Lock()


def _paradata_key(campaign: Campaign) -> tuple:
    url = db.session.get_bind().url.render_as_string(hide_password=True)
    return (url, campaign.id, campaign.created_at.isoformat() if campaign.created_at else "")


def clear_paradata() -> None:
    """Forget the kept paradata columns (tests, after a bulk load)."""
    with _PARADATA_LOCK:
        _PARADATA.clear()


def _extended_paradata(campaign: Campaign, page: int) -> dict[str, np.ndarray] | None:
    """The kept columns of this campaign plus the responses stored since, or None (none kept,
    or the campaign's count, taken after reading, says a response with a lower id committed
    later: responses are never deleted, so equal counts mean the same responses)."""
    with _PARADATA_LOCK:
        prev = _PARADATA.get(_paradata_key(campaign))
    if prev is None:
        return None
    last = int(prev["id"].max()) if len(prev["id"]) else 0
    new = _read_paradata(campaign, page, after=last, by_campaign=True)
    if _count(campaign) != len(prev["id"]) + len(new["id"]):
        return None
    return {k: np.concatenate([v, new[k]]) for k, v in prev.items()}


#: the salted hashes compared on their first PRINT_WIDTH characters: device and address
PRINTS = ("fingerprint", "network")
#: the arrays the paradata pages are decoded into (plus PRINTS, PRINT_WIDTH bytes a row)
_PARADATA_COLUMNS = {
    "id": np.int64,
    "channel": bool,
    "submitted_at": np.int64,
    "duration_s": np.float64,
    "link_id": np.int64,
}


def _count(campaign: Campaign) -> int:
    """The campaign's stored responses."""
    r = Response
    return db.session.scalar(select(func.count()).where(r.campaign_id == campaign.id)) or 0


def _read_paradata(
    campaign: Campaign, page: int, after: int = 0, by_campaign: bool = False
) -> dict[str, np.ndarray]:
    """Every page of the campaign's paradata (after the id `after`) decoded into arrays,
    trimmed to the rows read."""
    dialect = db.session.get_bind().dialect.name
    # a whole campaign is counted first to size the arrays; the few since an earlier load grow
    expected = 0 if by_campaign else _count(campaign)
    cap = int(expected) + 1
    arrays = {name: np.empty(cap, dtype) for name, dtype in _PARADATA_COLUMNS.items()}
    for name in PRINTS:
        arrays[name] = np.empty((cap, PRINT_WIDTH), dtype=np.uint8)
    filled = 0
    while True:
        row = db.session.execute(
            _paradata_page_select(campaign.id, dialect, after, page, by_campaign)
        ).one()
        n = int(row.n)
        if n == 0:
            break
        if filled + n > cap:  # responses stored since the count: grow (rare)
            cap = max(2 * cap, filled + n)
            arrays = {k: np.resize(v, (cap, *v.shape[1:])) for k, v in arrays.items()}
        _decode_page(row, n, arrays, slice(filled, filled + n))
        filled += n
        after = int(row.last)
        del row
        if n < page:
            break
    return {k: v[:filled] for k, v in arrays.items()}


def _decode_page(row, n: int, arrays: dict[str, np.ndarray], at: slice) -> None:
    """Decode one page's aggregate strings into the slice `at` of every array."""
    arrays["id"][at] = ints(row.id, n)
    arrays["channel"][at] = flags01(row.channel, n)
    arrays["submitted_at"][at] = timestamp_ns(row.submitted_at, n)
    duration = np.fromstring(row.duration_s or "", sep=SEP)
    if len(duration) != n:
        raise ValueError(f"expected {n} durations, decoded {len(duration)}")
    arrays["duration_s"][at] = duration
    arrays["link_id"][at] = ints(row.link_id, n)
    for name in PRINTS:
        raw = np.frombuffer((getattr(row, name) or "").encode("ascii"), dtype=np.uint8)
        if len(raw) != n * PRINT_WIDTH:
            raise ValueError(f"expected {n} {name}s, decoded {len(raw) // PRINT_WIDTH}")
        arrays[name][at] = raw.reshape(n, PRINT_WIDTH)


def _single_use_tokens(campaign: Campaign, links: np.ndarray) -> np.ndarray:
    """The link id where it is a single-use link of the campaign (a token), else 0."""
    single_use = db.session.scalars(
        select(SurveyLink.id).where(
            SurveyLink.campaign_id == campaign.id, SurveyLink.single_use.is_(True)
        )
    ).all()
    return np.where(np.isin(links, np.asarray(single_use, dtype=np.int64)), links, 0)


def _paradata_frame(campaign: Campaign, columns: dict[str, np.ndarray]) -> pd.DataFrame:
    """The paradata DataFrame, ordered by id; pops every column out of `columns`."""
    id_col = columns.pop("id")
    n = len(id_col)
    token = _single_use_tokens(campaign, columns.pop("link_id"))
    duration = columns.pop("duration_s")
    meta = pd.DataFrame({"id": id_col})
    meta["channel"] = pd.Categorical.from_codes(
        columns.pop("channel").astype(np.int8), categories=list(CHANNELS)
    )
    meta["submitted_at"] = utc_series(columns.pop("submitted_at"))
    meta["duration_s"] = np.where(duration < 0, np.nan, duration)
    del duration
    meta["token_id"] = pd.Series(pd.array(token, dtype="Int64")).mask(token == 0)
    del token
    for name in PRINTS:  # one small integer code per distinct device / address
        prints = columns.pop(name)
        no_print = prints[:, 0] == ord("-")
        codes = row_codes(prints)
        del prints
        meta[name] = pd.Series(pd.array(codes, dtype="Int64")).mask(no_print)
        del codes
    order = np.argsort(id_col, kind="stable")
    if n and not (order == np.arange(n)).all():
        meta = meta.iloc[order].reset_index(drop=True)
    return meta
