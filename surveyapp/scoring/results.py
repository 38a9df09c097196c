"""Frozen results of the engine: the computed scores and every criterion checked."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from .model import EvaluationInput, Scheme


@dataclass(frozen=True)
class ItemResult:
    """One item's outcome: its score (mean of the auditors), or excluded."""

    id: str
    points: Decimal
    score: Decimal | None  #: None when excluded
    excluded: bool = False
    source: str = "scores"  #: "scores" or "survey"


@dataclass(frozen=True)
class NodeScore:
    """A group's or part's score over its applicable items (raw points, not rescaled)."""

    id: str
    title: str
    score: Decimal
    max: Decimal  #: applicable points (excluded items left out)
    points: Decimal  #: nominal points of the node
    ratio: Decimal | None  #: score / max; None when every item of the node is excluded


@dataclass(frozen=True)
class Computation:
    """The arithmetic of a score: exclusions, rescaling, special deductions and bonus."""

    items: tuple[ItemResult, ...]
    groups: tuple[NodeScore, ...]  #: first-level indicators
    parts: tuple[NodeScore, ...]
    actual: Decimal  #: sum of the applicable items' scores
    applicable: Decimal  #: 涉及项总分值: points of the applicable items
    max_points: Decimal
    rescaled: Decimal  #: actual / applicable × max_points (= actual when nothing is excluded)
    deductions: int
    deduction_points: Decimal
    bonus: int
    bonus_points: Decimal
    final: Decimal  #: unrounded final score
    score: Decimal  #: final rounded to 2 decimals (the scheme's rounding): what is compared
    warnings: tuple[str, ...] = ()

    @property
    def excluded_items(self) -> tuple[ItemResult, ...]:
        """Items marked n/a."""
        return tuple(i for i in self.items if i.excluded)


@dataclass(frozen=True)
class Check:
    """What a criterion function reports."""

    met: bool
    criterion: str  #: what is measured, e.g. "score", "survey.S_in_person"
    required: str  #: e.g. "≥ 90"
    actual: str  #: e.g. "75.00"
    summary: str  #: one line, e.g. "S_in_person 75.00 < 90"
    text_zh: str  #: one Chinese clause, e.g. "当面问卷调查 S当面 为 75.00%，要求 ≥ 90%"


@dataclass(frozen=True)
class CriterionResult:
    """A criterion of a level, checked."""

    level: str
    kind: str
    check: Check
    clause: str = ""


@dataclass(frozen=True)
class Result:
    """The level reached, and why: every criterion, and what kept it from the next level up."""

    scheme: Scheme
    input: EvaluationInput
    computation: Computation
    level: str
    criteria: tuple[CriterionResult, ...]
    limited_by: tuple[CriterionResult, ...]  #: failed criteria of the level just above `level`

    @property
    def level_name(self) -> str:
        """Chinese name of the level given."""
        return self.scheme.level_name(self.level)

    @property
    def upper_level(self) -> str | None:
        """The level just above the one given (None at the top)."""
        return self.scheme.level_above(self.level)

    @property
    def warnings(self) -> tuple[str, ...]:
        """The input's and the computation's warnings."""
        return self.computation.warnings
