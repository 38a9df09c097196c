"""S, S_in_person, S_online, dimensions, intervals and sufficiency for one set of responses."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from surveyapp.scoring.numbers import decided, measured
from surveyapp.scoring.survey import CHANNELS, DIMENSION_NAMES_ZH, DIMENSIONS, SurveyParams

from . import intervals as iv
from .core import combine, omega_of, prepare, stats_from_sums
from .frame import ResponseFrame
from .indicators import ChannelCounts, nps_counts, satisfaction_counts
from .reliability import dimension_alphas

Interval = tuple[float, float] | None
KEYS = ("S", "S_in_person", "S_online")
_CHANNEL_ZH = {"in_person": "当面问卷", "online": "电子问卷"}


@dataclass(frozen=True)
class SurveyScores:
    """The survey result over the valid responses; floats 0–100 unrounded, None = no data."""

    n: dict[str, int]  #: valid responses per channel
    received: dict[str, int]  #: all stored responses per channel (valid, invalid, excluded)
    #: not excluded but with fewer scored answers than validity needs (stored, not counted)
    invalid: dict[str, int]
    excluded: dict[str, int]
    S: float | None
    S_in_person: float | None
    S_online: float | None
    dimensions: dict[str, float | None]
    dimensions_by_channel: dict[str, dict[str, float | None]]
    items_by_channel: dict[str, dict[str, float | None]]
    #: each scored item's mean, combined over the channels as S is (ω, or pooled)
    items: dict[str, float | None]
    ci95: dict[str, Any]  #: bootstrap percentile intervals (the ones that decide)
    ci95_t: dict[str, Any]  #: analytic t intervals, a cross-check
    half_width: dict[str, float | None]
    sufficient: dict[str, bool]
    marginal: dict[str, bool]
    satisfaction_rate: float | None
    satisfaction_by_channel: dict[str, float | None]
    satisfaction_basis: str
    nps: float | None
    nps_by_channel: dict[str, float | None]
    alpha: dict[str, float | None]
    warnings: tuple[str, ...]
    parameters: SurveyParams
    ci_method: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-able values in the shape of GET /campaigns/<id>/scores."""
        return {
            "n": dict(self.n),
            "received": dict(self.received),
            "invalid": dict(self.invalid),
            "excluded": dict(self.excluded),
            "S": self.S,
            "S_in_person": self.S_in_person,
            "S_online": self.S_online,
            "dimensions": dict(self.dimensions),
            "dimensions_by_channel": {c: dict(v) for c, v in self.dimensions_by_channel.items()},
            "items_by_channel": {c: dict(v) for c, v in self.items_by_channel.items()},
            "items": dict(self.items),
            "ci95": _jsonable(self.ci95),
            "ci95_t": _jsonable(self.ci95_t),
            "half_width": dict(self.half_width),
            "sufficient": dict(self.sufficient),
            "marginal": dict(self.marginal),
            "satisfaction_rate": self.satisfaction_rate,
            "satisfaction_by_channel": dict(self.satisfaction_by_channel),
            "satisfaction_basis": self.satisfaction_basis,
            "nps": self.nps,
            "nps_by_channel": dict(self.nps_by_channel),
            "alpha": dict(self.alpha),
            "warnings": list(self.warnings),
            "parameters": self.parameters.as_dict(),
            "ci_method": _jsonable(self.ci_method),
        }


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [_jsonable(v) for v in value]
    return value


def _num(x: Any) -> float | None:
    """A computed figure as it leaves the survey math: float noise off (`numbers.measured`),
    so every answer 非常满意 is S = 100.0 on every machine; None when there is no data."""
    x = float(x)
    return float(measured(x)) if math.isfinite(x) else None


@dataclass(frozen=True)
class _Point:
    """Point estimates: S and the dimensions per channel and combined (NaN = no data)."""

    s_ch: list[float]
    dims_ch: list[np.ndarray]
    s_all: float
    dims_all: np.ndarray


