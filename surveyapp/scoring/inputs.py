"""Validate a raw evaluation input (parsed JSON) against a scheme: InputError names the field."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from decimal import Decimal

from .criteria import REGISTRY
from .errors import InputError
from .model import (
    EVENT_TYPES,
    SURVEY_MEASURES,
    Adjustment,
    EvaluationInput,
    Event,
    Item,
    ItemScore,
    ManagementAudit,
    Scheme,
    SpecialDeduction,
    SurveyFigures,
    frozen_map,
)
from .numbers import HUNDRED, ZERO, div, fmt, measured, mul, to_decimal
from .survey import DIMENSIONS

TOP_LEVEL_FIELDS = (
    "scheme",
    "evaluation_date",
    "scores",
    "special_deductions",
    "special_bonus",
    "management_audit",
    "survey",
    "organization",
    "events",
    "notes",
)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_PCT = re.compile(r"^\s*([+-]?\d+(?:\.\d+)?)\s*%\s*$")  # a sign, so "-5%" is named negative
NA = "n/a"


def required_fields(scheme: Scheme) -> tuple[str, ...]:
    """Input fields the scheme's levels and items read (e.g. survey.S for cqm-2019)."""
    out: list[str] = []
    for level in scheme.levels:
        for criterion in level.criteria:
            for name in REGISTRY[criterion.kind].needs(criterion.params):
                if name not in out:
                    out.append(name)
    return tuple(out)


def survey_fed_items(scheme: Scheme) -> tuple[Item, ...]:
    """Items whose points come from the survey unless the auditors score them (xh-2025)."""
    return tuple(i for i in scheme.items if i.mode == "survey")


def parse_date(value: object, field: str) -> date:
    """A YYYY-MM-DD date, else InputError naming the field."""
    if not isinstance(value, str) or not _DATE.match(value):
        raise InputError(field, f"malformed date {value!r} (expected YYYY-MM-DD)", "invalid_date")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InputError(field, f"malformed date {value!r} (no such day)", "invalid_date") from None


def _number(value: object, field: str) -> Decimal:
    try:
        return to_decimal(value)
    except TypeError as e:
        raise InputError(field, f"expected a number, got {value!r} ({e})", "not_a_number") from None


def _percentage(value: object, field: str) -> Decimal | None:
    """The maturity percentage of "85%" or {"pct": 85}; None when value is not in that form."""
    if isinstance(value, str):
        m = _PCT.match(value)
        return Decimal(m.group(1)) if m else None
    if isinstance(value, Mapping):
        if set(value) != {"pct"}:
            raise InputError(field, 'a percentage is written {"pct": 85} or "85%"')
        return _number(value["pct"], f"{field}.pct")
    return None


def _percentage_points(item: Item, pct: Decimal, field: str, scheme: Scheme) -> Decimal:
    """A maturity percentage 0–100 % × the item's points (seed 000 §6.1.3, 附录C; issue 13)."""
    if item.mode not in ("maturity", "survey"):
        raise InputError(
            field,
            f"a percentage is accepted only for maturity-scored items; "
            f"give points (0 to {fmt(item.points)}) for item {item.id} of scheme {scheme.id}",
            "score_no_percentage",
            max=fmt(item.points),
        )
    if pct < 0:
        raise InputError(
            field,
            f"negative percentage ({fmt(pct)}%): a maturity percentage is 0–100%",
            "score_percentage_range",
            pct=fmt(pct),
        )
    if pct > HUNDRED:
        raise InputError(
            field, f"percentage {fmt(pct)}% outside 0–100%", "score_percentage_range", pct=fmt(pct)
        )
    return mul(div(pct, HUNDRED), item.points)


def _one_value(item: Item, value: object, field: str, scheme: Scheme) -> Decimal:
    """Points for one auditor's value of an item, validated against the item's scoring mode."""
    pct = _percentage(value, field)
    if pct is not None:
        return _percentage_points(item, pct, field, scheme)
    if isinstance(value, str):
        raise InputError(
            field, f'expected points, a list of points or "n/a", got {value!r}', "score_expected"
        )
    points = _number(value, field)
    if points < 0:
        hint = ""
        if item.deduction_option:
            hint = (
                "; the checklist's * option (-1) is recorded as 0 points plus an entry in "
                "special_deductions"
            )
        raise InputError(
            field,
            f"negative points ({fmt(points)}){hint}",
            "score_negative_star" if hint else "score_negative",
            points=fmt(points),
        )
    if points > item.points:
        raise InputError(
            field,
            f"{fmt(points)} points above the item's maximum of {fmt(item.points)}",
            "score_above_max",
            points=fmt(points),
            max=fmt(item.points),
        )
    if item.mode == "options" and points not in item.options:
        allowed = ", ".join(fmt(o) for o in item.options)
        raise InputError(
            field,
            f"{fmt(points)} is not one of the checklist's options ({allowed}) for {item.id}",
            "score_not_an_option",
            points=fmt(points),
            options=allowed.replace(", ", "、"),
        )
    return points


