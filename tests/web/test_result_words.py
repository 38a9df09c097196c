"""An evaluation result in the reader's words (web/result_words.py): on English pages every
condition and every line of the explanation in English from the catalogues, with no Chinese
left and no engine id; on Chinese pages the engine's words as the result stored them."""

from __future__ import annotations

import re
from contextlib import contextmanager

import flask_babel
import pytest

from surveyapp.schemes import evaluate_input, load_scheme
from surveyapp.web.result_words import condition, criteria_rows, explanation, not_reached
from tests.helpers import CJK
from tests.unit.test_scoring_cqm import make_cqm
from tests.unit.test_scoring_gbt27922 import icas_80_of_90, run
from tests.unit.test_scoring_xh import run as xh_run

#: what the engine's own English lines name that a reader should not read
ENGINE_IDS = re.compile(
    r"S_in_person|S_online|major_complaint|liability_accident|negative_publicity|"
    r"first-level indicators|four_star|three_star|five_star|\bnone since\b|\bmonths\)"
)


def _results() -> list[dict]:
    """Results of every scheme that between them use every kind of condition, exclusions,
    special deductions and bonus, events, and the engine's warnings."""
    events = [
        {"type": "major_complaint", "date": "2026-03-01", "rectified": True},
        {"type": "liability_accident", "date": "2026-02-01", "rectified": False},
    ]
    return [
        evaluate_input(make_cqm(survey={"S": 95.0, "S_in_person": 75}, events=events)),
        evaluate_input(
            make_cqm(survey={"S": 85.0, "S_in_person": 85}, management_audit={"passed": False})
        ),
        run("icas-27922", scores=icas_80_of_90(), special_deductions=[{"note": "d"}] * 2),
        run("dni-2026", special_deductions=[{"note": "x"}] * 5),
        # survey-fed items, the dimensions missing (a warning), operating too short
        xh_run(survey={"S": 80}, organization={"operating_since": "2026-06-01"}),
    ]


@contextmanager
def english(app):
    """A request of an English page (the locale cached in the tests' shared app context
    refreshed before and after)."""
    with app.test_request_context("/?lang=en"):
        flask_babel.refresh()
        try:
            yield
        finally:
            flask_babel.refresh()
    flask_babel.refresh()


def test_every_condition_and_explanation_line_is_english(app):
    results = _results()
    kinds = {c["kind"] for r in results for c in r["criteria"]}
    assert len(kinds) >= 9  # every kind the four schemes use
    with english(app):
        for result in results:
            scheme = load_scheme(result["scheme"])
            unknown = [c["kind"] for c in result["criteria"] if condition(c) is None]
            assert unknown == []
            lines = [row["text"] for row in criteria_rows(result, scheme)]
            lines += explanation(result, scheme)
            lines += not_reached(result, scheme)[1]
            chinese = [line for line in lines if CJK.search(line)]
            assert chinese == []
            ids = [line for line in lines if ENGINE_IDS.search(line)]
            assert ids == []


def test_the_english_explanation_says_what_the_chinese_one_says(app):
    result = run("icas-27922", scores=icas_80_of_90())
    with english(app):
        lines = explanation(result, load_scheme("icas-27922"))
    assert len(lines) == len(result["explanation_zh"])
    text = " ".join(lines)
    assert "80 / 90 × 100 = 88.88" in text and "truncated" in text
    assert "Level: Three stars." in text


@pytest.mark.parametrize("lang", ["zh", None])
def test_chinese_pages_keep_the_engine_s_words(app, lang):
    result = evaluate_input(make_cqm(survey={"S": 95.0, "S_in_person": 75}))
    scheme = load_scheme("cqm-2019")
    with app.test_request_context(f"/?lang={lang}" if lang else "/"):
        flask_babel.refresh()
        assert explanation(result, scheme) == result["explanation_zh"]
        assert [r["text"] for r in criteria_rows(result, scheme)] == [
            c["text_zh"] for c in result["criteria"]
        ]
    flask_babel.refresh()


def test_the_vocabularies_name_what_the_engine_names():
    """The events and survey measures the pages translate are the engine's, in its Chinese."""
    from surveyapp.scoring.model import EVENT_NAMES_ZH, SURVEY_MEASURE_NAMES_ZH
    from surveyapp.vocabulary import VOCABULARIES

    assert dict(VOCABULARIES["event"]) == EVENT_NAMES_ZH
    assert dict(VOCABULARIES["measure"]) == SURVEY_MEASURE_NAMES_ZH


def test_an_item_an_auditor_scored_is_not_said_to_come_from_the_survey(app):
    """xh-2025's 服务结果 items are proposed by the survey and confirmed by the auditor: scored
    by hand, the explanation does not credit them to the survey, in either language."""
    from tests.unit.test_scoring_xh import full_scores

    scheme = load_scheme("xh-2025")
    fed = [i.id for i in scheme.items if i.mode == "survey"]
    result = xh_run(scores={**full_scores(), **{i: 9.0 for i in fed}})
    with english(app):
        lines = explanation(result, scheme)
    assert len(lines) == len(result["explanation_zh"])
    assert not [line for line in lines if "customer perception survey:" in line]
    surveyed = xh_run()
    with english(app):
        lines = explanation(surveyed, scheme)
    assert len([line for line in lines if "customer perception survey:" in line]) == len(fed)
