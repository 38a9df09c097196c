"""What every question kind owns (the way scoring's criteria each own their rule).

A kind says: whether it may sit on a dimension (enter S), whether it takes a choice list,
whether it may be required; how wide its answer is in the packed answers; how the page's
form field becomes an answer and how the API's answer is checked; how a checked answer is
packed; the words of its answer codes (the review page, exports, SPSS value labels); the
columns it exports; and the template partial that draws it. A new kind is one module here,
one line in KINDS (surveyapp/question_kinds/__init__.py), one label in vocabulary.QUESTION_KINDS
and one partial under templates/survey/kinds/.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import numpy as np

from ..errors import Problem
from ..scoring.survey import Question
from ..survey_math.packing import ALPHABET, MISSING, NOT_APPLICABLE

#: a form field left empty (not the same as 不适用, which is None)
ABSENT = object()


class Kind:
    """A question kind; subclasses override what differs."""

    name = ""
    #: may sit on one of the six dimensions, and then enters S (only likert does: seed 001 §4.3)
    scored = False
    #: takes its options from a choice list (sheet `choices`)
    takes_choices = False
    #: may be required (free text never is: a customer may always leave it empty)
    may_require = True
    #: what the page's script sends for it: "number", "numbers" (a list) or "text"
    answer = "number"
    #: its answer compares with a number in display logic (`q3 <= 2`); "has" for a set
    condition = "compare"

    @property
    def partial(self) -> str:
        return f"survey/kinds/{self.name}.html"

    # ── the question ───────────────────────────────────────────────────────────────────

    def width(self, q: Question) -> int:
        """Characters its answer takes in the packed answers."""
        return 1

    def value_range(self, q: Question) -> tuple[int, int] | None:
        """The inclusive range of a numeric answer (None: not a single number)."""
        return None

    def check(self, q: Question) -> tuple[str, str] | None:
        """What is wrong with the question as designed, (zh, en), or None."""
        if q.choices and not self.takes_choices:
            return "这种题型不用选项列表", "this kind takes no choice list"
        return None

    # ── an answer ──────────────────────────────────────────────────────────────────────

    def from_form(self, q: Question, form) -> Any:
        """The form field q_<id> as an API answer: 'na' = None, digits = int, empty = ABSENT."""
        raw = form.get(f"q_{q.id}")
        if raw is None or raw == "":
            return ABSENT
        if raw == "na":
            return None
        return form_number(raw)

    def value(self, q: Question, raw: Any, problems: dict[str, Problem]) -> Any:
        """A present answer checked: the value to store (None = 不适用), adding a problem if bad."""
        if raw is None:
            return None
        lo, hi = self.value_range(q) or (0, 0)
        value = as_int(raw)
        if value is None or not lo <= value <= hi:
            problems[q.id] = Problem("out_of_range", {"lo": lo, "hi": hi})
            return None
        return value

    def encode(self, q: Question, value: Any) -> str:
        """A checked value as its `width` characters ('-' = not applicable or not answered)."""
        if value is None:
            return NOT_APPLICABLE * self.width(q)
        return ALPHABET[value]

    def compared(self, value: Any) -> Any:
        """The answer as display logic compares it (None: unanswered, the condition fails)."""
        return value

    # ── reading answers back ───────────────────────────────────────────────────────────

    def words(self, q: Question, labels: Mapping, lang: str) -> dict[int, str]:
        """Answer code → the words a reader sees (empty: the number itself is the answer)."""
        return {}

    def word(self, q: Question, codes: np.ndarray, labels: Mapping, lang: str) -> str | None:
        """One response's answer (its character codes) in words; None = 不适用 / not answered."""
        code = int(codes[0])
        if code == MISSING:
            return None
        return self.words(q, labels, lang).get(code, str(code))

    def export_columns(self, q: Question) -> list[tuple[str, str, dict[int, str]]]:
        """The export columns it fills: (column, Chinese label, value labels)."""
        return [(q.id, q.text_zh, self.words(q, {}, "zh"))]

    def export_values(self, q: Question, codes: np.ndarray) -> dict[str, np.ndarray]:
        """Its export columns from the (n, width) codes: float arrays, NaN = blank (不适用)."""
        col = codes[:, 0].astype(np.float64)
        return {q.id: np.where(col >= 0, col, np.nan)}


_NUMBER = re.compile(r"-?[0-9]{1,4}")


def form_number(raw: str) -> int | str:
    """A form field's number ("4", "-1"), or the text itself, which the kind then refuses
    (bounded: no field makes Python convert thousands of digits)."""
    text = raw.strip()
    return int(text) if _NUMBER.fullmatch(text) else raw


def as_int(value: Any) -> int | None:
    """An integer answer (an integral float too), or None; True/False are not numbers."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def choice_words(q: Question, lang: str) -> dict[int, str]:
    """A choice question's options: code → label in `lang`."""
    return {c.value: (c.en if lang == "en" else c.zh) for c in q.choices}
