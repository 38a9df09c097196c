"""95 % intervals (bootstrap within channel, t cross-check), sufficiency and marginal marks."""

from __future__ import annotations

import math

import numpy as np
import pytest

from surveyapp.scoring.survey import Question, SurveyParams
from surveyapp.survey_math import compute_scores
from surveyapp.survey_math.synthetic import frame_from_rows, synthetic_frame

QUESTIONS = (
    Question("f1", "功能", "f1", "likert", "functionality"),
    Question("t1", "及时", "t1", "likert", "timeliness"),
)


def same_answers(n_per_channel: int, value: int = 4):
    return [
        dict(channel=c, answers=[value, value])
        for c in ("in_person", "online")
        for _ in range(n_per_channel)
    ]


def test_all_identical_sample_gives_zero_width_intervals_without_warnings():
    # filterwarnings=error: any RuntimeWarning (0/0, ddof) would fail this test
    r = compute_scores(frame_from_rows(QUESTIONS, same_answers(40)), SurveyParams())
    assert pytest.approx(80.0) == r.S
    for ci in (r.ci95, r.ci95_t):
        for key in ("S", "S_in_person", "S_online"):
            lo, hi = ci[key]
            assert lo == hi == pytest.approx(80.0)
        assert ci["dimensions"]["functionality"] == pytest.approx((80.0, 80.0))
        assert ci["dimensions"]["safety"] is None  # no question on that dimension
    assert r.half_width["S"] == 0.0
    assert r.sufficient == {"S": True, "S_in_person": True, "S_online": True}
    assert r.alpha["functionality"] is None  # one item: α undefined


def test_single_response_per_channel_has_no_t_interval_and_no_warning():
    r = compute_scores(frame_from_rows(QUESTIONS, same_answers(1)), SurveyParams())
    assert r.ci95_t["S"] is None
    assert r.ci95["S"] == pytest.approx((80.0, 80.0))
    assert r.sufficient["S"] is False


def test_t_interval_is_the_classic_one_for_one_complete_item():
    qs = QUESTIONS[:1]
    rows = [dict(channel="online", answers=[v]) for v in (5, 4, 3, 4, 5)]
    r = compute_scores(frame_from_rows(qs, rows), SurveyParams())
    # scores 100 80 60 80 100: mean 84; deviations 16 −4 −24 −4 16 → Σd² = 1120, s² = 280
    # se = √(280/5) = √56; t(0.975, 4) = 2.776445 → 84 ± 20.7767
    half = 2.776445 * math.sqrt(56.0)
    assert r.ci95_t["S_online"] == pytest.approx((84.0 - half, 84.0 + half), abs=1e-4)
    assert r.ci95_t["S"] == pytest.approx(r.ci95_t["S_online"])


def test_bootstrap_is_reproducible_with_the_seed():
    frame = synthetic_frame(600, seed=3)
    a = compute_scores(frame, SurveyParams())
    b = compute_scores(frame, SurveyParams())
    assert a.ci95 == b.ci95
    c = compute_scores(frame, SurveyParams(bootstrap_seed=1))
    assert c.ci95["S"] != a.ci95["S"]
    assert c.ci95["S"] == pytest.approx(a.ci95["S"], abs=0.5)


def test_t_interval_close_to_bootstrap_on_a_larger_sample():
    r = compute_scores(synthetic_frame(4000, seed=11), SurveyParams())
    for key in ("S", "S_in_person", "S_online"):
        (blo, bhi), (tlo, thi) = r.ci95[key], r.ci95_t[key]
        width = thi - tlo
        assert blo < r.as_dict()[key] < bhi
        assert abs(blo - tlo) < 0.1 * width and abs(bhi - thi) < 0.1 * width, key
    for dim, (tlo, thi) in r.ci95_t["dimensions"].items():
        blo, bhi = r.ci95["dimensions"][dim]
        assert abs(blo - tlo) < 0.15 * (thi - tlo), dim


