"""The dashboard's aggregates and figures for one campaign and filter (cached with the scores).

Pages render from these aggregates; no raw response reaches the browser.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .. import charts, vocabulary
from ..charts import Translate, same
from ..models import Campaign
from ..scoring.survey import CHANNELS, DIMENSIONS
from ..survey_math import answer_distribution, choice_distribution, per_outlet, responses_over_time
from ..survey_math.scores import thresholds_inside, thresholds_met
from ..vocabulary import N_
from . import scores

MEASURES = (("S", "S"), ("S_in_person", N_("S当面")), ("S_online", N_("S电子")))
#: a question's label on the distribution chart: its number and the start of its text
LABEL_CHARS = 16
#: a choice question's text on the choice chart, before its option
CHOICE_CHARS = 16
#: up to this many weeks the trend is weekly, beyond monthly
WEEKLY_UP_TO = 16
#: the order a manager reads the drivers in: what to fix first on top
QUADRANT_ORDER = ("fix_first", "low_priority", "keep_up", "possible_overkill")


def dimension_name(dim: str, t: Translate = same) -> str:
    return t(vocabulary.DIMENSIONS[dim])


@dataclass(frozen=True)
class Dashboard:
    """Everything the dashboard page shows, as plain values and figure JSON."""

    scores: dict[str, Any]
    thresholds: tuple[float, ...]
    measures: list[dict[str, Any]]  #: S, S_in_person, S_online: value, ci, marks
    dimensions: list[dict[str, Any]]  #: per dimension: name, combined and per-channel values
    figures: dict[str, str]  #: name → plotly figure JSON
    flags: dict[str, int]
    #: per outlet, computed as the campaign is (scores.outlet_scores)
    outlet_scores: list[dict[str, Any]] = field(default_factory=list)
    #: GET …/drivers, its dimensions in the order to act on them (QUADRANT_ORDER)
    drivers: dict[str, Any] = field(default_factory=dict)
    #: GET …/trend at the interval the campaign's span suggests
    trend: dict[str, Any] = field(default_factory=dict)


def _num(value: Any) -> float | None:
    if value is None:
        return None
    v = float(value)
    return None if math.isnan(v) else v


def measures(
    s: dict[str, Any], thresholds: tuple[float, ...], t: Translate = same
) -> list[dict[str, Any]]:
    """S, S_in_person, S_online with interval, sufficiency, marginal and the thresholds met."""
    out = []
    for key, source in MEASURES:
        label = t(source)
        ci = s["ci95"].get(key)
        value = s[key]
        out.append(
            {
                "key": key,
                "label": label,
                "value": value,
                "ci": ci,
                "sufficient": bool(s["sufficient"].get(key)),
                "marginal": bool(s["marginal"].get(key)),
                "inside": thresholds_inside(ci, thresholds),
                "met": thresholds_met(value, thresholds),
            }
        )
    return out


def outlet_table(campaign: Campaign, flt: scores.ScoreFilter = scores.NO_FILTER) -> list[dict]:
    """Per outlet: name, valid n per channel, S_in_person, S_online, S, dimensions (None = n/a)."""
    params = scores.params_of(campaign)
    df = scores.cached("per_outlet", campaign, flt, lambda frame: per_outlet(frame, params))
    names = scores.outlet_names(campaign)
    out = []
    for oid, row in df.iterrows():
        item: dict[str, Any] = {"id": int(oid), "name": names.get(int(oid), str(oid))}
        for key, value in row.items():
            item[key] = int(value) if str(key).startswith("n_") else _num(value)
        out.append(item)
    return out


def _dimension_frame(s: dict[str, Any], t: Translate = same) -> pd.DataFrame:
    rows = []
    for ch in CHANNELS:
        for dim in DIMENSIONS:
            ci = s["ci95"]["dimensions_by_channel"][ch].get(dim) or (np.nan, np.nan)
            value = s["dimensions_by_channel"][ch][dim]
            rows.append(
                {
                    "name": dimension_name(dim, t),
                    "channel": ch,
                    "score": np.nan if value is None else value,
                    "lo": ci[0],
                    "hi": ci[1],
                }
            )
    return pd.DataFrame(rows).astype({"score": float, "lo": float, "hi": float})


def _outlet_frame(outlets: list[dict[str, Any]]) -> pd.DataFrame:
    rows = []
    for o in outlets:
        ci = o["ci95"].get("S") or (np.nan, np.nan)
        rows.append(
            {
                "name": o["name"],
                "score": np.nan if o["S"] is None else o["S"],
                "lo": ci[0],
                "hi": ci[1],
                "sufficient": bool(o["sufficient"].get("S")),
                "n": sum(o["n"].values()),
            }
        )
    columns = ["name", "score", "lo", "hi", "sufficient", "n"]
    frame = pd.DataFrame(rows, columns=columns)
    return frame.astype({"score": float, "lo": float, "hi": float})


def _measure_frame(ms: list[dict[str, Any]], t: Translate = same) -> pd.DataFrame:
    rows = []
    for m in ms:
        ci = m["ci"] or (np.nan, np.nan)
        note = (
            t(N_("样本不足")) if not m["sufficient"] else (t(N_("临界")) if m["marginal"] else "")
        )
        rows.append(
            {
                "name": m["label"],
                "score": np.nan if m["value"] is None else m["value"],
                "lo": ci[0],
                "hi": ci[1],
                "note": note,
            }
        )
    return pd.DataFrame(rows).astype({"score": float, "lo": float, "hi": float})


def _s_frame(parts: list[dict[str, Any]], labels: list[str]) -> pd.DataFrame:
    """S with its interval, S当面 and S电子 of some parts of a campaign (periods, or campaigns of
    one organization), one row each under its label: what trend_lines and history_bars draw."""
    columns = ["label", "S", "lo", "hi", "S_in_person", "S_online"]
    rows = []
    for label, p in zip(labels, parts, strict=True):
        lo, hi = p["ci95"].get("S") or (None, None)
        rows.append([label, p["S"], lo, hi, p["S_in_person"], p["S_online"]])
    return pd.DataFrame(rows, columns=columns).astype({c: float for c in columns[1:]})


def trend_interval(first_last: tuple) -> str:
    """Weeks for a campaign of up to WEEKLY_UP_TO weeks, months beyond."""
    first, last = first_last
    if first is None or (last - first).days <= 7 * WEEKLY_UP_TO:
        return "week"
    return "month"


def _driver_rows(drivers: dict[str, Any], t: Translate) -> list[dict[str, Any]]:
    """The dimensions with their names and readings, in the order to act on them."""
    rank = {q: i for i, q in enumerate(QUADRANT_ORDER)}
    line = drivers["split"]["importance"]
    rows = [
        {
            **d,
            # the importance interval crosses the split: the quadrant is not certain
            "uncertain": bool(
                d["ci95"] and line is not None and d["ci95"][0] < line < d["ci95"][1]
            ),
            "name": dimension_name(d["dimension"], t),
            "reading": t(vocabulary.DRIVER_READINGS[d["quadrant"]]) if d["quadrant"] else "",
            "quadrant_name": t(vocabulary.DRIVER_QUADRANTS[d["quadrant"]]) if d["quadrant"] else "",
        }
        for d in drivers["dimensions"]
    ]
    return sorted(rows, key=lambda d: (rank.get(d["quadrant"], 9), -(d["importance"] or 0)))


def question_labels(questions, lang: str = "zh") -> dict[str, str]:
    """Likert question id → "3. 维修人员按约定时间…": its number and the start of its text."""
    out = {}
    for number, q in enumerate(questions, start=1):
        if q.kind != "likert":
            continue
        text = q.text_en if lang.startswith("en") and q.text_en else q.text_zh
        short = text if len(text) <= LABEL_CHARS else text[: LABEL_CHARS - 1] + "…"
        out[q.id] = f"{number}. {short}"
    return out


def choice_labels(questions, lang: str = "zh") -> dict[tuple[str, int], str]:
    """(choice question id, option code) → "14. 您是怎么预约的：电话": the question's number, the
    start of its text and the option, in `lang`."""
    out = {}
    en = lang.startswith("en")
    for number, q in enumerate(questions, start=1):
        text = (q.text_en if en and q.text_en else q.text_zh).rstrip("？?：: ")
        most = CHOICE_CHARS * (2 if en else 1)  # Latin letters are half as wide
        short = text if len(text) <= most else text[: most - 1] + "…"
        for c in q.choices:
            out[(q.id, c.value)] = f"{number}. {short}{': ' if en else '：'}{c.en if en else c.zh}"
    return out


def _whole(campaign: Campaign, flt: scores.ScoreFilter, t: Translate, lang: str):
    """(kind, key, make) of the dashboard as one cached result: per language, filter and the
    outlet names it shows."""
    names = tuple(sorted(scores.outlet_names(campaign).items()))
    return f"dashboard:{lang}", (flt.key(), names), lambda: _build(campaign, flt, t, lang)


def build_page(
    campaign: Campaign,
    flt: scores.ScoreFilter,
    t: Translate,
    lang: str,
    stale_after: float | None = None,
) -> scores.Whole:
    """The dashboard for the page: as `build`, except that on a campaign whose dashboard takes
    `stale_after` seconds or more to make, the previous one is shown (marked stale, with the
    time its data was read) while the caller refreshes it with `refresh` after answering."""
    kind, key, make = _whole(campaign, flt, t, lang)
    return scores.whole_or_previous(kind, campaign, key, make, stale_after=stale_after)


def refresh(campaign: Campaign, flt: scores.ScoreFilter, t: Translate, lang: str) -> None:
    """Make the current dashboard, after a stale one was shown (one worker does)."""
    kind, key, make = _whole(campaign, flt, t, lang)
    scores.refresh_whole(kind, campaign, key, make)


def build(
    campaign: Campaign,
    flt: scores.ScoreFilter = scores.NO_FILTER,
    t: Translate = same,
    lang: str = "zh",
) -> Dashboard:
    """The dashboard of a campaign under a filter, its words in `lang` through `t`; cached
    whole (per language, outlet names included) until responses or exclusions change."""
    kind, key, make = _whole(campaign, flt, t, lang)
    return scores.cached_whole(kind, campaign, key, make)


def _build(campaign: Campaign, flt: scores.ScoreFilter, t: Translate, lang: str) -> Dashboard:
    s = scores.campaign_scores(campaign, flt)
    params = scores.params_of(campaign)
    thresholds = tuple(params.thresholds)
    questions = scores.questions_of(campaign)

    def figures(frame) -> dict[str, str]:
        dist = answer_distribution(frame, params)
        likert = question_labels(questions, lang)
        dist = dist[dist["question_id"].isin(list(likert))]
        dist = dist.groupby(["question_id", "value"], as_index=False, sort=False)["count"].sum()
        ms = measures(s, thresholds, t)
        over_time = responses_over_time(frame)
        choices = choice_labels(questions, lang)
        return {
            **(
                {
                    "choices": charts.choice_bars(
                        choice_distribution(frame, params), choices, t=t
                    ).to_json()
                }
                if choices
                else {}
            ),
            "dimensions": charts.dimension_bars(_dimension_frame(s, t), t=t).to_json(),
            "measures_svg": charts.measures_svg(_measure_frame(ms, t), thresholds, t=t),
            "distribution": charts.answer_distribution(dist, likert, t=t).to_json(),
            "over_time": charts.responses_over_time(over_time, t=t, lang=lang).to_json(),
        }

    figs = dict(scores.cached(f"figures:{lang}", campaign, flt, figures))
    per_outlet_scores = scores.outlet_scores(campaign, flt)
    figs["outlets"] = charts.outlet_bars(
        _outlet_frame(per_outlet_scores), thresholds, t=t
    ).to_json()
    interval = trend_interval(scores.submission_span(campaign))
    trend = scores.trend(campaign, interval, flt)
    starts = [p["start"] for p in trend["periods"]]
    figs["trend"] = charts.trend_lines(_s_frame(trend["periods"], starts), t=t, lang=lang).to_json()
    drivers = scores.drivers(campaign, flt)
    rows = _driver_rows(drivers, t)
    points = pd.DataFrame(rows, columns=["name", "importance", "performance", "quadrant"])
    points = points.astype({"importance": float, "performance": float})
    split = (drivers["split"]["importance"], drivers["split"]["performance"])
    figs["drivers"] = charts.driver_quadrants(points, split, t=t).to_json()
    dims = [
        {
            "key": d,
            "name": dimension_name(d, t),
            "all": s["dimensions"][d],
            "ci": s["ci95"]["dimensions"].get(d),
            "alpha": s["alpha"].get(d),
            **{ch: s["dimensions_by_channel"][ch][d] for ch in CHANNELS},
        }
        for d in DIMENSIONS
    ]
    return Dashboard(
        scores=s,
        thresholds=thresholds,
        measures=measures(s, thresholds, t),
        dimensions=dims,
        outlet_scores=per_outlet_scores,
        figures=figs,
        flags=scores.flag_summary(campaign),
        drivers={**drivers, "dimensions": rows},
        trend=trend,
    )


def dimension_figure(survey: dict[str, Any], t: Translate = same) -> str:
    """The dimension chart of a stored survey record (the report of a finalized evaluation)."""
    if "dimensions_by_channel" in survey:
        return charts.dimension_bars(_dimension_frame(survey, t), t=t).to_json()
    rows = []
    for dim in DIMENSIONS:
        value = (survey.get("dimensions") or {}).get(dim)
        ci = ((survey.get("ci95") or {}).get("dimensions") or {}).get(dim) or (np.nan, np.nan)
        rows.append(
            {
                "name": dimension_name(dim, t),
                "channel": "all",
                "score": np.nan if value is None else value,
                "lo": ci[0],
                "hi": ci[1],
            }
        )
    df = pd.DataFrame(rows).astype({"score": float, "lo": float, "hi": float})
    return charts.dimension_bars(df, N_("六个维度得分（合并，95% 区间）"), t=t).to_json()


def history_figure(
    rows: list[dict[str, Any]], t: Translate = same, day: Callable[[Any], str] = str
) -> str:
    """An organization's campaigns side by side (portfolio.history): S with its interval, S当面
    and S电子 per campaign, each labelled by its evaluation day as `day` writes it (the table
    beside the chart names the campaigns)."""
    labels: list[str] = []
    for r in rows:
        label = day(r["evaluation_date"]) if r["evaluation_date"] else r["title"][:12]
        while label in labels:  # two campaigns on one day stay two groups
            label += " "
        labels.append(label)
    return charts.history_bars(_s_frame(rows, labels), t=t).to_json()
