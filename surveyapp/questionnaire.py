"""The question bank (schemes/questions/<name>.toml): load, version, freeze into a campaign.

A campaign stores the questionnaire it was created with as JSON
({"name", "version", "questions": [...], "labels", ...}); `from_frozen` reads it back, so a
running campaign never changes when the bank file does. The version is the sha256 of the file.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from .question_kinds import KINDS as KIND_REGISTRY
from .question_kinds import ConditionError, parse_condition
from .scoring.survey import DIMENSIONS, Choice, Question
from .vocabulary import ids

#: schemes/questions/ at the repository root
BANK_DIR = Path(__file__).resolve().parent.parent / "schemes" / "questions"
KINDS = ids("question_kind")
MIN_PER_DIMENSION = 3
MAX_QUESTIONS = 128
#: Response.answers is String(1024): the characters of all answers together (most kinds take
#: one, a multiple choice up to six)
MAX_WIDTH = 1024
_ID = re.compile(r"^[a-z][a-z0-9_]{0,31}$")


class QuestionnaireError(ValueError):
    """A question bank (or a frozen questionnaire) that cannot be used; names file and element."""


@dataclass(frozen=True)
class Questionnaire:
    """Questions in page order plus the labels shown with them, and the version they came from."""

    name: str
    version: str
    questions: tuple[Question, ...]
    labels: Mapping = field(default_factory=dict)
    dimensions: Mapping = field(default_factory=dict)
    title: Mapping = field(default_factory=dict)
    intro: Mapping = field(default_factory=dict)

    @property
    def by_id(self) -> dict[str, Question]:
        """Questions by id."""
        return {q.id: q for q in self.questions}

    @functools.cached_property
    def conditions(self) -> dict:
        """Question id → its display Condition (parsed once per questionnaire, not per answer)."""
        return conditions_of(self.questions)

    @property
    def scored(self) -> tuple[Question, ...]:
        """The questions that enter S (likert on one of the six dimensions)."""
        return tuple(q for q in self.questions if q.scored)

    def as_dict(self) -> dict:
        """The frozen JSON form stored in Campaign.questionnaire."""
        return {
            "name": self.name,
            "version": self.version,
            "title": dict(self.title),
            "intro": dict(self.intro),
            "labels": _plain(self.labels),
            "dimensions": _plain(self.dimensions),
            "questions": [question_dict(q) for q in self.questions],
        }


def question_dict(q: Question) -> dict:
    """One question as JSON: id, kind, dimension, clause, required, text {zh, en}, and only
    when it has them its choices and display condition (so earlier questionnaires' JSON and
    versions stay as they were)."""
    out = {
        "id": q.id,
        "kind": q.kind,
        "dimension": q.dimension,
        "clause": q.clause,
        "required": q.required,
        "text": {"zh": q.text_zh, "en": q.text_en},
    }
    if q.choices:
        out["choices"] = [{"value": c.value, "zh": c.zh, "en": c.en} for c in q.choices]
    if q.show_if:
        out["show_if"] = q.show_if
    return out


def _choices(raw, where: str) -> tuple[Choice, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise QuestionnaireError(f"{where}: choices must be a list")
    out = []
    for i, c in enumerate(raw):
        value = c.get("value") if isinstance(c, Mapping) else None
        if isinstance(value, bool) or not isinstance(value, int):
            raise QuestionnaireError(f"{where}: choice {i + 1} needs a whole-number value")
        text = _bilingual(c, f"{where}: choice {i + 1}")
        out.append(Choice(value=value, zh=text["zh"], en=text["en"]))
    return tuple(out)


def _plain(value):
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _bilingual(raw, where: str) -> dict:
    if not isinstance(raw, Mapping) or not all(
        isinstance(raw.get(k), str) and raw.get(k).strip() for k in ("zh", "en")
    ):
        raise QuestionnaireError(f"{where}: needs non-empty zh and en text")
    return {"zh": raw["zh"], "en": raw["en"]}


def _question(raw: Mapping, where: str, need_clause: bool = True) -> Question:
    if not isinstance(raw, Mapping):
        raise QuestionnaireError(f"{where}: expected a table")
    qid = raw.get("id")
    if not isinstance(qid, str) or not _ID.match(qid):
        raise QuestionnaireError(f"{where}: id {qid!r} must be lower-case letters, digits, _")
    kind = raw.get("kind", "likert")
    if kind not in KINDS:
        raise QuestionnaireError(f"{where} ({qid}): kind {kind!r} is not one of {', '.join(KINDS)}")
    dimension = raw.get("dimension")
    if dimension is not None and (kind != "likert" or dimension not in DIMENSIONS):
        raise QuestionnaireError(
            f"{where} ({qid}): dimension must be one of {', '.join(DIMENSIONS)}, on a likert question"
        )
    clause = raw.get("clause")
    if clause is not None and not isinstance(clause, str):
        raise QuestionnaireError(f"{where} ({qid}): clause must be a string like '4.1.5.1'")
    if need_clause and dimension is not None and not clause:
        raise QuestionnaireError(f"{where} ({qid}): a scored question names the clause it probes")
    it = KIND_REGISTRY[kind]
    required = raw.get("required", it.may_require)
    if not isinstance(required, bool):
        raise QuestionnaireError(f"{where} ({qid}): required must be true or false")
    if required and not it.may_require:
        raise QuestionnaireError(f"{where} ({qid}): a {kind} question cannot be required")
    show_if = raw.get("show_if") or None
    if show_if is not None and not isinstance(show_if, str):
        raise QuestionnaireError(f"{where} ({qid}): show_if must be a string like 'q3 <= 2'")
    text = _bilingual({"zh": raw.get("zh"), "en": raw.get("en")}, f"{where} ({qid})")
    q = Question(
        id=qid,
        text_zh=text["zh"],
        text_en=text["en"],
        kind=kind,
        dimension=dimension,
        clause=clause,
        required=required,
        choices=_choices(raw.get("choices"), f"{where} ({qid})"),
        show_if=show_if,
    )
    wrong = it.check(q)
    if wrong:
        raise QuestionnaireError(f"{where} ({qid}): {wrong[1]}")
    return with_kind(q)


def with_kind(q: Question) -> Question:
    """The question with the width its kind gives it (for questions built outside this module)."""
    return replace(q, width=KIND_REGISTRY[q.kind].width(q))


def _validate(questions: list[Question], where: str) -> None:
    ids = [q.id for q in questions]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise QuestionnaireError(f"{where}: duplicate question id(s) {', '.join(dupes)}")
    if not questions or len(questions) > MAX_QUESTIONS:
        raise QuestionnaireError(f"{where}: needs 1 to {MAX_QUESTIONS} questions")
    if sum(q.width for q in questions) > MAX_WIDTH:
        raise QuestionnaireError(f"{where}: the answers take over {MAX_WIDTH} characters")
    for i, q in enumerate(questions):
        if q.show_if:
            if q.scored:
                raise QuestionnaireError(f"{where} ({q.id}): a scored question is always shown")
            try:
                parse_condition(q.show_if, questions[:i], KIND_REGISTRY)
            except ConditionError as e:
                raise QuestionnaireError(f"{where} ({q.id}): {e.en}") from None


def conditions_of(questions) -> dict:
    """Question id → its display Condition, for the questions that have one (in page order)."""
    qs = list(questions)
    return {
        q.id: parse_condition(q.show_if, qs[:i], KIND_REGISTRY)
        for i, q in enumerate(qs)
        if q.show_if
    }


def parse_bank(data: Mapping, raw: bytes, name: str) -> Questionnaire:
    """Validate a parsed bank: ids, kinds, dimensions, clauses, ≥3 scored questions per dimension."""
    where = f"questions/{name}.toml"
    items = data.get("questions")
    if not isinstance(items, list):
        raise QuestionnaireError(f"{where}: no [[questions]]")
    questions = [_question(q, f"{where}: question {i + 1}") for i, q in enumerate(items)]
    _validate(questions, where)
    for dim in DIMENSIONS:
        n = sum(1 for q in questions if q.dimension == dim)
        if n < MIN_PER_DIMENSION:
            raise QuestionnaireError(
                f"{where}: dimension {dim} has {n} question(s), at least {MIN_PER_DIMENSION} needed"
            )
    labels = data.get("labels", {})
    likert = labels.get("likert", [])
    values = sorted(item.get("value") for item in likert if isinstance(item, Mapping))
    lo, hi = KIND_REGISTRY["likert"].value_range(None)
    if values != list(range(lo, hi + 1)):
        raise QuestionnaireError(f"{where}: [labels].likert needs one label per value {lo}..{hi}")
    for item in likert:
        _bilingual(item, f"{where}: [labels].likert {item.get('value')}")
    for key in ("not_applicable", "nps_low", "nps_high"):
        _bilingual(labels.get(key), f"{where}: [labels].{key}")
    dimensions = {
        d: _bilingual(data.get("dimensions", {}).get(d), f"{where}: [dimensions].{d}")
        for d in DIMENSIONS
    }
    return Questionnaire(
        name=name,
        version=hashlib.sha256(raw).hexdigest(),
        questions=tuple(questions),
        labels=labels,
        dimensions=dimensions,
        title=_bilingual(data.get("title"), f"{where}: title"),
        intro=_bilingual(data.get("intro"), f"{where}: intro"),
    )


@functools.lru_cache(maxsize=8)
def _load(path: str, mtime_ns: int) -> Questionnaire:
    raw = Path(path).read_bytes()
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise QuestionnaireError(f"questions/{Path(path).name}: not valid TOML: {e}") from None
    return parse_bank(data, raw, Path(path).stem)


def load_bank(name: str = "default", directory: Path | str | None = None) -> Questionnaire:
    """Load and validate schemes/questions/<name>.toml (cached until the file changes)."""
    if not _ID.match(name.replace("-", "_")):
        raise QuestionnaireError(f"questionnaire name {name!r} is not valid")
    path = Path(directory or BANK_DIR) / f"{name}.toml"
    if not path.is_file():
        raise QuestionnaireError(f"no question bank questions/{name}.toml")
    return _load(str(path), path.stat().st_mtime_ns)


def bank_names(directory: Path | str | None = None) -> list[str]:
    """The built-in banks: schemes/questions/*.toml by name."""
    return sorted(p.stem for p in Path(directory or BANK_DIR).glob("*.toml"))


def freeze(name: str = "default", directory: Path | str | None = None) -> dict:
    """The bank as the JSON a new campaign stores (its version is the file's sha256)."""
    return load_bank(name, directory).as_dict()


def valid_id(qid) -> bool:
    """A question id: a lower-case letter, then up to 31 letters, digits or _."""
    return isinstance(qid, str) and bool(_ID.match(qid))


def questions_version(questions) -> str:
    """sha256 of the questions in canonical JSON: the version of a designed questionnaire."""
    doc = [question_dict(q) for q in questions]
    text = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def from_questions(name: str, questions, base: str | Questionnaire = "default") -> Questionnaire:
    """A designed questionnaire: these questions, with the labels, dimension names, title and
    introduction of `base` — a bank's name, or the questionnaire being redesigned (a campaign's
    own keeps its title and introduction) — the questions validated by their designer's rules."""
    bank = load_bank(base) if isinstance(base, str) else base
    questions = tuple(questions)
    _validate(list(questions), name)
    return Questionnaire(
        name=name,
        version=questions_version(questions),
        questions=questions,
        labels=bank.labels,
        dimensions=bank.dimensions,
        title=bank.title,
        intro=bank.intro,
    )


def from_frozen(data: Mapping) -> Questionnaire:
    """Read a campaign's frozen questionnaire JSON back into Question objects."""
    if not isinstance(data, Mapping) or not isinstance(data.get("questions"), list):
        raise QuestionnaireError("frozen questionnaire has no question list")
    questions = []
    for i, q in enumerate(data["questions"]):
        text = q.get("text") or {}
        questions.append(
            _question(
                {
                    "id": q.get("id"),
                    "kind": q.get("kind", "likert"),
                    "dimension": q.get("dimension"),
                    "clause": q.get("clause"),
                    "required": q.get("required", q.get("kind", "likert") != "text"),
                    "zh": text.get("zh"),
                    "en": text.get("en"),
                    "choices": q.get("choices"),
                    "show_if": q.get("show_if"),
                },
                f"frozen questionnaire: question {i + 1}",
                # a bank names the clause each scored question probes; a questionnaire designed
                # in a spreadsheet may leave it out
                need_clause=False,
            )
        )
    _validate(questions, "frozen questionnaire")
    return Questionnaire(
        name=str(data.get("name", "")),
        version=str(data.get("version", "")),
        questions=tuple(questions),
        labels=data.get("labels") or {},
        dimensions=data.get("dimensions") or {},
        title=data.get("title") or {},
        intro=data.get("intro") or {},
    )
