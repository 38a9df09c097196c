"""A campaign's perception scores: load responses in one select, compute, cache.

Reads only; they return plain values (dicts, DataFrames). Results are cached in-process under
a key that changes whenever a response is added or an exclusion is recorded (`fingerprint`).
The review writes (exclude, reinstate) live in services/review.py.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import String, case, cast, func, select, type_coerce

from ..db import db, utcnow
from ..models import Campaign, Outlet, Response, ResponseExclusion, SurveyLink
from ..scoring.survey import CHANNELS, Question, SurveyParams
from ..survey_math import (
    DEFAULT_TZ,
    FLAG_COLUMNS,
    ResponseFrame,
    compute_scores,
    filter_responses,
    unpack_answers,
)
from ..survey_math.quality import FlagContext, row_flags
from ..survey_math.quality import flag_context as quality_flag_context

# ---- parameters and questionnaire -------------------------------------------------------------


def params_of(campaign: Campaign) -> SurveyParams:
    """The SurveyParams frozen on the campaign (scale keys back to ints, thresholds a tuple)."""
    raw = dict(campaign.survey_params or {})
    if "scale" in raw:
        raw["scale"] = {int(k): float(v) for k, v in raw["scale"].items()}
    if "thresholds" in raw:
        raw["thresholds"] = tuple(float(t) for t in raw["thresholds"])
    known = SurveyParams.__dataclass_fields__
    return SurveyParams(**{k: v for k, v in raw.items() if k in known})


def _text(q: Mapping[str, Any], lang: str) -> str:
    text = q.get("text")
    if isinstance(text, Mapping):
        return str(text.get(lang) or text.get("zh") or "")
    if isinstance(text, str):
        return text
    return str(q.get(f"text_{lang}") or q.get("text_zh") or "")


def questions_of(campaign: Campaign) -> tuple[Question, ...]:
    """The campaign's frozen questionnaire as scoring Questions, in stored (packing) order."""
    out = []
    for q in (campaign.questionnaire or {}).get("questions", []):
        out.append(
            Question(
                id=str(q["id"]),
                text_zh=_text(q, "zh"),
                text_en=_text(q, "en"),
                kind=str(q.get("kind") or "likert"),
                dimension=q.get("dimension"),
                clause=q.get("clause"),
                required=bool(q.get("required", True)),
            )
        )
    return tuple(out)


# ---- filters ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScoreFilter:
    """Which responses a figure covers: outlets, one channel, a local-date range (inclusive)."""

    outlet_ids: tuple[int, ...] = ()
    channel: str | None = None
    start: dt.date | None = None
    end: dt.date | None = None

    def __post_init__(self) -> None:
        if self.channel is not None and self.channel not in CHANNELS:
            raise ValueError(
                f"unknown channel {self.channel!r}; expected one of {', '.join(CHANNELS)}"
            )
        if self.start and self.end and self.start > self.end:
            raise ValueError("start is after end")
        object.__setattr__(self, "outlet_ids", tuple(sorted({int(o) for o in self.outlet_ids})))

    @property
    def empty(self) -> bool:
        """True when every response is covered."""
        return not (self.outlet_ids or self.channel or self.start or self.end)

    def key(self) -> tuple:
        """A hashable form for cache keys."""
        return (self.outlet_ids, self.channel, self.start, self.end)

    def as_dict(self) -> dict[str, Any]:
        """JSON form, returned with every filtered result."""
        return {
            "outlets": list(self.outlet_ids),
            "channel": self.channel,
            "start": self.start.isoformat() if self.start else None,
            "end": self.end.isoformat() if self.end else None,
        }

    def apply(self, frame: ResponseFrame) -> ResponseFrame:
        """The responses of the frame this filter covers."""
        if self.empty:
            return frame
        return filter_responses(
            frame,
            outlet_ids=self.outlet_ids or None,
            channel=self.channel,
            start=self.start,
            end=self.end,
            tz=DEFAULT_TZ,
        )