@dataclass(frozen=True)
class _Boot:
    """Bootstrap replicates of S and the dimensions, per channel and combined."""

    s: list[np.ndarray]
    dims: list[np.ndarray]
    all_s: np.ndarray
    all_dims: np.ndarray
    used_m: list[int]  #: responses resampled per channel (bounded by bootstrap_max_n)


def compute_scores(
    frame: ResponseFrame, params: SurveyParams, *, bootstrap_max_n: int = iv.DEFAULT_MAX_N
) -> SurveyScores:
    """Compute S, S_in_person, S_online and the dimensions as DOMAIN.md "Scoring the survey".

    S = ω·S_in_person + (1−ω)·S_online (or pooled when params.combine == "pooled"); a channel
    without valid responses leaves S to the other one, with a warning. Rows are taken in id
    order, so the bootstrap gives the same interval however the caller loaded them.
    """
    frame = frame.sorted_by_id()
    prep = prepare(frame, params)
    layout = prep.layout
    omega = omega_of(params)
    pooled = params.combine == "pooled"
    data = [iv.channel_data(prep, c) for c in range(len(CHANNELS))]
    n = [d.n for d in data]

    point = _point_estimates(data, layout, omega, pooled)
    warnings = _coverage_warnings(layout.k, n, point.dims_ch, pooled)
    boot = _bootstrap(data, layout, params, omega, pooled, bootstrap_max_n)
    ci95 = _percentile_intervals(boot, point)
    ci95_t = _t_intervals(data, layout, omega, pooled, point)
    half = {k: (None if ci95[k] is None else (ci95[k][1] - ci95[k][0]) / 2.0) for k in KEYS}
    sufficient = _sufficient(half, n, params)
    marginal = {k: _is_marginal(ci95[k], params.thresholds) for k in KEYS}
    warnings += _sample_warnings(n, half, params)
    alpha = dimension_alphas(prep)
    warnings += _alpha_warnings(alpha, params)
    sat = satisfaction_counts(frame, prep)
    nps = nps_counts(frame, prep)

    excluded = frame.excluded()
    return SurveyScores(
        n=dict(zip(CHANNELS, n, strict=True)),
        received={ch: int((prep.channel == c).sum()) for c, ch in enumerate(CHANNELS)},
        invalid={
            ch: int((~prep.valid & ~excluded & (prep.channel == c)).sum())
            for c, ch in enumerate(CHANNELS)
        },
        excluded={ch: int((excluded & (prep.channel == c)).sum()) for c, ch in enumerate(CHANNELS)},
        S=_num(point.s_all),
        S_in_person=_num(point.s_ch[0]),
        S_online=_num(point.s_ch[1]),
        dimensions={dim: _num(point.dims_all[j]) for j, dim in enumerate(DIMENSIONS)},
        dimensions_by_channel={
            ch: {dim: _num(point.dims_ch[c][j]) for j, dim in enumerate(DIMENSIONS)}
            for c, ch in enumerate(CHANNELS)
        },
        items_by_channel=_items_by_channel(data, layout),
        items=_items_combined(data, layout, omega, pooled),
        ci95=ci95,
        ci95_t=ci95_t,
        half_width=half,
        sufficient=sufficient,
        marginal=marginal,
        satisfaction_rate=_combined_rate(sat, omega, pooled),
        satisfaction_by_channel=dict(zip(CHANNELS, sat.rates(), strict=True)),
        satisfaction_basis=sat.basis,
        nps=None if nps is None else _combined_rate(nps, omega, pooled),
        nps_by_channel=dict(zip(CHANNELS, nps.rates() if nps else [None, None], strict=True)),
        alpha=alpha,
        warnings=tuple(warnings),
        parameters=params,
        ci_method=_ci_method(params, bootstrap_max_n, boot),
    )


