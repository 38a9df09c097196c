"""/api/v1/openapi.json from the routes' own models (see schema.py for why our own glue).

`@operation(...)` attaches an Operation to a view; `document(app)` walks the url_map, so a
route without one is missing from the document (and the OpenAPI-coverage test says so). The
401/403/404/400/415/422 refusals are added from what the route is: authenticated, with path
ids, with a body or a query.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import Flask
from pydantic import BaseModel, Field
from pydantic.json_schema import models_json_schema

# ── the document ─────────────────────────────────────────────────────────────────────────


class ErrorDetail(BaseModel):
    code: str = Field(description="the refusal's code (see docs/api.md)")
    message: str = Field(description="one sentence in the request's language")
    field: str | None = Field(
        None, description="dotted path of the input concerned: organization.name, outlets[0].name"
    )
    fields: dict[str, dict[str, Any]] | None = Field(
        None, description="every field's problem: field → {code, message}"
    )


class Error(BaseModel):
    """The contract's error body."""

    error: ErrorDetail


@dataclass(frozen=True)
class Operation:
    """What the document says of one route: its models, answers and refusals."""

    summary: str
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    #: status → answer model, or a media type ("text/csv") for a file
    ok: Mapping[int, type[BaseModel] | str] = field(default_factory=dict)
    #: further refusals this route may answer: status → when
    errors: Mapping[int, str] = field(default_factory=dict)
    description: str | None = None


def operation(summary: str, **kw: Any) -> Callable:
    """Attach the route's Operation (read by document(); the view itself is unchanged)."""

    def decorate(view: Callable) -> Callable:
        view.api_operation = Operation(summary, **kw)  # type: ignore[attr-defined]
        return view

    return decorate


_PARAM = re.compile(r"<(?:(\w+):)?(\w+)>")


def document(app: Flask, blueprint: str = "api") -> dict:
    """The OpenAPI 3.1 document of every route of the blueprint that carries an Operation."""
    ops = []
    for r in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        view = app.view_functions.get(r.endpoint)
        op = getattr(view, "api_operation", None)
        if r.endpoint.partition(".")[0] == blueprint and op is not None:
            ops.append((r, view, op))
    refs = _schemas([op for _r, _v, op in ops])
    prefix = app.blueprints[blueprint].url_prefix or ""
    paths: dict[str, dict] = {}
    for r, view, op in ops:
        path = _PARAM.sub(r"{\2}", r.rule.removeprefix(prefix))
        for method in sorted(r.methods - {"HEAD", "OPTIONS"}):
            paths.setdefault(path, {})[method.lower()] = _operation(r, view, op, refs)
    return {
        "openapi": "3.1.0",
        "info": {"title": "surveyapp API", "version": "1.0.0"},
        "servers": [{"url": prefix}],
        "paths": paths,
        "components": {
            "schemas": refs["$defs"],
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }


def _schemas(ops: list[Operation]) -> dict:
    """Every model's JSON Schema: {"$defs": components, (model, mode): schema}."""
    wanted: dict[tuple[type[BaseModel], str], None] = {(Error, "serialization"): None}
    for op in ops:
        for model in (op.body, op.query):
            if model is not None:
                wanted[(model, "validation")] = None
        for model in op.ok.values():
            if isinstance(model, type):
                wanted[(model, "serialization")] = None
    keys = list(wanted)
    mapping, top = models_json_schema(keys, ref_template="#/components/schemas/{model}")
    defs = top.get("$defs", {})
    refs: dict = {"$defs": defs}
    for key in keys:
        ref = mapping[key]["$ref"].rpartition("/")[2]
        refs[key] = defs[ref]
        refs[(key, "ref")] = mapping[key]
    return refs


def _operation(r, view, op: Operation, refs: dict) -> dict:
    roles = getattr(view, "api_roles", None)
    out: dict[str, Any] = {"summary": op.summary, "operationId": r.endpoint.partition(".")[2]}
    if op.description or view.__doc__:
        out["description"] = op.description or view.__doc__
    if roles:
        out["security"] = [{"bearer": []}]
    params = [_path_param(name, conv) for conv, name in _PARAM.findall(r.rule)]
    if op.query is not None:
        params += _query_params(refs[(op.query, "validation")])
    if params:
        out["parameters"] = params
    if op.body is not None:
        schema = refs[(op.body, "validation")]
        out["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": schema}},
        }
    out["responses"] = _responses(r, op, roles, refs)
    return out


def _responses(r, op: Operation, roles: tuple[str, ...] | None, refs: dict) -> dict:
    """The answers and the refusals of one operation."""
    error = {"content": {"application/json": {"schema": refs[((Error, "serialization"), "ref")]}}}
    responses: dict[str, dict] = {}
    for status, model in op.ok.items():
        if isinstance(model, str):
            content = {model: {"schema": {"type": "string"}}}
        else:
            content = {"application/json": {"schema": refs[((model, "serialization"), "ref")]}}
        responses[str(status)] = {"description": model.__doc__ or "OK", "content": content}
    refusals = dict(op.errors)
    if op.body is not None:
        refusals.setdefault(400, "not JSON, or (evaluation input) a bad value")
        refusals.setdefault(415, "not application/json")
        refusals.setdefault(422, "a bad value: error.field names it, error.fields all of them")
    if op.query is not None:
        refusals.setdefault(400, "a bad query parameter: error.field names it")
    if roles:
        refusals.setdefault(401, "no valid bearer token")
        refusals.setdefault(
            403, f"the token's role is not one of {', '.join(roles)}, or the campaign is not theirs"
        )
    if r.arguments:
        refusals.setdefault(404, "no such " + " or ".join(sorted(r.arguments)))
    for status, when in sorted(refusals.items()):
        responses[str(status)] = {"description": when, **error}
    return responses


def _path_param(name: str, converter: str) -> dict:
    schema = {"type": "integer", "minimum": 0} if converter == "int" else {"type": "string"}
    return {"name": name, "in": "path", "required": True, "schema": schema}


def _query_params(schema: dict) -> list[dict]:
    params = []
    for name, prop in schema.get("properties", {}).items():
        param = {"name": name, "in": "query", "required": name in schema.get("required", [])}
        prop = dict(prop)
        if "description" in prop:
            param["description"] = prop.pop("description")
        prop.pop("default", None)
        prop.pop("title", None)
        members = [m for m in prop.get("anyOf", []) if m.get("type") != "null"]
        if len(members) == 1:  # a query parameter is absent, never null
            del prop["anyOf"]
            prop.update(members[0])
        if prop.get("type") == "array":
            param.update(style="form", explode=True)
        param["schema"] = prop
        params.append(param)
    return params
