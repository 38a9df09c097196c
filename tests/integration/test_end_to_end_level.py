"""End to end over the HTTP API: campaign → responses in both channels → checklist → level.

Checked against a result computed by hand (the arithmetic is in the comments).
"""

from __future__ import annotations

import uuid

import pytest

from surveyapp.db import db
from surveyapp.models import Response
from surveyapp.services import review, scores
from tests.helpers import bearer

DIMS = ("fun", "eco", "saf", "tim", "com", "civ")
SCORED = [f"{d}{i}" for d in DIMS for i in (1, 2, 3)]  # the default bank: 3 per dimension


def answers(value, **override):
    """Every scored question `value`, overall too, NPS 9; overrides by question id."""
    out = {q: value for q in SCORED}
    out.update(overall=value, nps=9)
    out.update(override)
    return out


def test_campaign_to_level(client, make_user):
    scores.clear_cache()
    auditor, token = make_user("auditor")
    _viewer, viewer_token = make_user("viewer")
    created = client.post(
        "/api/v1/campaigns",
        headers=bearer(token),
        json={
            "organization": {"name": "示例电器有限公司", "operating_since": "2020-01-01"},
            "scheme": "cqm-2019",
            "outlets": [{"name": "朝阳服务中心"}, {"name": "海淀服务中心"}],
        },
    )
    assert created.status_code == 201, created.get_json()
    campaign = created.get_json()
    cid = campaign["id"]
    outlet = campaign["outlets"][0]["id"]
    link = campaign["outlets"][1]["survey_url"].rsplit("/", 1)[-1]

    def in_person(a):
        r = client.post(
            f"/api/v1/campaigns/{cid}/responses",
            headers=bearer(token),
            json={"outlet": outlet, "answers": a, "client_id": str(uuid.uuid4())},
        )
        assert r.status_code == 201, r.get_json()

    def online(a):
        r = client.post(
            f"/api/v1/links/{link}/responses", json={"answers": a, "client_id": str(uuid.uuid4())}
        )
        assert r.status_code == 201, r.get_json()
        return r.get_json()["id"]

    # In person: two all-非常满意 (100), one all-满意 (80) with fun1 不适用.
    #   fun1 mean = (100 + 100) / 2 = 100; every other item = (100 + 100 + 80) / 3 = 93.333…
    #   functionality = (100 + 93.333 + 93.333) / 3 = 95.555…; the five others 93.333…
    #   S_in_person = (95.555… + 5 × 93.333…) / 6 = 562.222… / 6 = 93.7037
    in_person(answers(5))
    in_person(answers(5))
    in_person(answers(4, fun1=None))
    # Online: two all-满意 (80), one all-非常满意 (100) → every item (80 + 80 + 100) / 3 = 86.667
    #   and one all-非常不满意 response that an auditor excludes: it does not count.
    online(answers(4))
    online(answers(4))
    online(answers(5))
    bad = online(answers(1, nps=0))
    review.exclude(db.session.get(Response, bad), "同一顾客重复作答", auditor)
    #   S_online = 86.6667;  S = 0.5 × 93.7037 + 0.5 × 86.6667 = 90.1852

    got = client.get(f"/api/v1/campaigns/{cid}/scores", headers=bearer(viewer_token)).get_json()
    assert got["n"] == {"in_person": 3, "online": 3}
    assert got["S_in_person"] == pytest.approx(562.2222222 / 6, abs=1e-6)
    assert got["S_online"] == pytest.approx(260 / 3, abs=1e-6)
    assert got["S"] == pytest.approx(0.5 * 562.2222222 / 6 + 0.5 * 260 / 3, abs=1e-6)
    assert got["dimensions"]["functionality"] == pytest.approx(
        0.5 * 95.5555556 + 0.5 * 86.6666667, abs=1e-6
    )
    assert got["sufficient"]["S"] is False  # 3 per channel < 30: 样本不足, still computed

    # Checklist: X = 9.5 + mean(14, 13) + 9.5 + 23 + 14 + 7 + 8 + 9.5 = 94 (each indicator
    # ≥ 90 %: the lowest, 4.1.2, is 13.5 / 15 = 90 %); audit passed, no severe nonconformity;
    # operating since 2020 (≥ 1 year); one major complaint on 2026-03-01, rectified.
    #   five_star: X 94 ≥ 90 ✓, indicators ≥ 90 % ✓, S 90.19 ≥ 90 ✓, S_in_person 93.70 ≥ 90 ✓,
    #              but "no major complaint in the 2 years before" ✗ → not five stars
    #   four_star: X ≥ 80 ✓, ≥ 80 % ✓, S ≥ 80 ✓, S_in_person ≥ 80 ✓, ≤ 1 major complaint,
    #              rectified ✓ → four_star, limited by the major complaint only.
    checklist = {
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
        "events": [{"type": "major_complaint", "date": "2026-03-01", "rectified": True}],
    }
    put = client.put(f"/api/v1/campaigns/{cid}/evaluation", headers=bearer(token), json=checklist)
    assert put.status_code == 200, put.get_json()
    result = client.get(
        f"/api/v1/campaigns/{cid}/evaluation", headers=bearer(viewer_token)
    ).get_json()
    assert result["score"] == 94.0
    assert result["level"] == "four_star"
    assert result["level_name"] == "四星级"
    assert len(result["limited_by"]) == 1 and "five_star" in result["limited_by"][0]
    failed = [c for c in result["criteria"] if c["level"] == "five_star" and not c["met"]]
    assert len(failed) == 1
    assert result["survey"]["S"] == pytest.approx(90.1852, abs=1e-4)
    assert result["groups"]["4.1.2"]["ratio"] == 0.9

    final = client.post(f"/api/v1/campaigns/{cid}/evaluation/finalize", headers=bearer(token))
    assert final.status_code == 200
    assert final.get_json()["evaluation"]["status"] == "finalized"
    assert final.get_json()["level"] == "four_star"