def _ci_method(params: SurveyParams, bootstrap_max_n: int, boot: _Boot) -> dict[str, Any]:
    """How the intervals were computed: methods, resamples, seed and responses resampled."""
    return {
        "ci95": "percentile bootstrap, responses resampled within each channel",
        "ci95_t": "linearized t interval, Welch-Satterthwaite df",
        "resamples": int(params.bootstrap_resamples),
        "seed": params.bootstrap_seed,
        "max_n": int(bootstrap_max_n),
        "resampled_n": dict(zip(CHANNELS, boot.used_m, strict=True)),
    }


def _point_estimates(data, layout, omega: float, pooled: bool) -> _Point:
    """S and the dimensions per channel, then combined: ω-weighted, or pooled sums."""
    point = [stats_from_sums(d.sums, d.counts, layout) for d in data]
    s_ch = [float(p[0]) for p in point]
    dims_ch = [p[1] for p in point]
    if pooled:
        s_all, dims_all = stats_from_sums(
            data[0].sums + data[1].sums, data[0].counts + data[1].counts, layout
        )
        s_all = float(s_all)
    else:
        s_all = float(combine(s_ch[0], s_ch[1], omega))
        dims_all = combine(dims_ch[0], dims_ch[1], omega)
    return _Point(s_ch, dims_ch, s_all, dims_all)


def _bootstrap(
    data, layout, params: SurveyParams, omega: float, pooled: bool, bootstrap_max_n: int
) -> _Boot:
    """Resample responses within each channel; a channel without data gives NaN replicates."""
    b = int(params.bootstrap_resamples)
    boot_s, boot_dims, boot_sums, boot_counts, used_m = [], [], [], [], []
    for c, d in enumerate(data):
        sums, counts, m = iv.bootstrap_sums(d, b, params.bootstrap_seed, c, bootstrap_max_n)
        used_m.append(m)
        if d.n == 0 or b <= 0:
            boot_s.append(np.full(max(b, 0), np.nan))
            boot_dims.append(np.full((max(b, 0), len(DIMENSIONS)), np.nan))
            sums = np.broadcast_to(d.sums, (max(b, 0), layout.k))
            counts = np.broadcast_to(d.counts, (max(b, 0), layout.k))
        else:
            s_b, dims_b = stats_from_sums(sums, counts, layout)
            boot_s.append(s_b)
            boot_dims.append(dims_b)
        boot_sums.append(sums)
        boot_counts.append(counts)
    if pooled:
        all_s_b, all_dims_b = stats_from_sums(
            boot_sums[0] + boot_sums[1], boot_counts[0] + boot_counts[1], layout
        )
    else:
        all_s_b = combine(boot_s[0], boot_s[1], omega)
        all_dims_b = combine(boot_dims[0], boot_dims[1], omega)
    return _Boot(boot_s, boot_dims, all_s_b, all_dims_b, used_m)


def _percentile_intervals(boot: _Boot, point: _Point) -> dict[str, Any]:
    """The bootstrap percentile 95% intervals; None where the estimate itself is missing."""

    def pci(samples: np.ndarray, estimate: float) -> Interval:
        return iv.percentile_interval(samples) if math.isfinite(estimate) else None

    return {
        "S": pci(boot.all_s, point.s_all),
        "S_in_person": pci(boot.s[0], point.s_ch[0]),
        "S_online": pci(boot.s[1], point.s_ch[1]),
        "dimensions": {
            dim: pci(boot.all_dims[:, j], float(point.dims_all[j]))
            for j, dim in enumerate(DIMENSIONS)
        },
        "dimensions_by_channel": {
            ch: {
                dim: pci(boot.dims[c][:, j], float(point.dims_ch[c][j]))
                for j, dim in enumerate(DIMENSIONS)
            }
            for c, ch in enumerate(CHANNELS)
        },
    }


def _sufficient(half: dict[str, float | None], n: list[int], params: SurveyParams) -> dict:
    """Sufficient: enough valid responses per channel and a half-width within max_half_width."""
    enough = [x >= params.min_valid_per_channel for x in n]
    sufficient = {}
    for key, channels_ok in (
        ("S", all(enough)),
        ("S_in_person", enough[0]),
        ("S_online", enough[1]),
    ):
        h = half[key]
        sufficient[key] = bool(
            channels_ok and h is not None and decided(h) <= params.max_half_width
        )
    return sufficient


