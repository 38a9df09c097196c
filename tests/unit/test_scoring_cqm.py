"""cqm-2019 (seed 001 §6): worked examples of §6.3 注1 and the boundaries of every level."""

from __future__ import annotations

import pytest

from surveyapp.schemes import evaluate_input
from surveyapp.scoring import InputError

FULL = {
    "4.1.1": 10,
    "4.1.2": 15,
    "4.1.3": 10,
    "4.1.4": 25,
    "4.1.5": 15,
    "4.1.6": 7,
    "4.1.7": 8,
    "4.1.8": 10,
}


def make_cqm(**overrides) -> dict:
    """A five-star cqm-2019 input; keyword arguments replace top-level fields."""
    data = {
        "scheme": "cqm-2019",
        "evaluation_date": "2026-10-15",
        "scores": dict(FULL),
        "management_audit": {"passed": True, "severe_nonconformities": 0},
        "survey": {"S": 95.0, "S_in_person": 95.0},
        "organization": {"operating_since": "2020-01-01"},
        "events": [],
    }
    data.update(overrides)
    return data


def scores(**changes) -> dict:
    """FULL with some items changed: scores(**{"4.1.1": 7})."""
    return {**FULL, **changes}


def level(data: dict) -> str:
    return evaluate_input(data)["level"]


def test_full_marks_is_five_star_with_nothing_limiting():
    result = evaluate_input(make_cqm())
    assert result["level"] == "five_star"
    assert result["level_name"] == "五星级"
    assert result["score"] == 100
    assert result["max_score"] == 100
    assert result["limited_by"] == []
    assert set(result["groups"]) == set(FULL)
    assert result["groups"]["4.1.4"] == {
        "title": "技术支持",
        "score": 25.0,
        "max": 25,
        "ratio": 1.0,
    }


# ---- §6.3 注1 worked examples -----------------------------------------------------------------


def test_example_1_in_person_75_gives_three_star():
    result = evaluate_input(make_cqm(survey={"S": 95.0, "S_in_person": 75}))
    assert result["level"] == "three_star"
    assert result["level_name"] == "三星级"
    assert result["limited_by"] == ["S_in_person 75.00 < 80 (four_star)"]


def test_example_2_one_rectified_major_complaint_gives_four_star():
    events = [{"type": "major_complaint", "date": "2026-03-01", "rectified": True}]
    result = evaluate_input(make_cqm(events=events))
    assert result["level"] == "four_star"
    assert len(result["limited_by"]) == 1
    assert result["limited_by"][0].startswith("major_complaint within 24 months: 1")
    assert result["limited_by"][0].endswith("(five_star)")


def test_example_3_one_first_level_indicator_at_70_percent_gives_three_star():
    result = evaluate_input(make_cqm(scores=scores(**{"4.1.1": 7})))
    assert result["score"] == 97
    assert result["level"] == "three_star"
    assert result["limited_by"] == ["first-level indicators 4.1.1 70.00% < 80% (four_star)"]


def test_example_4_free_services_is_not_encoded():
    # §6.3 注1 例4 names no rule of the §6.2 table: nothing in the input can express it.
    with pytest.raises(InputError) as e:
        evaluate_input(make_cqm(free_services=2))
    assert e.value.field == "free_services"


# ---- X boundaries -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("x_loss", "expected"),
    [
        (0, "five_star"),
        (10.0, "five_star"),  # X = 90.00
        (10.01, "four_star"),  # X = 89.99
        (20.0, "four_star"),  # X = 80.00
        (20.01, "three_star"),
        (30.0, "three_star"),
        (30.01, "two_star"),
        (40.0, "two_star"),
        (40.01, "one_star"),
        (50.0, "one_star"),
        (50.01, "none"),
    ],
)
def test_x_boundaries(x_loss, expected):
    # spread the loss so that the per-indicator ratios never decide (all at the same ratio)
    factor = 1 - x_loss / 100
    data = make_cqm(scores={k: v * factor for k, v in FULL.items()})
    # ratios equal X%: at four/three stars the ratio rule is exactly as strict as X
    assert level(data) == expected


