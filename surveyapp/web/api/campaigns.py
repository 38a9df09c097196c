"""Campaigns over the API: create one with its outlets, read it, its questionnaire, its status."""

from __future__ import annotations

from flask import g, request
from sqlalchemy import select

from ...db import db
from ...errors import DomainError
from ...models import Campaign, Outlet, User
from ...services import campaigns as service
from ...services.bounds import bounded_id
from ..survey import survey_url
from . import ERROR_CONTENT, api_auth, api_campaign, bp, json_object

CREATE_KEYS = {
    "organization",
    "scheme",
    "outlets",
    "title",
    "evaluation_date",
    "opens_at",
    "closes_at",
    "status",
    "auditors",
}


def _auditors(value) -> list[User]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(
        isinstance(x, str | int) and not isinstance(x, bool) for x in value
    ):
        raise DomainError("invalid", "auditors")
    names = [x for x in value if isinstance(x, str)]
    ids = [bounded_id(x, "auditors") for x in value if isinstance(x, int)]
    users = list(
        db.session.scalars(select(User).where(User.username.in_(names) | User.id.in_(ids)))
    )
    if len(users) != len(set(value)):
        found = {u.username for u in users} | {u.id for u in users}
        missing = [x for x in value if x not in found]
        raise DomainError("unknown_user", "auditors", users=missing)
    return users


def campaign_json(campaign: Campaign) -> dict:
    """A campaign with its outlets and their reusable survey URLs."""
    links = service.outlet_links(campaign)
    counts = service.response_counts(campaign)
    return {
        "id": campaign.id,
        "title": campaign.title,
        "scheme": campaign.scheme_id,
        "status": campaign.status,
        "organization": {
            "id": campaign.organization.id,
            "name": campaign.organization.name,
            "operating_since": campaign.organization.operating_since.isoformat()
            if campaign.organization.operating_since
            else None,
        },
        "evaluation_date": campaign.evaluation_date.isoformat()
        if campaign.evaluation_date
        else None,
        "opens_at": campaign.opens_at.isoformat() if campaign.opens_at else None,
        "closes_at": campaign.closes_at.isoformat() if campaign.closes_at else None,
        "questionnaire_version": (campaign.questionnaire or {}).get("version"),
        "auditors": [u.username for u in campaign.auditors],
        "outlets": [
            {
                "id": o.id,
                "name": o.name,
                "address": o.address,
                "survey_url": survey_url(links[o.id].token) if o.id in links else None,
                "responses": counts.get(o.id, {"in_person": 0, "online": 0}),
            }
            for o in campaign.outlets
        ],
    }


@bp.post("/campaigns")
@api_auth("admin", "auditor")
def create_campaign_api():
    """Create a campaign, its organization and outlets; each outlet gets a survey URL."""
    body = json_object()
    unknown = sorted(set(body) - CREATE_KEYS)
    if unknown:
        raise DomainError("unknown_field", unknown[0], names=unknown)
    campaign = service.create_campaign(
        organization=body.get("organization"),
        scheme_id=body.get("scheme"),
        outlets=body.get("outlets") if body.get("outlets") is not None else [],
        title=body.get("title"),
        evaluation_date=body.get("evaluation_date"),
        opens_at=body.get("opens_at"),
        closes_at=body.get("closes_at"),
        status=body.get("status", "collecting"),
        created_by=g.api_user,
        auditors=_auditors(body.get("auditors")),
    )
    return campaign_json(campaign), 201


@bp.get("/campaigns/<int:campaign_id>")
@api_auth("admin", "auditor", "viewer")
def campaign_detail_api(campaign_id: int):
    """One campaign with outlets, survey URLs and response counts."""
    return campaign_json(api_campaign(campaign_id))


@bp.get("/campaigns/<int:campaign_id>/questionnaire")
def campaign_questionnaire_api(campaign_id: int):
    """The campaign's frozen questionnaire and the parameters of its S computation (public)."""
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None:
        raise DomainError("not_found", "campaign_id")
    return questionnaire_json(campaign)


def questionnaire_json(campaign: Campaign) -> dict:
    """The contract's questionnaire document of a campaign."""
    frozen = campaign.questionnaire or {}
    params = campaign.survey_params or {}
    return {
        "campaign": campaign.id,
        "version": frozen.get("version"),
        "title": frozen.get("title"),
        "questions": [
            {k: q.get(k) for k in ("id", "kind", "dimension", "clause", "required", "text")}
            for q in frozen.get("questions", [])
        ],
        "labels": frozen.get("labels", {}),
        "scale": params.get("scale", {}),
        "channel_weights": params.get("channel_weights", {}),
        "dimension_weights": params.get("dimension_weights", {}),
        "min_answered_fraction": params.get("min_answered_fraction"),
    }


@bp.post("/campaigns/<int:campaign_id>/status")
@api_auth("admin", "auditor")
def campaign_status_api(campaign_id: int):
    """Move a campaign draft → collecting → closed → finalized (closed may reopen)."""
    campaign = api_campaign(campaign_id, write=True)
    status = json_object().get("status")
    if not isinstance(status, str):
        raise DomainError("required", "status")
    service.change_status(campaign, status, by=g.api_user)
    return {"id": campaign.id, "status": campaign.status}


