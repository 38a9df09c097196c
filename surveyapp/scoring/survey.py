"""Survey parameters and questions: the scheme-declared inputs of the S computation (DOMAIN.md)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from .. import vocabulary

#: The six perception dimensions of seed 001 §4.3 / GB/T 36733 "客观结果", in report order
#: (ids and Chinese names from the one vocabulary module).
DIMENSIONS: tuple[str, ...] = tuple(vocabulary.DIMENSIONS)
DIMENSION_NAMES_ZH: Mapping[str, str] = vocabulary.DIMENSIONS
CHANNELS: tuple[str, ...] = tuple(vocabulary.CHANNELS)


@dataclass(frozen=True)
class Choice:
    """One option of a choice question: its code (1-35, as exports and SPSS carry it) and words."""

    value: int
    zh: str
    en: str


@dataclass(frozen=True)
class Question:
    """One question of a questionnaire; only `likert` questions of a dimension enter S.

    What each kind accepts, stores and shows lives in surveyapp/question_kinds (one module per
    kind); `width` is the characters its answer takes in the packed answers, as its kind says.
    """

    id: str
    text_zh: str
    text_en: str
    kind: str = "likert"  #: a kind of surveyapp/question_kinds: likert, nps, single, multiple, text
    dimension: str | None = None  #: one of DIMENSIONS, or None (overall, NPS, comment)
    clause: str | None = None  #: the seed clause the question probes, e.g. "4.1.5"
    required: bool = True
    choices: tuple[Choice, ...] = ()  #: a choice kind's options, in the order shown
    #: display logic: shown only when this condition on an earlier answer holds (e.g. "q3 <= 2")
    show_if: str | None = None
    width: int = 1

    @property
    def scored(self) -> bool:
        """True when the question enters S: a likert question on one of the six dimensions."""
        return self.kind == "likert" and self.dimension in DIMENSIONS


@dataclass(frozen=True)
class SurveyParams:
    """How responses become S (DOMAIN.md "Scoring the survey"); stored with each result."""

    #: answer value (1..5) -> 0..100 score; default 5→100 … 1→20
    scale: Mapping[int, float] = field(
        default_factory=lambda: {5: 100.0, 4: 80.0, 3: 60.0, 2: 40.0, 1: 20.0}
    )
    #: ω for in_person and 1-ω for online
    channel_weights: Mapping[str, float] = field(
        default_factory=lambda: {"in_person": 0.5, "online": 0.5}
    )
    dimension_weights: Mapping[str, float] = field(
        default_factory=lambda: {d: 1 / 6 for d in DIMENSIONS}
    )
    #: "weighted" (ω per channel) | "pooled" (all valid responses together)
    combine: str = "weighted"
    #: a response is valid when at least this share of scored questions is answered
    min_answered_fraction: float = 0.5
    min_valid_per_channel: int = 30
    max_half_width: float = 5.0
    bootstrap_resamples: int = 1000
    bootstrap_seed: int = 20191223
    alpha_acceptable: float = 0.70
    #: S thresholds the scheme's levels compare against (for "marginal" marks)
    thresholds: tuple[float, ...] = ()
    #: quality flag `burst` (CONTRACT): this many responses within burst_minutes from one
    #: network address, or burst_device_count from one device, to one campaign flag them all
    burst_network_count: int = 11
    burst_device_count: int = 5
    burst_minutes: float = 10.0

    def as_dict(self) -> dict:
        """Plain-JSON form, stored with every computed result so it can be reproduced."""
        return {
            "scale": {str(k): v for k, v in sorted(self.scale.items())},
            "channel_weights": dict(self.channel_weights),
            "dimension_weights": dict(self.dimension_weights),
            "combine": self.combine,
            "min_answered_fraction": self.min_answered_fraction,
            "min_valid_per_channel": self.min_valid_per_channel,
            "max_half_width": self.max_half_width,
            "bootstrap_resamples": self.bootstrap_resamples,
            "bootstrap_seed": self.bootstrap_seed,
            "alpha_acceptable": self.alpha_acceptable,
            "thresholds": list(self.thresholds),
            "burst_network_count": self.burst_network_count,
            "burst_device_count": self.burst_device_count,
            "burst_minutes": self.burst_minutes,
        }