def parse_score(item: Item, value: object, field: str, scheme: Scheme) -> ItemScore:
    """One entry of `scores`: points, a list of points (one per auditor) or "n/a"."""
    if isinstance(value, str) and value.strip().lower() == NA:
        if not item.excludable:
            raise InputError(
                field,
                f"exclusion (n/a) not allowed for item {item.id}: {scheme.exclusion_rule}",
                "score_not_excludable",
            )
        return ItemScore(item.id, (), excluded=True)
    if value is None:
        raise InputError(field, 'null is not a score; give points, or "n/a" to exclude the item')
    if isinstance(value, list):
        if not value:
            raise InputError(field, "empty list: give at least one auditor's points")
        values = tuple(_one_value(item, v, f"{field}[{k}]", scheme) for k, v in enumerate(value))
        return ItemScore(item.id, values)
    return ItemScore(item.id, (_one_value(item, value, field, scheme),))


def _parse_scores(raw: object, scheme: Scheme) -> dict[str, ItemScore]:
    if raw is None:
        raise InputError("scores", "missing required field")
    if not isinstance(raw, Mapping):
        raise InputError("scores", "expected an object of item id → points")
    items = scheme.item_map
    scores: dict[str, ItemScore] = {}
    for key, value in raw.items():
        field = f"scores.{key}"
        item = items.get(str(key))
        if item is None:
            raise InputError(field, f"unknown item id for scheme {scheme.id}")
        scores[item.id] = parse_score(item, value, field, scheme)
    missing = [i.id for i in scheme.items if i.required and i.id not in scores]
    if missing:
        more = (
            f" (and {len(missing) - 1} more: {', '.join(missing[1:6])}…)"
            if len(missing) > 1
            else ""
        )
        raise InputError(
            f"scores.{missing[0]}",
            f'missing score{more}; every item needs points, a list of points or "n/a"',
        )
    applicable = sum(
        (i.points for i in scheme.items if not (i.id in scores and scores[i.id].excluded)), ZERO
    )
    if applicable <= 0:
        raise InputError("scores", "every item is excluded: no applicable points to score")
    return scores


def _parse_deductions(raw: object, scheme: Scheme) -> tuple[SpecialDeduction, ...]:
    if raw is None:
        return ()
    if isinstance(raw, bool):
        raise InputError("special_deductions", "expected a list of {item, note}")
    if isinstance(raw, int):
        if raw < 0:
            raise InputError("special_deductions", "a count cannot be negative")
        out = tuple(SpecialDeduction() for _ in range(raw))
    elif isinstance(raw, list):
        parsed = []
        for k, entry in enumerate(raw):
            field = f"special_deductions[{k}]"
            if isinstance(entry, str):
                parsed.append(SpecialDeduction(note=entry))
                continue
            if not isinstance(entry, Mapping):
                raise InputError(field, 'expected an object {"item": ..., "note": ...}')
            item = entry.get("item")
            if item is not None and str(item) not in scheme.item_map:
                raise InputError(
                    f"{field}.item",
                    f"unknown item id {item!r} for scheme {scheme.id}",
                    "unknown_item",
                    item=str(item),
                )
            note = entry.get("note") or ""
            parsed.append(
                SpecialDeduction(item=None if item is None else str(item), note=str(note))
            )
        out = tuple(parsed)
    else:
        raise InputError("special_deductions", "expected a list of {item, note}")
    if out and not scheme.special_deductions.enabled:
        raise InputError(
            "special_deductions",
            _not_in_scheme(scheme, "special deductions", "特别扣分项", scheme.special_deductions),
            "no_special_deductions",
        )
    return out


def _not_in_scheme(scheme: Scheme, what: str, what_zh: str, adjustment: Adjustment) -> str:
    """Why a scheme refuses deductions or a bonus: "xh-2025 has no … (…: seed 004 defines none)"."""
    why = f"{what_zh}: {adjustment.clause}" if adjustment.clause else what_zh
    return f"{scheme.id} has no {what} ({why})"


def _parse_bonus(raw: object, scheme: Scheme) -> int:
    """特别加分项: null/absent = none; each bonus given needs its reason (issue 13)."""
    if raw is None or raw is False:
        return 0
    entries = raw if isinstance(raw, list) else [raw]
    if entries and not scheme.special_bonus.enabled:
        raise InputError(
            "special_bonus",
            _not_in_scheme(scheme, "special bonus", "特别加分项", scheme.special_bonus),
            "no_special_bonus",
        )
    limit = scheme.special_bonus.max_count
    if limit is not None and len(entries) > limit:
        raise InputError(
            "special_bonus",
            f"at most {limit} special bonus item(s) in scheme {scheme.id} "
            f"({scheme.special_bonus.clause})",
        )
    for k, entry in enumerate(entries):
        field = f"special_bonus[{k}]" if isinstance(raw, list) else "special_bonus"
        _check_bonus_reason(entry, field, scheme)
    return len(entries)


