"""The SPSS `.sav` writer (pyreadstat): the same table, with the words statisticians expect.

Variable labels carry what each column means (the question in Chinese), value labels the
words of each code (5 = 非常满意, 不适用 = missing), as 问卷星 and Qualtrics exports do. Every
cell goes through `cells.frame` first, so text is spreadsheet-safe and times are ISO 8601 with
their offset, as in CSV and XLSX; columns that hold only numbers (or nothing) are numeric.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator

import pandas as pd

from . import cells
from .registry import Table, register, too_large
from .tabular import blocks

#: SPSS variable names: a letter first, then letters, digits, _ (at most 64 bytes)
_NAME = re.compile(r"[^A-Za-z0-9_]")
SAV_MAX_ROWS = 2_000_000  #: written in one go; a larger campaign is exported as CSV


def _variable(name: str, taken: set[str]) -> str:
    out = _NAME.sub("_", name)[:60] or "v"
    if not out[0].isalpha():
        out = "v" + out
    base, k = out, 1
    while out.lower() in taken:
        k += 1
        out = f"{base}_{k}"
    taken.add(out.lower())
    return out


def _numeric(column: pd.Series) -> pd.Series | None:
    """The column as floats when every present value is a number (bools as 0/1), else None."""
    present = column[column.notna() & (column.astype(str) != "")]
    try:
        values = pd.to_numeric(present.map(lambda v: int(v) if isinstance(v, bool) else v))
    except (TypeError, ValueError):
        return None
    out = pd.Series(float("nan"), index=column.index, dtype="float64")
    out[present.index] = values.astype("float64")
    return out


@register("sav", media_type="application/x-spss-sav", extension="sav", max_rows=SAV_MAX_ROWS)
def write_sav(table: Table) -> Iterator[bytes]:
    """SPSS .sav with Chinese variable and value labels (UTF-8), built at once, then sent."""
    if table.rows is not None and table.rows > SAV_MAX_ROWS:
        raise too_large("sav", SAV_MAX_ROWS)
    import pyreadstat

    pages = [cells.frame(page, table.zone) for page in table.pages]
    frame = pd.concat(pages, ignore_index=True) if pages else pd.DataFrame(columns=table.header)
    if len(frame) > SAV_MAX_ROWS:
        raise too_large("sav", SAV_MAX_ROWS)
    taken: set[str] = set()
    names = {h: _variable(h, taken) for h in table.header}
    out = pd.DataFrame(index=frame.index)
    for h in table.header:
        numeric = _numeric(frame[h]) if h in frame else None
        if numeric is not None and not frame[h].isna().all():
            out[names[h]] = numeric
        else:
            out[names[h]] = frame[h].astype(object).where(frame[h].notna(), "").astype(str)
    labels = {names[h]: table.labels.get(h, h) for h in table.header}
    values = {
        names[h]: {float(k): v for k, v in table.value_labels[h].items()}
        for h in table.header
        if h in table.value_labels and pd.api.types.is_float_dtype(out[names[h]])
    }
    fd, path = tempfile.mkstemp(suffix=".sav")
    os.close(fd)
    try:
        pyreadstat.write_sav(
            out, path, column_labels=labels, variable_value_labels=values, file_label=table.name
        )
        handle = open(path, "rb")  # noqa: SIM115 - closed by blocks
    finally:
        os.unlink(path)  # the open handle keeps the data readable until it is sent
    return blocks(handle)
