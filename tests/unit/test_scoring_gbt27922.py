"""dni-2026 (seed 000) and icas-27922 (seed 002): exclusions, deductions, bonus, level bands."""

from __future__ import annotations

from decimal import Decimal

import pytest

from surveyapp.schemes import evaluate_input, load_scheme
from surveyapp.scoring import InputError


def full_scores(scheme_id: str) -> dict:
    """Every item at its maximum."""
    return {i.id: float(i.points) for i in load_scheme(scheme_id).items if i.points > 0}


def scores_totalling(scheme_id: str, total: str) -> dict:
    """Full marks, minus a deficit taken from freely scored items, so that the sum is `total`."""
    scheme = load_scheme(scheme_id)
    deficit = scheme.max_points - Decimal(total)
    out = full_scores(scheme_id)
    for item in scheme.items:
        if deficit <= 0:
            break
        if item.mode == "options" or item.points == 0:
            continue
        take = min(item.points, deficit)
        out[item.id] = float(item.points - take)
        deficit -= take
    assert deficit == 0
    return out


def run(scheme_id: str, **fields) -> dict:
    data = {"scheme": scheme_id, "scores": fields.pop("scores", None) or full_scores(scheme_id)}
    data.update(fields)
    return evaluate_input(data)


SCHEMES = ["dni-2026", "icas-27922"]


@pytest.mark.parametrize("scheme_id", SCHEMES)
@pytest.mark.parametrize(
    ("total", "expected"),
    [
        ("100", "five_star"),
        ("95", "five_star"),
        ("94.99", "four_star"),
        ("90", "four_star"),
        ("89.99", "three_star"),
        ("80", "three_star"),
        ("79.99", "compliant"),
        ("70", "compliant"),
        ("69.99", "fail"),
        ("45", "fail"),
    ],
)
def test_level_bands(scheme_id, total, expected):
    result = run(scheme_id, scores=scores_totalling(scheme_id, total))
    assert result["score"] == float(total)
    assert result["level"] == expected


@pytest.mark.parametrize("scheme_id", SCHEMES)
def test_level_names(scheme_id):
    assert run(scheme_id)["level_name"] == "五星级"
    assert run(scheme_id, scores=scores_totalling(scheme_id, "70"))["level_name"] == "达标级"
    assert run(scheme_id, scores=scores_totalling(scheme_id, "50"))["level_name"] == "不合格"


@pytest.mark.parametrize("scheme_id", SCHEMES)
@pytest.mark.parametrize(("count", "expected"), [(4, "five_star"), (5, "fail")])
def test_five_special_deductions_fail(scheme_id, count, expected):
    deductions = [{"item": "5.2.1.1", "note": f"d{k}"} for k in range(count)]
    result = run(scheme_id, special_deductions=deductions)
    assert result["special_deductions"] == count
    assert result["score"] == 100 - count
    assert result["level"] == expected


def test_five_deductions_fail_even_at_full_marks_and_say_why():
    result = run("dni-2026", special_deductions=[{"note": "x"}] * 5)
    assert result["score"] == 95.0
    assert result["level"] == "fail"
    assert result["limited_by"] == ["special deductions 5 ≥ 5 (compliant)"]


def test_deduction_moves_a_score_across_a_band():
    result = run("dni-2026", scores=scores_totalling("dni-2026", "90.5"), special_deductions=[{}])
    assert result["score"] == 89.5
    assert result["level"] == "three_star"


# ---- seed 002 备注 3: 80 of 90 applicable → 88.88 --------------------------------------------


def icas_80_of_90() -> dict:
    """Exclude 10 points under 5.2 and score 80 of the remaining 90."""
    scores = full_scores("icas-27922")
    for item in ("5.2.4.3", "5.2.4.5", "5.2.5.3", "5.2.5.5"):  # 3 + 3 + 2 + 2 = 10 points
        scores[item] = "n/a"
    for item in ("5.3.2.2", "5.1.5.2"):  # △ items: 7 + 3 = 10 points lost
        scores[item] = 0.0 if item == "5.3.2.2" else 3.0
    return scores


def test_seed_002_example_80_of_90_is_88_88():
    result = run("icas-27922", scores=icas_80_of_90())
    assert result["computation"]["actual"] == 80
    assert result["computation"]["applicable_points"] == 90
    assert result["score"] == 88.88  # the seed truncates: 88.888… → 88.88
    assert result["level"] == "three_star"
    assert "80 / 90 × 100 = 88.88" in "".join(result["explanation_zh"])