def test_x_rounding_half_up_89_995_is_90():
    # every indicator at 89.995 %: X = 89.995 → 90.00, each ratio 89.995 % → 90.00 %
    at = {k: float(f"{v * 0.89995:.6f}") for k, v in FULL.items()}
    result = evaluate_input(make_cqm(scores=at))
    assert result["score"] == 90.0
    assert result["level"] == "five_star"
    below = {k: float(f"{v * 0.89994:.6f}") for k, v in FULL.items()}
    result = evaluate_input(make_cqm(scores=below))
    assert result["score"] == 89.99
    assert result["level"] == "four_star"


def test_group_ratio_exactly_90_percent_on_a_7_point_indicator():
    # 6.3 / 7 is 0.8999999… in binary floating point; exactly 90 % in decimal.
    assert level(make_cqm(scores=scores(**{"4.1.6": 6.3}))) == "five_star"
    assert level(make_cqm(scores=scores(**{"4.1.6": 6.29}))) == "four_star"


def test_multi_auditor_mean():
    result = evaluate_input(make_cqm(scores=scores(**{"4.1.2": [14, 13]})))
    assert result["groups"]["4.1.2"]["score"] == 13.5
    assert result["score"] == 98.5
    assert result["level"] == "five_star"  # 13.5 / 15 = 90 %


# ---- survey boundaries ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("s", "s_in_person", "expected"),
    [
        (90, 90, "five_star"),
        (89.99, 95, "four_star"),
        (95, 89.99, "four_star"),
        (89.995, 90, "five_star"),  # rounds half up to 90.00
        (80, 80, "four_star"),
        (79.99, 95, "three_star"),
        (70, 70, "three_star"),
        (95, 69.99, "two_star"),  # two stars need no S_in_person
        (69.99, 95, "two_star"),
        (60, 0, "two_star"),
        (59.99, 95, "one_star"),  # one star needs no survey figure
        (0, 0, "one_star"),
    ],
)
def test_survey_boundaries(s, s_in_person, expected):
    assert level(make_cqm(survey={"S": s, "S_in_person": s_in_person})) == expected


# ---- management audit -------------------------------------------------------------------------


def test_audit_not_passed_gives_none():
    result = evaluate_input(make_cqm(management_audit={"passed": False}))
    assert result["level"] == "none"
    assert result["level_name"] == "未达到星级"
    assert result["limited_by"] == ["management audit not passed (one_star)"]


def test_severe_nonconformity_only_blocks_five_star():
    data = make_cqm(management_audit={"passed": True, "severe_nonconformities": 1})
    result = evaluate_input(data)
    assert result["level"] == "four_star"
    assert result["limited_by"] == ["severe nonconformities 1 > 0 (five_star)"]


# ---- operating time ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("since", "expected"),
    [
        ("2025-10-15", "five_star"),  # exactly 12 months
        ("2025-10-16", "three_star"),  # one day short of a year: 6 months+ → three stars
        ("2026-04-15", "three_star"),  # exactly 6 months
        ("2026-04-16", "one_star"),  # one day short of 6 months: nothing but one star
    ],
)
def test_operating_time_boundaries(since, expected):
    assert level(make_cqm(organization={"operating_since": since})) == expected


def test_operating_months_clamp_at_month_end():
    data = make_cqm(evaluation_date="2026-02-28", organization={"operating_since": "2025-08-31"})
    assert level(data) == "three_star"  # 31 Aug + 6 months = 28 Feb (clamped): exactly 6 months


# ---- events and their windows -----------------------------------------------------------------


