"""Synthetic campaigns and responses for the demo, tests and benchmarks: seeded, vectorized, bulk.

Answers follow an outlet effect (some outlets serve better than others), interviewer-led
in-person answers run higher, about 8 % of answers are 不适用, and a few responses carry what
the quality flags look for: speeders, straight-liners, a burst from one device, and single-use
tokens answered twice. Rows go in by Core executemany in chunks; every chunk gets its ledger
entries in the same transaction, so `verify-ledger` passes afterwards.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from sqlalchemy import func, select, text

from ..db import db, utcnow
from ..models import Campaign, Outlet, Response, SurveyLink, User
from ..questionnaire import conditions_of
from ..survey_math.packing import ALPHABET, decode, field_numbers
from . import campaigns, ledger, records
from .scores.adapters import questions_of

#: share of in-person interviews (当面); the rest answer online
IN_PERSON_SHARE = 0.30
#: share of answers that are 不适用/不了解
NA_RATE = 0.08
SPEEDER_SHARE = 0.03
STRAIGHT_LINER_SHARE = 0.02
COMMENT_SHARE = 0.06
CHUNK = 50_000
#: PostgreSQL: VACUUM ANALYZE after a fill of at least this many responses
VACUUM_FROM = 10_000
LEDGER_KIND = "response"
#: campaign length when the campaign has no opening/closing dates
DEFAULT_WEEKS = 6

_DIGITS = np.frombuffer(b"0123456789A", dtype=np.uint8)
ALPHABET_CODES = np.frombuffer(ALPHABET.encode(), dtype=np.uint8)
_NA = ord("-")
#: customers answer in the daytime (Asia/Shanghai hours 0..23): relative weights
_HOUR_WEIGHTS = np.array(
    [1, 0.5, 0.3, 0.2, 0.2, 0.3, 1, 3, 6, 9, 10, 10, 9, 9, 10, 10, 10, 10, 11, 12, 11, 8, 5, 2],
    dtype=float,
)
_COMMENTS = (
    "师傅很专业，上门准时。",
    "等待时间有点长。",
    "收费透明，满意。",
    "客服电话不好打通。",
    "维修后问题已解决，谢谢！",
    "希望增加网点。",
    "安装人员态度很好。",
    "退换货流程太复杂。",
)


@dataclass(frozen=True)
class FillResult:
    """What a fill wrote and how long it took: in all, in the response insert, in the ledger."""

    campaign_id: int
    responses: int
    seconds: float
    insert_seconds: float
    ledger_seconds: float

    @property
    def per_second(self) -> float:
        """Responses stored per second of wall time."""
        return self.responses / self.seconds if self.seconds else float("inf")


def create_campaign(
    outlets: int = 12, *, scheme_id: str = "cqm-2019", title: str | None = None
) -> Campaign:
    """Create an organization, a collecting campaign under the scheme and outlets with links."""
    now = utcnow()
    return campaigns.create_campaign(
        organization={"name": "示例家电服务有限公司", "operating_since": "2018-03-01"},
        scheme_id=scheme_id,
        title=title or "顾客感知调查（合成数据）",
        outlets=[f"服务网点 {i + 1:02d}" for i in range(outlets)],
        evaluation_date=(now + timedelta(days=14)).date(),
        opens_at=now - timedelta(weeks=DEFAULT_WEEKS),
        closes_at=now + timedelta(days=7),
    )


def _question_kinds(campaign: Campaign) -> np.ndarray:
    questions = (campaign.questionnaire or {}).get("questions") or []
    if not questions:
        raise ValueError(f"campaign {campaign.id} has no questionnaire to answer")
    return np.array([q.get("kind") or "likert" for q in questions])


def _outlet_links(campaign: Campaign) -> tuple[np.ndarray, np.ndarray]:
    """Outlet ids and each outlet's reusable link id (0 when the outlet has none)."""
    outlet_ids = db.session.scalars(
        select(Outlet.id).where(Outlet.campaign_id == campaign.id).order_by(Outlet.id)
    ).all()
    if not outlet_ids:
        raise ValueError(f"campaign {campaign.id} has no outlets")
    links = dict(
        db.session.execute(
            select(SurveyLink.outlet_id, func.min(SurveyLink.id))
            .where(SurveyLink.campaign_id == campaign.id, SurveyLink.single_use.is_(False))
            .group_by(SurveyLink.outlet_id)
        ).all()
    )
    return np.array(outlet_ids, dtype=np.int64), np.array(
        [links.get(o, 0) for o in outlet_ids], dtype=np.int64
    )


