"""Quality flags for an auditor to review. A flag never excludes a response by itself."""

from __future__ import annotations

import numpy as np
import pandas as pd

from surveyapp.scoring.survey import CHANNELS

from .frame import NAT, ResponseFrame, utc_ns

FLAG_COLUMNS = ("speeding", "straight_lining", "duplicate", "burst")


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
    - burst: one of ≥ 5 responses from the same fingerprint within 10 minutes.
    Returns a DataFrame indexed by response id, boolean flag columns, and a Chinese reason.
    """
    meta = frame.meta
    n = len(frame)
    speeding, why_speed = _speeding(frame, speeding_median_fraction, min_seconds_per_answer)
    straight, why_straight = _straight_lining(frame, straight_min_answers)
    order = _time_order(meta)
    dup_client = _seen_before(meta, "client_id", order)
    dup_token = _seen_before(meta, "token_id", order)
    burst = _bursts(meta, burst_count, burst_minutes)

    reason = np.full(n, "", dtype=object)
    parts = [
        (speeding, why_speed),
        (straight, why_straight),
        (dup_client, "重复提交：同一客户端 id 已有更早的答卷"),
        (dup_token, "重复使用：一次性链接已被使用过"),
        (burst, f"集中提交：同一设备 {burst_minutes:g} 分钟内 ≥{burst_count} 份"),
    ]
    for mask, text in parts:  # strings only for the flagged rows
        idx = np.nonzero(mask)[0]
        if len(idx):
            current = reason[idx]
            reason[idx] = np.where(current == "", "", current + "；") + text
    out = pd.DataFrame(
        {
            "speeding": speeding,
            "straight_lining": straight,
            "duplicate": dup_client | dup_token,
            "burst": burst,
        },
        index=pd.Index(meta["id"].to_numpy(), name="id"),
    )
    out["flagged"] = out[list(FLAG_COLUMNS)].any(axis=1)
    out["reason"] = reason
    return out


def _as_text(values: np.ndarray) -> np.ndarray:
    """Whole numbers as an object array of str, for reason texts."""
    return np.rint(values).astype(np.int64).astype(str).astype(object)


def _speeding(frame: ResponseFrame, fraction: float, per_answer: float):
    """Speeding mask and, for the flagged rows in order, the reason texts."""
    n = len(frame)
    if "duration_s" not in frame.meta.columns:
        return np.zeros(n, dtype=bool), np.array([], dtype=object)
    duration = frame.meta["duration_s"].to_numpy(dtype=np.float64, na_value=np.nan)
    channel = frame.channel_codes()
    asked = np.array([q.kind != "text" for q in frame.questions], dtype=bool)
    n_answered = (frame.answers[:, asked] >= 0).sum(axis=1)
    has = np.isfinite(duration)
    median = np.full(n, np.nan)
    for c in range(len(CHANNELS)):
        sel = has & (channel == c)
        if sel.any():
            median[channel == c] = np.median(duration[sel])
    ok_median = ~np.isnan(median)
    under_median = has & ok_median & (duration < np.where(ok_median, median * fraction, 0.0))
    under_rate = has & (duration < per_answer * n_answered)
    flag = under_median | under_rate
    idx = np.nonzero(flag)[0]
    secs = "答题过快：用时 " + _as_text(duration[idx]) + " 秒，"
    by_median = "不到渠道中位数 " + _as_text(np.nan_to_num(median[idx])) + " 秒的一半"
    by_rate = f"少于每题 {per_answer:g} 秒 × " + _as_text(n_answered[idx]) + " 题"
    return flag, secs + np.where(under_median[idx], by_median, by_rate)


def _straight_lining(frame: ResponseFrame, min_answers: int):
    """Straight-lining mask and, for the flagged rows in order, the reason texts."""
    likert = np.array([q.kind == "likert" for q in frame.questions], dtype=bool)
    vals = frame.answers[:, likert]
    answered = (vals >= 1) & (vals <= 5)
    count = answered.sum(axis=1)
    high = np.where(answered, vals, np.int8(-1)).max(axis=1, initial=-1)
    low = np.where(answered, vals, np.int8(99)).min(axis=1, initial=99)
    flag = (count >= min_answers) & (high == low)
    idx = np.nonzero(flag)[0]
    return flag, "直线作答：" + _as_text(count[idx]) + " 个答案全部为 " + _as_text(high[idx])


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
    values = meta[column].iloc[order].reset_index(drop=True)
    present = values.notna().to_numpy()
    if values.dtype == object or pd.api.types.is_string_dtype(values.dtype):
        present = present & (values.astype(object) != "").to_numpy()
    dup_sorted = values.duplicated(keep="first").to_numpy() & present
    out = np.zeros(n, dtype=bool)
    out[order] = dup_sorted
    return out


def _bursts(meta: pd.DataFrame, count: int, minutes: float) -> np.ndarray:
    """True for every response inside a window of `count` from one fingerprint within `minutes`."""
    n = len(meta)
    out = np.zeros(n, dtype=bool)
    if "fingerprint" not in meta.columns or "submitted_at" not in meta.columns or count < 1:
        return out
    fp = meta["fingerprint"]
    keep = fp.notna().to_numpy() & (fp.astype(object) != "").to_numpy()
    t = utc_ns(meta["submitted_at"])
    keep &= t != NAT
    pos = np.nonzero(keep)[0]
    if len(pos) < count:
        return out
    group, _ = pd.factorize(fp.to_numpy()[pos])
    order = np.lexsort((t[pos], group))
    g, ts, p = group[order], t[pos][order], pos[order]
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