@bp.post("/campaigns/<int:campaign_id>/outlets/<int:outlet_id>/links")
@api_auth("admin", "auditor")
def issue_links_api(campaign_id: int, outlet_id: int):
    """Issue a batch of single-use survey links for an outlet."""
    campaign = api_campaign(campaign_id, write=True)
    outlet = db.session.get(Outlet, outlet_id)
    if outlet is None or outlet.campaign_id != campaign.id:
        raise DomainError("not_found", "outlet_id")
    body = json_object() if request.content_length else {}
    labels = body.get("labels") or []
    if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
        raise DomainError("invalid", "labels")
    batch, links = service.issue_single_use(outlet, body.get("count", 0), labels, by=g.api_user)
    return {
        "batch": batch,
        "outlet": outlet.id,
        "links": [{"id": x.id, "label": x.label, "survey_url": survey_url(x.token)} for x in links],
    }, 201


# ── OpenAPI ──────────────────────────────────────────────────────────────────────────────

_ERR = {"content": ERROR_CONTENT}
_BILINGUAL = {
    "type": "object",
    "required": ["zh", "en"],
    "properties": {"zh": {"type": "string"}, "en": {"type": "string"}},
}
_COUNTS = {
    "type": "object",
    "properties": {"in_person": {"type": "integer"}, "online": {"type": "integer"}},
}
_CAMPAIGN = {
    "type": "object",
    "required": ["id", "title", "scheme", "status", "organization", "outlets"],
    "properties": {
        "id": {"type": "integer"},
        "title": {"type": "string"},
        "scheme": {"type": "string", "example": "cqm-2019"},
        "status": {"type": "string", "enum": ["draft", "collecting", "closed", "finalized"]},
        "organization": {
            "type": "object",
            "properties": {
                "id": {"type": "integer"},
                "name": {"type": "string"},
                "operating_since": {"type": "string", "format": "date", "nullable": True},
            },
        },
        "evaluation_date": {"type": "string", "format": "date", "nullable": True},
        "opens_at": {"type": "string", "format": "date-time", "nullable": True},
        "closes_at": {"type": "string", "format": "date-time", "nullable": True},
        "questionnaire_version": {
            "type": "string",
            "description": "sha256 of the question bank frozen in",
        },
        "auditors": {"type": "array", "items": {"type": "string"}},
        "outlets": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id", "name", "survey_url"],
                "properties": {
                    "id": {"type": "integer"},
                    "name": {"type": "string"},
                    "address": {"type": "string", "nullable": True},
                    "survey_url": {
                        "type": "string",
                        "format": "uri",
                        "nullable": True,
                        "description": "the outlet's reusable link http://…/s/<token>",
                    },
                    "responses": _COUNTS,
                },
            },
        },
    },
}
_CREATE = {
    "type": "object",
    "required": ["organization", "scheme", "outlets"],
    "additionalProperties": False,
    "properties": {
        "organization": {
            "type": "object",
            "description": "a new organization {name, operating_since}, or an existing one {id}",
            "properties": {
                "id": {"type": "integer"},
                "name": {"type": "string", "maxLength": 200},
                "operating_since": {"type": "string", "format": "date"},
            },
        },
        "scheme": {"type": "string", "enum": ["cqm-2019", "dni-2026", "icas-27922", "xh-2025"]},
        "outlets": {
            "type": "array",
            "minItems": 1,
            "maxItems": service.MAX_OUTLETS,
            "items": {
                "type": "object",
                "required": ["name"],
                "properties": {
                    "name": {"type": "string", "maxLength": 200},
                    "address": {"type": "string", "maxLength": 300},
                },
            },
        },
        "title": {
            "type": "string",
            "maxLength": 200,
            "description": "default: organization · scheme title",
        },
        "evaluation_date": {"type": "string", "format": "date"},
        "opens_at": {"type": "string", "format": "date-time", "description": "with a time zone"},
        "closes_at": {"type": "string", "format": "date-time", "description": "with a time zone"},
        "status": {"type": "string", "enum": ["collecting", "draft"], "default": "collecting"},
        "auditors": {
            "type": "array",
            "items": {"oneOf": [{"type": "string"}, {"type": "integer"}]},
            "description": "usernames or ids of auditors to assign (the creating auditor always is)",
        },
    },
}
QUESTIONNAIRE_SCHEMA = {
    "type": "object",
    "required": ["questions", "scale", "channel_weights", "dimension_weights"],
    "properties": {
        "campaign": {"type": "integer"},
        "version": {"type": "string"},
        "title": _BILINGUAL,
        "questions": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id", "kind", "text"],
                "properties": {
                    "id": {"type": "string"},
                    "kind": {
                        "type": "string",
                        "enum": ["likert", "nps", "text"],
                        "description": "likert 1–5 or null; nps 0–10 or null; text",
                    },
                    "dimension": {
                        "type": "string",
                        "nullable": True,
                        "enum": [
                            "functionality",
                            "economy",
                            "safety",
                            "timeliness",
                            "comfort",
                            "civility",
                            None,
                        ],
                    },
                    "clause": {
                        "type": "string",
                        "nullable": True,
                        "description": "seed 001 clause probed",
                    },
                    "required": {"type": "boolean"},
                    "text": _BILINGUAL,
                },
            },
        },
        "labels": {
            "type": "object",
            "description": "answer labels (likert values, not applicable, NPS ends)",
        },
        "scale": {
            "type": "object",
            "additionalProperties": {"type": "number"},
            "description": "answer value → 0–100 score; null answer = not applicable",
        },
        "channel_weights": {
            "type": "object",
            "properties": {"in_person": {"type": "number"}, "online": {"type": "number"}},
        },
        "dimension_weights": {"type": "object", "additionalProperties": {"type": "number"}},
        "min_answered_fraction": {"type": "number", "nullable": True},
    },
}
_SEC = [{"bearer": []}]
_ID = [{"name": "campaign_id", "in": "path", "required": True, "schema": {"type": "integer"}}]

