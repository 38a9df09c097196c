"""Importance–performance (issue 14): importances against hand-worked correlations."""

from __future__ import annotations

import math

import numpy as np
import pytest

from surveyapp import vocabulary
from surveyapp.scoring.survey import Question, SurveyParams
from surveyapp.survey_math import compute_scores
from surveyapp.survey_math.drivers import (
    QUADRANTS,
    compute_drivers,
    pearson,
    quadrants,
    split_points,
)
from surveyapp.survey_math.synthetic import frame_from_rows

N = None
QUESTIONS = (
    Question("f1", "功能", "f1", "likert", "functionality"),
    Question("f2", "维修", "f2", "likert", "functionality"),
    Question("e1", "收费", "e1", "likert", "economy"),
    Question("overall", "总体", "overall", "likert", None),
)
# answers f1 f2 e1 overall; scale 1..5 → 20..100
ROWS = [
    [5, 3, 4, 5],  # functionality (100+60)/2 = 80, economy 80, overall 100
    [4, 4, 1, 4],  # 80, 20, 80
    [2, 2, 4, 2],  # 40, 80, 40
    [3, N, 3, 3],  # 60, 60, 60
    [1, N, N, 1],  # 1 of 3 scored answers: invalid, in no pair
]


def frame(rows, questions=QUESTIONS, channel="in_person"):
    return frame_from_rows(questions, [dict(channel=channel, answers=r) for r in rows])


def fisher(r: float, n: int) -> tuple[float, float]:
    z, se = math.atanh(r), 1 / math.sqrt(n - 3)
    return math.tanh(z - 1.959963984540054 * se), math.tanh(z + 1.959963984540054 * se)


def test_dimension_and_question_importance_by_hand():
    found = compute_drivers(frame(ROWS), SurveyParams())
    assert found.basis == "overall_question:overall"
    # functionality (80, 80, 40, 60) with overall (100, 80, 40, 60): deviations (15, 15, -25,
    # -5) and (30, 10, -30, -10): Σxy = 1400, Σx² = 1100, Σy² = 2000
    fun = found.dimensions["functionality"]
    r = 1400 / math.sqrt(1100 * 2000)
    assert (fun.r, fun.n) == (pytest.approx(r), 4)
    assert (fun.lo, fun.hi) == pytest.approx(fisher(r, 4))
    assert not fun.sufficient  # 4 pairs < MIN_PAIRS
    # economy (80, 20, 80, 60): deviations (20, -40, 20, 0): Σxy = -400, Σx² = 2400
    assert found.dimensions["economy"].r == pytest.approx(-400 / math.sqrt(2400 * 2000))
    # no question on safety: nothing to correlate
    assert found.dimensions["safety"] == pearson(np.array([]), np.array([]))
    # f1 (100, 80, 40, 60) is overall itself: r = 1, no interval; f2 over 3 pairs
    assert found.questions["f1"].r == pytest.approx(1.0) and found.questions["f1"].lo is None
    assert found.questions["f2"].r == pytest.approx(800 / math.sqrt(800 * (5600 / 3)))
    assert found.questions["f2"].n == 3
    # question performance (the campaign's own item scores): f1 (100+80+40+60)/4,
    # f2 (60+80+40)/3, e1 (80+20+80+60)/4
    items = compute_scores(frame(ROWS), SurveyParams()).items
    assert items == pytest.approx({"f1": 70.0, "f2": 60.0, "e1": 60.0})
    assert found.question_dimension == {
        "f1": "functionality",
        "f2": "functionality",
        "e1": "economy",
    }


def test_question_performance_is_combined_as_s():
    online = frame_from_rows(
        QUESTIONS,
        [
            dict(channel="in_person", answers=[5, 5, 5, 5]),
            dict(channel="online", answers=[3, 3, 3, 3]),
        ],
    )
    # ω = ½: f1 = ½·100 + ½·60
    assert compute_scores(online, SurveyParams()).items["f1"] == pytest.approx(80)


def test_without_an_overall_question_the_other_dimensions_are_the_criterion():
    qs = QUESTIONS[:3]
    found = compute_drivers(frame([r[:3] for r in ROWS[:4]], qs), SurveyParams())
    assert found.basis == "other_dimensions"
    # functionality against economy alone (the only other dimension) and back: the same r
    r = found.dimensions["functionality"].r
    assert r == pytest.approx(found.dimensions["economy"].r)
    # (80, 80, 40, 60) against (80, 20, 80, 60): Σxy = 15·20 + 15·-40 + -25·20 + 0 = -800
    assert r == pytest.approx(-800 / math.sqrt(1100 * 2400))


def test_the_nps_question_is_the_criterion_when_there_is_no_overall_one():
    qs = (*QUESTIONS[:3], Question("nps", "推荐", "nps", "nps", None))
    rows = [[5, 5, 5, 10], [4, 4, 4, 7], [2, 2, 2, 0], [3, 3, 3, 6]]
    found = compute_drivers(frame(rows, qs), SurveyParams())
    assert found.basis == "nps_question:nps"
    x, y = np.array([100, 80, 40, 60.0]), np.array([10, 7, 0, 6.0])
    assert found.dimensions["functionality"].r == pytest.approx(np.corrcoef(x, y)[0, 1])


def test_everyone_alike_has_no_importance():
    found = compute_drivers(frame([[4, 4, 4, 5], [4, 4, 4, 3], [4, 4, 4, 4]]), SurveyParams())
    assert found.dimensions["functionality"].r is None
    assert found.dimensions["functionality"].n == 3


def test_quadrants_split_at_the_means():
    points = {
        "a": (0.8, 60.0),
        "b": (0.7, 90.0),
        "c": (0.2, 50.0),
        "d": (0.3, 95.0),
        "e": (None, 70.0),
    }
    assert split_points(points) == pytest.approx((0.5, 73.75))
    assert split_points({"x": (None, 1.0)}) == (None, None)
    assert quadrants(points) == {
        "a": "fix_first",
        "b": "keep_up",
        "c": "low_priority",
        "d": "possible_overkill",
        "e": None,
    }
    assert set(QUADRANTS.values()) == set(vocabulary.ids("driver_quadrant"))