def _sample_warnings(
    n: list[int], half: dict[str, float | None], params: SurveyParams
) -> list[str]:
    """small_sample per channel under min_valid_per_channel, wide_interval past max_half_width."""
    warnings = []
    for c, ch in enumerate(CHANNELS):
        if 0 < n[c] < params.min_valid_per_channel:
            warnings.append(
                f"small_sample:{ch}: {_CHANNEL_ZH[ch]}有效答卷 {n[c]} 份，少于 "
                f"{params.min_valid_per_channel} 份（样本不足）"
            )
    for key in KEYS:
        if half[key] is not None and decided(half[key]) > params.max_half_width:
            warnings.append(
                f"wide_interval:{key}: {key} 的 95% 区间半宽 {half[key]:.2f} 分，"
                f"超过 {params.max_half_width:g} 分（样本不足）"
            )
    return warnings


def _alpha_warnings(alpha: dict[str, float | None], params: SurveyParams) -> list[str]:
    """low_alpha for each dimension whose Cronbach's α is below alpha_acceptable."""
    warnings = []
    for dim, a in alpha.items():
        if a is not None and decided(a) < params.alpha_acceptable:
            warnings.append(
                f"low_alpha:{dim}: {DIMENSION_NAMES_ZH[dim]}的 Cronbach's α = "
                f"{a:.2f}，低于 {params.alpha_acceptable:.2f}（问卷信度）"
            )
    return warnings


def _items_by_channel(data, layout) -> dict[str, dict[str, float | None]]:
    """Each scored item's mean per channel; None where the channel has no answer to it."""
    return {
        ch: {
            item: (_num(s / k) if k > 0 else None)
            for item, s, k in zip(layout.item_ids, data[c].sums, data[c].counts, strict=True)
        }
        for c, ch in enumerate(CHANNELS)
    }


def _items_combined(data, layout, omega: float, pooled: bool) -> dict[str, float | None]:
    """Each scored item's mean over both channels, combined as S is: pooled sums, or ω-weighted
    channel means (one channel alone where the other has no answer to it)."""

    def mean(sums: np.ndarray, counts: np.ndarray) -> np.ndarray:
        return np.divide(sums, counts, out=np.full(len(sums), np.nan), where=counts > 0)

    if pooled:
        both = mean(data[0].sums + data[1].sums, data[0].counts + data[1].counts)
    else:
        both = combine(
            mean(data[0].sums, data[0].counts), mean(data[1].sums, data[1].counts), omega
        )
    return {item: _num(v) for item, v in zip(layout.item_ids, both, strict=True)}


def _combined_rate(counts: ChannelCounts, omega: float, pooled: bool) -> float | None:
    if pooled:
        return counts.pooled()
    rates = [np.nan if r is None else r for r in counts.rates()]
    return _num(combine(rates[0], rates[1], omega))


def thresholds_inside(ci: Interval, thresholds: tuple[float, ...]) -> list[float]:
    """Thresholds in (lo, hi]: the interval reaches both sides of these pass/fail lines.

    The bounds are compared as printed (2 decimals), like every other figure that decides.
    """
    if ci is None:
        return []
    lo, hi = decided(ci[0]), decided(ci[1])
    return [t for t in thresholds if lo < t <= hi]


def thresholds_met(value: float | None, thresholds: tuple[float, ...]) -> list[float]:
    """Thresholds the figure reaches, compared after rounding to 2 decimals half up (DOMAIN.md)."""
    if value is None:
        return []
    shown = decided(value)
    return [t for t in thresholds if shown >= t]


def _is_marginal(ci: Interval, thresholds: tuple[float, ...]) -> bool:
    return bool(thresholds_inside(ci, thresholds))


