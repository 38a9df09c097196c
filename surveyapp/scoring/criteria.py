"""Criterion kinds: a registry from kind name to the function that checks it (rules as data)."""

from __future__ import annotations

import calendar
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from .model import (
    EVENT_NAMES_ZH,
    EVENT_TYPES,
    SURVEY_MEASURE_NAMES_ZH,
    SURVEY_MEASURES,
    EvaluationInput,
    Event,
    Scheme,
)
from .numbers import HUNDRED, fmt, fmt2, mul, round2
from .results import Check, Computation


@dataclass(frozen=True)
class Context:
    """Everything a criterion may look at: the scheme, the validated input, the computed scores."""

    scheme: Scheme
    input: EvaluationInput
    computation: Computation


@dataclass(frozen=True)
class Param:
    """A parameter of a criterion kind: its type and, for strings, the allowed values."""

    type: type
    choices: tuple[str, ...] = ()
    required: bool = True
    default: object = None


@dataclass(frozen=True)
class Kind:
    """A criterion kind: the check, its parameters, and the input fields it needs."""

    name: str
    check: Callable[[Mapping[str, object], Context], Check]
    params: Mapping[str, Param] = field(default_factory=dict)
    #: input fields the kind reads, given its params: e.g. ("survey.S_in_person",)
    needs: Callable[[Mapping[str, object]], tuple[str, ...]] = lambda p: ()
    doc: str = ""


REGISTRY: dict[str, Kind] = {}


def register(
    name: str,
    params: Mapping[str, Param] | None = None,
    needs: Callable[[Mapping[str, object]], tuple[str, ...]] | None = None,
) -> Callable:
    """Add a criterion kind to the registry (decorator)."""

    def deco(fn: Callable[[Mapping[str, object], Context], Check]) -> Callable:
        REGISTRY[name] = Kind(
            name=name,
            check=fn,
            params=dict(params or {}),
            needs=needs or (lambda p: ()),
            doc=(fn.__doc__ or "").strip(),
        )
        return fn

    return deco


# ---- dates ------------------------------------------------------------------------------------


def add_months(day: date, months: int) -> date:
    """The same day-of-month `months` later (negative: earlier), clamped to the month's end."""
    y, m = divmod(day.month - 1 + months, 12)
    year, month = day.year + y, m + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def full_months_between(start: date, end: date) -> int:
    """Whole months from start to end: the largest n with add_months(start, n) <= end."""
    n = (end.year - start.year) * 12 + (end.month - start.month)
    while n > 0 and add_months(start, n) > end:
        n -= 1
    return max(n, 0)


def window_start(evaluation_date: date, months: int) -> date:
    """First day inside "within N months before the evaluation" (inclusive)."""
    return add_months(evaluation_date, -months)


# ---- helpers ----------------------------------------------------------------------------------


def _dec(params: Mapping[str, object], key: str) -> Decimal:
    value = params[key]
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _events_in_window(ctx: Context, event_type: str, months: int) -> tuple[date, list[Event]]:
    """The window's first day, and the events of the type dated inside it."""
    start = window_start(ctx.input.evaluation_date, months)
    found = [
        e
        for e in ctx.input.events
        if e.type == event_type and start <= e.date <= ctx.input.evaluation_date
    ]
    return start, found


# ---- kinds ------------------------------------------------------------------------------------


@register("score_at_least", {"min": Param(Decimal)})
def score_at_least(params: Mapping[str, object], ctx: Context) -> Check:
    """The final score, rounded to 2 decimals, is at least `min`."""
    minimum = _dec(params, "min")
    score = ctx.computation.score
    met = score >= minimum
    actual = format(score, "f")
    return Check(
        met=met,
        criterion="score",
        required=f"≥ {fmt(minimum)}",
        actual=actual,
        summary=f"score {actual} {'≥' if met else '<'} {fmt(minimum)}",
        text_zh=f"{params.get('_name_zh') or '得分'}为 {actual} 分，要求 ≥ {fmt(minimum)} 分",
    )