def test_icas_truncation_decides_the_level():
    # issue 13 point 5: icas-27922 keeps truncation (seed 002 备注3 prints 88.88): 94.995 stays
    # 94.99 — four stars — where half up would print 95.00 and give five stars
    scores = full_scores("icas-27922")
    scores["5.1.2.2"] = 0.0  # △, 5 points lost
    scores["5.2.2.1"] = 1.495  # △, 0.005 of 1.5 points lost
    result = run("icas-27922", scores=scores)
    assert result["score"] == 94.99
    assert result["level"] == "four_star"
    assert result["parameters"]["rounding"] == "down"


def test_dni_rounds_half_up_where_icas_truncates():
    scores = full_scores("dni-2026")
    for item in ("5.2.4.3", "5.2.4.5", "5.2.5.3", "5.2.5.5"):
        scores[item] = "n/a"
    scores["5.3.2.2"] = 0.0
    scores["5.1.5.2"] = 3.0
    assert run("dni-2026", scores=scores)["score"] == 88.89


def test_deduction_after_rescaling():
    result = run("icas-27922", scores=icas_80_of_90(), special_deductions=[{"item": "5.2.1.1"}])
    assert result["score"] == 87.88  # 88.888… − 1, truncated


def test_bonus_after_rescaling_and_capped_at_the_maximum():
    result = run("icas-27922", scores=icas_80_of_90(), special_bonus={"note": "行业领先"})
    assert result["score"] == 89.88
    assert result["special_bonus"] == 1
    assert run("dni-2026", special_bonus={"note": "x"})["score"] == 100.0
    lifted = run("dni-2026", scores=scores_totalling("dni-2026", "94"), special_bonus={"note": "x"})
    assert lifted["score"] == 95.0
    assert lifted["level"] == "five_star"


# ---- issue 13: a bonus needs its reason ---------------------------------------------------


@pytest.mark.parametrize("scheme_id", SCHEMES)
@pytest.mark.parametrize(
    "empty", [{}, "", "   ", {"note": ""}, {"note": "   "}, {"note": None}, True]
)
def test_empty_bonus_is_refused_not_counted(scheme_id, empty):
    with pytest.raises(InputError) as e:
        run(scheme_id, special_bonus=empty)
    assert e.value.field == "special_bonus"
    assert "a special bonus needs its reason" in str(e.value)


def test_bonus_without_a_reason_in_a_list_names_the_entry():
    with pytest.raises(InputError) as e:
        run("icas-27922", special_bonus=[{"note": " "}])
    assert e.value.field == "special_bonus[0]"
    assert "needs its reason" in str(e.value)


@pytest.mark.parametrize("scheme_id", SCHEMES)
def test_null_or_absent_bonus_is_none(scheme_id):
    partial = scores_totalling(scheme_id, "90")
    for result in (
        run(scheme_id, scores=partial, special_bonus=None),
        run(scheme_id, scores=dict(partial)),
    ):
        assert result["special_bonus"] == 0
        assert result["score"] == 90.0


@pytest.mark.parametrize("scheme_id", SCHEMES)
@pytest.mark.parametrize("bonus", [{"note": "响应时间行业领先"}, "响应时间行业领先"])
def test_bonus_with_its_reason_counts(scheme_id, bonus):
    result = run(scheme_id, scores=scores_totalling(scheme_id, "90"), special_bonus=bonus)
    assert result["special_bonus"] == 1
    assert result["score"] == 91.0


def test_at_most_one_bonus():
    with pytest.raises(InputError) as e:
        run("dni-2026", special_bonus=[{"note": "a"}, {"note": "b"}])
    assert e.value.field == "special_bonus"


# ---- exclusions -------------------------------------------------------------------------------


@pytest.mark.parametrize("scheme_id", SCHEMES)
def test_only_items_under_5_2_may_be_excluded(scheme_id):
    scores = full_scores(scheme_id)
    scores["5.2.6.1"] = "n/a"
    assert run(scheme_id, scores=scores)["level"] == "five_star"
    for item in ("5.1.1.1", "5.3.2.2"):
        bad = {**full_scores(scheme_id), item: "n/a"}
        with pytest.raises(InputError) as e:
            run(scheme_id, scores=bad)
        assert e.value.field == f"scores.{item}"
        assert "only items under 5.2" in str(e.value)


def test_excluding_all_of_5_2_rescales_over_65_points():
    scores = full_scores("dni-2026")
    for item in [k for k in scores if k.startswith("5.2.")]:
        scores[item] = "n/a"
    result = run("dni-2026", scores=scores)
    assert result["computation"]["applicable_points"] == 65
    assert result["score"] == 100
    assert result["groups"]["5.2"]["ratio"] is None


# ---- dni-2026 maturity percentages (§6.1.3, 附录C) ---------------------------------------------