def ev(kind: str, day: str, rectified: bool = False) -> dict:
    return {"type": kind, "date": day, "rectified": rectified}


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        ("2024-10-14", "five_star"),  # one day outside the 2-year window
        ("2024-10-15", "four_star"),  # first day of the window (inclusive)
        ("2024-10-16", "four_star"),  # one day inside the 2-year window
        ("2025-10-14", "four_star"),  # outside the 1-year window
        ("2025-10-15", "none"),  # inside 1 year: no level from two stars up; one star needs X only
        ("2026-10-15", "none"),
    ],
)
def test_liability_accident_windows(day, expected):
    expected = "one_star" if expected == "none" else expected
    assert level(make_cqm(events=[ev("liability_accident", day)])) == expected


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        ("2024-10-14", "five_star"),
        ("2024-10-16", "four_star"),
        ("2025-10-14", "four_star"),
        ("2025-10-16", "one_star"),  # negative publicity within 1 year blocks two to four stars
    ],
)
def test_negative_publicity_windows(day, expected):
    assert level(make_cqm(events=[ev("negative_publicity", day)])) == expected


@pytest.mark.parametrize(
    ("complaints", "expected"),
    [
        ([], "five_star"),
        ([("2026-01-01", True)], "four_star"),
        ([("2026-01-01", False)], "one_star"),  # not rectified: no level allows it
        ([("2026-01-01", True), ("2026-02-01", True)], "three_star"),
        ([("2026-01-01", True)] * 3, "two_star"),
        ([("2026-01-01", True)] * 4, "one_star"),
        # issue 13: the 2-year window at every level (was 1 year at four/three/two stars)
        ([("2025-10-14", False)], "one_star"),  # 1 year + 1 day before, unrectified: still counts
        ([("2024-10-15", False)], "one_star"),  # first day of the 2-year window (inclusive)
        ([("2024-10-14", False)], "five_star"),  # one day outside the 2-year window
    ],
)
def test_major_complaint_counts(complaints, expected):
    events = [ev("major_complaint", d, r) for d, r in complaints]
    assert level(make_cqm(events=events)) == expected


# ---- issue 13: major complaints over the 2 years before the on-site evaluation, every level ---


def major_complaint_criteria(result: dict) -> dict:
    """level -> met, for the major-complaint criterion of each level that has one."""
    return {
        c["level"]: c["met"]
        for c in result["criteria"]
        if c["criterion"] == "events.major_complaint"
    }


def test_major_complaint_window_is_24_months_at_every_level():
    result = evaluate_input(make_cqm())
    windows = {
        c["level"]: c["required"]
        for c in result["criteria"]
        if c["criterion"] == "events.major_complaint"
    }
    assert set(windows) == {"five_star", "four_star", "three_star", "two_star"}
    assert all("since 2024-10-15 (24 months)" in w for w in windows.values())


def test_rectified_complaint_23_months_before_still_counts_at_four_stars():
    # evaluation 2026-10-15; 2024-11-15 is 23 months before: inside the window, so with a
    # recent one there are 2 rectified complaints (> 1 at four stars, ≤ 2 at three stars)
    events = [ev("major_complaint", "2024-11-15", True), ev("major_complaint", "2026-03-01", True)]
    result = evaluate_input(make_cqm(events=events))
    assert result["level"] == "three_star"
    assert result["limited_by"] == [
        "major_complaint within 24 months: 2 (2 rectified) > 1 (four_star)"
    ]
    alone = evaluate_input(make_cqm(events=[ev("major_complaint", "2024-11-15", True)]))
    assert alone["level"] == "four_star"  # 例2: one rectified major complaint → four stars
    assert alone["limited_by"][0].endswith("(five_star)")


def test_complaint_25_months_before_is_not_counted():
    # 2024-09-15 is 25 months before the evaluation: outside the window at every level
    events = [ev("major_complaint", "2024-09-15", True), ev("major_complaint", "2026-03-01", True)]
    assert level(make_cqm(events=events)) == "four_star"  # only the recent one counts
    unrectified = [ev("major_complaint", "2024-09-15", False)]
    result = evaluate_input(make_cqm(events=unrectified))
    assert result["level"] == "five_star"
    assert all(major_complaint_criteria(result).values())


