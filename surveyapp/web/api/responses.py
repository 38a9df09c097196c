"""Responses over the API: the online channel (public, by link) and the in-person channel."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import g, request

from ...db import utcnow
from ...errors import DomainError
from ...services import responses
from ...services.responses import Submission
from ..errors import STATUS
from ..survey import submit_limits
from . import ERROR_CONTENT, api_auth, api_campaign, bp, json_object
from .campaigns import QUESTIONNAIRE_SCHEMA, questionnaire_json

ONLINE_KEYS = {"answers", "comment", "client_id", "contact", "contact_consent", "started"}
IN_PERSON_KEYS = {
    "outlet",
    "answers",
    "comment",
    "client_id",
    "contact",
    "contact_consent",
    "started_at",
}
#: an in-person start time sent by the auditor's device may lie this far back
MAX_INTERVIEW = timedelta(hours=12)


def _body(allowed: set[str]) -> dict:
    body = json_object()
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise DomainError("unknown_field", unknown[0], names=unknown)
    if "answers" not in body:
        raise DomainError("required", "answers")
    for key in ("comment", "client_id", "contact"):
        if body.get(key) is not None and not isinstance(body[key], str):
            raise DomainError("not_text", key)
    if not isinstance(body.get("contact_consent", False), bool):
        raise DomainError("invalid", "contact_consent")
    return body


def _submission(body: dict, started_at: datetime | None) -> Submission:
    return Submission(
        answers=body["answers"],
        comment=body.get("comment"),
        client_id=body.get("client_id"),
        contact=body.get("contact"),
        contact_consent=body.get("contact_consent", False),
        started_at=started_at,
        address=request.remote_addr,
        user_agent=request.headers.get("User-Agent", "")[:400],
    )


def _stored(stored: responses.Stored):
    return {"id": stored.id}, 201 if stored.created else 200


@bp.get("/links/<token>")
def link_questionnaire_api(token: str):
    """The questionnaire behind a survey link, with a signed start stamp to send back (public)."""
    link = responses.open_link(token)
    return {
        **questionnaire_json(link.campaign),
        "outlet": {"id": link.outlet.id, "name": link.outlet.name},
        "organization": link.campaign.organization.name,
        "single_use": link.single_use,
        "started": responses.start_stamp(responses.link_scope(link)),
    }


@bp.post("/links/<token>/responses")
@submit_limits
def submit_online_api(token: str):
    """Store a customer's response through a survey link; a repeated client_id answers 200."""
    body = _body(ONLINE_KEYS)
    link = responses.find_link(token)
    started = (
        responses.read_start_stamp(body.get("started"), responses.link_scope(link))
        if link
        else None
    )
    return _stored(responses.submit_online(token, _submission(body, started), link=link))


@bp.post("/campaigns/<int:campaign_id>/responses")
@api_auth("admin", "auditor")
def submit_in_person_api(campaign_id: int):
    """Store a response collected face to face by an assigned auditor (channel in_person)."""
    campaign = api_campaign(campaign_id, write=True)
    body = _body(IN_PERSON_KEYS)
    if "outlet" not in body:
        raise DomainError("required", "outlet")
    started = _started_at(body.get("started_at"))
    return _stored(
        responses.submit_in_person(campaign, body["outlet"], g.api_user, _submission(body, started))
    )


def _started_at(value) -> datetime | None:
    if value is None:
        return None
    try:
        started = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        started = None
    now = utcnow()
    if (
        started is None
        or started.tzinfo is None
        or not now - MAX_INTERVIEW <= started <= now + timedelta(seconds=5)
    ):
        raise DomainError("invalid_started_at", "started_at")
    return min(started, now)


# ── OpenAPI ──────────────────────────────────────────────────────────────────────────────

