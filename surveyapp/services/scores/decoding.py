"""Decode the aggregate strings of one SELECT into numpy columns, without per-row objects.

Each column of a campaign's responses comes back as one string (group_concat / string_agg).
Aggregates of one query step through the same rows in the same order, so the columns stay
aligned; a million responses are a few tens of MB of text and no per-row Python objects.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sqlalchemy import String, cast, func, type_coerce

from ...survey_math import unpack_answers
from ...survey_math.packing import Widths, total_width, unpack_wide

SEP = ","
TS_WIDTH = 26  #: 'YYYY-MM-DD HH:MM:SS.ffffff'
PRINT_WIDTH = 16
NO_PRINT = "-" * PRINT_WIDTH  #: pads a fingerprint; all dashes = none


def agg(expr, sep: str = SEP):
    """One string of a column's values over the selected rows, `sep` between them."""
    return func.aggregate_strings(cast(expr, String), sep)


def ts_text(column, dialect: str):
    """A timestamp column as 'YYYY-MM-DD HH:MM:SS.ffffff' text (UTC, as stored)."""
    if dialect == "postgresql":
        return func.to_char(column, "YYYY-MM-DD HH24:MI:SS.US")
    return type_coerce(column, String)


def ints(blob: str | None, n: int) -> np.ndarray:
    """n separated integers as int64; ValueError when the count differs."""
    out = np.fromstring(blob or "", sep=SEP, dtype=np.int64) if n else np.zeros(0, np.int64)
    if len(out) != n:
        raise ValueError(f"expected {n} integers, decoded {len(out)}")
    return out


def flags01(blob: str | None, n: int) -> np.ndarray:
    """n unseparated '0'/'1' characters as booleans; ValueError when the count differs."""
    raw = np.frombuffer((blob or "").encode("ascii"), dtype=np.uint8)
    if len(raw) != n:
        raise ValueError(f"expected {n} flags, decoded {len(raw)}")
    return raw == ord("1")


def fixed_width(blob: str | None, n: int, width: int) -> np.ndarray | None:
    """The (n, width) bytes of n separated values all `width` long; None when they are not."""
    if n == 0:
        return np.zeros((0, width), dtype=np.uint8)
    data = (blob or "").encode("utf-8")
    if len(data) != n * (width + 1) - 1:
        return None
    raw = np.frombuffer(data + SEP.encode(), dtype=np.uint8).reshape(n, width + 1)
    if not (raw[:, width] == ord(SEP)).all():
        return None
    return raw[:, :width]


def wide_of(blob: str | None, n: int, widths: Widths) -> dict[int, np.ndarray]:
    """The wide questions' numbers (packing.unpack_wide) of n separated packed strings; {}
    without reading anything when every question is one character wide."""
    if isinstance(widths, int) or all(int(w) == 1 for w in widths):
        return {}
    return unpack_wide((blob or "").split(SEP) if n else [], widths)


def answers_of(blob: str | None, n: int, widths: Widths) -> np.ndarray:
    """n separated packed answer strings as the (n, n_questions) answer matrix (`widths`: each
    question's width in characters, or the number of one-character questions)."""
    total = total_width(widths)
    fixed = fixed_width(blob, n, total)
    if fixed is not None and n:  # the usual case: every response has every question
        return unpack_answers(np.ascontiguousarray(fixed).view(f"S{total}").ravel(), widths)
    return unpack_answers((blob or "").split(SEP) if n else [], widths)


def civil_ns(m: np.ndarray) -> np.ndarray:
    """'YYYY-MM-DD HH:MM:SS.ffffff' byte rows → int64 ns since the epoch (Hinnant's algorithm)."""
    cols = np.ascontiguousarray(m.T)  # one contiguous row of bytes per character position

    def num(a: int, b: int) -> np.ndarray:
        out = cols[a].astype(np.int64) - ord("0")
        for k in range(a + 1, b):
            out = out * 10 + (cols[k] - ord("0"))
        return out

    y, mo, day = num(0, 4), num(5, 7), num(8, 10)
    y = y - (mo <= 2)
    era = np.floor_divide(y, 400)
    yoe = y - era * 400
    doy = (153 * (mo + np.where(mo > 2, -3, 9)) + 2) // 5 + day - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    days = era * 146097 + doe - 719468
    secs = days * 86400 + num(11, 13) * 3600 + num(14, 16) * 60 + num(17, 19)
    return secs * 1_000_000_000 + num(20, 26) * 1000


def timestamp_ns(blob: str | None, n: int) -> np.ndarray:
    """Separated timestamp texts (UTC) as int64 ns since the epoch; '' = NaT."""
    fixed = fixed_width(blob, n, TS_WIDTH)
    if fixed is not None and (fixed[:, 19] == ord(".")).all():
        return civil_ns(fixed)
    text = (blob or "").split(SEP) if n else []
    return (
        np.array([t.replace(" ", "T") if t else "NaT" for t in text], dtype="datetime64[us]")
        .astype("datetime64[ns]")
        .view(np.int64)
    )


def utc_series(ns: np.ndarray) -> pd.Series:
    """int64 ns since the epoch as a tz-aware UTC Series."""
    return pd.Series(pd.DatetimeIndex(ns.view("datetime64[ns]")).tz_localize("UTC"))


def row_codes(raw: np.ndarray) -> np.ndarray:
    """Equal byte rows (n, 16) get equal int64 codes, different rows different ones.

    Sorts two uint64 words with lexsort instead of np.unique(axis=0), which copies the rows
    into a structured array several times over (hundreds of MB at a million rows).
    """
    n = len(raw)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    words = np.ascontiguousarray(raw).view(np.uint64)
    hi, lo = words[:, 0], words[:, 1]
    order = np.lexsort((lo, hi))
    new_group = np.ones(n, dtype=bool)
    new_group[1:] = (hi[order][1:] != hi[order][:-1]) | (lo[order][1:] != lo[order][:-1])
    codes = np.empty(n, dtype=np.int64)
    codes[order] = np.cumsum(new_group) - 1
    return codes
