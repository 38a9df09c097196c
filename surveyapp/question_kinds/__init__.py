"""Question kinds, one module each (likert, nps, single, multiple, text): the registry.

Everything kind-specific — answer range and checks, form parsing, packed width and encoding,
answer words for the review page, exports and SPSS, and the template partial — lives in the
kind's module; the rest of the code asks `kind_of(question)`.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..scoring.survey import Question
from . import likert, multiple, nps, single, text
from .base import ABSENT, Kind
from .conditions import Condition, ConditionError, parse_condition

KINDS: Mapping[str, Kind] = {
    k.name: k for k in (likert.KIND, nps.KIND, single.KIND, multiple.KIND, text.KIND)
}

__all__ = [
    "ABSENT",
    "KINDS",
    "Condition",
    "ConditionError",
    "Kind",
    "kind_of",
    "parse_condition",
]


def kind_of(q: Question) -> Kind:
    """The kind of a question (its module's KIND)."""
    return KINDS[q.kind]