PATHS = {
    "/campaigns": {
        "post": {
            "summary": "Create a campaign with its organization and outlets (admin, auditor)",
            "security": _SEC,
            "requestBody": {"required": True, "content": {"application/json": {"schema": _CREATE}}},
            "responses": {
                "201": {
                    "description": "created",
                    "content": {"application/json": {"schema": _CAMPAIGN}},
                },
                "401": {"description": "no valid token", **_ERR},
                "403": {"description": "viewer", **_ERR},
                "415": {"description": "not JSON", **_ERR},
                "422": {"description": "invalid field (error.field names it)", **_ERR},
            },
        }
    },
    "/campaigns/{campaign_id}": {
        "get": {
            "summary": "A campaign with outlets, survey URLs and response counts",
            "security": _SEC,
            "parameters": _ID,
            "responses": {
                "200": {
                    "description": "the campaign",
                    "content": {"application/json": {"schema": _CAMPAIGN}},
                },
                "401": {"description": "no valid token", **_ERR},
                "403": {"description": "not assigned to this auditor", **_ERR},
                "404": {"description": "no such campaign", **_ERR},
            },
        }
    },
    "/campaigns/{campaign_id}/questionnaire": {
        "get": {
            "summary": "The campaign's questionnaire and S parameters (public)",
            "parameters": _ID,
            "responses": {
                "200": {
                    "description": "questionnaire",
                    "content": {"application/json": {"schema": QUESTIONNAIRE_SCHEMA}},
                },
                "404": {"description": "no such campaign", **_ERR},
            },
        }
    },
    "/campaigns/{campaign_id}/status": {
        "post": {
            "summary": "Change the campaign's status (admin, assigned auditor)",
            "security": _SEC,
            "parameters": _ID,
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "required": ["status"],
                            "properties": {
                                "status": {
                                    "type": "string",
                                    "enum": ["collecting", "closed", "finalized"],
                                }
                            },
                        }
                    }
                },
            },
            "responses": {
                "200": {
                    "description": "new status",
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "properties": {
                                    "id": {"type": "integer"},
                                    "status": {"type": "string"},
                                },
                            }
                        }
                    },
                },
                "401": {"description": "no valid token", **_ERR},
                "403": {"description": "not assigned / viewer", **_ERR},
                "404": {"description": "no such campaign", **_ERR},
                "409": {"description": "transition not allowed", **_ERR},
                "422": {"description": "status missing", **_ERR},
            },
        }
    },
    "/campaigns/{campaign_id}/outlets/{outlet_id}/links": {
        "post": {
            "summary": "Issue a batch of single-use survey links (admin, assigned auditor)",
            "security": _SEC,
            "parameters": _ID
            + [
                {"name": "outlet_id", "in": "path", "required": True, "schema": {"type": "integer"}}
            ],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "properties": {
                                "count": {
                                    "type": "integer",
                                    "minimum": 1,
                                    "maximum": service.MAX_BATCH,
                                },
                                "labels": {
                                    "type": "array",
                                    "items": {"type": "string", "maxLength": 120},
                                    "description": "one link per label (e.g. repair-order numbers)",
                                },
                            },
                        }
                    }
                },
            },
            "responses": {
                "201": {
                    "description": "the batch",
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["batch", "links"],
                                "properties": {
                                    "batch": {"type": "string"},
                                    "outlet": {"type": "integer"},
                                    "links": {
                                        "type": "array",
                                        "items": {
                                            "type": "object",
                                            "properties": {
                                                "id": {"type": "integer"},
                                                "label": {"type": "string", "nullable": True},
                                                "survey_url": {"type": "string", "format": "uri"},
                                            },
                                        },
                                    },
                                },
                            }
                        }
                    },
                },
                "401": {"description": "no valid token", **_ERR},
                "403": {"description": "not assigned / viewer", **_ERR},
                "404": {"description": "no such campaign or outlet", **_ERR},
                "409": {"description": "campaign finalized", **_ERR},
                "422": {"description": "count out of range", **_ERR},
            },
        }
    },
}