NO_FILTER = ScoreFilter()


# ---- cache ------------------------------------------------------------------------------------


class _Lru:
    """A small thread-safe LRU map; frames are large, so each kind has its own capacity."""

    def __init__(self, capacity: int):
        self.capacity = capacity
        self.data: OrderedDict[Hashable, Any] = OrderedDict()
        self.lock = threading.Lock()

    def get_or_make(self, key: Hashable, make: Callable[[], Any]) -> Any:
        with self.lock:
            if key in self.data:
                self.data.move_to_end(key)
                return self.data[key]
        value = make()
        with self.lock:
            self.data[key] = value
            self.data.move_to_end(key)
            while len(self.data) > self.capacity:
                self.data.popitem(last=False)
        return value

    def clear(self) -> None:
        with self.lock:
            self.data.clear()


_FRAMES = _Lru(2)  #: a million responses take ~60 MB; keep the two most recent campaigns
_RESULTS = _Lru(256)  #: scores, dashboards and flags: small


def clear_cache() -> None:
    """Forget every cached frame and result (tests, after a bulk load)."""
    _FRAMES.clear()
    _RESULTS.clear()


def fingerprint(campaign: Campaign) -> tuple:
    """What changes when responses are added or exclusions recorded: counts and max ids.

    Cheap at a million responses: the newest id per channel comes from the (campaign, channel)
    index; every exclusion or reinstatement adds a response_exclusions row (services only), so
    that table's max id and count cover changes of `excluded`. On PostgreSQL ids are not
    committed in order, so the campaign's count is added there. The database URL and the
    campaign's creation time keep two databases (or restarted ids) apart.
    """
    r, x = Response, ResponseExclusion

    def newest(channel: str):
        return (
            select(func.max(r.id))
            .where(r.campaign_id == campaign.id, r.channel == channel)
            .scalar_subquery()
        )

    parts = [newest(c) for c in CHANNELS]
    parts += [select(func.max(x.id)).scalar_subquery(), select(func.count(x.id)).scalar_subquery()]
    bind = db.session.get_bind()
    if bind.dialect.name != "sqlite":
        parts.append(select(func.count()).where(r.campaign_id == campaign.id).scalar_subquery())
    values = tuple(db.session.execute(select(*parts)).one())
    created = campaign.created_at.isoformat() if campaign.created_at else ""
    return (bind.url.render_as_string(hide_password=True), campaign.id, created, *values)


# ---- loading ----------------------------------------------------------------------------------
# One SELECT of aggregates: each column of the campaign's responses comes back as one string
# (group_concat / string_agg), decoded with numpy. Aggregates of one query step through the
# same rows in the same order, so the columns stay aligned; a million responses are a few
# tens of MB of text and no per-row Python objects.

_SEP = ","
_TS_WIDTH = 26  #: 'YYYY-MM-DD HH:MM:SS.ffffff'
_PRINT_WIDTH = 16
_NO_PRINT = "-" * _PRINT_WIDTH  #: pads a fingerprint; all dashes = none


def _agg(expr, sep: str = _SEP):
    return func.aggregate_strings(cast(expr, String), sep)


def _ts_text(column, dialect: str):
    """A timestamp column as 'YYYY-MM-DD HH:MM:SS.ffffff' text (UTC, as stored)."""
    if dialect == "postgresql":
        return func.to_char(column, "YYYY-MM-DD HH24:MI:SS.US")
    return type_coerce(column, String)


def _aggregate_select(campaign_id: int, dialect: str):
    r = Response
    return select(
        func.count().label("n"),
        _agg(r.id).label("id"),
        _agg(r.outlet_id).label("outlet_id"),
        _agg(case((r.channel == CHANNELS[0], "0"), else_="1"), "").label("channel"),
        _agg(case((r.excluded, "1"), else_="0"), "").label("excluded"),
        _agg(_ts_text(r.submitted_at, dialect)).label("submitted_at"),
        _agg(r.answers).label("answers"),
    ).where(r.campaign_id == campaign_id)


