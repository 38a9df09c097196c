"""xh-2025 (seed 004): 200 points, the A.2.2 point bands and the survey-fed GB/T 36733 items."""

from __future__ import annotations

from decimal import Decimal

import pytest

from surveyapp.schemes import evaluate_input, load_scheme
from surveyapp.scoring import InputError

SURVEY_FULL = {
    "S": 100,
    "S_in_person": 100,
    "dimensions": dict.fromkeys(
        ["functionality", "economy", "safety", "timeliness", "comfort", "civility"], 100
    ),
}


def auditor_items() -> list:
    return [i for i in load_scheme("xh-2025").items if i.mode != "survey"]


def full_scores() -> dict:
    return {i.id: float(i.points) for i in auditor_items()}


def scores_totalling(total: str) -> dict:
    """Auditor items losing points so that, with a perfect survey (20 points), the sum is total."""
    deficit = Decimal(200) - Decimal(total)
    out = full_scores()
    for item in auditor_items():
        if deficit <= 0:
            break
        take = min(item.points, deficit)
        out[item.id] = float(item.points - take)
        deficit -= take
    assert deficit == 0
    return out


def run(**fields) -> dict:
    data = {"scheme": "xh-2025", "scores": full_scores(), "survey": SURVEY_FULL}
    data.update(fields)
    return evaluate_input(data)


def test_full_marks():
    result = run()
    assert result["score"] == 200
    assert result["max_score"] == 200
    assert result["level"] == "ten_star"
    assert result["level_name"] == "十星级"
    assert result["parts"]["GB/T 27922-2011"]["max"] == 100
    assert result["parts"]["GB/T 36733-2018"]["score"] == 100.0
    assert set(result["groups"]) == {"5.1", "5.2", "5.3", "36733.1", "36733.2", "36733.3"}


@pytest.mark.parametrize(
    ("total", "expected", "name"),
    [
        ("180", "ten_star", "十星级"),
        ("179.99", "nine_star", "九星级"),
        ("160", "nine_star", "九星级"),
        ("159.99", "eight_star", "八星级"),
        ("140", "eight_star", "八星级"),
        ("139.99", "compliant", "达标级"),
        ("120", "compliant", "达标级"),
        ("119.99", "fail", "不合格"),
        ("20", "fail", "不合格"),
    ],
)
def test_point_bands(total, expected, name):
    result = run(scores=scores_totalling(total))
    assert result["score"] == float(total)
    assert result["level"] == expected
    assert result["level_name"] == name


def test_survey_feeds_satisfaction_and_dimensions():
    survey = {
        "S": 85,
        "S_in_person": 88,
        "dimensions": {
            "functionality": 90,
            "economy": 60,
            "safety": 90,
            "timeliness": 90,
            "comfort": 90,
            "civility": 90,
        },
    }
    result = run(survey=survey)
    items = result["computation"]["items"]
    assert items["36733.3.1"] == 8.5  # 10 × 85 / 100
    assert items["36733.3.2"] == 8.5  # 10 × mean(90,60,90,90,90,90) / 100
    assert result["score"] == 197.0
    assert result["warnings"] == []


def test_dimensions_missing_falls_back_to_s_with_a_warning():
    result = run(survey={"S": 80})
    assert result["computation"]["items"]["36733.3.2"] == 8.0
    assert result["score"] == 196.0
    assert any("36733.3.2" in w for w in result["warnings"])


def test_missing_survey_is_an_error_unless_the_items_are_scored():
    data = {"scheme": "xh-2025", "scores": full_scores()}
    with pytest.raises(InputError) as e:
        evaluate_input(data)
    assert e.value.field == "survey"
    scored = {**full_scores(), "36733.3.1": "90%", "36733.3.2": 9}
    result = evaluate_input({"scheme": "xh-2025", "scores": scored})
    assert result["score"] == 198.0


def test_any_clause_may_be_excluded_and_rescales_to_200():
    scores = full_scores()
    scores["5.1.2.2"] = "n/a"  # 5 points of 5.1: excludable in xh, not in dni/icas
    scores["36733.1.4.1"] = "n/a"  # 5 points
    scores["5.3.1.4"] = 0.0  # 4 points lost of 190 applicable
    result = run(scores=scores)
    assert result["computation"]["applicable_points"] == 190
    assert result["score"] == 195.79  # 186 / 190 × 200 = 195.789…
    assert result["level"] == "ten_star"


# ---- issue 13: seed 004 defines no special deductions or bonus; 服务结果 cannot be excluded ----


@pytest.mark.parametrize(
    "deductions", [[{"note": "x"}], [{"item": "5.2.1.1", "note": "x"}] * 5, ["x"], [{}], 1]
)
def test_special_deductions_are_refused(deductions):
    with pytest.raises(InputError) as e:
        run(special_deductions=deductions)
    assert e.value.field == "special_deductions"
    assert "xh-2025 has no special deductions" in str(e.value)
    assert "seed 004 defines none" in str(e.value)


@pytest.mark.parametrize("empty", [[], 0, None])
def test_no_special_deductions_is_accepted(empty):
    result = run(special_deductions=empty)
    assert result["special_deductions"] == 0
    assert result["score"] == 200


@pytest.mark.parametrize(
    "bonus", [{"note": "行业领先"}, {}, "", {"note": ""}, "领先", True, [{"note": "x"}]]
)
def test_any_special_bonus_is_refused(bonus):
    with pytest.raises(InputError) as e:
        run(special_bonus=bonus)
    assert e.value.field == "special_bonus"
    assert "xh-2025 has no special bonus" in str(e.value)
    assert "seed 004 defines none" in str(e.value)


def test_absent_or_null_bonus_is_none():
    assert run(special_bonus=None)["special_bonus"] == 0
    assert run()["special_bonus"] == 0


def test_levels_carry_no_special_deduction_criterion():
    result = run()
    assert {c["kind"] for c in result["criteria"]} == {"score_at_least"}


@pytest.mark.parametrize("item", ["36733.3.1", "36733.3.2"])
@pytest.mark.parametrize("value", ["n/a", "N/A"])
def test_service_result_items_cannot_be_excluded(item, value):
    with pytest.raises(InputError) as e:
        run(scores={**full_scores(), item: value})
    assert e.value.field == f"scores.{item}"
    assert f"exclusion (n/a) not allowed for item {item}" in str(e.value)
    assert "服务结果" in str(e.value)


def test_other_36733_items_may_still_be_excluded():
    result = run(scores={**full_scores(), "36733.2.3": "n/a"})
    assert result["computation"]["applicable_points"] == 195
    assert result["score"] == 200


def test_maturity_percentages():
    result = run(scores={**full_scores(), "5.1.5.2": "50%"})
    assert result["computation"]["items"]["5.1.5.2"] == 3.0
    assert result["score"] == 197.0
