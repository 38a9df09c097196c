"""Campaigns with responses for the scores, dashboard and evaluation tests.

The campaign comes from the shared factory (the real campaign service); what differs is a
small literal questionnaire (12 scored questions) and optional survey parameters, so that
expected scores can be computed by hand. Responses are inserted directly with controlled
times and durations, packed with survey_math.pack_answers as the survey endpoints store them.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

from surveyapp.db import db
from surveyapp.models import Campaign, Outlet, Response
from surveyapp.schemes import load_scheme
from surveyapp.scoring.survey import DIMENSIONS
from surveyapp.survey_math import pack_answers
from tests import factories

#: two likert questions per dimension (12 scored), an overall question and an NPS question
QUESTIONS = [
    {
        "id": f"{dim[:3]}{i}",
        "dimension": dim,
        "kind": "likert",
        "text": {"zh": f"{dim} 题{i}", "en": f"{dim} question {i}"},
    }
    for dim in DIMENSIONS
    for i in (1, 2)
] + [
    {
        "id": "overall",
        "dimension": None,
        "kind": "likert",
        "text": {"zh": "总体满意度", "en": "Overall"},
    },
    {"id": "nps", "dimension": None, "kind": "nps", "text": {"zh": "推荐意愿", "en": "NPS"}},
]
SCORED = 12
T0 = datetime(2026, 9, 1, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


def make_campaign(
    scheme_id: str = "cqm-2019",
    *,
    outlets: int = 2,
    auditors=(),
    survey_params: dict | None = None,
    operating_since: date | None = date(2020, 1, 1),
    title: str = "测试评价项目",
) -> Campaign:
    """A campaign on the literal questionnaire, with the scheme's (or overridden) parameters."""
    campaign = factories.make_campaign(
        outlets=[f"网点{k + 1}" for k in range(outlets)],
        scheme=scheme_id,
        operating_since=operating_since.isoformat() if operating_since else None,
        auditors=auditors,
        title=title,
        evaluation_date="2026-10-15",
    )
    params = load_scheme(scheme_id).survey.as_dict()
    params.update(survey_params or {})
    campaign.questionnaire = {"version": 1, "questions": QUESTIONS}
    campaign.survey_params = params
    db.session.commit()
    return campaign


def answers_all(value: int | None, *, overall: int | None = None, nps: int | None = None) -> list:
    """The same answer to every scored question, then overall and NPS."""
    return [value] * SCORED + [overall if overall is not None else value, nps]


def add_responses(
    campaign: Campaign,
    channel: str,
    answer_rows: list[list],
    *,
    outlet: Outlet | None = None,
    start: datetime = T0,
    step: timedelta = timedelta(hours=1),
    duration_s: float = 300.0,
    excluded: bool = False,
    fingerprint: str | None = None,
) -> list[Response]:
    """Store one response per answers list (questionnaire order) and return them."""
    outlet = outlet or campaign.outlets[0]
    out = []
    for k, row in enumerate(answer_rows):
        submitted = start + k * step
        r = Response(
            campaign_id=campaign.id,
            outlet_id=outlet.id,
            channel=channel,
            client_id=str(uuid.uuid4()),
            started_at=submitted - timedelta(seconds=duration_s),
            submitted_at=submitted,
            duration_s=duration_s,
            fingerprint=fingerprint,
            answers=pack_answers(row),
            excluded=excluded,
        )
        db.session.add(r)
        out.append(r)
    db.session.commit()
    return out


def five_star_input() -> dict:
    """A cqm-2019 checklist that meets every five-star criterion except the survey's."""
    return {
        "evaluation_date": "2026-10-15",
        "scores": {
            "4.1.1": 9.5,
            "4.1.2": [14, 13],
            "4.1.3": 9.5,
            "4.1.4": 23,
            "4.1.5": 14,
            "4.1.6": 7,
            "4.1.7": 8,
            "4.1.8": 9.5,
        },
        "management_audit": {"passed": True, "severe_nonconformities": 0},
        "organization": {"operating_since": "2020-01-01"},
        "events": [],
    }


def role_users(make_user) -> dict:
    """One user per role (admin1, auditor1, viewer1) and an unassigned auditor (other1)."""
    users = {
        role: make_user(role, username=f"{role}1")[0] for role in ("admin", "auditor", "viewer")
    }
    users["other"] = make_user("auditor", username="other1")[0]
    return users