def _ints(blob: str | None, n: int) -> np.ndarray:
    out = np.fromstring(blob or "", sep=_SEP, dtype=np.int64) if n else np.zeros(0, np.int64)
    if len(out) != n:
        raise ValueError(f"expected {n} integers, decoded {len(out)}")
    return out


def _flags01(blob: str | None, n: int) -> np.ndarray:
    raw = np.frombuffer((blob or "").encode("ascii"), dtype=np.uint8)
    if len(raw) != n:
        raise ValueError(f"expected {n} flags, decoded {len(raw)}")
    return raw == ord("1")


def _fixed(blob: str | None, n: int, width: int) -> np.ndarray | None:
    """The (n, width) bytes of n separated values all `width` long; None when they are not."""
    if n == 0:
        return np.zeros((0, width), dtype=np.uint8)
    data = (blob or "").encode("utf-8")
    if len(data) != n * (width + 1) - 1:
        return None
    raw = np.frombuffer(data + _SEP.encode(), dtype=np.uint8).reshape(n, width + 1)
    if not (raw[:, width] == ord(_SEP)).all():
        return None
    return raw[:, :width]


def _answers(blob: str | None, n: int, n_questions: int) -> np.ndarray:
    fixed = _fixed(blob, n, n_questions)
    if fixed is not None and n:  # the usual case: every response has every question
        return unpack_answers(
            np.ascontiguousarray(fixed).view(f"S{n_questions}").ravel(), n_questions
        )
    return unpack_answers((blob or "").split(_SEP) if n else [], n_questions)


def _civil_ns(m: np.ndarray) -> np.ndarray:
    """'YYYY-MM-DD HH:MM:SS.ffffff' byte rows → int64 ns since the epoch (Hinnant's algorithm)."""
    cols = np.ascontiguousarray(m.T)  # one contiguous row of bytes per character position

    def num(a: int, b: int) -> np.ndarray:
        out = cols[a].astype(np.int64) - ord("0")
        for k in range(a + 1, b):
            out = out * 10 + (cols[k] - ord("0"))
        return out

    y, mo, day = num(0, 4), num(5, 7), num(8, 10)
    y = y - (mo <= 2)
    era = np.floor_divide(y, 400)
    yoe = y - era * 400
    doy = (153 * (mo + np.where(mo > 2, -3, 9)) + 2) // 5 + day - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    days = era * 146097 + doe - 719468
    secs = days * 86400 + num(11, 13) * 3600 + num(14, 16) * 60 + num(17, 19)
    return secs * 1_000_000_000 + num(20, 26) * 1000


def _timestamp_ns(blob: str | None, n: int) -> np.ndarray:
    """Separated timestamp texts (UTC) as int64 ns since the epoch; '' = NaT."""
    fixed = _fixed(blob, n, _TS_WIDTH)
    if fixed is not None and (fixed[:, 19] == ord(".")).all():
        return _civil_ns(fixed)
    text = (blob or "").split(_SEP) if n else []
    return (
        np.array([t.replace(" ", "T") if t else "NaT" for t in text], dtype="datetime64[us]")
        .astype("datetime64[ns]")
        .view(np.int64)
    )


def _utc_series(ns: np.ndarray) -> pd.Series:
    return pd.Series(pd.DatetimeIndex(ns.view("datetime64[ns]")).tz_localize("UTC"))


