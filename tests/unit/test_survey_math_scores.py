"""S, S_in_person, S_online and the dimensions against hand-computed values (DOMAIN.md)."""

from __future__ import annotations

import json

import pytest

from surveyapp.scoring.survey import DIMENSIONS, Question, SurveyParams
from surveyapp.survey_math import compute_scores
from surveyapp.survey_math.synthetic import frame_from_rows

# Three scored questions on two dimensions, an NPS question and a comment.
QUESTIONS = (
    Question("f1", "产品功能", "Function", "likert", "functionality"),
    Question("f2", "维修质量", "Repair", "likert", "functionality"),
    Question("e1", "收费合理", "Charges", "likert", "economy"),
    Question("nps", "推荐意愿", "Recommend", "nps", None),
    Question("note", "意见", "Comment", "text", None),
)
N = None  # 不适用


def rows_basic():
    """in_person: r1 r2 valid, r3 half-answered (invalid), r4 excluded; online: r5 r6 valid."""
    return [
        dict(channel="in_person", answers=[5, 4, 3, 10]),  # r1: 100 80 60
        dict(channel="in_person", answers=[4, N, 5, 6]),  # r2: 80 – 100
        dict(channel="in_person", answers=[3, N, N, 9]),  # r3: 1 of 3 answered < 2 → invalid
        dict(channel="in_person", answers=[1, 1, 1, 10], excluded=True),  # r4: excluded
        dict(channel="online", answers=[2, 3, 4, 9]),  # r5: 40 60 80
        dict(channel="online", answers=[5, 5, N, N]),  # r6: 100 100 –
    ]


def test_hand_computed_weighted_with_omega_0_6():
    params = SurveyParams(channel_weights={"in_person": 0.6, "online": 0.4})
    r = compute_scores(frame_from_rows(QUESTIONS, rows_basic()), params)
    assert r.n == {"in_person": 2, "online": 2}
    assert r.received == {"in_person": 4, "online": 2}
    assert r.excluded == {"in_person": 1, "online": 0}
    # in_person: f1 = (100+80)/2 = 90, f2 = 80 (r2 N/A), e1 = (60+100)/2 = 80
    #   functionality = (90+80)/2 = 85, economy = 80; S_ip = (85+80)/2 = 82.5 (w renormalized
    #   over the 2 dimensions with answers)
    assert r.dimensions_by_channel["in_person"]["functionality"] == pytest.approx(85.0)
    assert r.dimensions_by_channel["in_person"]["economy"] == pytest.approx(80.0)
    assert r.dimensions_by_channel["in_person"]["safety"] is None
    assert r.S_in_person == pytest.approx(82.5)
    # online: f1 = (40+100)/2 = 70, f2 = (60+100)/2 = 80, e1 = 80 → functionality 75, economy 80
    assert r.S_online == pytest.approx(77.5)
    # S = 0.6·82.5 + 0.4·77.5 = 49.5 + 31 = 80.5; functionality = 0.6·85 + 0.4·75 = 81
    assert pytest.approx(80.5) == r.S
    assert r.dimensions["functionality"] == pytest.approx(81.0)
    assert r.dimensions["economy"] == pytest.approx(80.0)
    assert r.items_by_channel["in_person"] == pytest.approx({"f1": 90.0, "f2": 80.0, "e1": 80.0})
    # satisfaction (no overall question → answered scored answers ≥ 4):
    #   in_person 5,4,3 | 4,5 → 4/5 = 80 %; online 2,3,4 | 5,5 → 3/5 = 60 %; 0.6·80 + 0.4·60 = 72
    assert r.satisfaction_basis == "scored_answers"
    assert r.satisfaction_by_channel == pytest.approx({"in_person": 80.0, "online": 60.0})
    assert r.satisfaction_rate == pytest.approx(72.0)
    # NPS: in_person r1 10 (promoter), r2 6 (detractor) → 0; online r5 9 → 100; r3, r4 not valid
    #   0.6·0 + 0.4·100 = 40
    assert r.nps_by_channel == pytest.approx({"in_person": 0.0, "online": 100.0})
    assert r.nps == pytest.approx(40.0)
    # 2 per channel: computed, but marked insufficient
    assert r.sufficient == {"S": False, "S_in_person": False, "S_online": False}
    assert any(w.startswith("small_sample:in_person") for w in r.warnings)


def test_pooled_lets_the_channel_mix_move_s():
    rows = [dict(channel="in_person", answers=[5, 5, 5])] + [
        dict(channel="online", answers=[3, 3, 3]) for _ in range(3)
    ]
    frame = frame_from_rows(QUESTIONS, rows)
    weighted = compute_scores(frame, SurveyParams())
    pooled = compute_scores(frame, SurveyParams(combine="pooled"))
    # weighted: 0.5·100 + 0.5·60 = 80; pooled: every item (100 + 3·60)/4 = 70
    assert pytest.approx(80.0) == weighted.S
    assert pytest.approx(70.0) == pooled.S
    assert pooled.dimensions["economy"] == pytest.approx(70.0)
    assert (pooled.S_in_person, pooled.S_online) == pytest.approx((100.0, 60.0))


