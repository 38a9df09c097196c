"""Bounds every id and count is checked against before it reaches a query or a loop."""

from __future__ import annotations

from ..errors import DomainError

#: outlets of one campaign, and so outlets one filter may name
MAX_OUTLETS = 500
#: ids are signed 64-bit columns on both databases; a larger number names no row
ID_MAX = 2**63 - 1


def bounded_id(value: object, field: str) -> int:
    """A row id 1 … 2^63 − 1: larger ones would overflow the driver instead of finding nothing
    (DomainError no_such_id: users are told the id names nothing, not the 64-bit limit)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise DomainError("not_a_number", field)
    if not 1 <= value <= ID_MAX:
        raise DomainError("no_such_id", field)
    return value
