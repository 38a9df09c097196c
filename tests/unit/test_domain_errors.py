"""One domain error: every code raised anywhere has a status and a sentence in zh and en."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from surveyapp import create_app
from surveyapp.errors import DomainError, Problem
from surveyapp.messages import MESSAGES, field_messages, message
from surveyapp.web.errors import STATUS, api_body

SRC = Path(__file__).resolve().parents[2] / "surveyapp"


def raised_codes() -> dict[str, str]:
    """code → file of every DomainError(...) / Problem(...) whose code is a literal."""
    out: dict[str, str] = {}
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in ("DomainError", "Problem")
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                out.setdefault(node.args[0].value, str(path.relative_to(SRC)))
    return out


def test_every_raised_code_has_a_status_and_a_sentence():
    codes = raised_codes()
    assert len(codes) > 40  # the scan sees the services
    missing = {c: f for c, f in codes.items() if c not in MESSAGES or c not in STATUS}
    assert not missing, missing


def test_status_and_sentence_tables_list_the_same_codes():
    assert set(STATUS) == set(MESSAGES)
    assert all(400 <= s < 600 for s in STATUS.values())


def test_the_error_carries_no_status_and_no_language():
    e = DomainError("too_long", "organization.name", max=200)
    assert (e.code, e.field, e.params) == ("too_long", "organization.name", {"max": 200})
    assert not hasattr(e, "status") and not hasattr(e, "message")


@pytest.fixture
def app():
    return create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x"})


def test_sentences_in_chinese_and_english_name_the_field_by_its_label(app):
    e = DomainError("too_long", "outlets[3].name", max=200)
    with app.test_request_context("/"):
        assert message(e) == "服务网点名称：内容太长，最多 200 个字。"
    with app.test_request_context("/?lang=en"):
        assert message(e) == "Outlet name: Too long: at most 200 characters."


def test_every_sentence_formats_with_its_parameters_missing(app):
    """A raise site that forgets a parameter prints a gap, never a KeyError (a 500)."""
    for lang in ("zh", "en"):
        with app.test_request_context(f"/?lang={lang}"):
            for code in MESSAGES:
                assert message(DomainError(code))


def test_status_names_in_transitions_are_translated(app):
    e = DomainError("bad_transition", "status", **{"from": "draft", "to": "closed"})
    with app.test_request_context("/"):
        assert "草稿" in message(e) and "已截止" in message(e) and "draft" not in message(e)


def test_api_body_lists_every_field(app):
    e = DomainError(
        "out_of_range",
        "fun1",
        fields={
            "fun1": Problem("out_of_range", {"lo": 1, "hi": 5}),
            "saf2": Problem("answer_required"),
        },
        lo=1,
        hi=5,
    )
    with app.test_request_context("/"):
        body = api_body(e)["error"]
        assert body["code"] == "out_of_range" and body["field"] == "fun1"
        assert "1" in body["message"] and "5" in body["message"]
        assert body["fields"]["saf2"]["code"] == "answer_required"
        assert "不适用" in field_messages(e)["saf2"]


def test_docs_list_every_code_and_vocabulary_id():
    """docs/edge.md is the reference: each code with its status, each vocabulary's ids."""
    from surveyapp.vocabulary import VOCABULARIES

    doc = (SRC.parent / "docs" / "edge.md").read_text(encoding="utf-8")
    missing = [c for c, s in STATUS.items() if f"| `{c}` | {s} |" not in doc]
    missing += [
        f"{name}.{i}" for name, v in VOCABULARIES.items() for i in v if f"`{i}` {v[i]}" not in doc
    ]
    assert not missing, missing


def test_every_audited_action_has_words():
    """The audit page shows actions in words: each action the code records is in the
    vocabulary (a new one without words fails here, not on an admin's screen)."""
    import re

    from surveyapp.vocabulary import AUDIT_ACTIONS

    found = set()
    for path in SRC.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        found |= set(re.findall(r'(?:audit|record)\(\s*"([a-z_]+(?:\.[a-z_]+)?)"', text))
        found |= set(re.findall(r'"((?:outlet|user|response)\.[a-z_]+)" if ', text))
        found |= {f"response.{a}" for a in re.findall(r'_change\(response, "([a-z]+)"', text)}
    found.discard("response")  # the f-string in review._change; its actions are found above
    assert found and not found - set(AUDIT_ACTIONS), sorted(found - set(AUDIT_ACTIONS))


def test_every_evaluation_refusal_reads_in_chinese():
    """Each sentence code the engine gives an InputError has a sentence (the page shows it)."""
    import re

    text = (SRC / "scoring" / "inputs.py").read_text(encoding="utf-8")
    codes = set(re.findall(r'"((?:score|unknown|no|too|bonus|count|invalid|not)_[a-z_]+)"', text))
    codes = {c for c in codes if c in text.split("InputError(", 1)[1]}
    from surveyapp.messages import MESSAGES

    assert {"score_above_max", "score_not_an_option"} <= codes
    assert not codes - set(MESSAGES), sorted(codes - set(MESSAGES))


def test_an_engine_refusal_is_worded_for_people(app):
    from surveyapp.messages import message

    err = DomainError(
        "invalid_input",
        "scores.4.1.4",
        detail="26 points above the item's maximum of 25",
        reason="score_above_max",
        points="26",
        max="25",
    )
    assert message(err) == "检查项 4.1.4：26 分超过本项满分 25 分。"
    pct = DomainError("invalid_input", "scores.5.1", reason="score_percentage_range", pct="120")
    assert "120%" in message(pct)
