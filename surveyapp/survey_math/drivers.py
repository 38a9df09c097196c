"""What drives satisfaction: importance–performance analysis (IPA) per dimension and question.

Importance is *derived*, not asked: the Pearson correlation, over the valid responses of both
channels, between a respondent's score on the dimension (the mean of their answered questions
in it, on the campaign's frozen scale) or question and their overall satisfaction (the
criterion). Why correlation and not regression weights: the six dimensions of one customer
move together (r ≈ 0.5–0.8 in our synthetic and demo campaigns), and under that collinearity
multiple-regression weights swap order or turn negative from one sample to the next, which a
manager would read as "safety does not matter". A bivariate r is stable, has a textbook
interval (Fisher z) and reads plainly: "customers who rate this low also rate the whole low".

The criterion, in this order:
1. the overall question: a likert question on no dimension (总体满意度), mapped by the scale;
2. else the NPS question (0–10, as answered);
3. else the respondent's mean of the *other* dimensions (leave-one-out, so a dimension is
   never correlated with a total that contains itself).

Performance is the campaign's own dimension (question) score, combined over channels exactly
as S is. The quadrants split at the mean importance and the mean performance of the items
plotted ("data-centred" IPA, Martilla & James 1977): above-mean importance with below-mean
performance is what to fix first.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from surveyapp.scoring.survey import DIMENSIONS, SurveyParams

from .core import Prepared, prepare
from .frame import ResponseFrame

#: pairs below which an importance is shown but marked insufficient
MIN_PAIRS = 30
Z95 = 1.959963984540054
#: quadrant ids (vocabulary.DRIVER_QUADRANTS), by (importance high, performance high)
QUADRANTS = {
    (True, False): "fix_first",
    (True, True): "keep_up",
    (False, False): "low_priority",
    (False, True): "possible_overkill",
}


@dataclass(frozen=True)
class Importance:
    """A derived importance: r, its 95 % Fisher-z interval, and the pairs it rests on."""

    r: float | None
    lo: float | None
    hi: float | None
    n: int

    @property
    def sufficient(self) -> bool:
        return self.r is not None and self.n >= MIN_PAIRS


def pearson(x: np.ndarray, y: np.ndarray) -> Importance:
    """r over the pairs where both are finite; None when fewer than 3 pairs or one is constant."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    both = np.isfinite(x) & np.isfinite(y)
    n = int(both.sum())
    if n < 3:
        return Importance(None, None, None, n)
    x, y = x[both], y[both]
    dx, dy = x - x.mean(), y - y.mean()
    sxx, syy = float(dx @ dx), float(dy @ dy)
    scale = max(float(np.abs(x).max()), float(np.abs(y).max()), 1.0)
    if sxx <= 1e-12 * scale * scale * n or syy <= 1e-12 * scale * scale * n:
        return Importance(None, None, None, n)  # everyone answered alike: no relation to read
    r = float(np.clip((dx @ dy) / np.sqrt(sxx * syy), -1.0, 1.0))
    if n <= 3 or abs(r) >= 1.0:
        return Importance(r, None, None, n)
    z, se = np.arctanh(r), 1.0 / np.sqrt(n - 3)
    return Importance(r, float(np.tanh(z - Z95 * se)), float(np.tanh(z + Z95 * se)), n)


def _per_respondent_dimensions(prep: Prepared) -> np.ndarray:
    """(n, 6) each respondent's dimension score: mean of their answered items; NaN = none."""
    m = prep.layout.membership
    sums = prep.scores.astype(np.float64) @ m
    counts = prep.answered.astype(np.float64) @ m
    return np.divide(sums, counts, out=np.full_like(sums, np.nan), where=counts > 0)


def criterion(frame: ResponseFrame, prep: Prepared) -> tuple[str, np.ndarray]:
    """(basis, y): what importance is measured against, per response (NaN = not answered)."""
    questions = frame.questions
    overall = [i for i, q in enumerate(questions) if q.kind == "likert" and q.dimension is None]
    if overall:
        codes = frame.answers[:, overall[0]].view(np.uint8)
        y = prep.layout.lut[codes].astype(np.float64)
        return f"overall_question:{questions[overall[0]].id}", y
    nps = [i for i, q in enumerate(questions) if q.kind == "nps"]
    if nps:
        raw = frame.answers[:, nps[0]].astype(np.float64)
        return f"nps_question:{questions[nps[0]].id}", np.where(raw >= 0, raw, np.nan)
    return "other_dimensions", np.full(len(frame), np.nan)


def _leave_one_out(dims: np.ndarray, d: int) -> np.ndarray:
    """The respondent's mean of the other dimensions they answered (NaN = none)."""
    others = np.delete(dims, d, axis=1)
    has = np.isfinite(others)
    total = np.where(has, others, 0.0).sum(axis=1)
    count = has.sum(axis=1)
    return np.divide(total, count, out=np.full(len(dims), np.nan), where=count > 0)


@dataclass(frozen=True)
class Drivers:
    """Importance per dimension and per scored question, and the criterion's basis."""

    basis: str
    dimensions: dict[str, Importance]
    questions: dict[str, Importance]
    question_dimension: dict[str, str]


def compute_drivers(frame: ResponseFrame, params: SurveyParams) -> Drivers:
    """Importances of the six dimensions and of every scored question (valid responses).

    Performance is not computed here: it is the campaign's own scores (compute_scores'
    dimensions and items), so the drivers and the scores page never disagree."""
    prep = prepare(frame, params)
    basis, y = criterion(frame, prep)
    rows = prep.valid
    dims = _per_respondent_dimensions(prep)[rows]
    y = y[rows]
    dim_out: dict[str, Importance] = {}
    for d, dim in enumerate(DIMENSIONS):
        target = _leave_one_out(dims, d) if basis == "other_dimensions" else y
        dim_out[dim] = pearson(dims[:, d], target)
    layout = prep.layout
    item_scores = np.where(prep.answered, prep.scores, np.nan)[rows].astype(np.float64)
    q_out: dict[str, Importance] = {}
    q_dim: dict[str, str] = {}
    for i, qid in enumerate(layout.item_ids):
        d = int(np.argmax(layout.membership[i]))
        target = _leave_one_out(dims, d) if basis == "other_dimensions" else y
        q_out[qid] = pearson(item_scores[:, i], target)
        q_dim[qid] = DIMENSIONS[d]
    return Drivers(basis, dim_out, q_out, q_dim)


def split_points(
    points: Mapping[str, tuple[float | None, float | None]],
) -> tuple[float | None, float | None]:
    """(mean importance, mean performance) of the points that have both: the quadrant lines;
    (None, None) when no point has both."""
    known = [v for v in points.values() if v[0] is not None and v[1] is not None]
    if not known:
        return (None, None)
    return float(np.mean([v[0] for v in known])), float(np.mean([v[1] for v in known]))


def quadrants(points: Mapping[str, tuple[float | None, float | None]]) -> dict[str, str | None]:
    """key → quadrant id, split at `split_points`; None for a point missing either value."""
    imp_mid, perf_mid = split_points(points)
    return {
        k: (QUADRANTS[(v[0] >= imp_mid, v[1] >= perf_mid)] if None not in v else None)
        for k, v in points.items()
    }
