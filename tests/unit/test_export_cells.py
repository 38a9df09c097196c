"""The export cell rules (spreadsheet-safe text, numbers, times) and the format registry."""

from __future__ import annotations

import ast
import csv
import io
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from surveyapp import exports
from surveyapp.errors import DomainError
from surveyapp.exports import cells

SHANGHAI = ZoneInfo("Asia/Shanghai")
PAYLOADS = ['=HYPERLINK("http://x","y")', "+1+1", "-2+3", "@SUM(1)", "  =1+1", "\t=1", "\r=1"]
MORE_UNSAFE = ["=", "-", "\n=1", "\u3000@x", "\tplain", "\rplain", " \t+1"]
SAFE = ["", "abc", "朝阳服务中心", "1-2", "a=b", "'=already quoted", "#N/A", "x@y.z", " a"]


def is_safe(text: str) -> bool:
    """The property every exported text cell has: no formula start unless quoted first."""
    if text.startswith("'"):
        return True
    return text[:1] not in ("\t", "\r") and text.lstrip()[:1] not in ("=", "+", "-", "@")


@pytest.mark.parametrize("text", PAYLOADS + MORE_UNSAFE)
def test_formula_starts_get_a_quote(text):
    assert cells.neutralize(text) == "'" + text
    assert cells.cell(text, SHANGHAI) == "'" + text


@pytest.mark.parametrize("text", SAFE)
def test_other_text_is_left_alone(text):
    assert cells.neutralize(text) == text


@pytest.mark.parametrize(
    "value",
    [0, -3, 7, -2.5, 1e-9, Decimal("-1.50"), True, False],
)
def test_numbers_and_booleans_stay_what_they_are(value):
    out = cells.cell(value, SHANGHAI)
    assert out == value and type(out) is type(value)


def test_numpy_numbers_become_python_numbers():
    assert cells.cell(np.int64(-4), SHANGHAI) == -4
    assert type(cells.cell(np.int64(-4), SHANGHAI)) is int
    assert type(cells.cell(np.float64(-0.5), SHANGHAI)) is float
    assert cells.cell(np.bool_(True), SHANGHAI) is True


@pytest.mark.parametrize("value", [None, float("nan"), pd.NA, pd.NaT, np.float64("nan")])
def test_missing_is_empty(value):
    assert cells.cell(value, SHANGHAI) is None


def test_times_carry_the_offset_in_the_zone():
    at = datetime(2026, 11, 8, 6, 3, 5, 999_999, tzinfo=UTC)
    assert cells.cell(at, SHANGHAI) == "2026-11-08T14:03:05+08:00"
    other = at.astimezone(timezone(timedelta(hours=-5)))  # same instant, any zone in
    assert cells.cell(other, SHANGHAI) == "2026-11-08T14:03:05+08:00"
    assert cells.cell(date(2026, 11, 8), SHANGHAI) == "2026-11-08"


def test_naive_times_are_refused():
    with pytest.raises(cells.NaiveTime):
        cells.cell(datetime(2026, 11, 8, 14, 3), SHANGHAI)
    with pytest.raises(cells.NaiveTime):
        cells.frame(pd.DataFrame({"t": pd.to_datetime(["2026-11-08 14:03"])}), SHANGHAI)


def test_other_objects_are_text_through_the_rule():
    class Odd:
        def __str__(self):
            return "=odd()"

    assert cells.cell(Odd(), SHANGHAI) == "'=odd()"


def _mixed_frame() -> pd.DataFrame:
    at = [datetime(1969, 12, 31, 23, 59, 59, 500_000, tzinfo=UTC), None]
    at += [datetime(2026, 3, 8, 7, 30, tzinfo=UTC) + timedelta(days=k) for k in range(8)]
    n = len(at)
    texts = (PAYLOADS + SAFE)[:n]
    return pd.DataFrame(
        {
            "text": pd.Series(texts[:-1] + [None], dtype="str"),
            "mixed": pd.Series([-1, "=x", 2.5, None, Decimal("3"), True, *texts[:4]], dtype=object),
            "int": np.arange(n) - 5,
            "nullable": pd.array([1, None, -3, 4, 5, 6, 7, 8, 9, 10], dtype="Int64"),
            "float": np.linspace(-1, 1, n),
            "flag": np.arange(n) % 2 == 0,
            "at": pd.to_datetime(at, utc=True),
        }
    )


