"""Input validation: every bad input is an InputError that names its field."""

from __future__ import annotations

import pytest

from surveyapp.schemes import evaluate_input
from surveyapp.scoring import InputError

FULL = {"4.1.1": 10, "4.1.2": 15, "4.1.3": 10, "4.1.4": 25, "4.1.5": 15, "4.1.6": 7, "4.1.7": 8}


def make(**overrides) -> dict:
    data = {
        "scheme": "cqm-2019",
        "evaluation_date": "2026-10-15",
        "scores": {**FULL, "4.1.8": 10},
        "management_audit": {"passed": True, "severe_nonconformities": 0},
        "survey": {"S": 95.0, "S_in_person": 95.0},
        "organization": {"operating_since": "2020-01-01"},
    }
    data.update(overrides)
    return data


def error(data: dict) -> InputError:
    with pytest.raises(InputError) as e:
        evaluate_input(data)
    return e.value


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        (
            make(scores={**FULL, "4.1.8": 10, "4.1.9": 1}),
            "scores.4.1.9",
            "unknown item id for scheme cqm-2019",
        ),
        (make(scores={**FULL, "4.1.8": 11}), "scores.4.1.8", "above the item's maximum of 10"),
        (make(scores={**FULL, "4.1.8": -1}), "scores.4.1.8", "negative points"),
        (make(scores={**FULL, "4.1.8": [10, -0.5]}), "scores.4.1.8[1]", "negative"),
        (make(scores={**FULL, "4.1.8": "n/a"}), "scores.4.1.8", "exclusion (n/a) not allowed"),
        (make(scores={**FULL, "4.1.8": None}), "scores.4.1.8", "null"),
        (make(scores={**FULL, "4.1.8": "ten"}), "scores.4.1.8", "expected points"),
        (make(scores={**FULL, "4.1.8": True}), "scores.4.1.8", "boolean"),
        (make(scores={**FULL, "4.1.8": []}), "scores.4.1.8", "empty list"),
        (make(scores=FULL), "scores.4.1.8", "missing score"),
        (make(scores=None), "scores", "missing required field"),
        (make(scores=[1, 2]), "scores", "expected an object"),
        (make(evaluation_date="2026-13-01"), "evaluation_date", "malformed date"),
        (make(evaluation_date="15/10/2026"), "evaluation_date", "malformed date"),
        (make(evaluation_date="20261015"), "evaluation_date", "malformed date"),
        (make(evaluation_date=None), "evaluation_date", "missing required field"),
        (make(organization={}), "organization.operating_since", "missing required field"),
        (
            make(organization={"operating_since": "2020-02-30"}),
            "organization.operating_since",
            "no such day",
        ),
        (make(management_audit=None), "management_audit", "missing required field"),
        (
            make(management_audit={"severe_nonconformities": 0}),
            "management_audit.passed",
            "missing",
        ),
        (make(management_audit={"passed": "yes"}), "management_audit.passed", "true or false"),
        (make(survey=None), "survey", "missing required field"),
        (make(survey={"S": 101, "S_in_person": 90}), "survey.S", "outside 0–100"),
        (make(survey={"S": None, "S_in_person": 90}), "survey.S", "missing required field"),
        (
            make(survey={"S": 90, "S_in_person": 90, "dimensions": {"beauty": 1}}),
            "survey.dimensions.beauty",
            "unknown dimension",
        ),
        (
            make(events=[{"type": "fire", "date": "2026-01-01"}]),
            "events[0].type",
            "unknown event type",
        ),
        (make(events=[{"type": "major_complaint"}]), "events[0].date", "missing"),
        (
            make(events=[{"type": "major_complaint", "date": "2026-1-1"}]),
            "events[0].date",
            "malformed date",
        ),
        (
            make(events=[{"type": "major_complaint", "date": "2026-11-01"}]),
            "events[0].date",
            "after evaluation_date",
        ),
        (
            make(events=[{"type": "major_complaint", "date": "2026-01-01", "rectified": "yes"}]),
            "events[0].rectified",
            "true or false",
        ),
        (make(scheme="cqm-2018"), "scheme", "unknown scheme"),
        (make(scheme=None), "scheme", "missing required field"),
        (make(special_bonus={"note": "x"}), "special_bonus", "no special bonus"),
        (make(special_bonus={}), "special_bonus", "cqm-2019 has no special bonus"),
        (make(special_deductions=["x"]), "special_deductions", "seed 001 defines none"),
        (make(score={}), "score", "unknown field"),
    ],
)
def test_bad_input_names_the_field(data, field, words):
    e = error(data)
    assert e.field == field
    assert words in str(e)
    assert str(e).startswith(f"{field}: ")