def _check_bonus_reason(entry: object, field: str, scheme: Scheme) -> None:
    """A bonus is {"note": "<the advantage found>"} or that text; an empty one is refused."""
    if isinstance(entry, str):
        reason = entry
    elif isinstance(entry, Mapping):
        reason = entry.get("note") or ""
        if not isinstance(reason, str):
            raise InputError(f"{field}.note", f"expected text, got {reason!r}")
    elif entry is True:
        reason = ""
    else:
        raise InputError(field, 'expected null or an object {"note": ...}')
    if not reason.strip():
        raise InputError(
            field,
            'a special bonus needs its reason: give {"note": "…"} naming the advantage '
            "found, or null for no bonus; an empty bonus is not counted "
            f"[{scheme.special_bonus.clause}]",
            "bonus_needs_note",
        )


def _parse_audit(raw: object) -> ManagementAudit | None:
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise InputError(
            "management_audit", 'expected {"passed": true, "severe_nonconformities": 0}'
        )
    passed = raw.get("passed")
    if passed is None:
        raise InputError("management_audit.passed", "missing required field")
    if not isinstance(passed, bool):
        raise InputError("management_audit.passed", f"expected true or false, got {passed!r}")
    severe = raw.get("severe_nonconformities", 0)
    if severe is None:
        severe = 0
    if isinstance(severe, bool) or not isinstance(severe, int) or severe < 0:
        raise InputError(
            "management_audit.severe_nonconformities",
            f"expected a count ≥ 0, got {severe!r}",
            "count_not_negative",
        )
    return ManagementAudit(passed=passed, severe_nonconformities=severe)


def _percent(value: object, field: str) -> Decimal | None:
    """A survey figure 0–100 through the float boundary (`numbers.measured`), else InputError."""
    if value is None:
        return None
    number = _number(value, field)
    number = measured(number)
    if number < 0 or number > HUNDRED:
        raise InputError(field, f"{fmt(number)} outside 0–100")
    return number


def _parse_survey(raw: object) -> SurveyFigures | None:
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise InputError("survey", 'expected an object {"S": 91.2, "S_in_person": 90.5}')
    values = {m: _percent(raw.get(m), f"survey.{m}") for m in SURVEY_MEASURES}
    dims_raw = raw.get("dimensions") or {}
    if not isinstance(dims_raw, Mapping):
        raise InputError("survey.dimensions", "expected an object dimension → score 0–100")
    dims: dict[str, Decimal] = {}
    for name, value in dims_raw.items():
        if name not in DIMENSIONS:
            raise InputError(
                f"survey.dimensions.{name}",
                f"unknown dimension (expected one of {', '.join(DIMENSIONS)})",
            )
        number = _percent(value, f"survey.dimensions.{name}")
        if number is not None:
            dims[name] = number
    return SurveyFigures(dimensions=frozen_map(dims), **values)


