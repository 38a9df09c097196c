"""Export formats (CSV, XLSX) in one registry, and the cell rules every format applies.

No Flask and no database here: services build a `Table` (header + pages of rows) and a
registered format turns it into bytes. See `cells` for the spreadsheet-safe and time rules,
`registry` for how a format (a later SPSS `.sav` writer too) plugs in.
"""

from __future__ import annotations

from . import spss, tabular  # noqa: F401 - register csv, xlsx and sav
from .cells import cell, frame, neutralize
from .registry import (
    REGISTRY,
    Download,
    Format,
    Table,
    UnknownFormat,
    download,
    get,
    register,
    too_large,
)

__all__ = [
    "Download",
    "download",
    "REGISTRY",
    "Format",
    "Table",
    "UnknownFormat",
    "cell",
    "frame",
    "get",
    "neutralize",
    "register",
    "too_large",
]
