"""Campaigns side by side: the list with S, level, n and status, and an organization's history.

A finalized campaign reports what it froze (the evaluation's survey figures and level), so a
certificate's figures never move; any other campaign reports its live figures and, when its
checklist is complete, the level they give now (`provisional`).
"""

from __future__ import annotations

from typing import Any

from ..errors import DomainError
from ..models import Campaign, Evaluation
from ..scoring.survey import DIMENSIONS
from . import evaluations, scores

FIGURES = ("S", "S_in_person", "S_online")


def summaries(campaigns: list[Campaign]) -> list[dict[str, Any]]:
    """Each campaign's S, S当面, S电子, dimensions, valid n and level (`_summary`), their
    evaluations read in one query."""
    found = evaluations.reported_many(campaigns)
    return [_summary(c, found[c.id]) for c in campaigns]


def _summary(campaign: Campaign, ev: Evaluation | None) -> dict[str, Any]:
    """One campaign's S, S当面, S电子, dimensions, valid n, level and where they come from, given
    its reported evaluation."""
    if ev is not None and ev.status == "finalized":
        survey = dict(ev.survey or {})
        level, source = (ev.result or {}).get("level"), "finalized"
    else:
        survey = scores.survey_record(campaign)
        level, source = None, "live"
        if ev is not None:
            try:
                found = evaluations.result(campaign, ev)
            except DomainError:  # a stored input the scheme now refuses: no level to show
                found = {"complete": False}
            if found.get("complete"):
                level, source = found.get("level"), "provisional"
    n = survey.get("n") or {}
    ci = (survey.get("ci95") or {}).get("S")  # as the parts of a campaign carry it
    return {
        "id": campaign.id,
        "title": campaign.title,
        "status": campaign.status,
        "scheme": campaign.scheme_id,
        "evaluation_date": campaign.evaluation_date,
        **{k: survey.get(k) for k in FIGURES},
        "ci95": {"S": ci},
        "dimensions": {d: (survey.get("dimensions") or {}).get(d) for d in DIMENSIONS},
        "n": sum(int(v) for v in n.values()),
        "level": level,
        "source": source,
    }


def history(campaigns: list[Campaign]) -> list[dict[str, Any]]:
    """The campaigns oldest first (by evaluation date, then creation), each with its change of
    S since the one before (None for the first or where either has no S)."""
    ordered = sorted(
        campaigns, key=lambda c: (c.evaluation_date is None, c.evaluation_date, c.created_at, c.id)
    )
    out, previous = [], None
    for row in summaries(ordered):
        row["delta_S"] = (
            round(row["S"] - previous, 2) if row["S"] is not None and previous is not None else None
        )
        previous = row["S"] if row["S"] is not None else previous
        out.append(row)
    return out