@register("every_group_ratio_at_least", {"min_percent": Param(Decimal)})
def every_group_ratio_at_least(params: Mapping[str, object], ctx: Context) -> Check:
    """Every first-level indicator scores at least `min_percent` % of its applicable points."""
    minimum = _dec(params, "min_percent")
    mode = ctx.scheme.rounding
    rows = []
    for g in ctx.computation.groups:
        if g.ratio is None:
            continue  # every item of the indicator excluded: nothing to compare
        pct = round2(mul(g.ratio, HUNDRED), mode)
        rows.append((g.id, pct))
    failing = [(gid, pct) for gid, pct in rows if pct < minimum]
    lowest = min(rows, key=lambda r: r[1]) if rows else None
    if failing:
        actual = ", ".join(f"{gid} {pct}%" for gid, pct in failing)
    elif lowest:
        actual = f"lowest {lowest[0]} {lowest[1]}%"
    else:
        actual = "no applicable indicator"
    met = not failing
    zh_actual = "、".join(f"{gid} 为 {pct}%" for gid, pct in failing) if failing else "全部达到"
    return Check(
        met=met,
        criterion="first_level_ratio",
        required=f"each ≥ {fmt(minimum)}%",
        actual=actual,
        summary=(
            f"first-level indicators {actual} < {fmt(minimum)}%"
            if failing
            else f"first-level indicators all ≥ {fmt(minimum)}%"
        ),
        text_zh=f"各一级指标得分不低于该指标总分的 {fmt(minimum)}%（{zh_actual}）",
    )


@register("management_audit_passed", needs=lambda p: ("management_audit",))
def management_audit_passed(params: Mapping[str, object], ctx: Context) -> Check:
    """The management audit concluded 符合 (passed)."""
    audit = ctx.input.management_audit
    met = bool(audit and audit.passed)
    actual = "passed" if met else "not passed"
    return Check(
        met=met,
        criterion="management_audit.passed",
        required="passed",
        actual=actual,
        summary=f"management audit {actual}",
        text_zh="管理审核" + ("通过符合性审核" if met else "未通过符合性审核"),
    )


@register("no_severe_nonconformity", needs=lambda p: ("management_audit",))
def no_severe_nonconformity(params: Mapping[str, object], ctx: Context) -> Check:
    """The management audit found no severe nonconformity (严重不符合)."""
    audit = ctx.input.management_audit
    count = audit.severe_nonconformities if audit else 0
    met = count == 0
    return Check(
        met=met,
        criterion="management_audit.severe_nonconformities",
        required="0",
        actual=str(count),
        summary=f"severe nonconformities {count} {'=' if met else '>'} 0",
        text_zh=f"管理审核严重不符合 {count} 项，要求无严重不符合",
    )


@register(
    "survey_at_least",
    {"measure": Param(str, SURVEY_MEASURES), "min": Param(Decimal)},
    needs=lambda p: (f"survey.{p['measure']}",),
)
def survey_at_least(params: Mapping[str, object], ctx: Context) -> Check:
    """The survey measure (S, S_in_person, S_online), rounded to 2 decimals, is at least `min`."""
    measure = str(params["measure"])
    minimum = _dec(params, "min")
    survey = ctx.input.survey
    value = survey.measure(measure) if survey else None
    name_zh = SURVEY_MEASURE_NAMES_ZH[measure]
    if value is None:
        return Check(
            False,
            f"survey.{measure}",
            f"≥ {fmt(minimum)}",
            "missing",
            f"{measure} missing",
            f"{name_zh} 缺失",
        )
    actual = fmt2(value, ctx.scheme.rounding)
    met = round2(value, ctx.scheme.rounding) >= minimum
    return Check(
        met=met,
        criterion=f"survey.{measure}",
        required=f"≥ {fmt(minimum)}",
        actual=actual,
        summary=f"{measure} {actual} {'≥' if met else '<'} {fmt(minimum)}",
        text_zh=f"{name_zh} 为 {actual} 分，要求 ≥ {fmt(minimum)} 分",
    )


