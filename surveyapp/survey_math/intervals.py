"""95 % intervals: percentile bootstrap within each channel; linearized t interval as a check.

Every statistic here (item means, dimension scores, S_c, S, pooled S) is a function of the
per-channel item score sums and answer counts, so a resample only needs those 2k numbers:
resample weights (B, m) @ per-response matrix (m, 2k) gives all B resamples in one BLAS call.

Up to `max_n` valid responses per channel (default 10,000) this is the ordinary
nonparametric bootstrap (resample n of n with replacement, percentile interval). Above it the
cost of B·n draws is not worth paying: a fixed random subsample of m = max_n responses is
drawn (same seed), resampled m of m, and each resample's sums are rescaled to the full sample
as T + sqrt(n/m)·(T*_m − T_m) — same mean T and covariance n·Σ as the full bootstrap, the
m-out-of-n bootstrap with √n rescaling (Bickel, Götze & van Zwet 1997) for a smooth function
of means. At n > 10,000 per channel the half-width is below a point, far under the 5-point
sufficiency bound, and the subsample only has to get the shape of the sampling distribution
right, not its width; the t interval (over all n responses) is reported beside it as a
cross-check, and tests compare the two paths.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

from surveyapp.scoring.numbers import measured

from .core import Layout, Prepared

DEFAULT_MAX_N = 10_000  #: bootstrap on all responses of a channel up to this many
_CELLS_PER_CHUNK = 2_000_000  # resample weights held in memory at once (16 MB of float64)


@dataclass(frozen=True, eq=False)
class ChannelData:
    """The valid responses of one channel as compact per-response matrices."""

    xz: np.ndarray  #: float32 (n, k) item scores, 0 where not answered
    answered: np.ndarray  #: bool (n, k)
    sums: np.ndarray  #: float64 (k,)
    counts: np.ndarray  #: float64 (k,)

    @property
    def n(self) -> int:
        return len(self.xz)


def channel_data(prep: Prepared, c: int) -> ChannelData:
    """Collect channel c's valid responses (scores with 0 for N/A, answered flags, sums)."""
    rows = prep.rows(c)
    xz = prep.scores[rows]
    answered = prep.answered[rows]
    return ChannelData(
        xz=xz,
        answered=answered,
        sums=xz.sum(axis=0, dtype=np.float64),
        counts=answered.sum(axis=0, dtype=np.int64).astype(np.float64),
    )


def bootstrap_sums(
    data: ChannelData, resamples: int, seed: int, stream: int, max_n: int = DEFAULT_MAX_N
) -> tuple[np.ndarray, np.ndarray, int]:
    """Resampled item sums and counts (B, k) each, and the m actually resampled.

    The generator is seeded with (seed, stream) so a channel's resamples do not depend on the
    other channel's size: the same data and seed always give the same interval.
    """
    rng = np.random.default_rng([int(seed), int(stream)])
    n, k = data.xz.shape
    if n == 0 or resamples <= 0:
        return np.zeros((0, k)), np.zeros((0, k)), 0
    m = min(n, max(int(max_n), 1))
    if m < n:
        sub = np.sort(rng.choice(n, size=m, replace=False))
        z = np.hstack([data.xz[sub], data.answered[sub]]).astype(np.float64)
    else:
        z = np.hstack([data.xz, data.answered]).astype(np.float64)
    out = np.empty((resamples, 2 * k))
    chunk = max(1, min(resamples, _CELLS_PER_CHUNK // m))
    for start in range(0, resamples, chunk):
        b = min(chunk, resamples - start)
        idx = rng.integers(0, m, size=(b, m))
        idx += (np.arange(b) * m)[:, None]
        weights = np.bincount(idx.ravel(), minlength=b * m).reshape(b, m).astype(np.float64)
        out[start : start + b] = weights @ z
    if m < n:
        full = np.concatenate([data.sums, data.counts])
        out = full + math.sqrt(n / m) * (out - z.sum(axis=0))
        np.clip(out[:, k:], 0.0, None, out=out[:, k:])
    return out[:, :k], out[:, k:], m


def percentile_interval(samples: np.ndarray, level: float = 0.95) -> tuple[float, float] | None:
    """Percentile interval of the finite bootstrap values; None when there are none."""
    finite = samples[np.isfinite(samples)]
    if finite.size == 0:
        return None
    tail = (1.0 - level) / 2.0
    lo, hi = np.quantile(finite, [tail, 1.0 - tail])
    return float(measured(lo)), float(measured(hi))


# --- analytic cross-check -------------------------------------------------------------------


def coefficients(counts: np.ndarray, layout: Layout) -> np.ndarray:
    """d statistic / d item mean, (k, 1 + 6): column 0 = S_c, then each dimension.

    A dimension is the plain mean of its answered items and S_c the renormalized weighted mean
    of the answered dimensions, so every statistic is linear in the item means.
    """
    has = (counts > 0).astype(np.float64)
    dim_n = has @ layout.membership
    per_item = layout.membership * has[:, None]
    c_dims = np.divide(per_item, dim_n, out=np.zeros_like(per_item), where=dim_n > 0)
    w = np.where(dim_n > 0, layout.dim_weights, 0.0)
    c_s = c_dims @ w / w.sum() if w.sum() > 0 else np.zeros(len(counts))
    return np.column_stack([c_s, c_dims])


def influence(
    data: ChannelData, grad: np.ndarray, means: np.ndarray, share: np.ndarray
) -> np.ndarray:
    """Per-response linearization (n, J): Σ_i grad_ij · answered_ri (x_ri − mean_i) / share_i.

    `share` is the share of responses answering item i (count / N of the estimate), so the
    statistic ≈ its value + mean(influence) and its variance ≈ var(influence) / N.
    """
    g = np.divide(grad, share[:, None], out=np.zeros_like(grad), where=share[:, None] > 0)
    out = data.xz @ g.astype(np.float32)
    out -= data.answered.astype(np.float32) @ (g * means[:, None]).astype(np.float32)
    return out


def t_interval(
    estimate: float, components: list[tuple[float, int]], level: float = 0.95
) -> tuple[float, float] | None:
    """estimate ± t·se with se² = Σ variance components, Welch–Satterthwaite degrees of freedom.

    Each component is (variance contribution, its degrees of freedom); None when the estimate is
    missing or a component has no degrees of freedom (a channel with one response).
    """
    if not math.isfinite(estimate) or not components:
        return None
    if any(df < 1 or not math.isfinite(v) for v, df in components):
        return None
    var = sum(v for v, _ in components)
    if var <= 0.0:
        return estimate, estimate
    df = var**2 / sum(v**2 / d for v, d in components if v > 0)
    half = float(stats.t.ppf(0.5 + level / 2.0, df)) * math.sqrt(var)
    return estimate - half, estimate + half


def sample_var(x: np.ndarray) -> np.ndarray:
    """Column variances with ddof=1, accumulated in float64 (NaN below two rows, no warning)."""
    n = len(x)
    if n < 2:
        return np.full(x.shape[1], np.nan)
    mean = x.mean(axis=0, dtype=np.float64)
    centered = x - mean.astype(x.dtype)
    ss = np.einsum("ij,ij->j", centered, centered, dtype=np.float64)
    resid = centered.sum(axis=0, dtype=np.float64)  # rounding left by the float32 mean
    return np.maximum(ss - resid * resid / n, 0.0) / (n - 1)
