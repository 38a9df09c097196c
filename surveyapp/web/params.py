"""Numbers read from a query string or a form, bounded before they reach a loop or a query."""

from __future__ import annotations

from collections.abc import Mapping

from ..errors import DomainError
from ..services.bounds import ID_MAX

#: pages of a listing: far past any campaign's size, far below an OFFSET overflow
MAX_PAGE = 1_000_000


def int_param(
    source: Mapping, name: str, default: int, lo: int, hi: int, code: str = "out_of_range"
) -> int:
    """source[name] as an int in [lo, hi]; the default when absent or empty; else DomainError
    (`code`, or not_a_number, naming the parameter), so no request can loop for minutes."""
    raw = source.get(name)
    if raw is None or str(raw).strip() == "":
        return default
    text = str(raw).strip()
    if not (text.isascii() and text.lstrip("-").isdigit()) or len(text) > 30:
        raise DomainError("not_a_number", name)
    if not lo <= int(text) <= hi:
        raise DomainError(code, name, lo=lo, hi=hi)
    return int(text)


def id_list(values: list[str], name: str) -> list[int]:
    """Row ids from repeated form fields; anything that is not an id 1 … 2^63 − 1 is refused."""
    return [int_param({name: v}, name, 0, 1, ID_MAX, code="no_such_id") for v in values]
