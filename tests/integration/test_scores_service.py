"""services.scores: one select, the stored parameters, filters, cache invalidation, review."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from surveyapp.db import db
from surveyapp.errors import DomainError
from surveyapp.models import AuditLog, LedgerEntry, Response, ResponseExclusion
from surveyapp.services import ledger, review, scores
from tests.scores_fixtures import SCORED, T0, add_responses, answers_all, make_campaign


@pytest.fixture
def campaign(app):
    scores.clear_cache()
    c = make_campaign()
    # in person: 3 × all 非常满意 (100) → S_in_person = 100
    add_responses(c, "in_person", [answers_all(5)] * 3)
    # online: 2 × all 满意 (80) at outlet 2, one day later → S_online = 80
    add_responses(
        c, "online", [answers_all(4)] * 2, outlet=c.outlets[1], start=T0 + timedelta(days=1)
    )
    # invalid: 5 of 12 scored questions answered (< half) → not counted
    add_responses(c, "online", [[1] * 5 + [None] * (SCORED - 5) + [1, 0]])
    return c


def test_scores_by_hand(campaign):
    s = scores.campaign_scores(campaign)
    # S = 0.5 · 100 + 0.5 · 80 = 90
    assert s["n"] == {"in_person": 3, "online": 2}
    assert s["received"] == {"in_person": 3, "online": 3}
    assert s["S_in_person"] == pytest.approx(100)
    assert s["S_online"] == pytest.approx(80)
    assert s["S"] == pytest.approx(90)
    assert s["dimensions"]["civility"] == pytest.approx(90)
    assert s["sufficient"] == {"S": False, "S_in_person": False, "S_online": False}
    assert s["parameters"]["scale"]["5"] == 100
    assert s["parameters"]["thresholds"] == [60, 70, 80, 90]
    assert s["filter"] == {"outlets": [], "channel": None, "start": None, "end": None}


def test_stored_parameters_decide(app):
    scores.clear_cache()
    # linear scale and ω = 0.25 frozen on the campaign
    c = make_campaign(
        survey_params={
            "scale": {"1": 0, "2": 25, "3": 50, "4": 75, "5": 100},
            "channel_weights": {"in_person": 0.25, "online": 0.75},
        }
    )
    add_responses(c, "in_person", [answers_all(4)])
    add_responses(c, "online", [answers_all(5)])
    s = scores.campaign_scores(c)
    # 0.25 · 75 + 0.75 · 100 = 93.75
    assert s["S"] == pytest.approx(93.75)
    assert s["parameters"]["channel_weights"] == {"in_person": 0.25, "online": 0.75}


def test_filters(campaign):
    by_outlet = scores.campaign_scores(campaign, scores.ScoreFilter((campaign.outlets[1].id,)))
    assert by_outlet["n"] == {"in_person": 0, "online": 2}
    assert by_outlet["S"] == pytest.approx(80)
    assert any(w.startswith("no_valid_in_person") for w in by_outlet["warnings"])
    online = scores.campaign_scores(campaign, scores.ScoreFilter(channel="online"))
    assert online["n"] == {"in_person": 0, "online": 2}
    # dates are local (Asia/Shanghai) days, end inclusive
    first_day = scores.campaign_scores(
        campaign, scores.ScoreFilter(start=date(2026, 9, 1), end=date(2026, 9, 1))
    )
    assert first_day["n"] == {"in_person": 3, "online": 0}
    assert first_day["filter"]["start"] == "2026-09-01"


@pytest.mark.parametrize(
    ("kwargs", "field", "reason"),
    [
        ({"channel": "phone"}, "channel", "unknown_channel"),
        ({"start": "2026-09-02", "end": "2026-09-01"}, "start", "start_after_end"),
        ({"end": "tomorrow"}, "end", "invalid_date"),
        ({"start": "1999-12-31"}, "start", "date_range"),
        ({"outlets": [str(2**63)]}, "outlet", "no_such_id"),
        ({"outlets": ["-1"]}, "outlet", "no_such_id"),
        ({"outlets": ["1"] * 501}, "outlet", "too_many"),
    ],
)
def test_parse_filter_errors(kwargs, field, reason):
    with pytest.raises(DomainError) as e:
        scores.parse_filter(**kwargs)
    assert (e.value.code, e.value.field, e.value.params["reason"]) == (
        "invalid_filter",
        field,
        reason,
    )


def test_parse_filter_reads_outlets():
    assert scores.parse_filter(["3", "1", ""]).outlet_ids == (1, 3)


def test_cache_invalidated_by_new_response_and_exclusion(campaign, make_user):
    first = scores.campaign_scores(campaign)
    assert scores.campaign_scores(campaign) is first  # warm: the cached result
    add_responses(campaign, "online", [answers_all(3)])
    second = scores.campaign_scores(campaign)
    assert second["n"]["online"] == 3
    # online items: (80 + 80 + 60) / 3
    assert second["S_online"] == pytest.approx(220 / 3)
    user, _ = make_user("auditor")
    r = db.session.scalars(
        db.select(Response).where(Response.channel == "online").order_by(Response.id.desc())
    ).first()
    review.exclude(r, "测试：答题过快", user)
    third = scores.campaign_scores(campaign)
    assert third["n"]["online"] == 2
    assert third["S_online"] == pytest.approx(80)


def test_exclude_and_reinstate_are_recorded(campaign, make_user):
    user, _ = make_user("auditor")
    r = db.session.scalars(db.select(Response).order_by(Response.id)).first()
    with pytest.raises(DomainError) as e:
        review.exclude(r, "  ", user)
    assert (e.value.code, e.value.field) == ("reason_required", "reason")
    assert not db.session.get(Response, r.id).excluded
    review.exclude(r, "同一顾客重复作答", user)
    assert r.excluded
    with pytest.raises(DomainError):
        review.exclude(r, "again", user)
    review.reinstate(r, "核实为不同顾客", user)
    assert not r.excluded
    history = db.session.scalars(
        db.select(ResponseExclusion)
        .where(ResponseExclusion.response_id == r.id)
        .order_by(ResponseExclusion.id)
    ).all()
    assert [(x.action, x.reason, x.user_id) for x in history] == [
        ("exclude", "同一顾客重复作答", user.id),
        ("reinstate", "核实为不同顾客", user.id),
    ]
    kinds = db.session.scalars(db.select(LedgerEntry.kind).order_by(LedgerEntry.id)).all()
    assert kinds[-4:] == ["exclusion", "response.exclude", "exclusion", "response.reinstate"]
    actions = db.session.scalars(db.select(AuditLog.action)).all()
    assert "response.exclude" in actions and "response.reinstate" in actions
    checked, mismatch = ledger.verify()
    assert mismatch is None or mismatch.table == "responses"  # responses inserted directly


def test_flags_and_review_rows(app, make_user):
    scores.clear_cache()
    c = make_campaign()
    add_responses(c, "online", [answers_all(4)] * 4, duration_s=300)
    # 12 scored + overall answered in 10 s: under 3 s per question → speeding; all 5 → straight
    fast = add_responses(c, "online", [answers_all(5)], duration_s=10)[0]
    summary = scores.flag_summary(c)
    assert summary["speeding"] == 1
    assert summary["total"] == 5
    assert summary["straight_lining"] == 5  # every response answers one value throughout
    rows, total = review.flagged_responses(c)
    assert total == 5
    assert rows[0].id == fast.id and "speeding" in rows[0].flags
    assert "答题过快" in rows[0].reason
    user, _ = make_user("auditor")
    review.exclude(db.session.get(Response, fast.id), "答题过快", user)
    rows, _ = review.flagged_responses(c)
    assert rows[0].excluded and rows[0].history[0].reason == "答题过快"


def test_empty_campaign(app):
    scores.clear_cache()
    c = make_campaign()
    s = scores.campaign_scores(c)
    assert s["S"] is None and s["n"] == {"in_person": 0, "online": 0}
    assert scores.flag_summary(c)["total"] == 0
    assert review.flagged_responses(c) == ([], 0)


def test_burst_flag_from_fingerprint(app):
    scores.clear_cache()
    c = make_campaign()
    add_responses(
        c, "online", [answers_all(4)] * 5, fingerprint="a" * 64, step=timedelta(minutes=1)
    )
    add_responses(
        c, "online", [answers_all(4)] * 2, fingerprint="b" * 64, step=timedelta(minutes=1)
    )
    add_responses(c, "online", [answers_all(3)] * 2)  # no fingerprint
    summary = scores.flag_summary(c)
    # five from one device within 10 minutes → all five flagged; two from another are not
    assert summary["burst"] == 5
    assert summary["duplicate"] == 0
