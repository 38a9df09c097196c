"""Free text: kept as the response's comment (one per response), never required, never packed."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import Problem
from ..scoring.survey import Question
from .base import ABSENT, Kind


class Text(Kind):
    name = "text"
    may_require = False
    answer = "text"
    condition = ""  # display logic cannot test free text

    def from_form(self, q: Question, form) -> Any:
        raw = form.get(f"q_{q.id}")
        return ABSENT if raw is None or raw == "" else raw

    def value(self, q: Question, raw: Any, problems: dict[str, Problem]) -> Any:
        """The text itself (the caller keeps it as the comment); it packs as '-'."""
        if raw is not None and not isinstance(raw, str):
            problems[q.id] = Problem("not_text")
            return None
        return raw

    def encode(self, q: Question, value: Any) -> str:
        return "-"

    def compared(self, value: Any) -> Any:
        return None

    def word(self, q, codes, labels, lang):
        return None

    def export_columns(self, q: Question) -> list:
        return []  # the export's comment column carries it

    def export_values(self, q: Question, codes: np.ndarray) -> dict:
        return {}


KIND = Text()
