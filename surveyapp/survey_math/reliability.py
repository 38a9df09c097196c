"""Cronbach's α per dimension: a warning about the questionnaire, never an input of S."""

from __future__ import annotations

import numpy as np

from surveyapp.scoring.survey import DIMENSIONS

from .core import Prepared


def cronbach_alpha(items: np.ndarray) -> float | None:
    """α = k/(k−1) · (1 − Σ var(item) / var(total)) over complete rows (NaN = missing).

    None when there are fewer than 2 items or 2 complete rows, or the totals do not vary.
    """
    x = np.asarray(items, dtype=np.float64)
    if x.ndim != 2 or x.shape[1] < 2:
        return None
    x = x[~np.isnan(x).any(axis=1)]
    if len(x) < 2:
        return None
    k = x.shape[1]
    item_var = x.var(axis=0, ddof=1)
    total_var = x.sum(axis=1).var(ddof=1)
    scale = float(np.abs(x).max()) or 1.0
    if total_var <= 1e-12 * scale * scale:  # identical totals: α is undefined, not 1 or -inf
        return None
    return float(k / (k - 1) * (1.0 - item_var.sum() / total_var))


_MAX_PATTERNS = 1 << 20


def dimension_alphas(prep: Prepared) -> dict[str, float | None]:
    """α of each dimension over the valid responses of both channels, on the mapped scores.

    Same value as cronbach_alpha over complete cases, computed from the frequency table of
    complete answer patterns (5 scale values and 3-4 items give at most 625 patterns), so a
    million responses cost a few integer passes and no float copies.
    """
    layout = prep.layout
    values = np.flatnonzero(~np.isnan(layout.lut[:11]))  # the answer values the scale maps
    base = len(values)
    position = np.full(256, -1, dtype=np.int64)
    position[values] = np.arange(base)
    out: dict[str, float | None] = {}
    for d, dim in enumerate(DIMENSIONS):
        cols = np.flatnonzero(layout.membership[:, d])
        if len(cols) < 2 or base == 0:
            out[dim] = None
            continue
        if base ** len(cols) > _MAX_PATTERNS:  # a very long dimension: plain complete cases
            rows = prep.valid & prep.answered[:, cols].all(axis=1)
            out[dim] = cronbach_alpha(prep.scores[np.ix_(rows, cols)])
            continue
        key = np.zeros(len(prep.valid), dtype=np.int64)
        complete = prep.valid.copy()
        for j, col in enumerate(cols):
            pos = position[prep.codes[:, col].view(np.uint8)]
            complete &= pos >= 0
            key += pos * base**j
        freq = np.bincount(key[complete], minlength=base ** len(cols))
        seen = np.flatnonzero(freq)
        digits = (seen[:, None] // base ** np.arange(len(cols))) % base
        out[dim] = _weighted_alpha(layout.lut[values[digits]].astype(np.float64), freq[seen])
    return out


def _weighted_alpha(x: np.ndarray, weight: np.ndarray) -> float | None:
    """cronbach_alpha of the rows of x, row r repeated weight[r] times."""
    n = float(weight.sum())
    if n < 2:
        return None
    k = x.shape[1]
    w = weight.astype(np.float64)[:, None]
    item_var = (w * (x - (w * x).sum(axis=0) / n) ** 2).sum(axis=0) / (n - 1)
    total = x.sum(axis=1, keepdims=True)
    total_var = float((w * (total - (w * total).sum() / n) ** 2).sum() / (n - 1))
    scale = float(np.abs(x).max()) or 1.0
    if total_var <= 1e-12 * scale * scale:
        return None
    return float(k / (k - 1) * (1.0 - item_var.sum() / total_var))