def _parse_events(raw: object, evaluation_date: date | None) -> tuple[Event, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise InputError("events", "expected a list of {type, date, rectified}")
    events = []
    for k, entry in enumerate(raw):
        field = f"events[{k}]"
        if not isinstance(entry, Mapping):
            raise InputError(field, "expected an object {type, date, rectified}")
        kind = entry.get("type")
        if kind is None:
            raise InputError(f"{field}.type", "missing required field")
        if kind not in EVENT_TYPES:
            raise InputError(
                f"{field}.type",
                f"unknown event type {kind!r} (expected {', '.join(EVENT_TYPES)})",
            )
        if "date" not in entry or entry["date"] is None:
            raise InputError(f"{field}.date", "missing required field")
        day = parse_date(entry["date"], f"{field}.date")
        if evaluation_date is not None and day > evaluation_date:
            raise InputError(f"{field}.date", f"{day.isoformat()} is after evaluation_date")
        rectified = entry.get("rectified", False)
        if rectified is None:
            rectified = False
        if not isinstance(rectified, bool):
            raise InputError(f"{field}.rectified", f"expected true or false, got {rectified!r}")
        events.append(Event(type=kind, date=day, rectified=rectified))
    return tuple(events)


def parse_input(
    data: Mapping[str, object], scheme: Scheme, survey: Mapping[str, object] | None = None
) -> EvaluationInput:
    """Validate an evaluation input for `scheme`; `survey`, when given, replaces data["survey"]."""
    _check_top_level(data, scheme)
    needed = required_fields(scheme)
    scores = _parse_scores(data.get("scores"), scheme)
    evaluation_date = _parse_evaluation_date(data.get("evaluation_date"), needed, scheme)
    deductions = _parse_deductions(data.get("special_deductions"), scheme)
    bonus = _parse_bonus(data.get("special_bonus"), scheme)
    audit = _parse_audit(data.get("management_audit"))
    if audit is None and "management_audit" in needed:
        raise InputError(
            "management_audit", f"missing required field (scheme {scheme.id} levels need it)"
        )
    figures = _parse_survey(survey if survey is not None else data.get("survey"))
    _check_survey_needs(figures, needed, scores, scheme)
    operating_since = _parse_operating_since(
        data.get("organization"), evaluation_date, needed, scheme
    )
    events = _parse_events(data.get("events"), evaluation_date)
    return EvaluationInput(
        scheme_id=scheme.id,
        scores=frozen_map(scores),
        evaluation_date=evaluation_date,
        special_deductions=deductions,
        special_bonus=bonus,
        management_audit=audit,
        survey=figures,
        operating_since=operating_since,
        events=events,
        warnings=_deduction_warnings(scheme, scores, deductions),
    )


def _check_top_level(data: object, scheme: Scheme) -> None:
    """An object of known fields (or "_"-prefixed ones), for this scheme if it names one."""
    if not isinstance(data, Mapping):
        raise InputError("input", "expected a JSON object")
    for key in data:
        if key not in TOP_LEVEL_FIELDS and not str(key).startswith("_"):
            raise InputError(str(key), f"unknown field (expected {', '.join(TOP_LEVEL_FIELDS)})")
    scheme_id = data.get("scheme", scheme.id)
    if scheme_id != scheme.id:
        raise InputError("scheme", f"input is for {scheme_id!r}, not {scheme.id!r}")


def _parse_evaluation_date(
    raw_date: object, needed: tuple[str, ...], scheme: Scheme
) -> date | None:
    """evaluation_date, required when the scheme's criteria use dates."""
    evaluation_date = None if raw_date is None else parse_date(raw_date, "evaluation_date")
    if evaluation_date is None and "evaluation_date" in needed:
        raise InputError(
            "evaluation_date", f"missing required field (scheme {scheme.id} uses dates)"
        )
    return evaluation_date


def _check_survey_needs(
    figures: SurveyFigures | None,
    needed: tuple[str, ...],
    scores: Mapping[str, ItemScore],
    scheme: Scheme,
) -> None:
    """Every survey measure the levels use is given, and S when survey-fed items are unscored."""
    for name in needed:
        if name.startswith("survey."):
            measure = name.split(".", 1)[1]
            if figures is None:
                raise InputError(
                    "survey", f"missing required field (scheme {scheme.id} levels use {measure})"
                )
            if figures.measure(measure) is None:
                raise InputError(
                    name, f"missing required field (scheme {scheme.id} levels use {measure})"
                )
    fed = [i for i in survey_fed_items(scheme) if i.id not in scores]
    if fed and (figures is None or figures.S is None):
        ids = ", ".join(i.id for i in fed)
        raise InputError(
            "survey" if figures is None else "survey.S",
            f"missing required field: scheme {scheme.id} takes items {ids} from the survey "
            "(or score them in scores)",
        )


def _parse_operating_since(
    org: object, evaluation_date: date | None, needed: tuple[str, ...], scheme: Scheme
) -> date | None:
    """organization.operating_since: required when the levels use it, not after the evaluation."""
    if org is not None and not isinstance(org, Mapping):
        raise InputError("organization", 'expected an object {"operating_since": "YYYY-MM-DD"}')
    since_raw = (org or {}).get("operating_since")
    operating_since = (
        None if since_raw is None else parse_date(since_raw, "organization.operating_since")
    )
    if operating_since is None and "organization.operating_since" in needed:
        raise InputError(
            "organization.operating_since", f"missing required field (scheme {scheme.id})"
        )
    if operating_since and evaluation_date and operating_since > evaluation_date:
        raise InputError("organization.operating_since", "after evaluation_date")
    return operating_since


def _deduction_warnings(
    scheme: Scheme, scores: Mapping[str, ItemScore], deductions: tuple[SpecialDeduction, ...]
) -> tuple[str, ...]:
    """A warning per * item scored 0 without a special_deductions entry (likely forgotten)."""
    warnings = []
    for item in scheme.items:
        score = scores.get(item.id)
        if (
            item.deduction_option
            and score is not None
            and not score.excluded
            and all(v == ZERO for v in score.values)
            and not any(d.item == item.id for d in deductions)
        ):
            warnings.append(
                f"检查项 {item.id} 得 0 分，但没有登记特别扣分项；"
                "如属检查表中带 * 的扣分情形，请补登一项特别扣分"
            )
    return tuple(warnings)
