"""Load and validate the scheme files (schemes/*.toml) into the engine's frozen types."""

from __future__ import annotations

import functools
import hashlib
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from .scoring import (
    DIMENSIONS,
    REGISTRY,
    Adjustment,
    Criterion,
    Group,
    InputError,
    Item,
    Level,
    Part,
    Scheme,
    SchemeError,
    SurveyParams,
    evaluate_data,
)
from .scoring.criteria import Param
from .scoring.model import ITEM_MODES, frozen_map
from .scoring.numbers import ROUNDING_MODES, fmt

#: the schemes/ folder at the repository root
SCHEME_DIR = Path(__file__).resolve().parent.parent / "schemes"
LEVEL_IDS = (
    "none",
    "fail",
    "compliant",
    "one_star",
    "two_star",
    "three_star",
    "four_star",
    "five_star",
    "eight_star",
    "nine_star",
    "ten_star",
)
_TOP_KEYS = {
    "id",
    "title",
    "source",
    "version",
    "seed",
    "max_points",
    "rounding",
    "item_mode",
    "exclusions",
    "special_deductions",
    "special_bonus",
    "fallback",
    "parts",
    "groups",
    "items",
    "levels",
    "survey",
}
_ITEM_KEYS = {
    "id",
    "title",
    "points",
    "group",
    "mode",
    "options",
    "star",
    "quantitative",
    "dimension",
    "survey_source",
    "excludable",
    "clause",
    "note",
    "reference_options",
}
_GROUP_KEYS = {"id", "title", "points", "parent", "clause", "note"}
_CRITERION_META = {"kind", "clause", "note", "name_zh"}
_SURVEY_KEYS = {
    "questionnaire",
    "scale",
    "channel_weights",
    "dimension_weights",
    "combine",
    "min_answered_fraction",
    "min_valid_per_channel",
    "max_half_width",
    "bootstrap_resamples",
    "bootstrap_seed",
    "alpha_acceptable",
    "thresholds",
    "burst_network_count",
    "burst_device_count",
    "burst_minutes",
}

__all__ = [
    "SCHEME_DIR",
    "InputError",
    "SchemeError",
    "clear_cache",
    "evaluate_input",
    "list_schemes",
    "load_scheme",
    "load_scheme_file",
    "reader_texts",
]


class _Where:
    """Builds "file: element: problem" messages."""

    def __init__(self, path: Path) -> None:
        self.name = path.name

    def error(self, where: str, problem: str) -> SchemeError:
        return SchemeError(f"{self.name}: {where}: {problem}")