@pytest.mark.parametrize("zone", [SHANGHAI, ZoneInfo("America/New_York"), ZoneInfo("UTC")])
def test_the_page_rule_is_the_cell_rule(zone):
    page = _mixed_frame()
    safe = cells.frame(page, zone)
    assert list(safe.columns) == list(page.columns) and len(safe) == len(page)
    for name in page.columns:
        for raw, got in zip(page[name], safe[name], strict=True):
            raw = raw.to_pydatetime() if isinstance(raw, pd.Timestamp) else raw
            want = cells.cell(raw, zone)
            assert (got is None or got is pd.NA or got != got) if want is None else got == want


def test_empty_pages_and_missing_times():
    empty = pd.DataFrame({"t": pd.to_datetime([], utc=True), "s": pd.Series([], dtype="str")})
    assert cells.frame(empty, SHANGHAI).shape == (0, 2)
    missing = pd.DataFrame({"t": pd.to_datetime([None, None], utc=True)})
    assert list(cells.frame(missing, SHANGHAI)["t"]) == [None, None]


def test_registry_has_csv_and_xlsx_with_one_charset():
    assert {"csv", "xlsx"} <= set(exports.REGISTRY)
    assert exports.get("csv").media_type == "text/csv; charset=utf-8"
    assert exports.get("xlsx").media_type == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    for fmt in exports.REGISTRY.values():
        assert fmt.media_type.count("charset") <= 1, fmt.name
        assert fmt.extension and fmt.doc and callable(fmt.write)
    with pytest.raises(exports.UnknownFormat, match="csv"):
        exports.get("ods")


def _table(rows=None) -> exports.Table:
    header = ["=head", "n", "at"]
    at = datetime(2026, 11, 8, 6, 3, 5, tzinfo=UTC)
    rows = rows if rows is not None else [[p, -k, at] for k, p in enumerate(PAYLOADS)]
    return exports.Table.from_rows("sheet", header, rows, SHANGHAI, page=3)


def test_csv_writer_streams_safe_cells():
    chunks = list(exports.get("csv").write(_table()))
    assert chunks[0].startswith("\ufeff".encode()) and len(chunks) == 1 + 3  # header, 3+3+1
    rows = list(csv.reader(io.StringIO(b"".join(chunks).decode("utf-8-sig"), newline="")))
    assert rows[0] == ["'=head", "n", "at"]
    assert [r[0] for r in rows[1:]] == ["'" + p for p in PAYLOADS]
    assert [r[1] for r in rows[1:]] == [str(-k) for k in range(len(PAYLOADS))]  # numbers
    assert {r[2] for r in rows[1:]} == {"2026-11-08T14:03:05+08:00"}


def test_xlsx_writer_has_no_formula_cell():
    body = b"".join(exports.get("xlsx").write(_table()))
    ws = load_workbook(io.BytesIO(body)).active
    assert ws.title == "sheet"
    values = list(ws.iter_rows())
    assert all(c.data_type != "f" for row in values for c in row)
    assert [c.value for c in values[0]] == ["'=head", "n", "at"]
    # XML reads a stored CR back as LF; the quote before it is what matters
    assert [r[0].value for r in values[1:]] == ["'" + p.replace("\r", "\n") for p in PAYLOADS]
    assert [r[1].value for r in values[1:]] == [-k for k in range(len(PAYLOADS))]
    assert all(r[1].data_type == "n" for r in values[1:])
    assert {r[2].value for r in values[1:]} == {"2026-11-08T14:03:05+08:00"}


def test_xlsx_refuses_a_table_larger_than_a_sheet_before_reading_it():
    def never():
        raise AssertionError("rows read although the count was known")
        yield

    table = exports.Table("big", ("a",), never(), SHANGHAI, rows=1_048_576)
    with pytest.raises(DomainError, match="export_too_large"):
        exports.get("xlsx").write(table)
    assert list(exports.get("csv").write(exports.Table("e", ("a",), iter(()), SHANGHAI))) == [
        "\ufeffa\r\n".encode()
    ]


def test_exports_package_has_no_flask_and_no_database():
    """Like charts.py: formats are pure (services build the tables, web sends the bytes)."""
    forbidden = {"flask", "sqlalchemy", "flask_sqlalchemy", "flask_login", "werkzeug"}
    package = Path(exports.__file__).parent
    for path in package.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            assert not {n.split(".")[0] for n in names} & forbidden, path.name
