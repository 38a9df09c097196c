"""The demo of `make run`: an organization, a cqm-2019 campaign, two outlets, responses, a draft."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from ..db import db, utcnow
from ..models import User
from . import campaigns, evaluations, synth

#: a checklist that scores four stars on X; the survey decides the rest
DEMO_CHECKLIST = {
    "evaluation_date": None,  # filled with the campaign's date
    "scores": {
        "4.1.1": 9.5,
        "4.1.2": [14, 13.5],
        "4.1.3": 9,
        "4.1.4": 23,
        "4.1.5": 14,
        "4.1.6": 6.5,
        "4.1.7": 7.5,
        "4.1.8": 9,
    },
    "management_audit": {"passed": True, "severe_nonconformities": 0},
    "organization": {"operating_since": "2015-06-01"},
    "events": [{"type": "major_complaint", "date": "2026-03-01", "rectified": True}],
}


def load(responses: int = 300, seed: int = 2026) -> int:
    """Create the demo campaign with `responses` synthetic responses; return its id."""
    admin = db.session.scalar(select(User).where(User.username == "demo-admin"))
    auditor = db.session.scalar(select(User).where(User.username == "demo-auditor"))
    now = utcnow()
    campaign = campaigns.create_campaign(
        organization={"name": "示例电器有限公司", "operating_since": "2015-06-01"},
        scheme_id="cqm-2019",
        title="示例电器有限公司 售后服务认证 顾客感知调查（演示）",
        outlets=[
            {"name": "朝阳服务中心", "address": "北京市朝阳区示例路 1 号"},
            {"name": "海淀服务中心", "address": "北京市海淀区示例路 8 号"},
        ],
        evaluation_date=(now + timedelta(days=7)).date().isoformat(),
        opens_at=(now - timedelta(days=28)).isoformat(),
        closes_at=(now + timedelta(days=30)).isoformat(),
        created_by=admin,
        auditors=[auditor] if auditor is not None else [],
    )
    synth.fill(campaign, responses, seed=seed)
    checklist = {**DEMO_CHECKLIST, "evaluation_date": campaign.evaluation_date.isoformat()}
    evaluations.put_input(campaign, checklist, auditor or admin)
    return campaign.id
