"""Vectorized core of S: scale mapping, valid responses, item -> dimension -> channel score."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from surveyapp.scoring.numbers import answers_needed
from surveyapp.scoring.survey import DIMENSIONS, Question, SurveyParams

from .frame import ResponseFrame


@dataclass(frozen=True, eq=False)
class Layout:
    """Where the scored questions are and how their answers map to 0..100."""

    scored_idx: np.ndarray  #: answers-matrix columns of the scored questions, in order
    item_ids: tuple[str, ...]
    membership: np.ndarray  #: (k, 6) 1.0 where item i belongs to dimension d
    dim_weights: np.ndarray  #: (6,) w_d from the parameters
    lut: np.ndarray  #: (256,) float32 score indexed by the uint8 view of an answer; NaN = none
    need: int  #: answered scored questions needed for a valid response

    @property
    def k(self) -> int:
        return len(self.item_ids)


def make_layout(questions: Sequence[Question], params: SurveyParams) -> Layout:
    """Index the scored questions and build the answer -> score lookup of params.scale."""
    scored = [i for i, q in enumerate(questions) if q.scored]
    membership = np.zeros((len(scored), len(DIMENSIONS)))
    for row, i in enumerate(scored):
        membership[row, DIMENSIONS.index(questions[i].dimension)] = 1.0
    lut = np.full(256, np.nan, dtype=np.float32)
    for value, score in params.scale.items():
        if not 0 <= int(value) <= 10:
            raise ValueError(f"scale maps answer {value!r}; answers are 0..10")
        lut[int(value)] = float(score)
    weights = np.array([float(params.dimension_weights.get(d, 0.0)) for d in DIMENSIONS])
    if (weights < 0).any():
        raise ValueError("dimension weights must be >= 0")
    if any(float(w) < 0 for w in params.channel_weights.values()):
        raise ValueError("channel weights must be >= 0")
    if params.combine not in ("weighted", "pooled"):
        raise ValueError(f"combine must be 'weighted' or 'pooled', got {params.combine!r}")
    # "at least half answered": the smallest whole count reaching the fraction (9 of 18, 5 of 9)
    need = answers_needed(params.min_answered_fraction, len(scored))
    return Layout(
        scored_idx=np.asarray(scored, dtype=np.intp),
        item_ids=tuple(questions[i].id for i in scored),
        membership=membership,
        dim_weights=weights,
        lut=lut,
        need=need,
    )


def score_arrays(answers: np.ndarray, layout: Layout) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Scored answers: (codes int8, scores float32 with 0 where unanswered, answered bool).

    An answer counts as answered when params.scale maps it; 不适用 (-1) and values outside the
    scale (e.g. 0 or 6-10 on a likert question) are missing, never a number.
    """
    codes = answers[:, layout.scored_idx].view(np.uint8)
    answered = ~np.isnan(layout.lut)[codes]
    scores = np.nan_to_num(layout.lut)[codes]
    return codes.view(np.int8), scores, answered


@dataclass(frozen=True, eq=False)
class Prepared:
    """Per-response arrays shared by every statistic of one computation."""

    layout: Layout
    channel: np.ndarray  #: int8 index into CHANNELS
    valid: np.ndarray  #: bool: enough scored answers and not excluded
    codes: np.ndarray  #: int8 (n, k) the raw scored answers
    scores: np.ndarray  #: float32 (n, k) mapped scores, 0 where not answered
    answered: np.ndarray  #: bool (n, k)

    def rows(self, c: int) -> np.ndarray:
        """Valid responses of channel c (a boolean mask)."""
        return self.valid & (self.channel == c)


def valid_mask(answered: np.ndarray, excluded: np.ndarray, layout: Layout) -> np.ndarray:
    """Valid responses (DOMAIN.md "Valid response"): not excluded, at least layout.need scored
    answers, and a questionnaire with scored questions at all."""
    n_answered = answered.sum(axis=1, dtype=np.int32)
    return (n_answered >= layout.need) & ~excluded & (layout.k > 0)


def prepare(frame: ResponseFrame, params: SurveyParams) -> Prepared:
    """Map answers to scores and decide validity (DOMAIN.md "Valid response")."""
    layout = make_layout(frame.questions, params)
    codes, scores, answered = score_arrays(frame.answers, layout)
    valid = valid_mask(answered, frame.excluded(), layout)
    return Prepared(layout, frame.channel_codes(), valid, codes, scores, answered)


def stats_from_sums(
    sums: np.ndarray, counts: np.ndarray, layout: Layout
) -> tuple[np.ndarray, np.ndarray]:
    """Channel score and dimension scores from item sums/counts; leading axes are batches.

    item mean = sum / count; dimension = mean of its answered item means; S_c = Σ w_d·dim_d /
    Σ w_d over dimensions with answers. Returns (S (...), dims (..., 6)), NaN = no answers.
    """
    has = counts > 0
    item = np.divide(sums, counts, out=np.zeros_like(sums, dtype=np.float64), where=has)
    dim_n = has.astype(np.float64) @ layout.membership
    dim_sum = item @ layout.membership
    dims = np.divide(dim_sum, dim_n, out=np.full_like(dim_sum, np.nan), where=dim_n > 0)
    present = dim_n > 0
    w = layout.dim_weights
    wsum = present.astype(np.float64) @ w
    s = np.divide(
        np.where(present, dims, 0.0) @ w, wsum, out=np.full_like(wsum, np.nan), where=wsum > 0
    )
    return s, dims


def combine(x_in_person: np.ndarray, x_online: np.ndarray, omega: float) -> np.ndarray:
    """ω·in_person + (1−ω)·online; where one side is NaN (no answers) the other side alone."""
    a = np.asarray(x_in_person, dtype=np.float64)
    b = np.asarray(x_online, dtype=np.float64)
    both = omega * a + (1.0 - omega) * b
    return np.where(np.isnan(a), b, np.where(np.isnan(b), a, both))


def omega_of(params: SurveyParams) -> float:
    """ω, the weight of the in-person channel in S (normalized when both weights are given)."""
    w_in = float(params.channel_weights.get("in_person", 0.5))
    w_on = float(params.channel_weights.get("online", 1.0 - w_in))
    return w_in / (w_in + w_on) if w_in + w_on > 0 else 0.5