def test_subsampled_bootstrap_agrees_with_the_full_one():
    frame = synthetic_frame(6000, seed=5)  # ~4200 online, ~1800 in person
    full = compute_scores(frame, SurveyParams())
    sub = compute_scores(frame, SurveyParams(), bootstrap_max_n=1000)
    assert sub.ci_method["resampled_n"] == {"in_person": 1000, "online": 1000}
    assert full.ci_method["resampled_n"]["online"] == full.n["online"]
    for key in ("S", "S_in_person", "S_online"):
        (flo, fhi), (slo, shi) = full.ci95[key], sub.ci95[key]
        width = fhi - flo
        assert abs(flo - slo) < 0.2 * width and abs(fhi - shi) < 0.2 * width, key


def test_thirty_per_channel_but_wide_interval_is_insufficient():
    # half answer 1 (20), half 5 (100): sd 40, se ≈ 40/√30 ≈ 7.3 → half-width ≈ 14 > 5
    rows = [dict(channel=c, answers=[v, v]) for c in ("in_person", "online") for v in [1, 5] * 15]
    r = compute_scores(frame_from_rows(QUESTIONS, rows), SurveyParams())
    assert r.n == {"in_person": 30, "online": 30}
    assert pytest.approx(60.0) == r.S
    assert r.half_width["S_in_person"] > 5.0
    assert r.sufficient == {"S": False, "S_in_person": False, "S_online": False}
    assert any(w.startswith("wide_interval:S_in_person") for w in r.warnings)


def test_too_few_responses_is_insufficient_even_with_zero_width():
    rows = same_answers(29)
    r = compute_scores(frame_from_rows(QUESTIONS, rows), SurveyParams())
    assert r.half_width["S"] == 0.0
    assert r.sufficient["S"] is False
    rows += [dict(channel="in_person", answers=[4, 4])]  # in_person 30, online 29
    r = compute_scores(frame_from_rows(QUESTIONS, rows), SurveyParams())
    assert r.sufficient == {"S": False, "S_in_person": True, "S_online": False}


def test_marginal_when_a_threshold_lies_inside_the_interval():
    rows = [
        dict(channel=c, answers=[v, v]) for c in ("in_person", "online") for v in [4, 5] * 20
    ]  # S = 90, interval around it
    frame = frame_from_rows(QUESTIONS, rows)
    r = compute_scores(frame, SurveyParams(thresholds=(80.0, 90.0)))
    lo, hi = r.ci95["S"]
    assert lo < 90.0 < hi
    assert r.marginal["S"] is True
    r = compute_scores(frame, SurveyParams(thresholds=(70.0,)))
    assert r.marginal == {"S": False, "S_in_person": False, "S_online": False}
    # a zero-width interval exactly on the threshold passes for sure: not marginal
    r = compute_scores(
        frame_from_rows(QUESTIONS, same_answers(30)), SurveyParams(thresholds=(80.0,))
    )
    assert r.marginal["S"] is False


def test_pooled_intervals_exist_and_contain_s():
    r = compute_scores(synthetic_frame(1500, seed=2), SurveyParams(combine="pooled"))
    lo, hi = r.ci95["S"]
    tlo, thi = r.ci95_t["S"]
    assert lo < r.S < hi and tlo < r.S < thi
    assert abs((hi - lo) - (thi - tlo)) < 0.2 * (thi - tlo)


def test_no_bootstrap_when_resamples_is_zero():
    r = compute_scores(synthetic_frame(200, seed=2), SurveyParams(bootstrap_resamples=0))
    assert r.ci95["S"] is None
    assert r.ci95_t["S"] is not None
    assert r.sufficient["S"] is False
    assert np.isfinite(r.S)


def test_interval_does_not_depend_on_the_row_order():
    frame = synthetic_frame(500, seed=8)
    order = np.random.default_rng(0).permutation(len(frame))
    shuffled = type(frame)(
        frame.meta.iloc[order].reset_index(drop=True), frame.answers[order], frame.questions
    )
    a = compute_scores(frame, SurveyParams())
    b = compute_scores(shuffled, SurveyParams())
    assert a.ci95 == b.ci95
    assert pytest.approx(a.S) == b.S
