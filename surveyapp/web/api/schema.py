"""One schema per payload: pydantic models validate requests, serialize answers, write the doc.

A route names its models once, with `@operation(summary, body=…, query=…, ok={201: …})`
(`document.py`): `body()` / `query()` here validate the request against them, `out()`
serializes the answer through them, and `document.document()` turns the same models into
/api/v1/openapi.json (OpenAPI 3.1, whose schemas are pydantic's JSON Schema as it is), walking
the app's url_map so the document lists exactly the routes that exist.

Why a thin glue of our own over `model_json_schema` and not spectree: a refusal must be the
project's one `DomainError` (code, dotted field, parameters), worded by `surveyapp.messages` and
given its status by `web/errors.py` like every other refusal. Spectree answers a failed
validation itself, with its own 422 body of raw pydantic errors, and documents that body; undoing
both per route would take more code than this module, and its document would list the decorated
views rather than the url_map's rules. What is left to write is the mapping of pydantic's error
types onto our codes (`_CODES`), which no library can know.

Models are strict (JSON types taken as sent: no "5" for 5, no true for 1) and refuse unknown
keys, exactly as their JSON Schema says, so what the document promises is what is accepted.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Annotated, Any, TypeVar, get_origin

from flask import request
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError
from pydantic_core import PydanticCustomError

from ...errors import DomainError, Problem
from ...messages import sentence
from ...services.bounds import ID_MAX
from ..errors import STATUS

M = TypeVar("M", bound=BaseModel)


class Payload(BaseModel):
    """A request body or query: strict JSON types, unknown keys refused."""

    model_config = ConfigDict(extra="forbid", strict=True)


class Output(BaseModel):
    """An answer: documented as serialized; keys the model does not name are kept."""

    model_config = ConfigDict(extra="allow")


# ── field types ──────────────────────────────────────────────────────────────────────────

#: C0 controls but tab, newline and CR: no database or export stores them (services/text.py)
_CONTROL = r"\x00-\x08\x0b\x0c\x0e-\x1f"
TEXT = f"^[^{_CONTROL}]*$"
#: storable text with at least one character that is not white space
NAME = f"^[^{_CONTROL}]*[^\\s{_CONTROL}][^{_CONTROL}]*$"


def Text(max_length: int, *, blank: bool = True) -> Any:  # noqa: N802 - a type, named like one
    """Storable text of at most max_length characters (blank=False: not empty or all spaces)."""
    return Annotated[str, Field(max_length=max_length, pattern=TEXT if blank else NAME)]


def _integral(value: object) -> object:
    """5.0 is the integer 5 in JSON Schema (and in JavaScript): take it as one."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


#: an integer as JSON Schema means it: 5 or 5.0, not "5", not true
Integer = Annotated[int, BeforeValidator(_integral)]

#: pattern → the code a value not matching it is refused with
_PATTERN_CODES: dict[str, str] = {TEXT: "invalid_text", NAME: "invalid_text"}


def Matching(pattern: str, code: str = "invalid") -> Any:  # noqa: N802
    """A string matching the pattern, refused with `code` otherwise."""
    _PATTERN_CODES[pattern] = code
    return Annotated[str, Field(pattern=pattern)]


def Int(lo: int, hi: int) -> Any:  # noqa: N802
    """An integer in [lo, hi]; outside it is out_of_range with both ends named."""

    def check(value: int) -> int:
        if not lo <= value <= hi:
            raise PydanticCustomError("out_of_range", "out of range", {"lo": lo, "hi": hi})
        return value

    return Annotated[
        Integer, AfterValidator(check), Field(json_schema_extra={"minimum": lo, "maximum": hi})
    ]


def _row_id(value: int) -> int:
    if not 1 <= value <= ID_MAX:
        raise PydanticCustomError("no_such_id", "no such id")
    return value


#: a row id: 1 … 2^63 − 1 (a larger number names no row and would overflow the driver);
#: outside, no_such_id like services/bounds.py
Id = Annotated[
    Integer, AfterValidator(_row_id), Field(json_schema_extra={"minimum": 1, "maximum": ID_MAX})
]


def rule(code: str, field_name: str, **params: object) -> PydanticCustomError:
    """A refusal by a model validator, reported on `field_name` with a project error code."""
    return PydanticCustomError(code, code, {"field": field_name, **params})


# ── requests ─────────────────────────────────────────────────────────────────────────────


def body(model: type[M], *, as_code: str | None = None) -> M:
    """The JSON body validated by the model; DomainError naming the first problem's field.

    as_code words every problem as that one code (the evaluation input's invalid_input).
    """
    if not request.is_json:
        raise DomainError("unsupported_media_type")
    raw = request.get_data()
    return _validated(model, lambda: model.model_validate_json(raw), as_code)