def load_frame(campaign: Campaign) -> ResponseFrame:
    """Every stored response of the campaign (one aggregate select), ordered by id.

    The core columns the scores and dashboard need; the flags' paradata is `load_paradata`.
    """
    questions = questions_of(campaign)
    dialect = db.session.get_bind().dialect.name
    row = db.session.execute(_aggregate_select(campaign.id, dialect)).one()
    n = int(row.n)
    ids = _ints(row.id, n)
    meta = pd.DataFrame(
        {
            "id": ids,
            "channel": pd.Categorical.from_codes(
                _flags01(row.channel, n).astype(np.int8), categories=list(CHANNELS)
            ),
            "outlet_id": _ints(row.outlet_id, n),
            "submitted_at": _utc_series(_timestamp_ns(row.submitted_at, n)),
            "excluded": _flags01(row.excluded, n),
        }
    )
    answers = _answers(row.answers, n, len(questions))
    order = np.argsort(ids, kind="stable")
    if n and not (order == np.arange(n)).all():  # same order whatever plan the database chose
        meta = meta.iloc[order].reset_index(drop=True)
        answers = answers[order]
    return ResponseFrame(meta, answers, questions)


#: responses per page of the light paradata load (a page's aggregate strings are ~5 MB)
FLAG_PAGE = 50_000


def _paradata_page_select(campaign_id: int, dialect: str, after: int, limit: int):
    """The aggregate strings of the next `limit` responses by id after `after`: paradata only."""
    r = Response
    # `+ 0`: walk the primary key from `after` (keyset paging), not the campaign index
    page = (
        select(r.id, r.channel, r.submitted_at, r.duration_s, r.link_id, r.fingerprint)
        .where((r.campaign_id + 0) == campaign_id, r.id > after)
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
        _agg(p.id).label("id"),
        _agg(case((p.channel == CHANNELS[0], "0"), else_="1"), "").label("channel"),
        _agg(_ts_text(p.submitted_at, dialect)).label("submitted_at"),
        _agg(func.coalesce(p.duration_s, -1.0)).label("duration_s"),
        _agg(func.coalesce(p.link_id, 0)).label("link_id"),
        _agg(func.substr(func.coalesce(p.fingerprint, "") + _NO_PRINT, 1, _PRINT_WIDTH), "").label(
            "fingerprint"
        ),
    )


def load_paradata(campaign: Campaign, page: int = FLAG_PAGE) -> pd.DataFrame:
    """What the campaign-wide quality flags need, without the answers: compact numpy columns.

    id, channel, submitted_at, duration_s, token_id (single-use links) and fingerprint (codes
    of the 64-bit prefix), ordered by id; no client_id column, as duplicates cannot be stored
    (unique per campaign). Read in keyset pages of aggregate strings into arrays sized from a
    count first, so a million responses take ~40 MB and no per-row Python objects.
    """
    dialect = db.session.get_bind().dialect.name
    expected = (
        db.session.scalar(
            select(func.count()).select_from(Response).where(Response.campaign_id == campaign.id)
        )
        or 0
    )
    columns = {
        "id": np.int64,
        "channel": bool,
        "submitted_at": np.int64,
        "duration_s": np.float64,
        "link_id": np.int64,
    }
    cap = int(expected) + 1
    arrays = {name: np.empty(cap, dtype) for name, dtype in columns.items()}
    prints = np.empty((cap, _PRINT_WIDTH), dtype=np.uint8)
    filled, after = 0, 0
    while True:
        row = db.session.execute(_paradata_page_select(campaign.id, dialect, after, page)).one()
        n = int(row.n)
        if n == 0:
            break
        if filled + n > cap:  # responses stored since the count: grow (rare)
            cap = max(2 * cap, filled + n)
            arrays = {k: np.resize(v, cap) for k, v in arrays.items()}
            prints = np.resize(prints, (cap, _PRINT_WIDTH))
        at = slice(filled, filled + n)
        arrays["id"][at] = _ints(row.id, n)
        arrays["channel"][at] = _flags01(row.channel, n)
        arrays["submitted_at"][at] = _timestamp_ns(row.submitted_at, n)
        duration = np.fromstring(row.duration_s or "", sep=_SEP)
        if len(duration) != n:
            raise ValueError(f"expected {n} durations, decoded {len(duration)}")
        arrays["duration_s"][at] = duration
        arrays["link_id"][at] = _ints(row.link_id, n)
        raw = np.frombuffer((row.fingerprint or "").encode("ascii"), dtype=np.uint8)
        if len(raw) != n * _PRINT_WIDTH:
            raise ValueError(f"expected {n} fingerprints, decoded {len(raw) // _PRINT_WIDTH}")
        prints[at] = raw.reshape(n, _PRINT_WIDTH)
        filled += n
        after = int(row.last)
        del row, raw, duration
        if n < page:
            break
    n = filled
    id_col = arrays["id"][:n]
    single_use = db.session.scalars(
        select(SurveyLink.id).where(
            SurveyLink.campaign_id == campaign.id, SurveyLink.single_use.is_(True)
        )
    ).all()
    links = arrays.pop("link_id")[:n]
    token = np.where(np.isin(links, np.asarray(single_use, dtype=np.int64)), links, 0)
    del links
    no_print = prints[:n, 0] == ord("-")
    codes = _row_codes(prints[:n])
    del prints
    duration = arrays.pop("duration_s")[:n]
    meta = pd.DataFrame({"id": id_col})
    meta["channel"] = pd.Categorical.from_codes(
        arrays.pop("channel")[:n].astype(np.int8), categories=list(CHANNELS)
    )
    meta["submitted_at"] = _utc_series(arrays.pop("submitted_at")[:n])
    meta["duration_s"] = np.where(duration < 0, np.nan, duration)
    del duration
    meta["token_id"] = pd.Series(pd.array(token, dtype="Int64")).mask(token == 0)
    del token
    meta["fingerprint"] = pd.Series(pd.array(codes, dtype="Int64")).mask(no_print)
    del codes
    order = np.argsort(id_col, kind="stable")
    if n and not (order == np.arange(n)).all():
        meta = meta.iloc[order].reset_index(drop=True)
    return meta


