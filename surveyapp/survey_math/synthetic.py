"""Synthetic responses for benchmarks and tests: realistic-looking, vectorized, seeded."""

from __future__ import annotations

import numpy as np
import pandas as pd

from surveyapp.scoring.survey import CHANNELS, DIMENSIONS, Question

from .frame import ResponseFrame


def demo_questions() -> tuple[Question, ...]:
    """A 22-question questionnaire: 19 scored likert, an overall likert, an NPS and a comment."""
    per_dim = {"functionality": 4}
    qs = [
        Question(f"{dim[:3]}{i + 1}", f"{dim} 题 {i + 1}", f"{dim} item {i + 1}", "likert", dim)
        for dim in DIMENSIONS
        for i in range(per_dim.get(dim, 3))
    ]
    qs.append(Question("overall", "总体满意度", "Overall satisfaction", "likert", None))
    qs.append(Question("nps", "推荐意愿", "Would you recommend us", "nps", None))
    qs.append(Question("comment", "意见建议", "Comments", "text", None, required=False))
    return tuple(qs)


def synthetic_frame(
    n: int,
    *,
    questions: tuple[Question, ...] | None = None,
    outlets: int = 20,
    online_share: float = 0.7,
    na_rate: float = 0.05,
    seed: int = 0,
) -> ResponseFrame:
    """n responses over `outlets` outlets and both channels; in-person answers run higher."""
    questions = questions or demo_questions()
    rng = np.random.default_rng(seed)
    channel = (rng.random(n) < online_share).astype(np.int8)  # 0 in_person, 1 online
    mood = rng.normal(4.0, 0.6, n) + np.where(channel == 0, 0.25, 0.0)
    q = len(questions)
    raw = np.rint(mood[:, None] + rng.normal(0.0, 0.7, (n, q)))
    likert = np.clip(raw, 1, 5).astype(np.int8)
    nps = np.clip(np.rint((mood[:, None] - 1.0) * 2.5 + rng.normal(0, 1.0, (n, 1))), 0, 10)
    answers = likert
    kinds = np.array([qq.kind for qq in questions])
    answers[:, kinds == "nps"] = nps.astype(np.int8)
    answers[:, kinds == "text"] = -1
    answers[rng.random((n, q)) < na_rate] = -1
    start = pd.Timestamp("2026-09-01", tz="UTC").value
    submitted = start + np.sort(rng.integers(0, 30 * 86_400, n)) * 1_000_000_000
    duration = rng.lognormal(np.log(180.0), 0.5, n)
    # devices: mostly one response each, some shared; ~1 % of client ids resent
    device = pd.Series(rng.integers(0, max(n // 2, 1), n)).astype(str)
    client = np.where(rng.random(n) < 0.01, rng.integers(1, n + 1, n), np.arange(1, n + 1))
    online = channel == 1
    meta = pd.DataFrame(
        {
            "id": np.arange(1, n + 1, dtype=np.int64),
            "channel": pd.Categorical.from_codes(channel, categories=list(CHANNELS)),
            "outlet_id": rng.integers(1, outlets + 1, n).astype(np.int64),
            "started_at": pd.to_datetime(submitted - (duration * 1e9).astype(np.int64), utc=True),
            "submitted_at": pd.to_datetime(submitted, utc=True),
            "duration_s": duration,
            "client_id": ("c" + pd.Series(client).astype(str)).where(online, None),
            "token_id": pd.array(np.arange(1, n + 1), dtype="Int64"),
            "fingerprint": ("fp" + device).where(online, None),
            "excluded": rng.random(n) < 0.002,
        }
    )
    return ResponseFrame(meta, answers, questions)


def frame_from_rows(
    questions: tuple[Question, ...], rows: list[dict], *, start: str = "2026-10-01 09:00"
) -> ResponseFrame:
    """A small frame from literal rows (tests, examples): each row a dict with `channel` and
    `answers` (list, None = N/A) and optionally id, outlet_id, excluded, duration_s, client_id,
    token_id, fingerprint, submitted_at (default: one minute apart from `start`, UTC).
    """
    t0 = pd.Timestamp(start, tz="UTC")
    meta = pd.DataFrame(
        {
            "id": [r.get("id", i + 1) for i, r in enumerate(rows)],
            "channel": pd.Series([r["channel"] for r in rows], dtype=object),
            "outlet_id": [r.get("outlet_id", 1) for r in rows],
            "submitted_at": pd.to_datetime(
                [r.get("submitted_at", t0 + pd.Timedelta(minutes=i)) for i, r in enumerate(rows)],
                utc=True,
            ),
            "duration_s": [float(r.get("duration_s", 300.0)) for r in rows],
            "client_id": pd.Series([r.get("client_id") for r in rows], dtype=object),
            "token_id": pd.array([r.get("token_id") for r in rows], dtype="Int64"),
            "fingerprint": pd.Series([r.get("fingerprint") for r in rows], dtype=object),
            "excluded": [bool(r.get("excluded", False)) for r in rows],
        }
    ).astype({"id": np.int64, "outlet_id": np.int64})
    width = len(questions)
    answers = np.array(
        [
            [-1 if v is None else v for v in r["answers"]] + [-1] * (width - len(r["answers"]))
            for r in rows
        ],
        dtype=np.int8,
    ).reshape(len(rows), width)
    return ResponseFrame(meta, answers, questions)
