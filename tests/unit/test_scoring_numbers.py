"""The float boundary: survey figures computed in float64 enter the engine as exact Decimals."""

from __future__ import annotations

from decimal import Decimal

import pytest

from surveyapp.schemes import evaluate_input
from surveyapp.scoring import InputError
from surveyapp.scoring.numbers import decided, measured, shown
from surveyapp.survey_math.scores import thresholds_inside, thresholds_met

FULL = {"4.1.1": 10, "4.1.2": 15, "4.1.3": 10, "4.1.4": 25, "4.1.5": 15, "4.1.6": 7, "4.1.7": 8}


def cqm(survey: dict) -> dict:
    return {
        "scheme": "cqm-2019",
        "evaluation_date": "2026-10-15",
        "scores": {**FULL, "4.1.8": 10},
        "management_audit": {"passed": True, "severe_nonconformities": 0},
        "survey": survey,
        "organization": {"operating_since": "2020-01-01"},
    }


@pytest.mark.parametrize(
    ("noisy", "exact"),
    [
        (100.00000000000001, Decimal("100")),  # every answer 非常满意, summed in another order
        (99.99999999999999, Decimal("100")),
        (20.000000000000004, Decimal("20")),  # every answer 非常不满意
        (-1e-15, Decimal("0")),
        (89.99499999999999, Decimal("89.995")),
        (93.70370370370371, Decimal("93.703703704")),
    ],
)
def test_measured_removes_float_noise(noisy, exact):
    assert measured(noisy) == exact
    assert measured(measured(noisy)) == measured(noisy)  # idempotent


def test_decided_and_shown_round_the_true_value_half_up():
    # 59.995 in float64 is 59.99499999999999744…; "%.2f" says 59.99, the rule says 60.00
    assert f"{59.995:.2f}" == "59.99"
    assert decided(59.995) == 60.0
    assert shown(59.995) == "60.00"
    assert shown(59.995, 1) == "60.0"
    assert decided(89.99499999999999) == 90.0
    assert shown(100.00000000000001) == "100.00"
    assert shown(64.44444444444444, 1) == "64.4"


@pytest.mark.parametrize("s", [100.00000000000001, 99.99999999999999, 100.0])
def test_all_top_survey_evaluates_five_star(s):
    result = evaluate_input(cqm({"S": s, "S_in_person": s}))
    assert result["level"] == "five_star"
    assert result["limited_by"] == []


def test_all_bottom_survey_evaluates_without_error():
    result = evaluate_input(cqm({"S": 20.000000000000004, "S_in_person": 19.999999999999996}))
    # X = 100 and the audit passed; S = 20 fails two stars and up (S ≥ 60): one star
    assert result["level"] == "one_star"


@pytest.mark.parametrize("s", [100.5, 100.000001, -0.01])
def test_figures_really_outside_0_100_are_still_refused(s):
    with pytest.raises(InputError) as e:
        evaluate_input(cqm({"S": s, "S_in_person": 90}))
    assert e.value.field == "survey.S"
    assert "outside 0–100" in e.value.message


def test_a_noisy_figure_on_the_threshold_meets_it():
    # 89.995 rounds half up to 90.00: meets the five-star S ≥ 90 (the printed number decides)
    result = evaluate_input(cqm({"S": 89.99499999999999, "S_in_person": 95}))
    assert result["level"] == "five_star"
    assert thresholds_met(89.99499999999999, (80.0, 90.0)) == [80.0, 90.0]
    assert thresholds_met(89.99, (80.0, 90.0)) == [80.0]
    assert thresholds_met(None, (80.0,)) == []


def test_thresholds_inside_compare_printed_bounds():
    assert thresholds_inside((79.995, 85.0), (80.0, 90.0)) == []  # lo prints 80.00: not below
    assert thresholds_inside((79.99, 85.0), (80.0, 90.0)) == [80.0]
    assert thresholds_inside((85.0, 89.99499999999999), (80.0, 90.0)) == [90.0]
    assert thresholds_inside(None, (80.0,)) == []
