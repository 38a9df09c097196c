"""The input of the survey math: response metadata, the answers matrix and the questionnaire."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from surveyapp.scoring.survey import CHANNELS, Question

from .packing import unpack_answers, unpack_wide, widths_of

#: Local time of the surveyed customers; dates in filters and daily counts are days here.
DEFAULT_TZ = "Asia/Shanghai"
NAT = np.iinfo(np.int64).min  #: int64 value of NaT in utc_ns()


@dataclass(frozen=True, eq=False)
class ResponseFrame:
    """Responses of one campaign: `meta` (one row per response) and `answers` in row order.

    `meta` columns: id, channel ('in_person' | 'online'), outlet_id, started_at, submitted_at,
    duration_s, client_id, token_id (single-use tokens only), fingerprint, excluded. Only `id`
    and `channel` are required; a missing `excluded` means none is excluded. `answers` is an
    int8 matrix (n, len(questions)) in questionnaire order, -1 = not applicable/missing.
    """

    meta: pd.DataFrame
    answers: np.ndarray
    questions: tuple[Question, ...]
    #: question index → int64 per response, for questions wider than one character (a multiple
    #: choice's bit set; -1 = not answered): packing.unpack_wide
    wide: Mapping[int, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        answers = np.asarray(self.answers)
        if answers.ndim != 2:
            raise ValueError("answers must be a 2-D matrix (responses x questions)")
        if answers.dtype != np.int8:
            if answers.size and (answers.min() < -1 or answers.max() > 10):
                raise ValueError("answers must be -1 (not applicable) or 0..10")
            answers = answers.astype(np.int8)
        object.__setattr__(self, "answers", answers)
        object.__setattr__(self, "questions", tuple(self.questions))
        if answers.shape != (len(self.meta), len(self.questions)):
            raise ValueError(
                f"answers shape {answers.shape} does not match "
                f"{len(self.meta)} responses x {len(self.questions)} questions"
            )
        for column in ("id", "channel"):
            if column not in self.meta.columns:
                raise ValueError(f"meta lacks the required column {column!r}")

    @classmethod
    def from_packed(
        cls, meta: pd.DataFrame, packed: Sequence[str] | np.ndarray, questions: Sequence[Question]
    ) -> ResponseFrame:
        """Build a frame from the packed answer strings stored in the database."""
        widths = widths_of(questions)
        return cls(
            meta, unpack_answers(packed, widths), tuple(questions), unpack_wide(packed, widths)
        )

    def __len__(self) -> int:
        return len(self.meta)

    def take(self, mask: np.ndarray) -> ResponseFrame:
        """Return the responses where the boolean mask is true (same questionnaire)."""
        mask = np.asarray(mask, dtype=bool)
        return ResponseFrame(
            self.meta.loc[mask].reset_index(drop=True),
            self.answers[mask],
            self.questions,
            {i: v[mask] for i, v in self.wide.items()},
        )

    def sorted_by_id(self) -> ResponseFrame:
        """The same responses ordered by id (itself when already so): resampling is by row."""
        ids = self.meta["id"].to_numpy(dtype=np.int64)
        if len(ids) < 2 or bool((ids[1:] >= ids[:-1]).all()):
            return self
        order = np.argsort(ids, kind="stable")
        meta = self.meta.iloc[order].reset_index(drop=True)
        wide = {i: v[order] for i, v in self.wide.items()}
        return ResponseFrame(meta, self.answers[order], self.questions, wide)

    def channel_codes(self) -> np.ndarray:
        """Channel of each response as int8: index into CHANNELS."""
        column = self.meta["channel"]
        known = pd.Index(list(CHANNELS))
        if isinstance(column.dtype, pd.CategoricalDtype):  # map the few categories, not 1M rows
            per_category = known.get_indexer(column.cat.categories)
            raw = column.cat.codes.to_numpy()
            codes = np.where(raw < 0, -1, per_category[raw]).astype(np.int8)
        else:
            codes = known.get_indexer(column).astype(np.int8)
        if (codes < 0).any():
            bad = self.meta["channel"][codes < 0].iloc[0]
            raise ValueError(f"unknown channel {bad!r}; expected one of {', '.join(CHANNELS)}")
        return codes

    def excluded(self) -> np.ndarray:
        """True where an auditor excluded the response."""
        if "excluded" not in self.meta.columns:
            return np.zeros(len(self.meta), dtype=bool)
        return self.meta["excluded"].to_numpy(dtype=bool, na_value=False)


def utc_ns(values: pd.Series | Iterable) -> np.ndarray:
    """Timestamps (aware or naive UTC) as int64 nanoseconds since the epoch; NaT -> NAT.

    A datetime64[ns, UTC] series (as loaded) is read without a copy: the result is read-only.
    """
    if isinstance(values, pd.Series) and str(values.dtype) == "datetime64[ns, UTC]":
        out = values.array.asi8.view()
        out.flags.writeable = False
        return out
    ts = pd.to_datetime(pd.Series(values), utc=True)
    return ts.dt.tz_convert(None).to_numpy().astype("datetime64[ns]").view(np.int64)


def _bound_ns(value: dt.date | dt.datetime | pd.Timestamp | str, tz: str, end: bool) -> int:
    """A filter bound as UTC ns; a bare date means the whole local day (end inclusive)."""
    is_day = isinstance(value, dt.date) and not isinstance(value, dt.datetime)
    if isinstance(value, str):
        is_day = len(value.strip()) <= 10
    ts = pd.Timestamp(value)
    if ts.tzinfo is None:
        ts = ts.tz_localize(tz)
    if is_day and end:
        ts = ts + pd.Timedelta(days=1)
    return int(ts.tz_convert("UTC").as_unit("ns").value)


def filter_responses(
    frame: ResponseFrame,
    *,
    outlet_ids: Iterable[int] | None = None,
    channel: str | None = None,
    start: dt.date | dt.datetime | pd.Timestamp | str | None = None,
    end: dt.date | dt.datetime | pd.Timestamp | str | None = None,
    tz: str = DEFAULT_TZ,
) -> ResponseFrame:
    """Keep responses of the given outlets, channel and submission range (None = no filter).

    Bounds without a time zone are local times in `tz`; a date `end` includes that whole day,
    a datetime `end` is exclusive, `start` is inclusive.
    """
    mask = np.ones(len(frame), dtype=bool)
    if outlet_ids is not None:
        wanted = np.fromiter((int(o) for o in outlet_ids), dtype=np.int64)
        mask &= np.isin(frame.meta["outlet_id"].to_numpy(dtype=np.int64), wanted)
    if channel is not None:
        if channel not in CHANNELS:
            raise ValueError(f"unknown channel {channel!r}; expected one of {', '.join(CHANNELS)}")
        mask &= frame.channel_codes() == CHANNELS.index(channel)
    if start is not None or end is not None:
        t = utc_ns(frame.meta["submitted_at"])
        mask &= t != NAT
        if start is not None:
            mask &= t >= _bound_ns(start, tz, end=False)
        if end is not None:
            mask &= t < _bound_ns(end, tz, end=True)
    return frame.take(mask)