@pytest.mark.parametrize("value", ["80%", {"pct": 80}, " 80 % ", 2.4, [2.4], ["80%", {"pct": 80}]])
def test_maturity_forms(value):
    result = run("dni-2026", scores={**full_scores("dni-2026"), "5.2.4.3": value})
    assert result["computation"]["items"]["5.2.4.3"] == 2.4
    assert result["score"] == 99.4


def test_dni_auditor_mean_mixes_forms():
    result = run("dni-2026", scores={**full_scores("dni-2026"), "5.3.2.2": ["50%", 7]})
    assert result["computation"]["items"]["5.3.2.2"] == 5.25


@pytest.mark.parametrize("value", ["120%", {"pct": 101}, "100.01%"])
def test_percentage_above_100_rejected(value):
    with pytest.raises(InputError) as e:
        run("dni-2026", scores={**full_scores("dni-2026"), "5.2.4.3": value})
    assert e.value.field == "scores.5.2.4.3"
    assert "outside 0–100%" in str(e.value)


@pytest.mark.parametrize("value", ["-5%", " -5 % ", {"pct": -5}, {"pct": -0.01}])
def test_negative_percentage_rejected_as_negative(value):
    # issue 13: say "negative", not "outside 0–100%" nor a failure to read "-5%"
    with pytest.raises(InputError) as e:
        run("dni-2026", scores={**full_scores("dni-2026"), "5.2.4.3": value})
    assert e.value.field == "scores.5.2.4.3"
    assert "negative percentage" in str(e.value)


def test_negative_percentage_of_one_auditor_names_that_value():
    with pytest.raises(InputError) as e:
        run("dni-2026", scores={**full_scores("dni-2026"), "5.2.4.3": ["80%", "-5%"]})
    assert e.value.field == "scores.5.2.4.3[1]"
    assert "negative" in str(e.value)


@pytest.mark.parametrize("value", ["0%", {"pct": 0}, "100%", {"pct": 100}])
def test_percentage_bounds_are_accepted(value):
    result = run("dni-2026", scores={**full_scores("dni-2026"), "5.2.4.3": value})
    assert result["computation"]["items"]["5.2.4.3"] in (0.0, 3.0)


def test_icas_does_not_take_percentages():
    with pytest.raises(InputError) as e:
        run("icas-27922", scores={**full_scores("icas-27922"), "5.2.4.3": "80%"})
    assert "maturity" in str(e.value)


# ---- icas-27922 discrete options (seed 002) -------------------------------------------------


@pytest.mark.parametrize(
    ("item", "value", "ok"),
    [
        ("5.1.2.1", 1, True),
        ("5.1.2.1", 0, True),
        ("5.1.2.1", 0.5, False),  # 1 / 0 only
        ("5.1.6.1", 1, True),  # 1 + 1 additive rows
        ("5.2.2.4", 1.5, True),
        ("5.2.2.4", 1, False),
        ("5.3.1.1", 2, True),
        ("5.3.1.1", 2.5, False),
        ("5.1.2.2", 3.7, True),  # △: proportional, any value 0–5
        ("5.2.2.1", 0.25, True),  # △
    ],
)
def test_icas_options(item, value, ok):
    scores = {**full_scores("icas-27922"), item: value}
    if ok:
        run("icas-27922", scores=scores)
    else:
        with pytest.raises(InputError) as e:
            run("icas-27922", scores=scores)
        assert e.value.field == f"scores.{item}"
        assert "options" in str(e.value)


def test_icas_star_option_is_zero_plus_a_deduction():
    with pytest.raises(InputError) as e:
        run("icas-27922", scores={**full_scores("icas-27922"), "5.2.1.1": -1})
    assert "special_deductions" in str(e.value)
    result = run(
        "icas-27922",
        scores={**full_scores("icas-27922"), "5.2.1.1": 0},
        special_deductions=[{"item": "5.2.1.1"}],
    )
    assert result["score"] == 98.0
    assert result["warnings"] == []


def test_icas_star_item_at_zero_without_deduction_warns():
    result = run("icas-27922", scores={**full_scores("icas-27922"), "5.2.1.1": 0})
    assert result["warnings"] and "5.2.1.1" in result["warnings"][0]


def test_zero_point_row_is_optional():
    scores = full_scores("icas-27922")
    assert "5.1.1.3" not in scores
    assert run("icas-27922", scores=scores)["score"] == 100


def test_groups_are_the_first_level_indicators():
    result = run("dni-2026", scores=scores_totalling("dni-2026", "96"))
    assert set(result["groups"]) == {"5.1", "5.2", "5.3"}
    assert result["groups"]["5.1"]["max"] == 40
    assert result["groups"]["5.1"]["score"] == 36.0
