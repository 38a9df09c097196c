"""A campaign's scores, survey figures and quality flags: the reads the views call."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import func, select

from ...db import db, utcnow
from ...errors import DomainError
from ...i18n import local_zone
from ...models import Campaign, Outlet, Response
from ...scoring.numbers import measured
from ...survey_math import FLAG_COLUMNS, ResponseFrame, compute_scores
from ...survey_math.drivers import MIN_PAIRS, Importance, compute_drivers, quadrants, split_points
from ...survey_math.quality import row_flags
from .adapters import params_of
from .cache import RESULTS, cached, cached_whole, fingerprint, flag_context_at, frame_at
from .filters import NO_FILTER, ScoreFilter


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


def _part(s: dict[str, Any]) -> dict[str, Any]:
    """What a part of the campaign (an outlet, a period) reports of its own scores."""
    return {
        "n": s["n"],
        "S": s["S"],
        "S_in_person": s["S_in_person"],
        "S_online": s["S_online"],
        "ci95": {k: s["ci95"].get(k) for k in ("S", "S_in_person", "S_online")},
        "sufficient": s["sufficient"],
    }


def outlet_scores(campaign: Campaign, flt: ScoreFilter = NO_FILTER) -> list[dict[str, Any]]:
    """GET …/scores?by=outlet: each outlet (of the filter, else every one) computed exactly
    as the campaign is (the same function over that outlet's responses: n, S, intervals,
    sufficiency), with the highest level threshold its S reaches."""
    names = outlet_names(campaign)
    chosen = flt.outlet_ids or tuple(sorted(names))
    thresholds = sorted(params_of(campaign).thresholds)

    def make() -> list[dict[str, Any]]:
        out = []
        for oid in chosen:
            s = campaign_scores(campaign, replace(flt, outlet_ids=(oid,)))
            reached = [t for t in thresholds if s["S"] is not None and s["S"] >= t]
            out.append(
                {
                    "id": oid,
                    "name": names.get(oid, str(oid)),
                    **_part(s),
                    "dimensions": s["dimensions"],
                    "marginal": s.get("marginal", {}),
                    "threshold": reached[-1] if reached else None,
                }
            )
        return out

    return cached_whole("outlets", campaign, (flt.key(), chosen, tuple(names.items())), make)


#: periods one trend may hold (ten years of months, two of weeks)
MAX_PERIODS = 120


def _period_start(day: dt.date, interval: str) -> dt.date:
    if interval == "week":
        return day - dt.timedelta(days=day.weekday())  # Monday, as Chinese calendars start
    return day.replace(day=1)


def _next_period(start: dt.date, interval: str) -> dt.date:
    if interval == "week":
        return start + dt.timedelta(days=7)
    return (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def submission_span(campaign: Campaign) -> tuple[dt.datetime | None, dt.datetime | None]:
    """The first and the last submission time of the campaign (None, None when empty)."""

    def make() -> tuple[dt.datetime | None, dt.datetime | None]:
        first, last = db.session.execute(
            select(func.min(Response.submitted_at), func.max(Response.submitted_at)).where(
                Response.campaign_id == campaign.id
            )
        ).one()
        return first, last

    return cached_whole("span", campaign, (), make)


def trend(campaign: Campaign, interval: str, flt: ScoreFilter = NO_FILTER) -> dict[str, Any]:
    """GET …/trend: S per week (from Monday) or calendar month in Asia/Shanghai days, each
    period computed exactly as the campaign over its responses (so the periods' valid n add
    up to the campaign's); the latest MAX_PERIODS periods when the campaign spans more."""
    if interval not in ("week", "month"):
        raise DomainError("invalid", "interval")
    return cached_whole(
        "trend", campaign, (interval, flt.key()), lambda: _trend(campaign, interval, flt)
    )


def _trend(campaign: Campaign, interval: str, flt: ScoreFilter) -> dict[str, Any]:
    first, last = submission_span(campaign)
    periods: list[dict[str, Any]] = []
    if first is None:
        return {"interval": interval, "periods": periods}
    zone = local_zone()
    day = _period_start(first.astimezone(zone).date(), interval)
    end_day = last.astimezone(zone).date()
    starts = []
    while day <= end_day:
        starts.append(day)
        day = _next_period(day, interval)
    for start in starts[-MAX_PERIODS:]:
        stop = _next_period(start, interval) - dt.timedelta(days=1)
        lo, hi = max(start, flt.start or start), min(stop, flt.end or stop)
        if lo > hi:  # the filter's days leave this period out
            continue
        s = campaign_scores(campaign, replace(flt, start=lo, end=hi))
        periods.append({"start": start.isoformat(), "end": stop.isoformat(), **_part(s)})
    return {"interval": interval, "periods": periods}


def _importance(imp: Importance) -> dict[str, Any]:
    def r3(x: float | None) -> float | None:
        return None if x is None else round(float(measured(x)), 3)

    ci = [r3(imp.lo), r3(imp.hi)] if imp.lo is not None else None
    return {"importance": r3(imp.r), "ci95": ci, "n": imp.n, "sufficient": imp.sufficient}


def _with_quadrants(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Adds each row's quadrant; returns the split lines (mean importance, performance)."""
    points = {i: (row["importance"], row["performance"]) for i, row in enumerate(rows)}
    for i, quadrant in quadrants(points).items():
        rows[i]["quadrant"] = quadrant
    imp, perf = split_points(points)
    return {
        "importance": None if imp is None else round(imp, 3),
        "performance": None if perf is None else round(perf, 2),
    }


def drivers(campaign: Campaign, flt: ScoreFilter = NO_FILTER) -> dict[str, Any]:
    """GET …/drivers: importance–performance per dimension and per scored question.

    Importance: Pearson r with overall satisfaction over valid responses (survey_math.drivers
    says why and which criterion); performance: the campaign's own dimension and item scores
    (compute_scores), so the chart and the scores page never disagree.
    """
    params = params_of(campaign)

    def make(frame: ResponseFrame) -> dict[str, Any]:
        own = campaign_scores(campaign, flt)
        found = compute_drivers(frame, params)
        dimensions = [
            {"dimension": d, **_importance(imp), "performance": own["dimensions"].get(d)}
            for d, imp in found.dimensions.items()
        ]
        questions = [
            {
                "question_id": q,
                "dimension": found.question_dimension[q],
                **_importance(imp),
                "performance": own["items"].get(q),
            }
            for q, imp in found.questions.items()
        ]
        return {
            "method": "pearson_r",
            "basis": found.basis,
            "min_pairs": MIN_PAIRS,
            "split": _with_quadrants(dimensions),
            "dimensions": dimensions,
            "question_split": _with_quadrants(questions),
            "questions": questions,
            "filter": flt.as_dict(),
        }

    return cached("drivers", campaign, flt, make)


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
        "invalid",
        "excluded",
        "dimensions_by_channel",
        "ci95",
        "half_width",
        "alpha",
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
        frame = frame_at(campaign, fp)
        context = flag_context_at(campaign, fp)
        ids = frame.meta["id"].to_numpy(dtype=np.int64)
        return row_flags(
            context,
            context.positions(ids),
            frame.answers,
            frame.questions,
            ids=ids,
            wide=frame.wide,
        )

    return RESULTS.get_or_make(("flags", fp), make)


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