def _dec(value: object, w: _Where, where: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise w.error(where, f"expected a number, got {value!r}")
    return Decimal(value)


def _str(table: Mapping, key: str, w: _Where, where: str) -> str:
    value = table.get(key)
    if not isinstance(value, str) or not value:
        raise w.error(where, f"missing or empty {key!r}")
    return value


def _check_keys(table: Mapping, allowed: set[str], w: _Where, where: str) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise w.error(where, f"unknown key(s) {', '.join(unknown)}")


def _new_id(
    table: Mapping, allowed: set[str], seen: set[str], w: _Where, where: str, kind: str
) -> tuple[str, str]:
    """Check a group's or item's keys and that its id is new; return the id and "kind id"."""
    _check_keys(table, allowed, w, where)
    new = _str(table, "id", w, where)
    where = f"{kind} {new}"
    if new in seen:
        raise w.error(where, "duplicate id")
    seen.add(new)
    return new, where


def _survey_params(raw: Mapping, levels: tuple[Level, ...], w: _Where) -> tuple[SurveyParams, str]:
    """The [survey] table as SurveyParams (defaults for what it leaves out) and questionnaire."""
    _check_keys(raw, _SURVEY_KEYS, w, "[survey]")
    kwargs: dict[str, object] = {}
    if "scale" in raw:
        kwargs["scale"] = _scale(raw["scale"], w)
    if "channel_weights" in raw:
        kwargs["channel_weights"] = _channel_weights(raw["channel_weights"], w)
    if "dimension_weights" in raw:
        kwargs["dimension_weights"] = _dimension_weights(raw["dimension_weights"], w)
    if "combine" in raw:
        if raw["combine"] not in ("weighted", "pooled"):
            raise w.error("[survey].combine", "expected 'weighted' or 'pooled'")
        kwargs["combine"] = raw["combine"]
    kwargs.update(_survey_numbers(raw, w))
    kwargs["thresholds"] = _thresholds(raw, levels, w)
    questionnaire = raw.get("questionnaire", "default")
    if not isinstance(questionnaire, str) or not questionnaire:
        raise w.error("[survey].questionnaire", "expected a non-empty string")
    return SurveyParams(**kwargs), questionnaire  # type: ignore[arg-type]


def _scale(raw: Mapping, w: _Where) -> dict[int, float]:
    """[survey].scale: integer answer values to points."""
    scale = {}
    for k, v in raw.items():
        if not str(k).isdigit():
            raise w.error("[survey].scale", f"answer value {k!r} is not an integer")
        scale[int(k)] = float(_dec(v, w, f"[survey].scale.{k}"))
    return scale


def _channel_weights(raw: Mapping, w: _Where) -> dict[str, float]:
    """[survey].channel_weights: in_person and online, summing to 1."""
    cw = {k: float(_dec(v, w, f"[survey].channel_weights.{k}")) for k, v in raw.items()}
    if set(cw) != {"in_person", "online"} or abs(sum(cw.values()) - 1) > 1e-9:
        raise w.error("[survey].channel_weights", "needs in_person and online summing to 1")
    return cw


def _dimension_weights(raw: Mapping | str, w: _Where) -> dict[str, float]:
    """[survey].dimension_weights: "equal", or the six dimensions summing to 1 (±0.001)."""
    if raw == "equal":
        return {d: 1 / len(DIMENSIONS) for d in DIMENSIONS}
    dw = {k: float(_dec(v, w, f"[survey].dimension_weights.{k}")) for k, v in raw.items()}
    if set(dw) != set(DIMENSIONS) or abs(sum(dw.values()) - 1) > 1e-3:
        raise w.error(
            "[survey].dimension_weights",
            f"needs the six dimensions {', '.join(DIMENSIONS)} summing to 1",
        )
    return dw


def _survey_numbers(raw: Mapping, w: _Where) -> dict[str, object]:
    """The [survey] numbers given: fractions and widths as floats, counts and seed as integers."""
    out: dict[str, object] = {}
    for key in ("min_answered_fraction", "max_half_width", "alpha_acceptable", "burst_minutes"):
        if key in raw:
            out[key] = float(_dec(raw[key], w, f"[survey].{key}"))
    for key in (
        "min_valid_per_channel",
        "bootstrap_resamples",
        "bootstrap_seed",
        "burst_network_count",
        "burst_device_count",
    ):
        if key in raw:
            if not isinstance(raw[key], int) or isinstance(raw[key], bool):
                raise w.error(f"[survey].{key}", "expected an integer")
            out[key] = raw[key]
    return out


def _thresholds(raw: Mapping, levels: tuple[Level, ...], w: _Where) -> tuple[float, ...]:
    """[survey].thresholds, else every survey_at_least minimum of the levels, ascending."""
    if "thresholds" in raw:
        return tuple(float(_dec(t, w, "[survey].thresholds")) for t in raw["thresholds"])
    found = sorted(
        {
            float(c.params["min"])
            for lv in levels
            for c in lv.criteria
            if c.kind == "survey_at_least"
        }
    )
    return tuple(found)


def _criterion(raw: Mapping, w: _Where, where: str) -> Criterion:
    """One level criterion: a registered kind, its parameters typed, defaults filled in."""
    kind_name = raw.get("kind")
    if kind_name not in REGISTRY:
        known = ", ".join(sorted(REGISTRY))
        raise w.error(where, f"unknown criterion kind {kind_name!r} (known: {known})")
    kind = REGISTRY[kind_name]
    params: dict[str, object] = {}
    for key, value in raw.items():
        if key in _CRITERION_META:
            continue
        spec = kind.params.get(key)
        if spec is None:
            raise w.error(where, f"unknown parameter {key!r} for kind {kind_name}")
        params[key] = _param_value(spec, value, w, f"{where}.{key}")
    for key, spec in kind.params.items():
        if key not in params:
            if spec.required:
                raise w.error(where, f"kind {kind_name} needs parameter {key!r}")
            params[key] = spec.default
    return Criterion(
        kind=kind_name,
        params=frozen_map(params),
        clause=str(raw.get("clause", "")),
        note=str(raw.get("note", "")),
        name_zh=str(raw.get("name_zh", "")),
    )


def _param_value(spec: Param, value: object, w: _Where, where: str) -> object:
    """A criterion parameter checked against its spec: a number, a count ≥ 0, a flag, a choice."""
    if spec.type is Decimal:
        return _dec(value, w, where)
    if spec.type is int:
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise w.error(where, f"expected a whole number ≥ 0, got {value!r}")
    elif spec.type is bool:
        if not isinstance(value, bool):
            raise w.error(where, f"expected true or false, got {value!r}")
    elif spec.type is str and (
        not isinstance(value, str) or (spec.choices and value not in spec.choices)
    ):
        raise w.error(where, f"expected one of {', '.join(spec.choices)}, got {value!r}")
    return value


def _header(data: Mapping, path: Path, w: _Where) -> tuple[str, Decimal, str, str]:
    """Top-level keys: the id (= the file name), max_points, rounding, default item mode."""
    _check_keys(data, _TOP_KEYS, w, "top level")
    scheme_id = _str(data, "id", w, "top level")
    if scheme_id != path.stem:
        raise w.error("id", f"{scheme_id!r} differs from the file name {path.stem!r}")
    max_points = _dec(data.get("max_points"), w, "max_points")
    rounding = data.get("rounding", "half_up")
    if rounding not in ROUNDING_MODES:
        raise w.error("rounding", f"expected one of {', '.join(ROUNDING_MODES)}")
    default_mode = data.get("item_mode", "points")
    if default_mode not in ITEM_MODES:
        raise w.error("item_mode", f"expected one of {', '.join(ITEM_MODES)}")
    return scheme_id, max_points, rounding, default_mode


def _groups(data: Mapping, seen: set[str], w: _Where) -> list[Group]:
    """The [[groups]], each id new and each parent a known group."""
    groups: list[Group] = []
    for k, g in enumerate(data.get("groups", [])):
        gid, where = _new_id(g, _GROUP_KEYS, seen, w, f"groups[{k}]", "group")
        groups.append(
            Group(
                gid,
                _str(g, "title", w, where),
                _dec(g.get("points"), w, f"{where}.points"),
                g.get("parent"),
                str(g.get("clause", "")),
            )
        )
    group_ids = {g.id for g in groups}
    for g in groups:
        if g.parent is not None and g.parent not in group_ids:
            raise w.error(f"group {g.id}", f"unknown parent group {g.parent!r}")
    return groups


@dataclass(frozen=True)
class _Exclusions:
    """The [exclusions] table: which items may be excluded when an item does not say."""

    allowed: str  #: none, all or groups
    groups: frozenset[str]  #: with allowed = groups: items in these groups (or below them)
    parent: Mapping[str, str | None]  #: group id -> parent group id
    rule: str

    @property
    def group_ids(self) -> set[str]:
        """Every group of the scheme."""
        return set(self.parent)

    def default_for(self, group: str | None) -> bool:
        """Whether an item of this group is excludable unless it sets `excludable`."""
        if self.allowed == "all":
            return True
        if self.allowed == "groups":
            return bool(self._ancestors(group) & self.groups)
        return False

    def _ancestors(self, gid: str | None) -> set[str]:
        out = set()
        while gid is not None:
            out.add(gid)
            gid = self.parent.get(gid)
        return out


def _exclusions(data: Mapping, groups: list[Group], w: _Where) -> _Exclusions:
    excl = data.get("exclusions", {})
    allowed = excl.get("allowed", "none")
    if allowed not in ("none", "all", "groups"):
        raise w.error("[exclusions].allowed", "expected none, all or groups")
    excl_groups = tuple(excl.get("groups", ()))
    group_ids = {g.id for g in groups}
    for gid in excl_groups:
        if gid not in group_ids:
            raise w.error("[exclusions].groups", f"unknown group {gid!r}")
    return _Exclusions(
        allowed=allowed,
        groups=frozenset(excl_groups),
        parent={g.id: g.parent for g in groups},
        rule=str(excl.get("rule", "no exclusions in this scheme")),
    )


def _item(
    it: Mapping, iid: str, where: str, default_mode: str, excl: _Exclusions, w: _Where
) -> Item:
    """One [[items]] entry: points, group, mode with its options or survey source."""
    points = _dec(it.get("points"), w, f"{where}.points")
    if points < 0:
        raise w.error(where, "negative points")
    group = it.get("group")
    if group is not None and group not in excl.group_ids:
        raise w.error(where, f"unknown group {group!r}")
    mode = it.get("mode", default_mode)
    if mode not in ITEM_MODES:
        raise w.error(where, f"unknown mode {mode!r} (expected {', '.join(ITEM_MODES)})")
    options = tuple(_dec(o, w, f"{where}.options") for o in it.get("options", ()))
    if mode == "options" and not options:
        raise w.error(where, "mode options needs a non-empty options list")
    for o in options:
        if o < 0 or o > points:
            raise w.error(where, f"option {fmt(o)} outside 0–{fmt(points)}")
    source = it.get("survey_source")
    if mode == "survey" and source not in ("S", "dimensions"):
        raise w.error(where, "mode survey needs survey_source = 'S' or 'dimensions'")
    return Item(
        id=iid,
        title=_str(it, "title", w, where),
        points=points,
        group=group,
        mode=mode,
        excludable=bool(it.get("excludable", excl.default_for(group))),
        options=options,
        deduction_option=bool(it.get("star", False)),
        quantitative=bool(it.get("quantitative", False)),
        dimension=it.get("dimension"),
        survey_source=source,
        clause=str(it.get("clause", "")),
    )


def _items(
    data: Mapping, seen: set[str], default_mode: str, excl: _Exclusions, w: _Where
) -> list[Item]:
    """The [[items]], each id new across groups and items; at least one."""
    items: list[Item] = []
    for k, it in enumerate(data.get("items", [])):
        iid, where = _new_id(it, _ITEM_KEYS, seen, w, f"items[{k}]", "item")
        items.append(_item(it, iid, where, default_mode, excl, w))
    if not items:
        raise w.error("items", "a scheme needs at least one item")
    return items


def _check_points(items: list[Item], groups: list[Group], max_points: Decimal, w: _Where) -> None:
    """Every group's points = the sum of its children (items and subgroups); so for the top."""
    children: dict[str | None, Decimal] = {}
    for it in items:
        children[it.group] = children.get(it.group, Decimal(0)) + it.points
    for g in groups:
        children[g.parent] = children.get(g.parent, Decimal(0)) + g.points
    for g in groups:
        total = children.get(g.id, Decimal(0))
        if total != g.points:
            raise w.error(
                f"group {g.id}",
                f"children's points add up to {fmt(total)}, not the group's {fmt(g.points)}",
            )
    top_total = children.get(None, Decimal(0))
    if top_total != max_points:
        raise w.error(
            "max_points", f"first-level points add up to {fmt(top_total)}, not {fmt(max_points)}"
        )


def _parts(data: Mapping, groups: list[Group], max_points: Decimal, w: _Where) -> list[Part]:
    """The [[parts]]: first-level groups whose points add up to the part's, all to max_points."""
    first_level = {g.id for g in groups if g.parent is None}
    parts = []
    for k, p in enumerate(data.get("parts", [])):
        pid = _str(p, "id", w, f"parts[{k}]")
        where = f"part {pid}"
        pts = _dec(p.get("points"), w, f"{where}.points")
        member = tuple(p.get("groups", ()))
        for gid in member:
            if gid not in first_level:
                raise w.error(where, f"{gid!r} is not a first-level group")
        total = sum((g.points for g in groups if g.id in member), Decimal(0))
        if total != pts:
            raise w.error(where, f"groups add up to {fmt(total)}, not the part's {fmt(pts)}")
        parts.append(Part(pid, _str(p, "title", w, where), pts, member, str(p.get("clause", ""))))
    if parts and sum((p.points for p in parts), Decimal(0)) != max_points:
        raise w.error("parts", f"parts do not add up to max_points {fmt(max_points)}")
    return parts


def _levels(data: Mapping, w: _Where) -> list[Level]:
    """The [[levels]]: known, distinct level ids, each with at least one criterion."""
    levels = []
    level_seen: set[str] = set()
    for k, lv in enumerate(data.get("levels", [])):
        lid = _str(lv, "id", w, f"levels[{k}]")
        where = f"level {lid}"
        if lid not in LEVEL_IDS:
            raise w.error(where, f"unknown level id (expected one of {', '.join(LEVEL_IDS)})")
        if lid in level_seen:
            raise w.error(where, "duplicate level id")
        level_seen.add(lid)
        raw_criteria = lv.get("criteria", [])
        if not raw_criteria:
            raise w.error(where, "level with no criteria")
        criteria = tuple(
            _criterion(c, w, f"{where} criterion {j + 1}") for j, c in enumerate(raw_criteria)
        )
        levels.append(Level(lid, _str(lv, "name", w, where), criteria, str(lv.get("clause", ""))))
    if not levels:
        raise w.error("levels", "a scheme needs at least one level")
    return levels


def _fallback_id(fallback: Mapping, levels: list[Level], w: _Where) -> str:
    """The [fallback] level's id: a known level id that no [[levels]] entry uses."""
    fallback_id = _str(fallback, "id", w, "[fallback]")
    if fallback_id not in LEVEL_IDS or fallback_id in {lv.id for lv in levels}:
        raise w.error(
            "[fallback]", f"fallback level {fallback_id!r} must be a level id not used above"
        )
    return fallback_id


def _adjustment(data: Mapping, key: str, w: _Where) -> Adjustment:
    """[special_deductions] or [special_bonus]: enabled, points each, an optional cap."""
    raw = data.get(key, {})
    max_count = raw.get("max_count")
    if max_count is not None and (
        isinstance(max_count, bool) or not isinstance(max_count, int) or max_count < 0
    ):
        raise w.error(f"[{key}].max_count", "expected a whole number >= 0")
    return Adjustment(
        enabled=bool(raw.get("enabled", False)),
        points_each=_dec(raw.get("points_each", 1), w, f"[{key}].points_each"),
        max_count=max_count,
        clause=str(raw.get("clause", "")),
    )


def _parse(data: Mapping, path: Path, raw_bytes: bytes) -> Scheme:
    """Validate a scheme file's tables in file order; the first problem found is raised."""
    w = _Where(path)
    scheme_id, max_points, rounding, default_mode = _header(data, path, w)
    seen: set[str] = set()  #: group and item ids share one namespace
    groups = _groups(data, seen, w)
    excl = _exclusions(data, groups, w)
    items = _items(data, seen, default_mode, excl, w)
    _check_points(items, groups, max_points, w)
    parts = _parts(data, groups, max_points, w)
    levels = _levels(data, w)
    fallback = data.get("fallback", {})
    fallback_id = _fallback_id(fallback, levels, w)
    survey, questionnaire = _survey_params(data.get("survey", {}), tuple(levels), w)
    return Scheme(
        id=scheme_id,
        title=_str(data, "title", w, "top level"),
        source=_str(data, "source", w, "top level"),
        version=_str(data, "version", w, "top level"),
        max_points=max_points,
        items=tuple(items),
        groups=tuple(groups),
        levels=tuple(levels),
        fallback_level=fallback_id,
        fallback_name=_str(fallback, "name", w, "[fallback]"),
        survey=survey,
        parts=tuple(parts),
        rounding=rounding,
        exclusion_rule=excl.rule,
        special_deductions=_adjustment(data, "special_deductions", w),
        special_bonus=_adjustment(data, "special_bonus", w),
        questionnaire=questionnaire,
        sha256=hashlib.sha256(raw_bytes).hexdigest(),
        path=str(path),
    )


def load_scheme_file(path: Path | str) -> Scheme:
    """Read and validate one scheme file; SchemeError names the file, element and problem."""
    path = Path(path)
    raw = path.read_bytes()
    try:
        data = tomllib.loads(raw.decode("utf-8"), parse_float=Decimal)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise SchemeError(f"{path.name}: not valid TOML: {e}") from None
    return _parse(data, path, raw)


@functools.lru_cache(maxsize=8)
def _load_all(directory: str) -> tuple[Scheme, ...]:
    return tuple(load_scheme_file(p) for p in sorted(Path(directory).glob("*.toml")))


def list_schemes(directory: Path | str | None = None) -> list[Scheme]:
    """Every scheme in the directory (default: schemes/ at the repository root), by id; cached."""
    return list(_load_all(str(Path(directory or SCHEME_DIR).resolve())))


def load_scheme(scheme_id: str, directory: Path | str | None = None) -> Scheme:
    """The scheme with this id; SchemeError when there is none."""
    schemes = list_schemes(directory)
    for scheme in schemes:
        if scheme.id == scheme_id:
            return scheme
    known = ", ".join(s.id for s in schemes)
    raise SchemeError(f"unknown scheme {scheme_id!r} (known: {known})")


def reader_texts(scheme: Scheme) -> list[str]:
    """The texts of a scheme that readers see (part, group and item titles), each once, in file
    order: the messages whose English the `schemes` catalogue holds (`make i18n` extracts them)."""
    titles = [x.title for x in (*scheme.parts, *scheme.groups, *scheme.items)]
    return list(dict.fromkeys(titles))


def clear_cache() -> None:
    """Forget loaded schemes (after editing a scheme file in a running process)."""
    _load_all.cache_clear()


def evaluate_input(
    data: Mapping[str, object],
    survey: Mapping[str, object] | None = None,
    *,
    scheme: Scheme | None = None,
    directory: Path | str | None = None,
) -> dict:
    """Validate an evaluation input, run the engine, return the result JSON (InputError if bad).

    `survey`, when given, replaces data["survey"] (the web layer passes the campaign's own
    figures); `scheme` overrides data["scheme"].
    """
    if not isinstance(data, Mapping):
        raise InputError("input", "expected a JSON object")
    if scheme is None:
        scheme_id = data.get("scheme")
        if scheme_id is None:
            raise InputError("scheme", "missing required field")
        if not isinstance(scheme_id, str):
            raise InputError("scheme", f"expected a scheme id, got {scheme_id!r}")
        try:
            scheme = load_scheme(scheme_id, directory)
        except SchemeError as e:
            if str(e).startswith("unknown scheme"):
                raise InputError("scheme", str(e)) from None
            raise
    else:
        data = {**data, "scheme": scheme.id}
    return evaluate_data(data, scheme, survey)
