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


def test_everything_excluded_is_an_error():
    from surveyapp.schemes import load_scheme

    scores = {i.id: "n/a" for i in load_scheme("xh-2025").items}
    e = error({"scheme": "xh-2025", "scores": scores})
    assert e.field == "scores"


def test_extra_keys_inside_nested_objects_are_ignored():
    data = make(
        organization={"name": "示例公司", "operating_since": "2020-01-01"},
        survey={"S": 95, "S_in_person": 95, "S_online": 94, "n": {"online": 40}},
        _comment="ignored",
    )
    assert evaluate_input(data)["level"] == "five_star"
