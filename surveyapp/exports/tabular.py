"""The CSV and XLSX writers: the same table, every cell through `cells.frame`.

CSV: UTF-8 with a BOM (Excel then opens Chinese correctly), CRLF rows, one chunk per page, so a
large export streams with flat memory. XLSX: openpyxl's write-only mode into a temporary file,
sent in blocks; refused before writing when the table has more rows than a sheet holds. Excel
datetimes cannot carry a UTC offset, so XLSX writes times as the same ISO 8601 text as CSV
(`2026-11-08T14:03:05+08:00`). No XLSX cell is a formula: openpyxl stores a string starting with
`=` as one, and the text rule prefixes every such string with `'` first.
"""

from __future__ import annotations

import csv
import io
import math
import tempfile
from collections.abc import Iterator
from typing import IO, Any

import numpy as np
import pandas as pd
from openpyxl import Workbook

from . import cells
from .registry import Table, register, too_large

BOM = "\ufeff"
XLSX_MAX_ROWS = 1_048_575  #: Excel's 1,048,576 rows minus the header
BLOCK = 64 * 1024  #: bytes per chunk when a finished file is sent


@register("csv", media_type="text/csv; charset=utf-8", extension="csv")
def write_csv(table: Table) -> Iterator[bytes]:
    """CSV, UTF-8 with BOM: the header in the first chunk, then one chunk per page."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow(
        [cells.neutralize(name) for name in table.header]
    )
    yield (BOM + out.getvalue()).encode("utf-8")
    for page in table.pages:
        safe = cells.frame(page, table.zone)
        yield safe.to_csv(index=False, header=False, lineterminator="\r\n").encode("utf-8")


@register(
    "xlsx",
    media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    extension="xlsx",
    max_rows=XLSX_MAX_ROWS,
)
def write_xlsx(table: Table) -> Iterator[bytes]:
    """XLSX, one sheet named after the table; built at once (refusing too many rows), then sent."""
    if table.rows is not None and table.rows > XLSX_MAX_ROWS:
        raise too_large("xlsx", XLSX_MAX_ROWS)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(table.name[:31])  # Excel's sheet-name limit
    ws.append([cells.neutralize(name) for name in table.header])
    written = 0
    for page in table.pages:
        written += len(page)
        if written > XLSX_MAX_ROWS:
            raise too_large("xlsx", XLSX_MAX_ROWS)
        for row in cells.frame(page, table.zone).itertuples(index=False, name=None):
            ws.append([_xlsx_value(v) for v in row])
    tmp = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 - closed by blocks
    wb.save(tmp)
    tmp.seek(0)
    return blocks(tmp)


def _xlsx_value(value: Any) -> Any:
    """A safe cell as openpyxl takes it: numpy numbers as Python numbers, missing or "" empty."""
    if value is None or value is pd.NA or value == "":
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def blocks(f: IO[bytes]) -> Iterator[bytes]:
    with f:
        while block := f.read(BLOCK):
            yield block
