"""Which responses a figure covers (ScoreFilter), and its parsing from request strings."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ...errors import DomainError
from ...scoring.survey import CHANNELS
from ...survey_math import DEFAULT_TZ, ResponseFrame, filter_responses
from ..bounds import MAX_OUTLETS, bounded_id


@dataclass(frozen=True)
class ScoreFilter:
    """Which responses a figure covers: outlets, one channel, a local-date range (inclusive)."""

    outlet_ids: tuple[int, ...] = ()
    channel: str | None = None
    start: dt.date | None = None
    end: dt.date | None = None

    def __post_init__(self) -> None:
        if self.channel is not None and self.channel not in CHANNELS:
            raise ValueError(
                f"unknown channel {self.channel!r}; expected one of {', '.join(CHANNELS)}"
            )
        if self.start and self.end and self.start > self.end:
            raise ValueError("start is after end")
        object.__setattr__(self, "outlet_ids", tuple(sorted({int(o) for o in self.outlet_ids})))

    @property
    def empty(self) -> bool:
        """True when every response is covered."""
        return not (self.outlet_ids or self.channel or self.start or self.end)

    def key(self) -> tuple:
        """A hashable form for cache keys."""
        return (self.outlet_ids, self.channel, self.start, self.end)

    def as_dict(self) -> dict[str, Any]:
        """JSON form, returned with every filtered result."""
        return {
            "outlets": list(self.outlet_ids),
            "channel": self.channel,
            "start": self.start.isoformat() if self.start else None,
            "end": self.end.isoformat() if self.end else None,
        }

    def apply(self, frame: ResponseFrame) -> ResponseFrame:
        """The responses of the frame this filter covers."""
        if self.empty:
            return frame
        return filter_responses(
            frame,
            outlet_ids=self.outlet_ids or None,
            channel=self.channel,
            start=self.start,
            end=self.end,
            tz=DEFAULT_TZ,
        )


NO_FILTER = ScoreFilter()


#: the days a filter may name: a campaign's life lies well inside, pandas' range well outside
FIRST_DAY, LAST_DAY = dt.date(2000, 1, 1), dt.date(2100, 12, 31)


def parse_filter(
    outlets: Iterable[str | int] = (),
    channel: str | None = None,
    start: str | None = None,
    end: str | None = None,
) -> ScoreFilter:
    """Build a filter from request strings; DomainError invalid_filter when malformed, naming the
    parameter, with the reason (a code: no_such_id, invalid_date, …) and its parameters."""
    try:
        return _parse(outlets, channel, start, end)
    except DomainError as e:
        raise DomainError("invalid_filter", e.field, reason=e.code, **e.params) from None


def _parse(outlets, channel, start, end) -> ScoreFilter:
    given = [str(o).strip() for o in outlets if str(o).strip()]
    if len(given) > MAX_OUTLETS:
        raise DomainError("too_many", "outlet", max=MAX_OUTLETS)
    outlet_ids = tuple(_outlet_id(o) for o in given)
    if channel and channel not in CHANNELS:
        raise DomainError("unknown_channel", "channel", choices=list(CHANNELS))
    first, last = _day(start, "start"), _day(end, "end")
    if first and last and first > last:
        raise DomainError("start_after_end", "start")
    return ScoreFilter(outlet_ids, channel or None, first, last)


def _outlet_id(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or len(text) > 19:
        raise DomainError("no_such_id", "outlet")
    return bounded_id(int(text), "outlet")


def check_outlets(flt: ScoreFilter, outlet_ids: Iterable[int]) -> ScoreFilter:
    """The filter, if every outlet it names belongs to the campaign; else invalid_filter."""
    unknown = sorted(set(flt.outlet_ids) - set(outlet_ids))
    if unknown:
        raise DomainError("invalid_filter", "outlet", reason="unknown_outlet", ids=unknown)
    return flt


def _day(value: str | None, name: str) -> dt.date | None:
    if not value:
        return None
    try:
        parsed = dt.date.fromisoformat(value)
    except ValueError:
        raise DomainError("invalid_date", name) from None
    if not FIRST_DAY <= parsed <= LAST_DAY:
        raise DomainError("date_range", name, first=FIRST_DAY, last=LAST_DAY)
    return parsed
