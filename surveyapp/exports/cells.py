"""The cell rules every export format applies: spreadsheet-safe text, numbers, times.

- Text: a cell whose first non-blank character is `=`, `+`, `-` or `@`, or which starts with a
  tab or a carriage return, gets a leading `'` (OWASP's CSV-injection advice), so no
  spreadsheet runs it as a formula. Column names are text cells too.
- Numbers (int, float, Decimal, numpy numbers) stay numbers, so `-3` is written as a number, not
  neutralized text; booleans stay booleans; None, NaN and NA are empty cells.
- Times: an aware datetime is written as ISO 8601 text in the export's zone with its UTC offset,
  `2026-11-08T14:03:05+08:00` (seconds, truncated). A naive datetime is refused: without a zone
  nobody can tell which instant it is. Dates are `YYYY-MM-DD`.

`cell` is the rule for one value; `frame` applies the same rule to a whole page, column by
column (numeric columns as they are, text through the rule once per distinct value).
"""

from __future__ import annotations

import math
from datetime import date, datetime, tzinfo
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

#: first characters (after blanks) that make a spreadsheet read a cell as a formula
FORMULA_STARTS = ("=", "+", "-", "@")
#: first characters that a spreadsheet may swallow before a formula (OWASP)
CONTROL_STARTS = ("\t", "\r")


class NaiveTime(ValueError):
    """A datetime without a zone reached an export."""


def neutralize(text: str) -> str:
    """Prefix `'` to text starting (after blanks) with = + - @, or starting with tab or CR."""
    if text[:1] in CONTROL_STARTS or text.lstrip()[:1] in FORMULA_STARTS:
        return "'" + text
    return text


def iso(value: datetime, zone: tzinfo) -> str:
    """An aware datetime as ISO 8601 in `zone` with its offset, to the second."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise NaiveTime(f"naive datetime {value!r} in an export: attach its zone first")
    return value.astimezone(zone).isoformat(timespec="seconds")


def cell(value: Any, zone: tzinfo) -> Any:
    """One value as an export cell: None, a bool, a number, or spreadsheet-safe text."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, np.datetime64):
        raise NaiveTime(f"naive numpy datetime {value!r} in an export: attach its zone first")
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bool | int | Decimal):
        return value
    if isinstance(value, float):
        return None if math.isnan(value) else value
    if isinstance(value, datetime):
        return iso(value, zone)
    if isinstance(value, date):
        return value.isoformat()
    return neutralize(value if isinstance(value, str) else str(value))


def frame(page: pd.DataFrame, zone: tzinfo) -> pd.DataFrame:
    """The page with every column through the cell rule (same columns, same order)."""
    columns = [column(page.iloc[:, i], zone) for i in range(page.shape[1])]
    out = pd.concat(columns, axis=1, ignore_index=True) if columns else page.copy()
    out.columns = page.columns
    out.index = page.index
    return out


def column(s: pd.Series, zone: tzinfo) -> pd.Series:
    """One column through the cell rule: numbers and booleans as they are, times, then text."""
    dtype = s.dtype
    if isinstance(dtype, pd.DatetimeTZDtype):
        return _iso_column(s, zone)
    if pd.api.types.is_datetime64_dtype(dtype):
        raise NaiveTime(f"column {s.name!r} holds naive datetimes: attach their zone first")
    if pd.api.types.is_bool_dtype(dtype) or pd.api.types.is_numeric_dtype(dtype):
        return s
    if isinstance(dtype, pd.StringDtype):
        # text only: the rule once per distinct value (a campaign has few outlets, channels…)
        codes, uniques = pd.factorize(s)
        safe = np.array([None, *(neutralize(u) for u in uniques)], dtype=object)
        return pd.Series(safe[codes + 1], index=s.index, name=s.name, dtype=object)
    return pd.Series([cell(v, zone) for v in s], index=s.index, name=s.name, dtype=object)


def _iso_column(s: pd.Series, zone: tzinfo) -> pd.Series:
    """Aware times as ISO text with offset, vectorized: local wall time + the offset's text."""
    utc = s.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy()
    local = s.dt.tz_convert(zone).dt.tz_localize(None).to_numpy()
    present = ~np.isnat(utc)
    wall = np.datetime_as_string(local, unit="s")  # truncated to the second, as `iso`
    minutes = (local - utc).astype("timedelta64[m]").astype(np.int64)
    minutes[~present] = 0
    found, which = np.unique(minutes, return_inverse=True)
    offsets = np.array([_offset(int(m)) for m in found], dtype=str)[which]
    text = np.strings.add(wall, offsets).astype(object)
    text[~present] = None
    return pd.Series(text, index=s.index, name=s.name, dtype=object)


def _offset(minutes: int) -> str:
    sign = "+" if minutes >= 0 else "-"
    hours, mins = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}:{mins:02d}"
