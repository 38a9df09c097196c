"""JSON API under /api/v1: bearer-token auth, JSON errors, and the OpenAPI document.

Each feature module defines its routes on `bp` and a `PATHS` dict (OpenAPI path items)
merged into /api/v1/openapi.json, so the document lists exactly the routes that exist.
"""

from __future__ import annotations

from functools import wraps

from flask import Blueprint, Flask, g, jsonify, request
from werkzeug.exceptions import HTTPException

from ...errors import DomainError
from ...extensions import csrf
from ...services import accounts, actor
from ..errors import api_response

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def error_body(code: str, message: str, field: str | None = None) -> dict:
    """The contract's error object for an error that is not a DomainError (HTTP-level)."""
    err = {"code": code, "message": message}
    if field is not None:
        err["field"] = field
    return {"error": err}


@bp.errorhandler(DomainError)
def _domain_error(e: DomainError):
    return api_response(e)


@bp.errorhandler(HTTPException)
def _http_error(e: HTTPException):
    """HTTP-level refusals as JSON, keeping their headers (Allow on 405, Retry-After on 429)."""
    body = jsonify(error_body(e.name.lower().replace(" ", "_"), e.description or e.name))
    return body, e.code, _kept_headers(e)


def _kept_headers(e: HTTPException) -> dict[str, str]:
    return {k: v for k, v in e.get_headers() if k.lower() != "content-type"}


def token_user():
    """The user named by the request's `Authorization: Bearer` token, or None."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return accounts.user_for_token(token.strip())


def api_auth(*roles: str):
    """Require a valid bearer token whose user holds one of the roles (401 / 403 otherwise)."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            user = token_user()
            if user is None:
                raise DomainError("unauthorized")
            if user.role not in roles:
                raise DomainError("forbidden", role=user.role)
            g.api_user = user
            with actor.acting(actor.Actor(user.id, user.username, request.remote_addr)):
                return view(*args, **kwargs)

        return wrapped

    return decorator


def api_campaign(campaign_id: int, *, write: bool = False):
    """The campaign if the token's user may read (or change) it; not_found / forbidden else."""
    from ...db import db
    from ...models import Campaign
    from ..access import can_read, can_write

    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None:
        raise DomainError("not_found", "campaign_id")
    if not (can_write if write else can_read)(g.api_user, campaign):
        raise DomainError("forbidden")
    return campaign


def json_object() -> dict:
    """The request body as a JSON object, else DomainError invalid_json / unsupported_media_type."""
    if not request.is_json:
        raise DomainError("unsupported_media_type")
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise DomainError("invalid_json")
    return data


ERROR_CONTENT = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}


def campaign_errors(not_found: str = "no such campaign") -> dict:
    """The 401/403/404 responses every campaign-scoped operation documents in PATHS."""
    return {
        "401": {"description": "no valid token", "content": ERROR_CONTENT},
        "403": {
            "description": "campaign not assigned / role not allowed",
            "content": ERROR_CONTENT,
        },
        "404": {"description": not_found, "content": ERROR_CONTENT},
    }


BASE_DOC = {
    "openapi": "3.0.3",
    "info": {"title": "surveyapp API", "version": "1.0.0"},
    "servers": [{"url": "/api/v1"}],
    "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        "schemas": {
            "Error": {
                "type": "object",
                "required": ["error"],
                "properties": {
                    "error": {
                        "type": "object",
                        "required": ["code", "message"],
                        "properties": {
                            "code": {"type": "string"},
                            "message": {"type": "string"},
                            "field": {"type": "string"},
                        },
                    }
                },
            }
        },
    },
}


def _feature_modules():
    import importlib
    import pkgutil

    return [importlib.import_module(f"{__name__}.{m.name}") for m in pkgutil.iter_modules(__path__)]


@bp.get("/openapi.json")
def openapi():
    """The OpenAPI document of every API route."""
    paths: dict = {}
    for module in _feature_modules():
        paths.update(getattr(module, "PATHS", {}))
    return jsonify({**BASE_DOC, "paths": _with_input_errors(paths)})


def _with_input_errors(paths: dict) -> dict:
    """Document the 400/415 that json_object and query validation give wherever input is read."""
    error = {"content": ERROR_CONTENT}
    out = {}
    for path, item in sorted(paths.items()):
        out[path] = {}
        for method, op in item.items():
            op = {**op, "responses": dict(op.get("responses", {}))}
            has_query = any(p.get("in") == "query" for p in op.get("parameters", []))
            if "requestBody" in op:
                op["responses"].setdefault("400", {"description": "invalid JSON or input", **error})
                op["responses"].setdefault("415", {"description": "not application/json", **error})
            elif has_query:
                op["responses"].setdefault("400", {"description": "invalid query", **error})
            out[path][method] = op
    return out


def init_app(app: Flask) -> None:
    """Import the feature modules (they add routes to bp), exempt bp from CSRF, register it."""
    _feature_modules()
    csrf.exempt(bp)
    app.register_blueprint(bp)
