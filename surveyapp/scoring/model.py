"""Frozen, typed descriptions of a scheme and of an evaluation input (the engine's vocabulary)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from types import MappingProxyType

from .. import vocabulary
from .survey import SurveyParams

#: how an item's value is given (see docs/schemes.md)
ITEM_MODES = ("points", "maturity", "options", "survey")
#: event types an evaluation input may carry (CONTRACT.md "Evaluation input") and the survey
#: measures a level may compare, with their Chinese names (from the one vocabulary module)
EVENT_TYPES: tuple[str, ...] = tuple(vocabulary.EVENTS)
EVENT_NAMES_ZH: Mapping[str, str] = vocabulary.EVENTS
SURVEY_MEASURES: tuple[str, ...] = tuple(vocabulary.MEASURES)
SURVEY_MEASURE_NAMES_ZH: Mapping[str, str] = vocabulary.MEASURES


def frozen_map(data: Mapping | None = None) -> Mapping:
    """A read-only copy of a mapping, for fields of frozen dataclasses."""
    return MappingProxyType(dict(data or {}))


@dataclass(frozen=True)
class Item:
    """A scored checklist item (a leaf of the indicator tree), identified by its clause number."""

    id: str
    title: str
    points: Decimal
    group: str | None  #: id of the parent group; None when the item is a first-level indicator
    mode: str = "points"  #: one of ITEM_MODES
    excludable: bool = False
    options: tuple[Decimal, ...] = ()  #: allowed values when mode == "options"
    #: the checklist marks this item "*": its worst option is a special deduction (seed 002 note 2)
    deduction_option: bool = False
    quantitative: bool = False  #: marked △ in seed 002: proportional scoring, options are a guide
    dimension: str | None = None  #: seed 000 dimension code (B1…, C1…, A1…)
    #: for mode == "survey": "S" (satisfaction) or "dimensions" (the six perception dimensions)
    survey_source: str | None = None
    clause: str = ""  #: where the item and its points are printed in the seed

    @property
    def required(self) -> bool:
        """An item must be scored unless it carries no points or is fed by the survey."""
        return self.points > 0 and self.mode != "survey"


@dataclass(frozen=True)
class Group:
    """An inner node of the indicator tree; its points are the sum of its children's."""

    id: str
    title: str
    points: Decimal
    parent: str | None = None
    clause: str = ""


@dataclass(frozen=True)
class Part:
    """A named set of first-level groups with its own total (xh-2025: GB/T 27922 + GB/T 36733)."""

    id: str
    title: str
    points: Decimal
    groups: tuple[str, ...]
    clause: str = ""


@dataclass(frozen=True)
class Criterion:
    """One rule of a level: a kind from the registry plus its parameters."""

    kind: str
    params: Mapping[str, object] = field(default_factory=frozen_map)
    clause: str = ""
    note: str = ""
    name_zh: str = ""  #: what the criterion measures, in the seed's words (e.g. 服务特性测评总分 X)


@dataclass(frozen=True)
class Level:
    """A level and every criterion it needs; levels are tried from the top down (就低不就高)."""

    id: str
    name: str  #: Chinese name printed on the certificate, e.g. 四星级
    criteria: tuple[Criterion, ...]
    clause: str = ""


@dataclass(frozen=True)
class Adjustment:
    """Special deductions or the special bonus: points each, and the fail threshold if any."""

    enabled: bool = False
    points_each: Decimal = Decimal(1)
    max_count: int | None = None  #: special bonus: at most this many (seed 000 D2: 1)
    clause: str = ""