def _auditor_ids(campaign: Campaign) -> list[int]:
    ids = [u.id for u in campaign.auditors]
    if not ids:
        ids = list(db.session.scalars(select(User.id).where(User.role == "auditor")).all())
    return ids


def _window(campaign: Campaign) -> tuple[int, int]:
    """Campaign start and end (up to now) in epoch microseconds."""
    now = utcnow()
    start = campaign.opens_at or now - timedelta(weeks=DEFAULT_WEEKS)
    end = min(campaign.closes_at or now, now)
    if end - start < timedelta(days=1):
        start = end - timedelta(weeks=DEFAULT_WEEKS)
    return int(start.timestamp() * 1e6), int(end.timestamp() * 1e6)


def _timeline(rng: np.random.Generator, n: int, start_us: int, end_us: int) -> np.ndarray:
    """n sorted submission times (epoch µs) over the window, in daytime hours of Asia/Shanghai."""
    day_us = 86_400_000_000
    local_start = start_us + 8 * 3_600_000_000
    first_day = local_start // day_us
    days = max(1, (end_us + 8 * 3_600_000_000) // day_us - first_day + 1)
    # busier at weekends and as the campaign advances (reminders)
    day_idx = np.arange(days)
    weekday = (first_day + day_idx + 3) % 7  # 1970-01-01 was a Thursday
    weights = (1.0 + 0.4 * (weekday >= 5)) * (1.0 + day_idx / days)
    day = rng.choice(days, size=n, p=weights / weights.sum())
    hour = rng.choice(24, size=n, p=_HOUR_WEIGHTS / _HOUR_WEIGHTS.sum())
    local = (first_day + day) * day_us + hour * 3_600_000_000 + rng.integers(0, 3_600_000_000, n)
    t = np.clip(local - 8 * 3_600_000_000, start_us, end_us - 1)
    t.sort()
    return t


def _hex_strings(rng: np.random.Generator, n: int, chars: int) -> list[str]:
    blob = rng.bytes(n * chars // 2).hex()
    return [blob[i : i + chars] for i in range(0, n * chars, chars)]


@dataclass
class _Plan:
    """Per-campaign constants of the generator."""

    kinds: np.ndarray
    questions: tuple
    outlet_ids: np.ndarray
    link_ids: np.ndarray
    outlet_effect: np.ndarray
    question_bias: np.ndarray
    auditors: np.ndarray


def _answers(
    rng: np.random.Generator, plan: _Plan, outlet_ix: np.ndarray, in_person: np.ndarray
) -> np.ndarray:
    """(m, q) uint8 ASCII codes of the packed answers."""
    m, q = len(outlet_ix), len(plan.kinds)
    mood = (
        4.0
        + plan.outlet_effect[outlet_ix]
        + np.where(in_person, 0.25, 0.0)
        + rng.normal(0.0, 0.55, m)
    )
    latent = mood[:, None] + plan.question_bias[None, :] + rng.normal(0.0, 0.65, (m, q))
    values = np.clip(np.rint(latent), 1, 5).astype(np.int8)
    nps = plan.kinds == "nps"
    if nps.any():
        values[:, nps] = np.clip(np.rint((latent[:, nps] - 1.0) * 2.5), 0, 10).astype(np.int8)
    # straight-liners: one value everywhere (often all 非常满意), nothing left out
    straight = rng.random(m) < STRAIGHT_LINER_SHARE
    likert = plan.kinds == "likert"
    if straight.any():
        level = rng.choice([5, 4, 3, 1], size=int(straight.sum()), p=[0.6, 0.25, 0.1, 0.05])
        values[np.ix_(straight, likert)] = level[:, None]
    codes = _DIGITS[values]
    na = (rng.random((m, q)) < NA_RATE) & ~straight[:, None]
    # about 1 % answer almost nothing (not valid: fewer than half the scored questions)
    sparse = (rng.random(m) < 0.01) & ~straight
    na[sparse] |= rng.random((int(sparse.sum()), q)) < 0.8
    na[:, ~(likert | nps)] = True  # free-text questions are not packed
    codes[na] = _NA
    return codes


def _choice_fields(rng: np.random.Generator, plan: _Plan, codes: np.ndarray) -> np.ndarray:
    """The (m, total width) codes: choice questions answered with options of their own list
    (a multiple choice 1–3 of them, in its width), every other column as `_answers` gave it."""
    questions = plan.questions
    if not any(q.kind in ("single", "multiple") for q in questions):
        return codes
    m = len(codes)
    columns = []
    for j, q in enumerate(questions):
        values = np.array([c.value for c in q.choices], dtype=np.int64)
        if q.kind == "single":
            picked = rng.choice(values, size=m)
            col = ALPHABET_CODES[picked][:, None]
        elif q.kind == "multiple":
            width = q.width
            bits = rng.random((m, len(values))) < 1.5 / len(values)
            mask = (bits.astype(np.int64) << (values - 1)).sum(axis=1)
            col = np.stack([ALPHABET_CODES[(mask >> (5 * i)) & 31] for i in range(width)], axis=1)
            col[mask == 0] = _NA  # nothing picked: 不适用
        else:
            col = codes[:, j : j + 1]
        columns.append(col.astype(np.uint8))
    return np.ascontiguousarray(np.concatenate(columns, axis=1))


def _hide_by_conditions(plan: _Plan, codes: np.ndarray) -> np.ndarray:
    """The answers of questions whose display condition fails set to '-', in page order (so a
    follow-up of a hidden follow-up is hidden too), as a submission would be stored."""
    questions = plan.questions
    conditions = conditions_of(questions)
    if not conditions:
        return codes
    offsets = np.cumsum([0, *(q.width for q in questions)])
    index = {q.id: i for i, q in enumerate(questions)}

    def value(j: int) -> np.ndarray:
        chars = decode(codes[:, offsets[j] : offsets[j + 1]]).astype(np.int64)
        return chars[:, 0] if questions[j].width == 1 else field_numbers(chars)

    for i, q in enumerate(questions):  # in page order: a hidden answer is '-' for the next
        c = conditions.get(q.id)
        if c is not None:
            codes[~c.shown(value(index[c.question])), offsets[i] : offsets[i + 1]] = _NA
    return codes


def _plan(campaign: Campaign, rng: np.random.Generator) -> _Plan:
    kinds = _question_kinds(campaign)
    outlet_ids, link_ids = _outlet_links(campaign)
    return _Plan(
        kinds=kinds,
        questions=questions_of(campaign),
        outlet_ids=outlet_ids,
        link_ids=link_ids,
        outlet_effect=rng.normal(0.0, 0.35, len(outlet_ids)),
        question_bias=rng.normal(0.0, 0.2, len(kinds)),
        auditors=np.array(_auditor_ids(campaign), dtype=np.int64),
    )


def _single_use_links(campaign: Campaign, plan: _Plan, count: int) -> list[tuple[int, int]]:
    """Issue `count` single-use links (the duplicates answer them twice): (link id, outlet id)."""
    made = []
    now = utcnow()
    for i in range(count):
        outlet_id = int(plan.outlet_ids[i % len(plan.outlet_ids)])
        link = SurveyLink(
            token=campaigns.new_token(),
            campaign_id=campaign.id,
            outlet_id=outlet_id,
            single_use=True,
            batch="synth-duplicates",
            label=f"工单 SY{i + 1:05d}",
            used_at=now,
        )
        db.session.add(link)
        made.append(link)
    db.session.flush()
    return [(link.id, link.outlet_id) for link in made]


def _reserve_response_ids(count: int) -> int:
    """First of `count` consecutive response ids for an explicit-id insert in this transaction."""
    if db.session.get_bind().dialect.name == "postgresql":
        # advance the sequence past the block in one statement; concurrent writers skip it
        last = db.session.scalar(
            text(
                "SELECT setval(pg_get_serial_sequence('responses', 'id'),"
                " nextval(pg_get_serial_sequence('responses', 'id')) + :n - 1)"
            ),
            {"n": count},
        )
        return int(last) - count + 1
    # SQLite: the transaction already holds the write lock (the caller wrote first)
    return (db.session.scalar(select(func.max(Response.id))) or 0) + 1


def _chunk_columns(
    rng: np.random.Generator,
    plan: _Plan,
    campaign_id: int,
    times_us: np.ndarray,
    duplicates: list[tuple[int, int]],
    burst: tuple[str, int, int] | None,
) -> dict[str, list]:
    """One chunk as columns of insert values (naive UTC datetimes; no ids yet), vectorized."""
    m, q = len(times_us), len(plan.kinds)
    in_person = rng.random(m) < IN_PERSON_SHARE
    outlet_ix = rng.integers(0, len(plan.outlet_ids), m)
    # duplicates answer their single-use link twice, as online responses
    dup_link = np.zeros(m, dtype=np.int64)
    if duplicates:
        where = rng.choice(m, size=min(m, 2 * len(duplicates)), replace=False)
        for k, row in enumerate(where):
            link_id, outlet_id = duplicates[k // 2]
            dup_link[row] = link_id
            outlet_ix[row] = int(np.searchsorted(plan.outlet_ids, outlet_id))
        in_person[where] = False
    burst_rows = np.zeros(m, dtype=bool)
    if burst is not None:
        _fp, count, outlet_ix_burst = burst
        cand = np.nonzero(~in_person & (dup_link == 0))[0]
        if len(cand) >= count:
            rows = rng.choice(cand, size=count, replace=False)
            burst_rows[rows] = True
            outlet_ix[rows] = outlet_ix_burst
            # all within a few minutes of one moment
            times_us = times_us.copy()
            times_us[rows] = times_us[rows[0]] + np.sort(rng.integers(0, 300_000_000, count))
    codes = _hide_by_conditions(
        plan, _choice_fields(rng, plan, _answers(rng, plan, outlet_ix, in_person))
    )
    width = codes.shape[1]
    packed = codes.view(f"S{width}").ravel().astype(f"U{width}").tolist()

    duration = rng.lognormal(np.log(8.0 * q), 0.45, m)
    speeders = rng.random(m) < SPEEDER_SHARE
    duration[speeders] = q * rng.uniform(0.6, 2.5, int(speeders.sum()))
    duration[in_person] *= 1.6  # interviews take longer
    duration = np.round(duration, 3)
    started_us = times_us - (duration * 1e6).astype(np.int64)

    has_auditor = len(plan.auditors) > 0
    auditor = (
        plan.auditors[rng.integers(0, len(plan.auditors), m)].astype(object)
        if has_auditor
        else np.full(m, None, dtype=object)
    )
    link_for = np.where(dup_link > 0, dup_link, plan.link_ids[outlet_ix]).astype(object)
    link_for[link_for == 0] = None
    fingerprints = np.array(_hex_strings(rng, m, 64), dtype=object)
    if burst is not None:
        fingerprints[burst_rows] = burst[0]
    comments = np.array((None, *_COMMENTS), dtype=object)
    comment_pick = np.where(rng.random(m) < COMMENT_SHARE, rng.integers(1, len(comments), m), 0)
    online = ~in_person

    def when(person_value: np.ndarray, online_value: np.ndarray) -> list:
        return np.where(in_person, person_value, online_value).tolist()

    return {
        "campaign_id": [campaign_id] * m,
        "outlet_id": plan.outlet_ids[outlet_ix].tolist(),
        "link_id": when(None, link_for),
        "channel": np.where(online, "online", "in_person").astype(object).tolist(),
        "client_id": when(None, np.array(_hex_strings(rng, m, 32), dtype=object)),
        "auditor_id": when(auditor, None),
        "started_at": started_us.astype("datetime64[us]").tolist(),
        "submitted_at": times_us.astype("datetime64[us]").tolist(),
        "duration_s": duration.tolist(),
        "fingerprint": when(None, fingerprints),
        "answers": packed,
        "comment": comments[comment_pick].tolist(),
        "contact_encrypted": [None] * m,
        "contact_consent": [False] * m,
        "excluded": [False] * m,
    }


def fill(campaign: Campaign | int, n: int, seed: int = 0, *, chunk: int = CHUNK) -> FillResult:
    """Add n synthetic responses to the campaign (both channels, ledger entries included)."""
    if n < 0:
        raise ValueError("n must be >= 0")
    if isinstance(campaign, int):
        found = db.session.get(Campaign, campaign)
        if found is None:
            raise ValueError(f"no campaign {campaign}")
        campaign = found
    t0 = time.perf_counter()
    campaign_id = campaign.id
    existing = db.session.scalar(
        select(func.count()).select_from(Response).where(Response.campaign_id == campaign_id)
    )
    # a refill of the same campaign with the same seed must not repeat client ids
    rng = np.random.default_rng([seed, campaign_id, existing or 0])
    plan = _plan(campaign, rng)
    start_us, end_us = _window(campaign)
    times = _timeline(rng, n, start_us, end_us)
    n_dup = min(50, n // 2000) if n >= 50 else 0
    duplicates = _single_use_links(campaign, plan, n_dup) if n_dup else []
    burst_count = min(200, max(12, n // 300)) if n >= 200 else 0
    burst_chunk = int(rng.integers(0, max(1, -(-n // chunk)))) if burst_count else -1
    db.session.commit()
    insert_s = ledger_s = 0.0
    for k, lo in enumerate(range(0, n, chunk)):
        hi = min(n, lo + chunk)
        dup_here = duplicates if k == 0 else []
        burst = (
            (_hex_strings(rng, 1, 64)[0], burst_count, int(rng.integers(0, len(plan.outlet_ids))))
            if k == burst_chunk
            else None
        )
        columns = _chunk_columns(rng, plan, campaign_id, times[lo:hi], dup_here, burst)
        spent = _store(columns)
        insert_s += spent[0]
        ledger_s += spent[1]
    if n >= VACUUM_FROM and db.session.get_bind().dialect.name == "postgresql":
        # as after any bulk load: planner statistics, and a visibility map so that counts and
        # max(id) per campaign are index-only scans instead of a heap walk over every row
        db.session.close()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.exec_driver_sql("VACUUM (ANALYZE) responses")
            c.exec_driver_sql("ANALYZE ledger_entries")
    return FillResult(campaign_id, n, time.perf_counter() - t0, insert_s, ledger_s)


def _sqlite_timestamps(values: list[datetime]) -> list[str]:
    """Naive UTC datetimes as SQLAlchemy stores them in SQLite: 'YYYY-MM-DD HH:MM:SS.ffffff'."""
    text_ = np.datetime_as_string(np.array(values, dtype="datetime64[us]"), unit="us")
    text_.view(np.uint32).reshape(len(values), -1)[:, 10] = ord(" ")
    return text_.tolist()


def _store(columns: dict[str, list]) -> tuple[float, float]:
    """Insert a chunk and its ledger entries in one transaction; return (insert s, ledger s)."""
    t0 = time.perf_counter()
    m = len(columns["answers"])
    sqlite = db.session.get_bind().dialect.name == "sqlite"
    # SQLite's write lock first, so max(id) cannot move meanwhile
    ledger.write_lock()
    first = _reserve_response_ids(m)
    ids = list(range(first, first + m))
    stored = dict(columns, id=ids)
    if sqlite:
        stored["started_at"] = _sqlite_timestamps(columns["started_at"])
        stored["submitted_at"] = _sqlite_timestamps(columns["submitted_at"])
    names = list(stored)
    rows = zip(*(stored[k] for k in names), strict=True)
    connection = db.session.connection()
    # values go in already in storage form: the per-value type processing of an ORM or Core
    # insert costs more than the insert itself at this volume
    if sqlite:
        marks = ", ".join("?" * len(names))
        sql = f"INSERT INTO responses ({', '.join(names)}) VALUES ({marks})"  # noqa: S608 (constant column names)
        connection.exec_driver_sql(sql, list(rows))
    else:
        # PostgreSQL's COPY is an order of magnitude faster than executemany
        raw = connection.connection.driver_connection
        with raw.cursor() as cur, cur.copy(f"COPY responses ({', '.join(names)}) FROM STDIN") as cp:
            for row in rows:
                cp.write_row(row)
    t = time.perf_counter()
    # every column goes into the snapshot's mapping, whatever fields it picks
    keys = list(columns)
    contents = [
        records.response_content(dict(zip(keys, values, strict=True)))
        for values in zip(*columns.values(), strict=True)
    ]
    chain = int(columns["campaign_id"][0])
    ledger.append_many(LEDGER_KIND, "responses", list(zip(ids, contents, strict=True)), chain)
    spent = time.perf_counter() - t
    db.session.commit()
    return time.perf_counter() - t0 - spent, spent
