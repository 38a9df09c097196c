"""PUT/GET /campaigns/<id>/evaluation and POST …/evaluation/finalize."""

from __future__ import annotations

from flask import g

from ...errors import DomainError
from ...services import evaluations
from ..errors import api_body
from . import ERROR_CONTENT, api_auth, api_campaign, bp, campaign_errors, json_object
from .scores import READERS


@bp.put("/campaigns/<int:campaign_id>/evaluation")
@api_auth("admin", "auditor")
def put_evaluation(campaign_id: int):
    """Save the checklist input (without scheme and survey) as the draft; returns the result."""
    campaign = api_campaign(campaign_id, write=True)
    data = json_object()
    ev = evaluations.put_input(campaign, data, g.api_user)
    try:
        return evaluations.result(campaign, ev)
    except DomainError as e:  # saved; the level waits for the survey
        return {
            "evaluation": evaluations.meta(ev),
            "input": ev.input,
            "level": None,
            "pending": api_body(e)["error"],
        }


@bp.get("/campaigns/<int:campaign_id>/evaluation")
@api_auth(*READERS)
def get_evaluation(campaign_id: int):
    """The evaluation result, with `survey` taken from the campaign's own responses."""
    campaign = api_campaign(campaign_id)
    return evaluations.result(campaign)


@bp.post("/campaigns/<int:campaign_id>/evaluation/finalize")
@api_auth("admin", "auditor")
def finalize_evaluation(campaign_id: int):
    """Freeze the draft evaluation (input, scheme hash, survey figures, result)."""
    campaign = api_campaign(campaign_id, write=True)
    ev = evaluations.finalize(campaign, g.api_user)
    return evaluations.result(campaign, ev)


_ERR = ERROR_CONTENT
_ID = [{"name": "campaign_id", "in": "path", "required": True, "schema": {"type": "integer"}}]
INPUT_SCHEMA = {
    "type": "object",
    "description": "CONTRACT.md evaluation input without scheme and survey",
    "required": ["scores"],
    "properties": {
        "evaluation_date": {"type": "string", "format": "date"},
        "scores": {
            "type": "object",
            "description": 'item id → points, a list of points (one per auditor) or "n/a"',
            "additionalProperties": {
                "oneOf": [
                    {"type": "number"},
                    {"type": "array", "items": {"type": "number"}},
                    {"type": "string"},
                ]
            },
        },
        "special_deductions": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"item": {"type": "string"}, "note": {"type": "string"}},
            },
        },
        "special_bonus": {
            "type": "object",
            "nullable": True,
            "properties": {"note": {"type": "string"}},
        },
        "management_audit": {
            "type": "object",
            "properties": {
                "passed": {"type": "boolean"},
                "severe_nonconformities": {"type": "integer", "minimum": 0},
            },
        },
        "organization": {
            "type": "object",
            "properties": {"operating_since": {"type": "string", "format": "date"}},
        },
        "events": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "type": {
                        "type": "string",
                        "enum": ["liability_accident", "major_complaint", "negative_publicity"],
                    },
                    "date": {"type": "string", "format": "date"},
                    "rectified": {"type": "boolean"},
                },
            },
        },
    },
}
RESULT_SCHEMA = {
    "type": "object",
    "required": [
        "scheme",
        "level",
        "level_name",
        "score",
        "max_score",
        "groups",
        "special_deductions",
        "limited_by",
        "criteria",
        "survey",
        "evaluation",
    ],
    "properties": {
        "scheme": {"type": "string"},
        "level": {"type": "string"},
        "level_name": {"type": "string"},
        "score": {"type": "number"},
        "max_score": {"type": "number"},
        "groups": {
            "type": "object",
            "additionalProperties": {
                "type": "object",
                "properties": {
                    "score": {"type": "number"},
                    "max": {"type": "number"},
                    "ratio": {"type": "number", "nullable": True},
                },
            },
        },
        "special_deductions": {"type": "integer"},
        "limited_by": {"type": "array", "items": {"type": "string"}},
        "criteria": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "level": {"type": "string"},
                    "criterion": {"type": "string"},
                    "required": {"type": "string"},
                    "actual": {"type": "string"},
                    "met": {"type": "boolean"},
                },
            },
        },
        "explanation_zh": {"type": "array", "items": {"type": "string"}},
        "survey": {
            "type": "object",
            "description": "S, S_in_person, S_online, dimensions, "
            "n, ci95, sufficient: from the responses",
        },
        "input": INPUT_SCHEMA,
        "evaluation": {
            "type": "object",
            "properties": {
                "id": {"type": "integer"},
                "status": {"type": "string", "enum": ["draft", "finalized", "superseded"]},
                "supersedes_id": {"type": "integer", "nullable": True},
                "finalized_at": {"type": "string", "nullable": True},
                "scheme_sha256": {"type": "string", "nullable": True},
            },
        },
    },
}
_RESULT = {"application/json": {"schema": RESULT_SCHEMA}}
_COMMON = campaign_errors("no such campaign or no evaluation")
PATHS = {
    "/campaigns/{campaign_id}/evaluation": {
        "put": {
            "summary": "Save the checklist input as the draft evaluation",
            "security": [{"bearer": []}],
            "parameters": _ID,
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": INPUT_SCHEMA}},
            },
            "responses": {
                "200": {
                    "description": "saved; the result (or `pending` while the survey "
                    "has no valid responses)",
                    "content": _RESULT,
                },
                "400": {
                    "description": "bad input; `field` names it; nothing stored",
                    "content": _ERR,
                },
                "415": {"description": "not JSON", "content": _ERR},
                **_COMMON,
            },
        },
        "get": {
            "summary": "The evaluation result with the campaign's own survey figures",
            "security": [{"bearer": []}],
            "parameters": _ID,
            "responses": {
                "200": {"description": "result", "content": _RESULT},
                "409": {"description": "the survey has no valid responses yet", "content": _ERR},
                **_COMMON,
            },
        },
    },
    "/campaigns/{campaign_id}/evaluation/finalize": {
        "post": {
            "summary": "Finalize the draft: freeze input, scheme hash, survey figures, result",
            "security": [{"bearer": []}],
            "parameters": _ID,
            "responses": {
                "200": {"description": "the frozen result", "content": _RESULT},
                "409": {"description": "already finalized, or no survey figures", "content": _ERR},
                **_COMMON,
            },
        }
    },
}