def test_unknown_item_message_matches_the_contract_example():
    e = error(make(scores={**FULL, "4.1.8": 10, "4.1.9": 1}))
    assert str(e) == "scores.4.1.9: unknown item id for scheme cqm-2019"


def test_dni_exclusion_outside_5_2_names_the_rule():
    scores = {"5.1.1.1": "n/a"}
    e = error({"scheme": "dni-2026", "scores": scores})
    assert e.field == "scores.5.1.1.1"
    assert "seed 000 §6.1.5" in str(e)


def test_deduction_naming_an_unknown_item():
    from surveyapp.schemes import load_scheme

    scores = {i.id: float(i.points) for i in load_scheme("dni-2026").items}
    e = error({"scheme": "dni-2026", "scores": scores, "special_deductions": [{"item": "9.9"}]})
    assert e.field == "special_deductions[0].item"


TINY_ALL_EXCLUDABLE = """
id = "tiny"
title = "小方案"
source = "test"
version = "1"
max_points = 10
[exclusions]
allowed = "all"
[fallback]
id = "fail"
name = "不合格"
[[items]]
id = "1"
title = "甲"
points = 4
[[items]]
id = "2"
title = "乙"
points = 6
[[levels]]
id = "compliant"
name = "达标级"
  [[levels.criteria]]
  kind = "score_at_least"
  min = 7
"""


def test_everything_excluded_is_an_error(tmp_path):
    # no shipped scheme can exclude every item any more (xh-2025's 服务结果 items are always
    # scored, issue 13), so a scheme that allows it is written here
    from surveyapp.schemes import load_scheme_file

    path = tmp_path / "tiny.toml"
    path.write_text(TINY_ALL_EXCLUDABLE, encoding="utf-8")
    scheme = load_scheme_file(path)
    with pytest.raises(InputError) as e:
        evaluate_input({"scores": {"1": "n/a", "2": "n/a"}}, scheme=scheme)
    assert e.value.field == "scores"
    assert "every item is excluded" in str(e.value)
    assert evaluate_input({"scores": {"1": "n/a", "2": 6}}, scheme=scheme)["score"] == 10


def test_xh_cannot_exclude_everything():
    from surveyapp.schemes import load_scheme

    scores = {i.id: "n/a" for i in load_scheme("xh-2025").items}
    e = error({"scheme": "xh-2025", "scores": scores})
    assert e.field == "scores.36733.3.1"  # the first 服务结果 item: never excluded


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        ({"special_bonus": {}}, "special_bonus", "needs its reason"),
        ({"special_bonus": {"note": "  "}}, "special_bonus", "needs its reason"),
        ({"special_bonus": {"note": 3}}, "special_bonus.note", "expected text"),
        ({"special_bonus": 1}, "special_bonus", "expected null or an object"),
        ({"special_bonus": [{"note": "a"}, {}]}, "special_bonus", "at most 1"),
        ({"scores": {"5.2.4.3": "-5%"}}, "scores.5.2.4.3", "negative percentage (-5%)"),
        ({"scores": {"5.2.4.3": {"pct": -5}}}, "scores.5.2.4.3", "negative percentage (-5%)"),
        ({"scores": {"5.2.4.3": {"pct": 120}}}, "scores.5.2.4.3", "outside 0–100%"),
    ],
)
def test_bad_dni_input_names_the_field(data, field, words):
    from surveyapp.schemes import load_scheme

    full = {i.id: float(i.points) for i in load_scheme("dni-2026").items}
    e = error({"scheme": "dni-2026", **data, "scores": {**full, **data.get("scores", {})}})
    assert e.field == field
    assert words in str(e)


def test_extra_keys_inside_nested_objects_are_ignored():
    data = make(
        organization={"name": "示例公司", "operating_since": "2020-01-01"},
        survey={"S": 95, "S_in_person": 95, "S_online": 94, "n": {"online": 40}},
        _comment="ignored",
    )
    assert evaluate_input(data)["level"] == "five_star"
