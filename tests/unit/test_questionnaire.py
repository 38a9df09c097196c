"""The question bank: content rules of the issue, version, freezing, and answer validation."""

import hashlib
import tomllib

import pytest

from surveyapp import questionnaire as qbank
from surveyapp.errors import DomainError
from surveyapp.scoring.survey import DIMENSIONS
from surveyapp.services.responses import validate_answers
from surveyapp.web.errors import status_of

BANK = qbank.BANK_DIR / "default.toml"


@pytest.fixture(scope="module")
def bank():
    return qbank.load_bank("default")


def test_at_least_three_questions_per_dimension_each_naming_a_4_1_clause(bank):
    for dim in DIMENSIONS:
        qs = [q for q in bank.questions if q.dimension == dim]
        assert len(qs) >= 3, dim
        for q in qs:
            assert q.kind == "likert" and q.required
            assert q.clause and q.clause.startswith("4.1."), q.id


def test_overall_nps_and_optional_comment(bank):
    by_id = bank.by_id
    assert by_id["overall"].kind == "likert" and by_id["overall"].dimension is None
    assert not by_id["overall"].scored
    assert by_id["nps"].kind == "nps"
    assert by_id["comment"].kind == "text" and not by_id["comment"].required


def test_small_enough_for_the_packed_column_and_bilingual(bank):
    assert len(bank.questions) <= 22
    for q in bank.questions:
        assert q.text_zh.strip() and q.text_en.strip()
        assert any("\u4e00" <= ch <= "\u9fff" for ch in q.text_zh)
    assert [x["value"] for x in bank.labels["likert"]] == [5, 4, 3, 2, 1]
    assert bank.labels["not_applicable"]["zh"].startswith("不适用")


def test_version_is_the_sha256_of_the_file(bank):
    assert bank.version == hashlib.sha256(BANK.read_bytes()).hexdigest()


def test_freeze_and_read_back(bank):
    frozen = qbank.freeze("default")
    assert frozen["version"] == bank.version
    assert frozen["questions"][0] == {
        "id": "fun1",
        "kind": "likert",
        "dimension": "functionality",
        "clause": "4.1.5.1",
        "required": True,
        "text": {"zh": bank.questions[0].text_zh, "en": bank.questions[0].text_en},
    }
    back = qbank.from_frozen(frozen)
    assert back.questions == bank.questions and back.version == bank.version


def _data(**changes):
    data = tomllib.loads(BANK.read_text("utf-8"))
    data.update(changes)
    return data


def test_bank_rules_are_enforced():
    data = _data()
    data["questions"] = [q for q in data["questions"] if q["id"] != "eco3"]
    with pytest.raises(qbank.QuestionnaireError, match="economy has 2"):
        qbank.parse_bank(data, b"", "x")
    data = _data()
    data["questions"].append(dict(data["questions"][0]))
    with pytest.raises(qbank.QuestionnaireError, match="duplicate"):
        qbank.parse_bank(data, b"", "x")
    data = _data()
    data["questions"][0] = {**data["questions"][0], "kind": "stars"}
    with pytest.raises(qbank.QuestionnaireError, match="kind"):
        qbank.parse_bank(data, b"", "x")
    data = _data()
    data["questions"][0] = {k: v for k, v in data["questions"][0].items() if k != "clause"}
    with pytest.raises(qbank.QuestionnaireError, match="clause"):
        qbank.parse_bank(data, b"", "x")
    with pytest.raises(qbank.QuestionnaireError, match="no question bank"):
        qbank.load_bank("nope")


def _all(bank, value=5):
    return {q.id: (9 if q.kind == "nps" else value) for q in bank.questions if q.kind != "text"}


def test_valid_answers_pack_in_questionnaire_order(bank):
    answers = _all(bank, 4) | {"fun2": None, "comment": "很好"}
    values, comment = validate_answers(bank, answers)
    assert comment == "很好"
    assert values[:3] == [4, None, 4] and values[-2] == 9 and values[-1] is None


@pytest.mark.parametrize(
    ("qid", "value", "code"),
    [
        ("fun1", 6, "out_of_range"),
        ("fun1", 0, "out_of_range"),
        ("fun1", "5", "out_of_range"),
        ("fun1", True, "out_of_range"),
        ("fun1", 4.5, "out_of_range"),
        ("nps", 11, "out_of_range"),
        ("nps", -1, "out_of_range"),
        ("comment", 5, "not_text"),
        ("bogus", 5, "unknown_question"),
    ],
)
def test_each_bad_answer_is_refused_naming_the_field(bank, qid, value, code):
    with pytest.raises(DomainError) as e:
        validate_answers(bank, _all(bank) | {qid: value})
    assert e.value.code == code and e.value.field == qid and status_of(e.value.code) == 422


def test_nps_accepts_zero_and_ten(bank):
    for v in (0, 10):
        values, _c = validate_answers(bank, _all(bank) | {"nps": v})
        assert values[-2] == v


def test_required_question_must_be_answered_or_not_applicable(bank):
    answers = _all(bank)
    del answers["tim2"]
    with pytest.raises(DomainError) as e:
        validate_answers(bank, answers)
    assert e.value.code == "answer_required" and e.value.field == "tim2"
    validate_answers(bank, answers | {"tim2": None})


def test_mostly_not_applicable_is_accepted_not_refused(bank):
    """DOMAIN.md: such a response is stored and counted invalid by the survey math."""
    scored = [q.id for q in bank.scored]
    values, _comment = validate_answers(bank, {qid: None for qid in _all(bank)})
    assert all(v is None for v in values)
    few = _all(bank) | {qid: None for qid in scored[:10]}  # 8 of 18 answered
    assert sum(v is not None for v in validate_answers(bank, few)[0]) == len(_all(bank)) - 10


@pytest.mark.parametrize(
    ("fraction", "scored", "need"),
    [(0.5, 18, 9), (0.5, 9, 5), (0.5, 0, 0), (0.7, 10, 7), (0.1, 30, 3), (1 / 3, 9, 3)],
)
def test_answers_needed_is_exact(fraction, scored, need):
    from surveyapp.scoring.numbers import answers_needed

    assert answers_needed(fraction, scored) == need


def test_comment_length_limit(bank):
    with pytest.raises(DomainError) as e:
        validate_answers(bank, _all(bank), comment="长" * 2001)
    assert e.value.field == "comment"