def test_unrectified_complaint_18_months_before_fails_four_three_and_two_stars():
    result = evaluate_input(make_cqm(events=[ev("major_complaint", "2025-04-15", False)]))
    assert major_complaint_criteria(result) == {
        "five_star": False,
        "four_star": False,
        "three_star": False,
        "two_star": False,
    }
    assert result["level"] == "one_star"  # one star has no event criterion (§6.2 序号5)
    assert result["limited_by"] == [
        "major_complaint within 24 months: 1 (0 rectified) 1 not rectified (two_star)"
    ]
    rectified = evaluate_input(make_cqm(events=[ev("major_complaint", "2025-04-15", True)]))
    assert rectified["level"] == "four_star"


def test_every_criterion_of_every_level_is_reported():
    result = evaluate_input(make_cqm())
    levels = [c["level"] for c in result["criteria"]]
    assert levels.count("five_star") == 10
    assert levels.count("four_star") == 9
    assert levels.count("three_star") == 9
    assert levels.count("two_star") == 7
    assert levels.count("one_star") == 2
    assert all(c["met"] for c in result["criteria"])
    first = result["criteria"][0]
    assert first == {
        "level": "five_star",
        "criterion": "score",
        "kind": "score_at_least",
        "required": "≥ 90",
        "actual": "100.00",
        "met": True,
        "clause": "§6.2 序号1 服务特性测评总分",
        "text_zh": "服务特性测评总分 X为 100.00 分，要求 ≥ 90 分",
        "summary": "score 100.00 ≥ 90",
    }


def test_limited_by_lists_every_failed_criterion_of_the_next_level():
    data = make_cqm(
        scores=scores(**{"4.1.1": 7}),
        survey={"S": 95, "S_in_person": 75},
    )
    result = evaluate_input(data)
    assert result["level"] == "three_star"
    assert result["limited_by"] == [
        "first-level indicators 4.1.1 70.00% < 80% (four_star)",
        "S_in_person 75.00 < 80 (four_star)",
    ]


def test_explanation_in_chinese_names_the_reason():
    result = evaluate_input(make_cqm(survey={"S": 95.0, "S_in_person": 75}))
    text = "".join(result["explanation_zh"])
    assert "三星级" in text
    assert "未能评为四星级" in text
    assert "S当面 为 75.00 分" in text


def test_parameters_carry_the_scheme_hash():
    result = evaluate_input(make_cqm())
    assert result["parameters"]["scheme"] == "cqm-2019"
    assert len(result["parameters"]["scheme_sha256"]) == 64


def test_survey_is_required():
    data = make_cqm()
    del data["survey"]
    with pytest.raises(InputError) as e:
        evaluate_input(data)
    assert e.value.field == "survey"


def test_s_in_person_is_required():
    with pytest.raises(InputError) as e:
        evaluate_input(make_cqm(survey={"S": 95}))
    assert e.value.field == "survey.S_in_person"


def test_survey_argument_replaces_the_input_survey():
    data = make_cqm(survey={"S": 10, "S_in_person": 10})
    assert evaluate_input(data, survey={"S": 95, "S_in_person": 95})["level"] == "five_star"


def test_no_exclusion_in_cqm():
    with pytest.raises(InputError) as e:
        evaluate_input(make_cqm(scores=scores(**{"4.1.3": "n/a"})))
    assert e.value.field == "scores.4.1.3"
    assert "exclusion" in str(e.value)


@pytest.mark.parametrize("item", sorted(FULL))
def test_no_item_of_cqm_may_be_excluded(item):
    # issue 13 point 5: cqm-2019 keeps no exclusions (seed 001 has no 删减 rule; §6.2 needs
    # every first-level indicator at its share of points)
    with pytest.raises(InputError) as e:
        evaluate_input(make_cqm(scores=scores(**{item: "n/a"})))
    assert e.value.field == f"scores.{item}"
    assert "seed 001 (cqm-2019) defines no exclusions" in str(e.value)


def test_no_special_deductions_in_cqm():
    with pytest.raises(InputError) as e:
        evaluate_input(make_cqm(special_deductions=[{"note": "x"}]))
    assert e.value.field == "special_deductions"
    assert evaluate_input(make_cqm(special_deductions=[]))["level"] == "five_star"
