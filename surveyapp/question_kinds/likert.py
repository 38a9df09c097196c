"""Likert, five points (非常满意 … 非常不满意, 5 … 1): the only kind that enters S."""

from __future__ import annotations

from collections.abc import Mapping

from ..scoring.survey import Question
from .base import Kind

#: the usual five, when a questionnaire was frozen without its labels
DEFAULT_WORDS = {
    "zh": {5: "非常满意", 4: "满意", 3: "一般", 2: "不满意", 1: "非常不满意"},
    "en": {
        5: "Very satisfied",
        4: "Satisfied",
        3: "Neutral",
        2: "Dissatisfied",
        1: "Very dissatisfied",
    },
}


class Likert(Kind):
    name = "likert"
    scored = True

    def value_range(self, q: Question) -> tuple[int, int]:
        return (1, 5)

    def words(self, q: Question, labels: Mapping, lang: str) -> dict[int, str]:
        mine = {
            int(o["value"]): o.get(lang) or o.get("zh")
            for o in (labels or {}).get("likert", [])
            if isinstance(o, Mapping)
        }
        return mine or dict(DEFAULT_WORDS["en" if lang == "en" else "zh"])


KIND = Likert()
