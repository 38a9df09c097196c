"""Cronbach's α against published values, and per dimension on the questionnaire."""

from __future__ import annotations

import numpy as np
import pytest

from surveyapp.scoring.survey import Question, SurveyParams
from surveyapp.survey_math import compute_scores, cronbach_alpha
from surveyapp.survey_math.synthetic import frame_from_rows

# R's datasets::mtcars (Henderson & Velleman 1981, Motor Trend 1974), columns cyl, gear, carb,
# hp. easystats/performance asserts cronbachs_alpha(mtcars[, c("cyl", "gear", "carb", "hp")])
# = 0.09463206 (tests/testthat/test-cronbachs_alpha.R).
MTCARS_CYL_GEAR_CARB_HP = [
    (6, 4, 4, 110), (6, 4, 4, 110), (4, 4, 1, 93), (6, 3, 1, 110), (8, 3, 2, 175),
    (6, 3, 1, 105), (8, 3, 4, 245), (4, 4, 2, 62), (4, 4, 2, 95), (6, 4, 4, 123),
    (6, 4, 4, 123), (8, 3, 3, 180), (8, 3, 3, 180), (8, 3, 3, 180), (8, 3, 4, 205),
    (8, 3, 4, 215), (8, 3, 4, 230), (4, 4, 1, 66), (4, 4, 2, 52), (4, 4, 1, 65),
    (4, 3, 1, 97), (8, 3, 2, 150), (8, 3, 2, 150), (8, 3, 4, 245), (8, 3, 2, 175),
    (4, 4, 1, 66), (4, 5, 2, 91), (4, 5, 2, 113), (8, 5, 4, 264), (6, 5, 6, 175),
    (8, 5, 8, 335), (4, 4, 2, 109),
]  # fmt: skip


def test_alpha_matches_the_published_mtcars_value():
    data = np.array(MTCARS_CYL_GEAR_CARB_HP, dtype=float)
    assert data.mean(axis=0) == pytest.approx([6.1875, 3.6875, 2.8125, 146.6875])  # as in R
    assert cronbach_alpha(data) == pytest.approx(0.09463206, abs=1e-8)


def test_alpha_matches_a_small_likert_example_by_hand():
    # GeeksforGeeks "How to Calculate Cronbach's Alpha in R" (ltm::cronbach.alpha → 0.231):
    x = np.array([
        [1, 2, 1, 2, 1, 2, 1, 3, 3, 1, 4],
        [1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3],
        [2, 1, 3, 1, 2, 3, 3, 4, 4, 2, 1],
    ]).T  # fmt: skip
    # item variances 1.2 + 1.254545 + 1.290909 = 3.745455; total variance 4.763636
    # α = 3/2 · (1 − 3.745455/4.763636) = 0.230769 (= 3/13)
    assert cronbach_alpha(x) == pytest.approx(3 / 13)


def test_alpha_uses_complete_cases_and_guards_degenerate_input():
    x = np.array([[1, 2], [2, 3], [3, 5], [np.nan, 1]])
    assert cronbach_alpha(x) == pytest.approx(cronbach_alpha(x[:3]))
    assert cronbach_alpha(np.ones((5, 3))) is None  # no variance
    assert cronbach_alpha(np.array([[1.0, 2.0]])) is None  # one case
    assert cronbach_alpha(np.array([[1.0], [2.0]])) is None  # one item


def test_dimension_alpha_equals_cronbach_on_the_mapped_scores():
    rng = np.random.default_rng(4)
    qs = tuple(Question(f"s{i}", "安全", "s", "likert", "safety") for i in range(3)) + (
        Question("c1", "舒适", "c", "likert", "comfort"),
    )
    base = rng.integers(2, 6, 300)
    ans = np.clip(base[:, None] + rng.integers(-1, 2, (300, 4)), 1, 5).astype(object)
    ans[rng.random((300, 4)) < 0.1] = None  # some N/A: complete cases only
    rows = [dict(channel="online", answers=list(a)) for a in ans]
    r = compute_scores(frame_from_rows(qs, rows), SurveyParams())
    # expected: the same rows mapped with the default scale (v → 20·v), complete cases
    valid = [a for a in ans if sum(v is not None for v in a) >= 2]
    scored = np.array([[np.nan if v is None else 20.0 * v for v in a[:3]] for a in valid])
    assert r.alpha["safety"] == pytest.approx(cronbach_alpha(scored), abs=1e-10)
    assert r.alpha["comfort"] is None  # a single item
    assert r.alpha["economy"] is None  # no items


def test_low_alpha_is_a_warning_not_a_score_input():
    qs = tuple(Question(f"e{i}", "经济", "e", "likert", "economy") for i in range(2))
    rows = [dict(channel="online", answers=a) for a in ([5, 1], [1, 4], [4, 2], [2, 5], [3, 3])]
    r = compute_scores(frame_from_rows(qs, rows), SurveyParams())
    # item variances 2.5 and 2.5 (raw answers); totals 6 5 6 7 6 → variance 0.5
    # α = 2/1 · (1 − 5/0.5) = −18 (α is scale-free under the linear 20·v mapping)
    assert r.alpha["economy"] == pytest.approx(-18.0)
    assert any(w.startswith("low_alpha:economy") for w in r.warnings)
    assert pytest.approx(60.0) == r.S
