"""Hypothesis properties of the engine: monotone in points, deductions, events; exclusion-neutral."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from surveyapp.schemes import list_schemes, load_scheme
from surveyapp.scoring import evaluate, parse_input

SCHEMES = {s.id: s for s in list_schemes()}
EVALUATION_DATE = date(2026, 10, 15)
FAST = settings(max_examples=100, deadline=None)


def rank(scheme_id: str, level: str) -> int:
    """Higher is better: the fallback level ranks 0."""
    ids = SCHEMES[scheme_id].level_ids
    return len(ids) - 1 - ids.index(level)


def level_of(scheme_id: str, data: dict) -> str:
    scheme = load_scheme(scheme_id)
    return evaluate(scheme, parse_input({**data, "scheme": scheme_id}, scheme)).level


def hundredths(maximum) -> st.SearchStrategy[float]:
    return st.integers(0, int(maximum * 100)).map(lambda k: k / 100)


def item_value(item) -> st.SearchStrategy:
    if item.mode == "options":
        return st.sampled_from([float(o) for o in item.options])
    return hundredths(item.points)


@st.composite
def evaluations(draw, scheme_ids=tuple(SCHEMES)):
    scheme_id = draw(st.sampled_from(scheme_ids))
    scheme = SCHEMES[scheme_id]
    scores = {i.id: draw(item_value(i)) for i in scheme.items if i.mode != "survey"}
    data: dict = {"scheme": scheme_id, "scores": scores, "evaluation_date": "2026-10-15"}
    data["survey"] = {
        "S": draw(hundredths(100)),
        "S_in_person": draw(hundredths(100)),
        "dimensions": {"functionality": draw(hundredths(100)), "civility": draw(hundredths(100))},
    }
    if scheme.special_deductions.enabled:
        data["special_deductions"] = [{"note": "d"}] * draw(st.integers(0, 6))
        data["special_bonus"] = draw(st.sampled_from([None, {"note": "b"}]))
    data["management_audit"] = {
        "passed": draw(st.booleans()),
        "severe_nonconformities": draw(st.integers(0, 2)),
    }
    since = EVALUATION_DATE - timedelta(days=draw(st.integers(0, 900)))
    data["organization"] = {"operating_since": since.isoformat()}
    data["events"] = draw(st.lists(events(), max_size=4))
    return scheme_id, data


@st.composite
def events(draw):
    day = EVALUATION_DATE - timedelta(days=draw(st.integers(0, 1000)))
    return {
        "type": draw(
            st.sampled_from(["liability_accident", "major_complaint", "negative_publicity"])
        ),
        "date": day.isoformat(),
        "rectified": draw(st.booleans()),
    }


@FAST
@given(evaluations(), st.data())
def test_raising_an_item_never_lowers_the_level(case, data):
    scheme_id, ev = case
    scheme = SCHEMES[scheme_id]
    item = data.draw(st.sampled_from([i for i in scheme.items if i.mode != "survey"]))
    old = ev["scores"][item.id]
    higher = data.draw(item_value(item).filter(lambda v: v >= old))
    raised = {**ev, "scores": {**ev["scores"], item.id: higher}}
    assert rank(scheme_id, level_of(scheme_id, raised)) >= rank(scheme_id, level_of(scheme_id, ev))


@FAST
@given(evaluations(scheme_ids=("dni-2026", "icas-27922")))  # xh-2025 has none (issue 13)
def test_adding_a_special_deduction_never_raises_the_level(case):
    scheme_id, ev = case
    more = {**ev, "special_deductions": [*ev["special_deductions"], {"note": "extra"}]}
    assert rank(scheme_id, level_of(scheme_id, more)) <= rank(scheme_id, level_of(scheme_id, ev))


@FAST
@given(evaluations(), events())
def test_adding_an_event_never_raises_the_level(case, event):
    scheme_id, ev = case
    more = {**ev, "events": [*ev["events"], event]}
    assert rank(scheme_id, level_of(scheme_id, more)) <= rank(scheme_id, level_of(scheme_id, ev))


@FAST
@given(evaluations(), st.data())
def test_excluding_items_keeps_the_level_when_every_item_has_full_marks(case, data):
    scheme_id, ev = case
    scheme = SCHEMES[scheme_id]
    full = {i.id: float(i.points) for i in scheme.items}
    ev = {**ev, "scores": full}
    excludable = [i.id for i in scheme.items if i.excludable]
    assume(excludable)  # cqm-2019 excludes nothing: hypothesis draws another case
    chosen = data.draw(st.lists(st.sampled_from(excludable), min_size=1, unique=True))
    if len(chosen) == len(scheme.items):
        chosen = chosen[1:]
    excluded = {**ev, "scores": {**full, **dict.fromkeys(chosen, "n/a")}}
    assert level_of(scheme_id, excluded) == level_of(scheme_id, ev)
