"""Net Promoter Score, 0–10 (推荐度): the number is the answer; not part of S."""

from __future__ import annotations

from ..scoring.survey import Question
from .base import Kind


class Nps(Kind):
    name = "nps"

    def value_range(self, q: Question) -> tuple[int, int]:
        return (0, 10)


KIND = Nps()
