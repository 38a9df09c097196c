"""JSON API under /api/v1: bearer-token auth, JSON errors, and the OpenAPI document.

Each feature module defines its routes on `bp`, each route with the pydantic models of its
payloads (`schema.operation`): they validate the request, serialize the answer and make
/api/v1/openapi.json, which lists exactly the routes that exist.
"""

from __future__ import annotations

from functools import wraps

from flask import Blueprint, Flask, current_app, g, jsonify, request
from werkzeug.exceptions import HTTPException

from ...errors import DomainError
from ...extensions import csrf
from ...services import accounts, actor
from ...services.bounds import ID_MAX
from ..errors import api_response, kept_headers
from . import document

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
    return body, e.code, kept_headers(e)


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

        wrapped.api_roles = roles  # the document's security and 401/403
        return wrapped

    return decorator


def api_campaign(campaign_id: int, *, write: bool = False):
    """The campaign if the token's user may read (or change) it; not_found / forbidden else."""
    from ...db import db
    from ...models import Campaign
    from ..access import can_read, can_write

    campaign = db.session.get(Campaign, campaign_id) if campaign_id <= ID_MAX else None
    if campaign is None:
        raise DomainError("not_found", "campaign_id")
    if not (can_write if write else can_read)(g.api_user, campaign):
        raise DomainError("forbidden")
    return campaign


def _feature_modules():
    import importlib
    import pkgutil

    return [importlib.import_module(f"{__name__}.{m.name}") for m in pkgutil.iter_modules(__path__)]


@bp.get("/openapi.json")
def openapi():
    """The OpenAPI document of every API route, made from the routes' own models."""
    app = current_app._get_current_object()
    doc = app.extensions.get("api_document")
    if doc is None:
        doc = app.extensions["api_document"] = document.document(app)
    return jsonify(doc)


def init_app(app: Flask) -> None:
    """Import the feature modules (they add routes to bp), exempt bp from CSRF, register it."""
    _feature_modules()
    csrf.exempt(bp)
    app.register_blueprint(bp)
