"""Export formats: a registry from format name to the one function that writes it.

A format is one decorated function `write(table) -> Iterator[bytes]` with its name, media type
(one `charset` where the type has one), file extension and row limit. Every writer takes the
same `Table` and must pass every cell through `cells.frame` (the spreadsheet-safe rule and the
time rule), so a new format (SPSS `.sav`) is one more registered function.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import tzinfo
from typing import Any

import pandas as pd

from ..errors import DomainError


def too_large(fmt: str, limit: int) -> DomainError:
    """The table has more rows than the format holds (an XLSX sheet: 1,048,575 below the header)."""
    return DomainError("export_too_large", format=fmt.upper(), limit=limit)


class UnknownFormat(KeyError):
    """No export format of that name is registered."""


@dataclass(frozen=True)
class Table:
    """What every format writes: a sheet name, the header and the rows, page by page.

    Each page is a DataFrame whose columns are the header, in order; pages are read lazily, so
    a streaming format holds one page at a time. Times are written in `zone`.
    """

    name: str
    header: tuple[str, ...]
    pages: Iterable[pd.DataFrame]
    zone: tzinfo
    #: the row count when it is known before writing: a format with a limit refuses at once
    rows: int | None = None
    #: what each column means, in words (SPSS variable labels; other formats ignore them)
    labels: Mapping[str, str] = field(default_factory=dict)
    #: the words of a numeric column's codes (SPSS value labels: 5 → 非常满意)
    value_labels: Mapping[str, Mapping[int, str]] = field(default_factory=dict)

    @classmethod
    def from_rows(
        cls,
        name: str,
        header: Sequence[str],
        rows: Iterable[Sequence[Any]],
        zone: tzinfo,
        page: int = 1000,
        count: int | None = None,
    ) -> Table:
        """A table from plain rows, cut into object-typed pages of `page` rows (no dtype guessing)."""
        return cls(name, tuple(header), _pages(tuple(header), rows, page), zone, count)


def _pages(header: tuple[str, ...], rows: Iterable[Sequence[Any]], size: int):
    it = iter(rows)
    while chunk := list(itertools.islice(it, size)):
        yield pd.DataFrame(chunk, columns=list(header), dtype=object)


@dataclass(frozen=True)
class Format:
    """An export format: how it is named, sent and written."""

    name: str
    media_type: str  #: the whole Content-Type value, at most one charset
    extension: str  #: file name ending, without the dot
    write: Callable[[Table], Iterator[bytes]]
    max_rows: int | None = None  #: data rows the format holds below the header
    doc: str = ""


REGISTRY: dict[str, Format] = {}


def register(
    name: str, *, media_type: str, extension: str, max_rows: int | None = None
) -> Callable:
    """Add an export format to the registry (decorator on its write function)."""

    def deco(fn: Callable[[Table], Iterator[bytes]]) -> Callable:
        REGISTRY[name] = Format(
            name=name,
            media_type=media_type,
            extension=extension,
            write=fn,
            max_rows=max_rows,
            doc=(fn.__doc__ or "").strip(),
        )
        return fn

    return deco


@dataclass(frozen=True)
class Download:
    """An export ready to send: media type (one charset), file name, body as byte chunks."""

    media_type: str
    filename: str
    body: Iterator[bytes]

    @property
    def disposition(self) -> str:
        """Content-Disposition header value: an attachment with an ASCII file name."""
        return f'attachment; filename="{self.filename}"'


def download(f: Format, table: Table, stem: str) -> Download:
    """A table written by format `f` as a download named `stem.<extension>`."""
    return Download(f.media_type, f"{stem}.{f.extension}", f.write(table))


def get(name: str) -> Format:
    """The registered format of that name, or UnknownFormat naming the ones there are."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise UnknownFormat(
            f"unknown export format {name!r}: use one of {sorted(REGISTRY)}"
        ) from None