def _coverage_warnings(k: int, n: list[int], dims_ch: list[np.ndarray], pooled: bool) -> list[str]:
    if k == 0:
        return ["no_scored_questions: 问卷没有计入 S 的题目（六个维度之一的 likert 题）"]
    if sum(n) == 0:
        return ["no_valid_responses: 两个渠道均无有效答卷，S 无法计算"]
    out = []
    for c, ch in enumerate(CHANNELS):
        other = CHANNELS[1 - c]
        if n[c] == 0:
            what = "S 为" if pooled else "S 取"
            out.append(
                f"no_valid_{ch}: {_CHANNEL_ZH[ch]}无有效答卷，{what}"
                f"{_CHANNEL_ZH[other]}得分 S_{other}"
            )
        elif n[1 - c] > 0 and not pooled:
            for j, dim in enumerate(DIMENSIONS):
                if np.isnan(dims_ch[c][j]) and not np.isnan(dims_ch[1 - c][j]):
                    out.append(
                        f"dimension_missing:{ch}:{dim}: {_CHANNEL_ZH[ch]}中"
                        f"{DIMENSION_NAMES_ZH[dim]}无作答，合并分取{_CHANNEL_ZH[other]}"
                    )
    return out


def _t_intervals(data, layout, omega: float, pooled: bool, point: _Point) -> dict[str, Any]:
    """Analytic t intervals for every statistic (see intervals.influence)."""
    est_ch = [np.concatenate([[point.s_ch[c]], point.dims_ch[c]]) for c in range(len(CHANNELS))]
    comps = _channel_variances(data, layout)

    def own(c: int, j: int) -> Interval:
        if comps[c] is None:
            return None
        return iv.t_interval(float(est_ch[c][j]), [(float(comps[c][0][j]), comps[c][1])])

    est_all = np.concatenate([[point.s_all], point.dims_all])
    if pooled:
        all_comps = _pooled_variances(data, layout)

        def combined(j: int) -> Interval:
            return iv.t_interval(float(est_all[j]), [(float(v[j]), df) for v, df in all_comps])
    else:

        def combined(j: int) -> Interval:
            parts = [
                (c, wgt)
                for c, wgt in ((0, omega), (1, 1.0 - omega))
                if comps[c] is not None and np.isfinite(est_ch[c][j])
            ]
            if len(parts) == 1:
                return own(parts[0][0], j)
            return iv.t_interval(
                float(est_all[j]),
                [(wgt**2 * float(comps[c][0][j]), comps[c][1]) for c, wgt in parts],
            )

    return {
        "S": combined(0),
        "S_in_person": own(0, 0),
        "S_online": own(1, 0),
        "dimensions": {dim: combined(j + 1) for j, dim in enumerate(DIMENSIONS)},
        "dimensions_by_channel": {
            ch: {dim: own(c, j + 1) for j, dim in enumerate(DIMENSIONS)}
            for c, ch in enumerate(CHANNELS)
        },
    }


def _channel_variances(data, layout) -> list[tuple[np.ndarray, int] | None]:
    """Per channel: (variance of its own statistics (J,), df), or None without responses."""
    comps: list[tuple[np.ndarray, int] | None] = []
    for d in data:
        if d.n == 0:
            comps.append(None)
            continue
        grad = iv.coefficients(d.counts, layout)
        means = np.divide(d.sums, d.counts, out=np.zeros_like(d.sums), where=d.counts > 0)
        var = iv.sample_var(iv.influence(d, grad, means, d.counts / d.n)) / d.n
        comps.append((var, d.n - 1))
    return comps


def _pooled_variances(data, layout) -> list[tuple[np.ndarray, int]]:
    """Each channel's (share of the pooled statistics' variance (J,), df); empty without data."""
    counts = data[0].counts + data[1].counts
    total = data[0].n + data[1].n
    all_comps = []
    if total:
        grad = iv.coefficients(counts, layout)
        sums = data[0].sums + data[1].sums
        means = np.divide(sums, counts, out=np.zeros_like(sums), where=counts > 0)
        for d in data:
            if d.n:
                var = iv.sample_var(iv.influence(d, grad, means, counts / total))
                all_comps.append((d.n * var / total**2, d.n - 1))
    return all_comps