@dataclass(frozen=True)
class Scheme:
    """A certification scheme: indicator tree, exclusion rule, levels and survey parameters."""

    id: str
    title: str
    source: str
    version: str
    max_points: Decimal
    items: tuple[Item, ...]
    groups: tuple[Group, ...]
    levels: tuple[Level, ...]  #: top level first
    fallback_level: str  #: the level given when no defined level is reached: "none" or "fail"
    fallback_name: str
    survey: SurveyParams = field(default_factory=SurveyParams)
    parts: tuple[Part, ...] = ()
    rounding: str = "half_up"  #: "half_up" (DOMAIN.md) or "down"
    exclusion_rule: str = ""  #: what may be excluded, in words, for error messages
    special_deductions: Adjustment = field(default_factory=Adjustment)
    special_bonus: Adjustment = field(default_factory=Adjustment)
    questionnaire: str = "default"
    sha256: str = ""
    path: str = ""

    @property
    def item_map(self) -> Mapping[str, Item]:
        """Items by id."""
        return {item.id: item for item in self.items}

    @property
    def group_map(self) -> Mapping[str, Group]:
        """Groups by id."""
        return {group.id: group for group in self.groups}

    @property
    def first_level(self) -> tuple[Group | Item, ...]:
        """The first-level indicators: top groups, and items that have no group (cqm-2019)."""
        tops: list[Group | Item] = [g for g in self.groups if g.parent is None]
        tops += [i for i in self.items if i.group is None]
        return tuple(tops)

    @property
    def level_ids(self) -> tuple[str, ...]:
        """Every level id, top first, ending with the fallback level."""
        return (*(lv.id for lv in self.levels), self.fallback_level)

    def level_name(self, level_id: str) -> str:
        """Chinese name of a level id."""
        if level_id == self.fallback_level:
            return self.fallback_name
        return next(lv.name for lv in self.levels if lv.id == level_id)

    def level_above(self, level_id: str) -> str | None:
        """The level just above `level_id` (None at the top)."""
        ids = self.level_ids
        index = ids.index(level_id)
        return ids[index - 1] if index > 0 else None

    def ancestors(self, item: Item) -> tuple[str, ...]:
        """Ids of the groups above an item, nearest first."""
        groups = self.group_map
        out: list[str] = []
        gid = item.group
        while gid is not None:
            out.append(gid)
            gid = groups[gid].parent
        return tuple(out)

    def top_of(self, item: Item) -> str:
        """Id of the first-level indicator an item belongs to (itself when it has no group)."""
        chain = self.ancestors(item)
        return chain[-1] if chain else item.id


# ---- evaluation input (validated) -------------------------------------------------------------


@dataclass(frozen=True)
class ItemScore:
    """What the input says for one item: points per auditor, or excluded ("n/a")."""

    item_id: str
    values: tuple[Decimal, ...] = ()  #: points, one per auditor; empty when excluded
    excluded: bool = False


@dataclass(frozen=True)
class Event:
    """A liability accident, major complaint or negative publicity, with its date."""

    type: str
    date: date
    rectified: bool = False


@dataclass(frozen=True)
class ManagementAudit:
    """Outcome of the management (conformity) audit, seed 001 §5.2."""

    passed: bool
    severe_nonconformities: int = 0


@dataclass(frozen=True)
class SurveyFigures:
    """The survey results the levels use: percentages 0–100, None when not available."""

    S: Decimal | None = None
    S_in_person: Decimal | None = None
    S_online: Decimal | None = None
    dimensions: Mapping[str, Decimal] = field(default_factory=frozen_map)

    def measure(self, name: str) -> Decimal | None:
        """S, S_in_person or S_online by name."""
        return getattr(self, name)


@dataclass(frozen=True)
class SpecialDeduction:
    """One special deduction (特别扣分项), optionally tied to an item."""

    item: str | None = None
    note: str = ""


@dataclass(frozen=True)
class EvaluationInput:
    """A validated evaluation input for one scheme (CONTRACT.md "Evaluation input")."""

    scheme_id: str
    scores: Mapping[str, ItemScore]
    evaluation_date: date | None = None
    special_deductions: tuple[SpecialDeduction, ...] = ()
    special_bonus: int = 0
    management_audit: ManagementAudit | None = None
    survey: SurveyFigures | None = None
    operating_since: date | None = None
    events: tuple[Event, ...] = ()
    warnings: tuple[str, ...] = ()