def _row_codes(raw: np.ndarray) -> np.ndarray:
    """Equal byte rows (n, 16) get equal int64 codes, different rows different ones.

    Sorts two uint64 words with lexsort instead of np.unique(axis=0), which copies the rows
    into a structured array several times over (hundreds of MB at a million rows).
    """
    n = len(raw)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    words = np.ascontiguousarray(raw).view(np.uint64)
    hi, lo = words[:, 0], words[:, 1]
    order = np.lexsort((lo, hi))
    new_group = np.ones(n, dtype=bool)
    new_group[1:] = (hi[order][1:] != hi[order][:-1]) | (lo[order][1:] != lo[order][:-1])
    codes = np.empty(n, dtype=np.int64)
    codes[order] = np.cumsum(new_group) - 1
    return codes


def _flag_context(campaign: Campaign, fp: tuple) -> FlagContext:
    return _RESULTS.get_or_make(
        ("flag_context", fp), lambda: quality_flag_context(load_paradata(campaign))
    )


def flag_context(campaign: Campaign) -> FlagContext:
    """The campaign-wide part of the quality flags (cached like the flags): exports flag
    page by page with it instead of building the full frame with every answer."""
    return _flag_context(campaign, fingerprint(campaign))


def _frame(campaign: Campaign, fp: tuple) -> ResponseFrame:
    return _FRAMES.get_or_make(("frame", fp), lambda: load_frame(campaign))


def cached(
    kind: str, campaign: Campaign, flt: ScoreFilter, make: Callable[[ResponseFrame], Any]
) -> Any:
    """`make(frame filtered by flt)`, cached until the campaign's fingerprint changes."""
    fp = fingerprint(campaign)
    return _RESULTS.get_or_make(
        (kind, fp, flt.key()), lambda: make(flt.apply(_frame(campaign, fp)))
    )


# ---- scores -----------------------------------------------------------------------------------