_ANSWERS = {
    "type": "object",
    "description": "question id → answer: likert 1–5, nps 0–10, text a string; null = not applicable (不适用). "
    "Every required question must be present.",
    "additionalProperties": {
        "oneOf": [
            {"type": "integer", "minimum": 0, "maximum": 10},
            {"type": "string", "maxLength": 2000},
        ],
        "nullable": True,
    },
    "example": {"fun1": 5, "fun2": None, "nps": 9},
}
_COMMON = {
    "answers": _ANSWERS,
    "comment": {"type": "string", "maxLength": 2000},
    "client_id": {
        "type": "string",
        "pattern": "^[A-Za-z0-9_.:-]{8,64}$",
        "description": "browser-generated id; the same id twice stores one response",
    },
    "contact": {
        "type": "string",
        "maxLength": 100,
        "description": "stored encrypted, only with consent",
    },
    "contact_consent": {"type": "boolean", "default": False},
}
_ID_BODY = {"type": "object", "required": ["id"], "properties": {"id": {"type": "integer"}}}
_FIELD_ERR = {
    "description": "refused; nothing stored. error.field names the first problem, error.fields all of them",
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "required": ["error"],
                "properties": {
                    "error": {
                        "type": "object",
                        "required": ["code", "message"],
                        "properties": {
                            "code": {"type": "string", "enum": sorted(STATUS)},
                            "message": {"type": "string"},
                            "field": {"type": "string"},
                            "fields": {
                                "type": "object",
                                "additionalProperties": {
                                    "type": "object",
                                    "properties": {
                                        "code": {"type": "string"},
                                        "message": {"type": "string"},
                                    },
                                },
                            },
                        },
                    }
                },
            }
        }
    },
}
_ERR = {"content": ERROR_CONTENT}
_TOKEN = [{"name": "token", "in": "path", "required": True, "schema": {"type": "string"}}]

PATHS = {
    "/links/{token}": {
        "get": {
            "summary": "The questionnaire behind a survey link and a signed start stamp (public)",
            "parameters": _TOKEN,
            "responses": {
                "200": {
                    "description": "questionnaire",
                    "content": {
                        "application/json": {
                            "schema": {
                                "allOf": [
                                    QUESTIONNAIRE_SCHEMA,
                                    {
                                        "type": "object",
                                        "properties": {
                                            "outlet": {
                                                "type": "object",
                                                "properties": {
                                                    "id": {"type": "integer"},
                                                    "name": {"type": "string"},
                                                },
                                            },
                                            "organization": {"type": "string"},
                                            "single_use": {"type": "boolean"},
                                            "started": {
                                                "type": "string",
                                                "description": "send back as `started` with the response",
                                            },
                                        },
                                    },
                                ]
                            }
                        }
                    },
                },
                "404": {"description": "bad_token", **_ERR},
                "409": {"description": "campaign_not_open, link_used", **_ERR},
                "410": {"description": "campaign_closed, link_revoked", **_ERR},
            },
        }
    },
    "/links/{token}/responses": {
        "post": {
            "summary": "Submit a response through a survey link (public; channel online)",
            "parameters": _TOKEN,
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "required": ["answers"],
                            "additionalProperties": False,
                            "properties": {
                                **_COMMON,
                                "started": {
                                    "type": "string",
                                    "description": "the signed stamp served with the page or GET /links/{token}",
                                },
                            },
                        }
                    }
                },
            },
            "responses": {
                "201": {
                    "description": "stored",
                    "content": {"application/json": {"schema": _ID_BODY}},
                },
                "200": {
                    "description": "already stored under this client_id (same id)",
                    "content": {"application/json": {"schema": _ID_BODY}},
                },
                "404": {"description": "bad_token", **_ERR},
                "409": {"description": "campaign_not_open, link_used", **_ERR},
                "410": {"description": "campaign_closed, link_revoked", **_ERR},
                "415": {"description": "not JSON", **_ERR},
                "422": _FIELD_ERR,
                "429": {
                    "description": "rate limited (per link, per client id, per address)",
                    **_ERR,
                },
            },
        }
    },
    "/campaigns/{campaign_id}/responses": {
        "post": {
            "summary": "Submit a response collected face to face (admin, assigned auditor; channel in_person)",
            "security": [{"bearer": []}],
            "parameters": [
                {
                    "name": "campaign_id",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "integer"},
                }
            ],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "required": ["outlet", "answers"],
                            "additionalProperties": False,
                            "properties": {
                                **_COMMON,
                                "outlet": {"type": "integer"},
                                "started_at": {
                                    "type": "string",
                                    "format": "date-time",
                                    "description": "when the interview began (with zone, ≤ 12 h ago)",
                                },
                            },
                        }
                    }
                },
            },
            "responses": {
                "201": {
                    "description": "stored",
                    "content": {"application/json": {"schema": _ID_BODY}},
                },
                "200": {
                    "description": "already stored under this client_id",
                    "content": {"application/json": {"schema": _ID_BODY}},
                },
                "401": {"description": "no valid token", **_ERR},
                "403": {"description": "viewer, or campaign not assigned to this auditor", **_ERR},
                "404": {"description": "no such campaign", **_ERR},
                "409": {"description": "campaign_not_open", **_ERR},
                "410": {"description": "campaign_closed", **_ERR},
                "422": _FIELD_ERR,
            },
        }
    },
}
