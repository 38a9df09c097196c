"""The dashboard's aggregates and figures for one campaign and filter (cached with the scores).

Pages render from these aggregates; no raw response reaches the browser.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .. import charts
from ..models import Campaign
from ..scoring.survey import CHANNELS, DIMENSION_NAMES_ZH, DIMENSIONS
from ..survey_math import answer_distribution, per_outlet, responses_over_time
from ..survey_math.scores import thresholds_inside, thresholds_met
from . import scores

MEASURES = (("S", "S"), ("S_in_person", "S当面"), ("S_online", "S电子"))


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


def _num(value: Any) -> float | None:
    if value is None:
        return None
    v = float(value)
    return None if math.isnan(v) else v


def measures(s: dict[str, Any], thresholds: tuple[float, ...]) -> list[dict[str, Any]]:
    """S, S_in_person, S_online with interval, sufficiency, marginal and the thresholds met."""
    out = []
    for key, label in MEASURES:
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


def _dimension_frame(s: dict[str, Any]) -> pd.DataFrame:
    rows = []
    for ch in CHANNELS:
        for dim in DIMENSIONS:
            ci = s["ci95"]["dimensions_by_channel"][ch].get(dim) or (np.nan, np.nan)
            value = s["dimensions_by_channel"][ch][dim]
            rows.append(
                {
                    "name": DIMENSION_NAMES_ZH[dim],
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


def _measure_frame(ms: list[dict[str, Any]]) -> pd.DataFrame:
    rows = []
    for m in ms:
        ci = m["ci"] or (np.nan, np.nan)
        note = "样本不足" if not m["sufficient"] else ("临界" if m["marginal"] else "")
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


def build(campaign: Campaign, flt: scores.ScoreFilter = scores.NO_FILTER) -> Dashboard:
    """The dashboard of a campaign under a filter; cached until responses or exclusions change."""
    s = scores.campaign_scores(campaign, flt)
    params = scores.params_of(campaign)
    thresholds = tuple(params.thresholds)
    questions = scores.questions_of(campaign)

    def figures(frame) -> dict[str, str]:
        dist = answer_distribution(frame, params)
        likert = {q.id: f"{q.id} {q.text_zh}"[:40] for q in questions if q.kind == "likert"}
        dist = dist[dist["question_id"].isin(list(likert))]
        dist = dist.groupby(["question_id", "value"], as_index=False, sort=False)["count"].sum()
        ms = measures(s, thresholds)
        return {
            "dimensions": charts.dimension_bars(_dimension_frame(s)).to_json(),
            "measures": charts.survey_vs_thresholds(_measure_frame(ms), thresholds).to_json(),
            "distribution": charts.answer_distribution(dist, likert).to_json(),
            "over_time": charts.responses_over_time(responses_over_time(frame)).to_json(),
        }

    figs = dict(scores.cached("figures", campaign, flt, figures))
    per_outlet_scores = scores.outlet_scores(campaign, flt)
    figs["outlets"] = charts.outlet_bars(_outlet_frame(per_outlet_scores), thresholds).to_json()
    dims = [
        {
            "key": d,
            "name": DIMENSION_NAMES_ZH[d],
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
        measures=measures(s, thresholds),
        dimensions=dims,
        outlet_scores=per_outlet_scores,
        figures=figs,
        flags=scores.flag_summary(campaign),
    )


def dimension_figure(survey: dict[str, Any]) -> str:
    """The dimension chart of a stored survey record (the report of a finalized evaluation)."""
    if "dimensions_by_channel" in survey:
        return charts.dimension_bars(_dimension_frame(survey)).to_json()
    rows = []
    for dim in DIMENSIONS:
        value = (survey.get("dimensions") or {}).get(dim)
        ci = ((survey.get("ci95") or {}).get("dimensions") or {}).get(dim) or (np.nan, np.nan)
        rows.append(
            {
                "name": DIMENSION_NAMES_ZH[dim],
                "channel": "all",
                "score": np.nan if value is None else value,
                "lo": ci[0],
                "hi": ci[1],
            }
        )
    df = pd.DataFrame(rows).astype({"score": float, "lo": float, "hi": float})
    return charts.dimension_bars(df, "六个维度得分（合并，95% 区间）").to_json()