def campaign_scores(campaign: Campaign, flt: ScoreFilter = NO_FILTER) -> dict[str, Any]:
    """GET …/scores: S, S_in_person, S_online, dimensions, ci95, sufficiency, parameters."""
    params = params_of(campaign)

    def make(frame: ResponseFrame) -> dict[str, Any]:
        out = compute_scores(frame, params).as_dict()
        out["campaign_id"] = campaign.id
        out["scheme"] = campaign.scheme_id
        out["questionnaire_version"] = (campaign.questionnaire or {}).get("version")
        out["filter"] = flt.as_dict()
        out["computed_at"] = utcnow().isoformat(timespec="seconds")
        return out

    return cached("scores", campaign, flt, make)


def _figures(s: dict[str, Any]) -> dict[str, Any]:
    return {
        "S": s["S"],
        "S_in_person": s["S_in_person"],
        "S_online": s["S_online"],
        "dimensions": {k: v for k, v in s["dimensions"].items() if v is not None},
    }


def survey_figures(campaign: Campaign) -> dict[str, Any]:
    """The figures an evaluation uses: S, S_in_person, S_online, dimensions (None = no data)."""
    return _figures(campaign_scores(campaign))


def survey_record(campaign: Campaign) -> dict[str, Any]:
    """The survey figures plus what they rest on (n, intervals, sufficiency, parameters)."""
    s = campaign_scores(campaign)
    keys = (
        "n",
        "received",
        "excluded",
        "dimensions_by_channel",
        "ci95",
        "half_width",
        "sufficient",
        "marginal",
        "warnings",
        "parameters",
        "questionnaire_version",
        "computed_at",
    )
    return {**_figures(s), **{k: s[k] for k in keys}}


# ---- quality flags and review -----------------------------------------------------------------


def flags(campaign: Campaign) -> pd.DataFrame:
    """Quality flags of every response (indexed by response id), cached like the scores.

    The campaign-wide part comes from the light paradata (`flag_context`), the answer-based
    part from the scores' cached frame: no second load of every answer.
    """
    fp = fingerprint(campaign)

    def make() -> pd.DataFrame:
        frame = _frame(campaign, fp)
        context = _flag_context(campaign, fp)
        ids = frame.meta["id"].to_numpy(dtype=np.int64)
        return row_flags(context, context.positions(ids), frame.answers, frame.questions, ids=ids)

    return _RESULTS.get_or_make(("flags", fp), make)


def flag_summary(campaign: Campaign) -> dict[str, int]:
    """How many responses carry each flag, how many are flagged and how many excluded."""
    f = flags(campaign)
    out = {name: int(f[name].sum()) for name in FLAG_COLUMNS}
    out["flagged"] = int(f["flagged"].sum())
    out["total"] = len(f)
    return out


def outlet_names(campaign: Campaign) -> dict[int, str]:
    """Outlet id → name for the campaign."""
    rows = db.session.execute(
        select(Outlet.id, Outlet.name).where(Outlet.campaign_id == campaign.id)
    )
    return {oid: name for oid, name in rows}


def parse_filter(
    outlets: Iterable[str | int] = (),
    channel: str | None = None,
    start: str | None = None,
    end: str | None = None,
) -> ScoreFilter:
    """Build a filter from request strings; ValueError (with the field first) when malformed."""
    try:
        outlet_ids = tuple(int(o) for o in outlets if str(o).strip())
    except ValueError:
        raise ValueError("outlet: expected outlet ids") from None

    def day(value: str | None, name: str) -> dt.date | None:
        if not value:
            return None
        try:
            parsed = dt.date.fromisoformat(value)
        except ValueError:
            raise ValueError(f"{name}: expected a date YYYY-MM-DD") from None
        if not dt.date(2000, 1, 1) <= parsed <= dt.date(2100, 12, 31):
            raise ValueError(f"{name}: expected a date between 2000-01-01 and 2100-12-31")
        return parsed

    if channel and channel not in CHANNELS:
        raise ValueError(f"channel: expected one of {', '.join(CHANNELS)}")
    first, last = day(start, "start"), day(end, "end")
    if first and last and first > last:
        raise ValueError("start: after end")
    return ScoreFilter(outlet_ids, channel or None, first, last)
