"""Quality flags for an auditor to review. A flag never excludes a response by itself."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from surveyapp.scoring.survey import CHANNELS
from surveyapp.vocabulary import N_, ids

from .frame import NAT, ResponseFrame, utc_ns

FLAG_COLUMNS = ids("flag")


def quality_flags(
    frame: ResponseFrame,
    *,
    speeding_median_fraction: float = 0.5,
    min_seconds_per_answer: float = 3.0,
    straight_min_answers: int = 6,
    burst_count: int = 5,
    burst_minutes: float = 10.0,
) -> pd.DataFrame:
    """Flag each response: speeding, straight-lining, duplicate, burst (+ flagged, reason).

    - speeding: duration under half the channel's median duration, or under 3 s per answered
      (non-N/A, non-text) question;
    - straight_lining: at least 6 answered likert questions, all with the same answer (often
      genuine when all are 非常满意 — that is for the auditor to judge);
    - duplicate: a client_id seen on an earlier response, or a single-use token_id already used
      (the first response of each stays unflagged);
    - burst: one of ≥ 5 responses from the same fingerprint, or ≥ 11 from one network
      (address or its /24), within 10 minutes (the campaign's thresholds).
    Returns a DataFrame indexed by response id, boolean flag columns, and a Chinese reason.

    The same as `row_flags(flag_context(frame.meta), …)` over every row: the campaign-wide
    part needs no answers, so an export can compute it from light columns and flag page-wise.
    """
    context = flag_context(
        frame.meta,
        burst_count=burst_count,
        burst_minutes=burst_minutes,
    )
    return row_flags(
        context,
        np.arange(len(frame)),
        frame.answers,
        frame.questions,
        wide=frame.wide,
        speeding_median_fraction=speeding_median_fraction,
        min_seconds_per_answer=min_seconds_per_answer,
        straight_min_answers=straight_min_answers,
    )


@dataclass(frozen=True, eq=False)
class FlagContext:
    """The campaign-wide inputs of the flags, per response in meta order (no answers needed).

    ids, channel codes and durations (NaN = unknown) of every response; the median duration
    of each channel; duplicate client ids and tokens (in submission order); bursts.
    """

    ids: np.ndarray
    channel: np.ndarray
    duration: np.ndarray
    channel_median: np.ndarray
    dup_client: np.ndarray
    dup_token: np.ndarray
    burst: np.ndarray
    burst_count: int
    burst_minutes: float
    network_burst_count: int
    #: argsort of ids, None when they are ascending already (as loaded: by id)
    id_order: np.ndarray | None = None

    def positions(self, ids: np.ndarray) -> np.ndarray:
        """Row positions of response ids in this context; -1 for ids it does not know."""
        ids = np.asarray(ids, dtype=np.int64)
        if len(self.ids) == 0:
            return np.full(len(ids), -1, dtype=np.int64)
        order = self.id_order
        sorted_ids = self.ids if order is None else self.ids[order]
        at = np.minimum(np.searchsorted(sorted_ids, ids), len(sorted_ids) - 1)
        found = sorted_ids[at] == ids
        return np.where(found, at if order is None else order[at], -1)


def _channel_codes(meta: pd.DataFrame) -> np.ndarray:
    return ResponseFrame(meta, np.zeros((len(meta), 0), dtype=np.int8), ()).channel_codes()


#: responses from one network (address, or its /24) within burst_minutes that flag them all
#: (CONTRACT: at the latest from the 11th, a campaign parameter); a network is shared by many
#: phones on one Wi-Fi, a device is not, so the device threshold is lower
NETWORK_BURST_COUNT = 11


def flag_context(
    meta: pd.DataFrame,
    *,
    burst_count: int = 5,
    burst_minutes: float = 10.0,
    network_burst_count: int = NETWORK_BURST_COUNT,
) -> FlagContext:
    """The campaign-wide part of the flags from response metadata alone (see FlagContext)."""
    n = len(meta)
    channel = _channel_codes(meta)
    if "duration_s" in meta.columns:
        duration = meta["duration_s"].to_numpy(dtype=np.float64, na_value=np.nan)
    else:
        duration = np.full(n, np.nan)
    has = np.isfinite(duration)
    medians = np.full(len(CHANNELS), np.nan)
    for c in range(len(CHANNELS)):
        sel = has & (channel == c)
        if sel.any():
            medians[c] = np.median(duration[sel])
    order = _time_order(meta)
    ids = meta["id"].to_numpy(dtype=np.int64)
    ascending = len(ids) < 2 or bool((ids[1:] > ids[:-1]).all())
    return FlagContext(
        ids=ids,
        channel=channel,
        duration=duration,
        channel_median=medians,
        dup_client=_seen_before(meta, "client_id", order),
        dup_token=_seen_before(meta, "token_id", order),
        burst=_bursts(meta, burst_count, burst_minutes)
        | _bursts(meta, network_burst_count, burst_minutes, column="network"),
        burst_count=burst_count,
        burst_minutes=burst_minutes,
        network_burst_count=network_burst_count,
        id_order=None if ascending else np.argsort(ids, kind="stable"),
    )


def row_flags(
    context: FlagContext,
    positions: np.ndarray,
    answers: np.ndarray,
    questions,
    *,
    ids: np.ndarray | None = None,
    wide=None,
    speeding_median_fraction: float = 0.5,
    min_seconds_per_answer: float = 3.0,
    straight_min_answers: int = 6,
) -> pd.DataFrame:
    """The flags of some responses, given their positions in the context and their answers.

    A position of -1 (a response the context does not know, e.g. stored after it was
    computed) gets no flag and no reason. The index is `ids`, by default the context's ids.
    """
    positions = np.asarray(positions, dtype=np.int64)
    answers = np.asarray(answers)
    n = len(positions)
    known = positions >= 0 if len(context.ids) else np.zeros(n, dtype=bool)
    at = np.where(known, positions, 0)

    def pick(values: np.ndarray, fill) -> np.ndarray:
        if len(values) == 0:
            return np.full(n, fill, dtype=values.dtype)
        return np.where(known, values[at], fill)

    if ids is None:
        ids = pick(context.ids, -1)
    duration = pick(context.duration, np.nan)  # unknown rows: no duration, never speeding
    median = np.where(known, context.channel_median[pick(context.channel, 0)], np.nan)
    # a wide answer (a multiple choice) reads -1 in `answers`: its own numbers say if answered
    wide = wide or {}
    asked = np.array([q.kind != "text" and i not in wide for i, q in enumerate(questions)])
    n_answered = (answers[:, asked.astype(bool)] >= 0).sum(axis=1)
    for values in wide.values():
        n_answered = n_answered + (values >= 0)
    speeding, why_speed = _speeding(
        duration, median, n_answered, speeding_median_fraction, min_seconds_per_answer
    )
    straight, why_straight = _straight_lining(answers, questions, straight_min_answers)
    if not known.all():
        why_straight = why_straight[known[np.nonzero(straight)[0]]]
        straight = straight & known
    dup_client = pick(context.dup_client, False)
    dup_token = pick(context.dup_token, False)
    burst = pick(context.burst, False)
    # a response that did not bring the page's start (a script posting straight to the API, a
    # stale page): its speed cannot be judged, so it is shown for review
    no_timing = known & ~np.isfinite(duration)

    reason = np.full(n, "", dtype=object)
    parts = [
        (speeding, why_speed),
        (straight, why_straight),
        (dup_client, REASONS["duplicate"]),
        (dup_token, REASONS["reused"]),
        (
            burst,
            _fill(
                REASONS["burst"],
                m=f"{context.burst_minutes:g}",
                d=str(context.burst_count),
                n=str(context.network_burst_count),
            ),
        ),
        (no_timing, REASONS["no_timing"]),
    ]
    for mask, text in parts:  # strings only for the flagged rows
        idx = np.nonzero(mask)[0]
        if len(idx):
            current = reason[idx]
            reason[idx] = np.where(current == "", "", current + REASON_SEPARATOR) + text
    out = pd.DataFrame(
        {
            "speeding": speeding,
            "straight_lining": straight,
            "duplicate": dup_client | dup_token,
            "burst": burst,
            "no_timing": no_timing,
        },
        index=pd.Index(np.asarray(ids, dtype=np.int64), name="id"),
    )
    out["flagged"] = out[list(FLAG_COLUMNS)].any(axis=1)
    out["reason"] = reason
    return out


#: each flag's reason: the sentence the exports print (Chinese) and the review page reads back
#: through the catalogues (these are their source strings), its figures by name
REASONS = {
    "speeding_median": N_("答题过快：用时 %(s)s 秒，不到渠道中位数 %(m)s 秒的一半"),
    "speeding_rate": N_("答题过快：用时 %(s)s 秒，少于每题 %(p)s 秒 × %(n)s 题"),
    "straight_lining": N_("直线作答：%(n)s 个答案全部为 %(v)s"),
    "duplicate": N_("重复提交：同一客户端 id 已有更早的答卷"),
    "reused": N_("重复使用：一次性链接已被使用过"),
    "burst": N_("集中提交：同一设备 %(m)s 分钟内 ≥%(d)s 份，或同一网段 ≥%(n)s 份"),
    "no_timing": N_("无答题计时：提交时没有带回页面的开始时间"),
}
#: between two reasons of one response
REASON_SEPARATOR = "；"
#: a figure's place in a reason: %(name)s
REASON_FIELD = re.compile(r"%\((\w+)\)s")


def _fill(template: str, **values):
    """The reason with each %(name)s replaced by its value: one text, or, given arrays of text
    (one per flagged row), an array of texts."""
    parts = REASON_FIELD.split(template)  # literal, name, literal, name, …, literal
    out = parts[0]
    for k in range(1, len(parts), 2):
        out = out + values[parts[k]] + parts[k + 1]
    return out


def _as_text(values: np.ndarray) -> np.ndarray:
    """Whole numbers as an object array of str, for reason texts."""
    return np.rint(values).astype(np.int64).astype(str).astype(object)


def _speeding(
    duration: np.ndarray,
    median: np.ndarray,
    n_answered: np.ndarray,
    fraction: float,
    per_answer: float,
):
    """Speeding mask and, for the flagged rows in order, the reason texts.

    duration: seconds (NaN = unknown); median: the row's channel median (NaN = none).
    """
    has = np.isfinite(duration)
    ok_median = ~np.isnan(median)
    under_median = has & ok_median & (duration < np.where(ok_median, median * fraction, 0.0))
    under_rate = has & (duration < per_answer * n_answered)
    flag = under_median | under_rate
    idx = np.nonzero(flag)[0]
    secs = _as_text(duration[idx])
    by_median = _fill(REASONS["speeding_median"], s=secs, m=_as_text(np.nan_to_num(median[idx])))
    by_rate = _fill(
        REASONS["speeding_rate"], s=secs, p=f"{per_answer:g}", n=_as_text(n_answered[idx])
    )
    return flag, np.where(under_median[idx], by_median, by_rate)


def _straight_lining(answers: np.ndarray, questions, min_answers: int):
    """Straight-lining mask and, for the flagged rows in order, the reason texts."""
    likert = np.array([q.kind == "likert" for q in questions], dtype=bool)
    vals = answers[:, likert]
    answered = (vals >= 1) & (vals <= 5)
    count = answered.sum(axis=1)
    high = np.where(answered, vals, np.int8(-1)).max(axis=1, initial=-1)
    low = np.where(answered, vals, np.int8(99)).min(axis=1, initial=99)
    flag = (count >= min_answers) & (high == low)
    idx = np.nonzero(flag)[0]
    return flag, _fill(REASONS["straight_lining"], n=_as_text(count[idx]), v=_as_text(high[idx]))


def _time_order(meta: pd.DataFrame) -> np.ndarray:
    """Positions in submission order (ties and missing times by id)."""
    ids = meta["id"].to_numpy(dtype=np.int64)
    if "submitted_at" not in meta.columns:
        return np.argsort(ids, kind="stable")
    t = utc_ns(meta["submitted_at"])
    t = np.where(t == NAT, np.iinfo(np.int64).max, t)
    return np.lexsort((ids, t))


def _seen_before(meta: pd.DataFrame, column: str, order: np.ndarray) -> np.ndarray:
    """True where the (non-empty) value already appeared on an earlier response."""
    n = len(meta)
    if column not in meta.columns:
        return np.zeros(n, dtype=bool)
    column_values = meta[column]
    out = np.zeros(n, dtype=bool)
    if pd.api.types.is_integer_dtype(column_values.dtype):
        # nullable ints (ids, codes): only the present values, as plain int64 (no hashing of
        # a million NA)
        present = column_values.notna().to_numpy()[order]
        if not present.any():
            return out
        taken = order[present]
        raw = column_values.to_numpy(dtype=np.int64, na_value=0)[taken]
        out[taken] = pd.Series(raw).duplicated(keep="first").to_numpy()
        return out
    values = column_values.iloc[order].reset_index(drop=True)
    present = values.notna().to_numpy()
    if values.dtype == object or pd.api.types.is_string_dtype(values.dtype):
        present = present & (values.astype(object) != "").to_numpy()
    dup_sorted = values.duplicated(keep="first").to_numpy() & present
    out[order] = dup_sorted
    return out


def _bursts(
    meta: pd.DataFrame, count: int, minutes: float, column: str = "fingerprint"
) -> np.ndarray:
    """True for every response inside a window of `count` from one fingerprint (or network
    address) within `minutes`."""
    n = len(meta)
    out = np.zeros(n, dtype=bool)
    if column not in meta.columns or "submitted_at" not in meta.columns or count < 1:
        return out
    fp = meta[column]
    keep = fp.notna().to_numpy().copy()
    if pd.api.types.is_integer_dtype(fp.dtype):  # codes (nullable ints): no Python objects
        values = fp.to_numpy(dtype=np.int64, na_value=-1)
    else:
        keep &= (fp.astype(object) != "").to_numpy()
        values = fp.to_numpy()
    t = utc_ns(meta["submitted_at"])
    keep &= t != NAT
    pos = np.nonzero(keep)[0]
    if len(pos) < count:
        return out
    if pd.api.types.is_integer_dtype(fp.dtype):
        group = values[pos]  # already one integer per device: no hashing needed
    else:
        group, _ = pd.factorize(values[pos])
    del values, keep
    t_kept = t[pos]
    order = np.lexsort((t_kept, group))
    g = group[order]
    del group
    ts = t_kept[order]
    del t_kept
    p = pos[order]
    del pos, order  # a million rows: free each temporary before the next one is made
    span = count - 1
    starts = np.nonzero(
        (g[span:] == g[: len(g) - span]) & (ts[span:] - ts[: len(ts) - span] <= minutes * 60e9)
    )[0]
    if len(starts) == 0:
        return out
    # mark rows start..start+span of every qualifying window: +1/-1 difference array
    diff = np.zeros(len(g) + 1, dtype=np.int64)
    np.add.at(diff, starts, 1)
    np.add.at(diff, starts + count, -1)
    out[p[np.cumsum(diff[:-1]) > 0]] = True
    return out