@register("special_deductions_below", {"limit": Param(int)})
def special_deductions_below(params: Mapping[str, object], ctx: Context) -> Check:
    """Fewer than `limit` special deductions (5 or more fail, seed 000 §6.3.2, seed 002 note 4)."""
    limit = int(params["limit"])  # type: ignore[arg-type]
    count = ctx.computation.deductions
    met = count < limit
    return Check(
        met=met,
        criterion="special_deductions",
        required=f"< {limit}",
        actual=str(count),
        summary=f"special deductions {count} {'<' if met else '≥'} {limit}",
        text_zh=f"特别扣分项 {count} 个，要求少于 {limit} 个",
    )


@register(
    "operating_at_least_months",
    {"months": Param(int)},
    needs=lambda p: ("evaluation_date", "organization.operating_since"),
)
def operating_at_least_months(params: Mapping[str, object], ctx: Context) -> Check:
    """The organization has operated at least `months` whole months on the evaluation date (含)."""
    months = int(params["months"])  # type: ignore[arg-type]
    since, on = ctx.input.operating_since, ctx.input.evaluation_date
    assert since is not None and on is not None
    have = full_months_between(since, on)
    met = add_months(since, months) <= on
    return Check(
        met=met,
        criterion="organization.operating_months",
        required=f"≥ {months} months",
        actual=f"{have} months (since {since.isoformat()})",
        summary=f"operating {have} months {'≥' if met else '<'} {months}",
        text_zh=f"组织经营 {have} 个月（自 {since.isoformat()} 起），要求 ≥ {months} 个月",
    )


@register(
    "no_event_within_months",
    {"event": Param(str, EVENT_TYPES), "months": Param(int)},
    needs=lambda p: ("evaluation_date",),
)
def no_event_within_months(params: Mapping[str, object], ctx: Context) -> Check:
    """No event of the type dated within `months` months before the evaluation date (inclusive)."""
    event, months = str(params["event"]), int(params["months"])  # type: ignore[arg-type]
    start, found = _events_in_window(ctx, event, months)
    met = not found
    dates = ", ".join(e.date.isoformat() for e in found)
    actual = f"{len(found)}" + (f" ({dates})" if found else "")
    return Check(
        met=met,
        criterion=f"events.{event}",
        required=f"none since {start.isoformat()} ({months} months)",
        actual=actual,
        summary=f"{event} within {months} months: {actual}" + ("" if met else " > 0"),
        text_zh=f"现场评价前 {months} 个月内（{start.isoformat()} 起）{EVENT_NAMES_ZH[event]} "
        f"{len(found)} 起，要求无",
    )


@register(
    "at_most_events_within_months",
    {
        "event": Param(str, EVENT_TYPES),
        "months": Param(int),
        "max": Param(int),
        "rectified": Param(bool, required=False, default=True),
    },
    needs=lambda p: ("evaluation_date",),
)
def at_most_events_within_months(params: Mapping[str, object], ctx: Context) -> Check:
    """At most `max` events of the type within `months` months, each rectified if `rectified`."""
    event, months = str(params["event"]), int(params["months"])  # type: ignore[arg-type]
    limit = int(params["max"])  # type: ignore[arg-type]
    need_rectified = bool(params.get("rectified", True))
    start, found = _events_in_window(ctx, event, months)
    open_ = [e for e in found if not e.rectified]
    met = len(found) <= limit and not (need_rectified and open_)
    rect = " rectified" if need_rectified else ""
    actual = f"{len(found)} ({len(found) - len(open_)} rectified)"
    why = []
    if len(found) > limit:
        why.append(f"> {limit}")
    if need_rectified and open_:
        why.append(f"{len(open_)} not rectified")
    return Check(
        met=met,
        criterion=f"events.{event}",
        required=f"≤ {limit}{rect} since {start.isoformat()} ({months} months)",
        actual=actual,
        summary=f"{event} within {months} months: {actual}" + (f" {'; '.join(why)}" if why else ""),
        text_zh=f"现场评价前 {months} 个月内{EVENT_NAMES_ZH[event]} {len(found)} 起"
        f"（已有效整改 {len(found) - len(open_)} 起），要求 ≤ {limit} 起"
        + ("且均已有效整改" if need_rectified else ""),
    )