def test_empty_channel_gives_the_other_channel_and_a_warning():
    rows = [r for r in rows_basic() if r["channel"] == "in_person"]
    r = compute_scores(frame_from_rows(QUESTIONS, rows), SurveyParams())
    assert r.n == {"in_person": 2, "online": 0}
    assert r.S_online is None
    assert r.S == pytest.approx(82.5) == r.S_in_person
    assert r.dimensions["functionality"] == pytest.approx(85.0)
    assert any(w.startswith("no_valid_online") for w in r.warnings)
    assert r.ci95["S_online"] is None and r.ci95_t["S_online"] is None
    assert r.ci95["S"] == r.ci95["S_in_person"]
    assert r.sufficient["S"] is False


def test_no_valid_response_gives_null_scores():
    rows = [
        dict(channel="online", answers=[5, N, N]),
        dict(channel="in_person", answers=[5, 5, 5], excluded=True),
    ]
    r = compute_scores(frame_from_rows(QUESTIONS, rows), SurveyParams())
    assert r.n == {"in_person": 0, "online": 0}
    assert r.S is None and r.S_in_person is None and r.S_online is None
    assert all(v is None for v in r.dimensions.values())
    assert r.ci95["S"] is None
    assert r.satisfaction_rate is None and r.nps is None
    assert r.warnings[0].startswith("no_valid_responses")
    json.dumps(r.as_dict())


def test_exactly_half_answered_is_valid():
    # 4 scored questions: 2 answered = half → valid; 1 answered → invalid
    qs = tuple(Question(f"q{i}", "题", "q", "likert", "safety") for i in range(4))
    rows = [
        dict(channel="online", answers=[5, 5, N, N]),
        dict(channel="online", answers=[1, N, N, N]),
    ]
    r = compute_scores(frame_from_rows(qs, rows), SurveyParams())
    assert r.n["online"] == 1
    assert r.S_online == pytest.approx(100.0)


def test_linear_scale_turns_all_satisfied_from_80_into_75():
    rows = [dict(channel=c, answers=[4, 4, 4]) for c in ("in_person", "online") for _ in range(3)]
    frame = frame_from_rows(QUESTIONS, rows)
    assert pytest.approx(80.0) == compute_scores(frame, SurveyParams()).S
    linear = SurveyParams(scale={1: 0.0, 2: 25.0, 3: 50.0, 4: 75.0, 5: 100.0})
    r = compute_scores(frame, linear)
    assert pytest.approx(75.0) == r.S
    assert r.as_dict()["parameters"]["scale"]["4"] == 75.0


def test_all_six_dimensions_with_unequal_weights():
    qs = tuple(Question(d, d, d, "likert", d) for d in DIMENSIONS)
    # every response answers dimension j with 5 - (j % 3): 5,4,3,5,4,3 → 100,80,60,100,80,60
    rows = [dict(channel=c, answers=[5, 4, 3, 5, 4, 3]) for c in ("in_person", "online")]
    weights = dict(zip(DIMENSIONS, [0.3, 0.1, 0.1, 0.2, 0.2, 0.1], strict=True))
    r = compute_scores(frame_from_rows(qs, rows), SurveyParams(dimension_weights=weights))
    # 0.3·100 + 0.1·80 + 0.1·60 + 0.2·100 + 0.2·80 + 0.1·60 = 30+8+6+20+16+6 = 86
    assert pytest.approx(86.0) == r.S


def test_overall_question_defines_the_satisfaction_rate():
    qs = QUESTIONS[:3] + (Question("overall", "总体满意度", "Overall", "likert", None),)
    rows = [
        dict(channel="online", answers=[5, 5, 5, 4]),
        dict(channel="online", answers=[5, 5, 5, 3]),
        dict(channel="online", answers=[5, 5, 5, N]),  # N/A counts in neither
        dict(channel="online", answers=[5, 5, 5, 5]),
    ]
    r = compute_scores(frame_from_rows(qs, rows), SurveyParams())
    assert r.satisfaction_basis == "overall_question:overall"
    assert r.satisfaction_rate == pytest.approx(200 / 3)  # 2 of 3 answered ≥ 4
    assert pytest.approx(100.0) == r.S  # the overall question is not scored


def test_as_dict_has_the_contract_shape_and_is_json():
    params = SurveyParams(thresholds=(80.0,))
    d = compute_scores(frame_from_rows(QUESTIONS, rows_basic()), params).as_dict()
    json.dumps(d)
    for key in (
        "n",
        "S",
        "S_in_person",
        "S_online",
        "dimensions",
        "dimensions_by_channel",
        "ci95",
        "ci95_t",
        "sufficient",
        "marginal",
        "satisfaction_rate",
        "nps",
        "alpha",
        "warnings",
        "parameters",
    ):
        assert key in d
    assert set(d["dimensions"]) == set(DIMENSIONS)
    assert set(d["ci95"]) >= {"S", "S_in_person", "S_online", "dimensions"}
    assert isinstance(d["ci95"]["S"], list) and len(d["ci95"]["S"]) == 2
    assert d["parameters"] == params.as_dict()


def test_unknown_channel_or_combine_is_an_error():
    with pytest.raises(ValueError, match="unknown channel"):
        compute_scores(
            frame_from_rows(QUESTIONS, [dict(channel="phone", answers=[5])]), SurveyParams()
        )
    with pytest.raises(ValueError, match="combine"):
        compute_scores(frame_from_rows(QUESTIONS, rows_basic()), SurveyParams(combine="mean"))
