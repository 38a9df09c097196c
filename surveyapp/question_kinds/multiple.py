"""Multiple choice (多选): any options of the list, stored as a bit set, five options a character.

The API takes a list of option codes ([] or null = 不适用 / none); a code appears once. The
export gives one 0/1 column per option (`<id>.<code>`: a question id holds no dot, so it never meets another column; SPSS's multiple dichotomy), so counts
and cross-tabs need no parsing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from ..errors import Problem
from ..scoring.survey import Question
from ..survey_math.packing import ALPHABET, field_numbers
from .base import ABSENT, Kind, as_int, choice_words, form_number
from .single import check_choices

MAX_CHOICES = 30  #: six characters of five bits
BITS = 5


class Multiple(Kind):
    name = "multiple"
    takes_choices = True
    answer = "numbers"
    condition = "has"

    def width(self, q: Question) -> int:
        top = max((c.value for c in q.choices), default=1)
        return max(1, -(-top // BITS))

    def check(self, q: Question) -> tuple[str, str] | None:
        return check_choices(q, MAX_CHOICES)

    def from_form(self, q: Question, form) -> Any:
        raw = [v for v in form.getlist(f"q_{q.id}") if v != ""][: MAX_CHOICES + 1]
        if not raw:
            return ABSENT
        if raw == ["na"]:
            return None
        # 不适用 beside options stays in the list, and the list is refused (not_a_choice)
        return [form_number(v) for v in raw]

    def value(self, q: Question, raw: Any, problems: dict[str, Problem]) -> Any:
        if raw is None:
            return None
        if not isinstance(raw, list | tuple):
            problems[q.id] = Problem("not_a_choice")
            return None
        codes = [as_int(v) for v in raw]
        allowed = {c.value for c in q.choices}
        if any(c not in allowed for c in codes) or len(set(codes)) != len(codes):
            problems[q.id] = Problem("not_a_choice")
            return None
        return frozenset(codes) or None

    def encode(self, q: Question, value: Any) -> str:
        width = self.width(q)
        if not value:
            return "-" * width
        mask = sum(1 << (v - 1) for v in value)
        return "".join(ALPHABET[(mask >> (BITS * i)) & 31] for i in range(width))

    def compared(self, value: Any) -> Any:
        return value or None

    def masks(self, codes: np.ndarray) -> np.ndarray:
        """(n, width) character codes → each response's bit set (-1 = not answered)."""
        return field_numbers(codes)

    def word(self, q: Question, codes: np.ndarray, labels: Mapping, lang: str) -> str | None:
        mask = int(self.masks(np.asarray(codes).reshape(1, -1))[0])
        if mask < 0:
            return None
        names = choice_words(q, lang)
        return "、".join(names[c.value] for c in q.choices if mask >> (c.value - 1) & 1)

    def export_columns(self, q: Question) -> list[tuple[str, str, dict[int, str]]]:
        return [
            (f"{q.id}.{c.value}", f"{q.text_zh}：{c.zh}", {0: "未选", 1: "选中"}) for c in q.choices
        ]

    def export_values(self, q: Question, codes: np.ndarray) -> dict[str, np.ndarray]:
        mask = self.masks(codes)
        out = {}
        for c in q.choices:
            picked = ((mask >> (c.value - 1)) & 1).astype(np.float64)
            out[f"{q.id}.{c.value}"] = np.where(mask >= 0, picked, np.nan)
        return out


KIND = Multiple()
