"""Single choice (单选): one option of the question's list, stored as its code (1–35)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import Problem
from ..scoring.survey import Question
from .base import Kind, as_int, choice_words

MAX_CHOICES = 35  #: one character per answer: codes 1–35 ('1'…'Z')


def check_choices(q: Question, most: int) -> tuple[str, str] | None:
    """A choice list the kind can store: 2 to `most` options, codes 1–`most`, each once."""
    if len(q.choices) < 2:
        return "选择题至少需要 2 个选项", "a choice question needs at least 2 options"
    codes = [c.value for c in q.choices]
    if any(not 1 <= v <= most for v in codes):
        return f"选项的 value 须为 1–{most} 的整数", f"option values must be whole numbers 1–{most}"
    if len(set(codes)) != len(codes):
        return "同一列表中选项的 value 不能重复", "option values repeat in the list"
    return None


class Single(Kind):
    name = "single"
    takes_choices = True

    def check(self, q: Question) -> tuple[str, str] | None:
        return check_choices(q, MAX_CHOICES)

    def value(self, q: Question, raw: Any, problems: dict[str, Problem]) -> Any:
        if raw is None:
            return None
        value = as_int(raw)
        if value is None or value not in {c.value for c in q.choices}:
            problems[q.id] = Problem("not_a_choice")
            return None
        return value

    def words(self, q: Question, labels: Mapping, lang: str) -> dict[int, str]:
        return choice_words(q, lang)


KIND = Single()