def query(model: type[M], *, as_code: str = "invalid_filter") -> M:
    """The query string validated by the model (repeated keys for list fields); invalid_filter.

    Parameters the model does not name are left alone (other features read them).
    """
    data: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        values = [v for v in request.args.getlist(name) if v.strip()]
        if values:
            data[name] = values if get_origin(info.annotation) is list else values[0]
    return _validated(
        model, lambda: model.model_validate(data, strict=False), as_code, parameters=True
    )


def _validated(
    model: type[M], validate: Callable[[], M], as_code: str | None, *, parameters: bool = False
) -> M:
    """validate(), or the DomainError of its first problem (a query parameter is named bare)."""
    try:
        return validate()
    except ValidationError as e:
        raise _domain_error(e, as_code, parameters) from None


# pydantic error type → project code (surveyapp/web/errors.py STATUS, surveyapp/messages.py)
_CODES = {
    "missing": "required",
    "too_short": "required",
    "string_too_short": "required",
    "extra_forbidden": "unknown_field",
    "string_type": "not_text",
    "int_type": "not_a_number",
    "int_parsing": "not_a_number",
    "int_from_float": "not_a_number",
    "float_type": "not_a_number",
    "float_parsing": "not_a_number",
    "dict_type": "not_an_object",
    "model_type": "not_an_object",
    "model_attributes_type": "not_an_object",
    "list_type": "not_a_list",
    "string_too_long": "too_long",
    "too_long": "too_many",
    "date_type": "invalid_date",
    "date_parsing": "invalid_date",
    "date_from_datetime_parsing": "invalid_date",
    "date_from_datetime_inexact": "invalid_date",
    "datetime_type": "invalid_datetime",
    "datetime_parsing": "invalid_datetime",
    "datetime_from_date_parsing": "invalid_datetime",
    "datetime_object_invalid": "invalid_datetime",
    "timezone_aware": "needs_zone",
    "json_invalid": "invalid_json",
}
#: loc entries pydantic adds for a union's member; they are not part of the request's path
_UNION_MEMBER = re.compile(r"^(str|int|float|bool|none|list\[.*\]|dict\[.*\]|.*\[.*\]|<.*>)$")


def _domain_error(e: ValidationError, as_code: str | None, parameters: bool) -> DomainError:
    problems: dict[str, Problem] = {}
    for err in e.errors(include_url=False):
        if err["type"] in ("json_invalid", "model_type") and not err["loc"]:
            return DomainError("invalid_json")
        path, code, params = _problem(err)
        if parameters:
            path = re.sub(r"\[\d+\]", "", path)
        problems.setdefault(path, Problem(code, params))
    lead = next(iter(problems))
    p = problems[lead]
    if as_code is not None:
        return DomainError(
            as_code, lead, fields=problems, reason=p.code, detail=sentence(p.code, p.params)
        )
    names = [k.rpartition(".")[2] for k, x in problems.items() if x.code == "unknown_field"]
    if p.code == "unknown_field":
        return DomainError(p.code, lead, fields=problems, names=names)
    return DomainError(p.code, lead, fields=problems, **p.params)


def _problem(err: Mapping) -> tuple[str, str, dict]:
    """(dotted field, code, params) of one pydantic error."""
    ctx = dict(err.get("ctx") or {})
    loc = list(err["loc"])
    member = any(isinstance(x, str) and _UNION_MEMBER.match(x) for x in loc)
    extra = ctx.pop("field", None)
    if extra:
        loc.append(extra)
    path = _path(loc)
    kind = err["type"]
    if kind in _CODES:
        code = _CODES[kind]
    elif kind == "string_pattern_mismatch":
        value = err.get("input")
        code = _PATTERN_CODES.get(ctx.get("pattern"), "invalid")
        if ctx.get("pattern") == NAME and isinstance(value, str) and not value.strip():
            code = "required"
    elif kind in STATUS:  # raised by a validator of ours, with the code's own parameters
        return path, kind, ctx
    else:
        code = "invalid"
    if member and code.startswith("not_"):
        code = "invalid"  # no member of a union took the value
    params = {"max": ctx.get("max_length")} if code in ("too_long", "too_many") else {}
    return path, code, params


def _path(loc: list) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif not _UNION_MEMBER.match(str(part)):
            out += f".{part}" if out else str(part)
    return out or "body"


# ── answers ──────────────────────────────────────────────────────────────────────────────


def out(model: type[BaseModel], data: Any) -> dict:
    """The answer as its model serializes it (what the document shows is what is sent)."""
    return model.model_validate(data).model_dump(mode="json")
