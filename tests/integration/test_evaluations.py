"""services.evaluations: draft validation, survey from the responses, finalize, supersede."""

from __future__ import annotations

import pytest

from surveyapp.db import db
from surveyapp.errors import DomainError
from surveyapp.models import AuditLog, Evaluation, LedgerEntry
from surveyapp.services import evaluations, scores
from tests.scores_fixtures import add_responses, answers_all, five_star_input, make_campaign


@pytest.fixture
def campaign(app):
    scores.clear_cache()
    c = make_campaign()
    add_responses(c, "in_person", [answers_all(4)] * 2)  # S_in_person = 80
    add_responses(c, "online", [answers_all(5)] * 2)  # S_online = 100
    return c


@pytest.fixture
def auditor(make_user):
    return make_user("auditor")[0]


def test_bad_input_changes_nothing(campaign, auditor):
    bad = five_star_input()
    bad["scores"]["4.1.9"] = 1
    with pytest.raises(DomainError) as e:
        evaluations.put_input(campaign, bad, auditor)
    assert e.value.field == "scores.4.1.9"
    with pytest.raises(DomainError) as e:
        evaluations.put_input(campaign, {**five_star_input(), "scheme": "dni-2026"}, auditor)
    assert e.value.field == "scheme"
    assert db.session.scalar(db.select(db.func.count(Evaluation.id))) == 0
    assert (
        db.session.scalar(
            db.select(db.func.count(LedgerEntry.id)).where(LedgerEntry.table_name == "evaluations")
        )
        == 0
    )


def test_draft_result_uses_campaign_survey(campaign, auditor):
    ev = evaluations.put_input(campaign, five_star_input(), auditor)
    assert ev.status == "draft" and ev.result is None
    out = evaluations.result(campaign)
    # S = 0.5·80 + 0.5·100 = 90 ≥ 90 but S_in_person = 80 < 90 → four_star (criteria at four:
    # X 94 ≥ 80, each indicator ≥ 80 %, S ≥ 80, S_in_person ≥ 80)
    assert out["survey"]["S"] == pytest.approx(90)
    assert out["survey"]["S_in_person"] == pytest.approx(80)
    assert out["level"] == "four_star"
    assert any(line.startswith("S_in_person") for line in out["limited_by"])
    assert any("四星级" in line for line in out["explanation_zh"])
    kinds = db.session.scalars(
        db.select(LedgerEntry.kind).where(LedgerEntry.table_name == "evaluations")
    ).all()
    assert kinds == ["evaluation.draft"]
    assert "evaluation.draft" in db.session.scalars(db.select(AuditLog.action)).all()


def test_draft_saved_before_any_response(app, auditor):
    scores.clear_cache()
    c = make_campaign()
    ev = evaluations.put_input(c, five_star_input(), auditor)
    with pytest.raises(DomainError) as e:
        evaluations.result(c, ev)
    assert e.value.code == "survey_unavailable"
    with pytest.raises(DomainError):
        evaluations.finalize(c, auditor)
    assert db.session.get(Evaluation, ev.id).status == "draft"


def test_finalize_freezes_and_supersede(campaign, auditor):
    evaluations.put_input(campaign, five_star_input(), auditor)
    first = evaluations.finalize(campaign, auditor)
    assert first.status == "finalized"
    assert first.result["level"] == "four_star"
    assert first.survey["S"] == pytest.approx(90)
    assert first.survey["parameters"]["scale"]["4"] == 80
    assert first.scheme_sha256 == evaluations.scheme_of(campaign).sha256
    with pytest.raises(DomainError) as e:
        evaluations.finalize(campaign, auditor)
    assert e.value.code == "already_finalized"
    # new responses move the live scores but not the frozen result
    add_responses(campaign, "in_person", [answers_all(5)] * 2)  # S_in_person → 90
    assert evaluations.result(campaign)["survey"]["S"] == pytest.approx(90)
    # a new draft supersedes it once finalized
    second = evaluations.put_input(campaign, five_star_input(), auditor)
    assert second.id != first.id and second.supersedes_id == first.id
    assert db.session.get(Evaluation, first.id).status == "finalized"
    assert evaluations.result(campaign)["level"] == "five_star"  # 0.5·90 + 0.5·100 = 95
    evaluations.finalize(campaign, auditor)
    assert db.session.get(Evaluation, first.id).status == "superseded"
    assert evaluations.current(campaign).id == second.id
    # (a flush in the middle of a use case records an intermediate "update" entry too)
    kinds = db.session.scalars(
        db.select(LedgerEntry.kind)
        .where(LedgerEntry.table_name == "evaluations", LedgerEntry.kind != "update")
        .order_by(LedgerEntry.id)
    ).all()
    assert kinds == [
        "evaluation.draft",
        "evaluation.finalize",
        "evaluation.draft",
        "evaluation.supersede",
        "evaluation.finalize",
    ]


def test_a_partial_checklist_saves_as_a_draft_without_a_level(campaign, auditor):
    full = five_star_input()
    items = list(full["scores"])
    partial = {**full, "scores": {k: full["scores"][k] for k in items[:3]}}
    partial.pop("management_audit", None)
    ev = evaluations.put_input(campaign, partial, auditor)
    out = evaluations.result(campaign, ev)
    assert out["complete"] is False and out["level"] is None
    required = [i.id for i in evaluations.scheme_of(campaign).items if i.required]
    assert out["missing"][: len(required) - 3] == [i for i in required if i not in items[:3]]
    assert "management_audit" in out["missing"]
    # what is given is still checked as in a complete input
    bad = {**partial, "scores": {**partial["scores"], items[0]: 999}}
    with pytest.raises(DomainError) as e:
        evaluations.put_input(campaign, bad, auditor)
    assert e.value.field == f"scores.{items[0]}"
    # finalizing waits for the whole checklist, and nothing changes
    with pytest.raises(DomainError) as e:
        evaluations.finalize(campaign, auditor)
    assert e.value.code == "evaluation_incomplete" and e.value.params["count"] == len(
        out["missing"]
    )
    assert campaign.status == "collecting" and evaluations.current(campaign).status == "draft"
    # completed: a level, and finalize works
    evaluations.put_input(campaign, full, auditor)
    assert evaluations.result(campaign)["complete"] is True
    assert evaluations.finalize(campaign, auditor).status == "finalized"
    assert campaign.status == "finalized"


def test_an_empty_draft_is_a_draft_of_every_item(campaign, auditor):
    ev = evaluations.put_input(campaign, {"scores": {}}, auditor)
    out = evaluations.result(campaign, ev)
    assert out["complete"] is False
    assert len(out["missing"]) >= len(
        [i for i in evaluations.scheme_of(campaign).items if i.required]
    )
