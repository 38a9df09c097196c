"""GET /campaigns/<id>/scores and the streamed responses export."""

from __future__ import annotations

from flask import request

from ...services import exports, scores
from ..downloads import send
from . import ERROR_CONTENT, api_auth, api_campaign, bp, campaign_errors

READERS = ("admin", "auditor", "viewer")


def request_filter() -> scores.ScoreFilter:
    """The ?outlet=&channel=&start=&end= filter (DomainError invalid_filter, a 400, when bad)."""
    return scores.parse_filter(
        request.args.getlist("outlet"),
        request.args.get("channel"),
        request.args.get("start"),
        request.args.get("end"),
    )


@bp.get("/campaigns/<int:campaign_id>/scores")
@api_auth(*READERS)
def campaign_scores(campaign_id: int):
    """S, S_in_person, S_online, dimensions, intervals and sufficiency over valid responses."""
    campaign = api_campaign(campaign_id)
    return scores.campaign_scores(campaign, request_filter())


@bp.get("/campaigns/<int:campaign_id>/export.csv")
@api_auth(*READERS)
def export_csv(campaign_id: int):
    """Every response, one row each, streamed as UTF-8 CSV with BOM."""
    return send(exports.responses_export(api_campaign(campaign_id), "csv"))


@bp.get("/campaigns/<int:campaign_id>/scores.csv")
@api_auth(*READERS)
def scores_csv(campaign_id: int):
    """The scores (overall, per channel, per dimension, per outlet) as CSV."""
    return send(exports.scores_export(api_campaign(campaign_id), "csv", request_filter()))


_ERR = ERROR_CONTENT
_INTERVAL = {
    "type": "array",
    "items": {"type": "number"},
    "minItems": 2,
    "maxItems": 2,
    "nullable": True,
}
_SCORE = {"type": "number", "nullable": True, "minimum": 0, "maximum": 100}
_DIMS = {
    "type": "object",
    "additionalProperties": _SCORE,
    "description": "functionality, economy, safety, timeliness, comfort, civility",
}
_CHANNELS = {
    "type": "object",
    "properties": {"in_person": {"type": "integer"}, "online": {"type": "integer"}},
}
SCORES_SCHEMA = {
    "type": "object",
    "required": [
        "n",
        "S",
        "S_in_person",
        "S_online",
        "dimensions",
        "ci95",
        "sufficient",
        "warnings",
    ],
    "properties": {
        "n": {**_CHANNELS, "description": "valid responses per channel"},
        "received": {**_CHANNELS, "description": "stored responses per channel"},
        "excluded": {**_CHANNELS, "description": "responses excluded by an auditor"},
        "S": _SCORE,
        "S_in_person": _SCORE,
        "S_online": _SCORE,
        "dimensions": _DIMS,
        "dimensions_by_channel": {"type": "object", "additionalProperties": _DIMS},
        "items_by_channel": {
            "type": "object",
            "additionalProperties": {"type": "object", "additionalProperties": _SCORE},
        },
        "ci95": {
            "type": "object",
            "description": "bootstrap 95 % intervals [lo, hi]",
            "properties": {
                "S": _INTERVAL,
                "S_in_person": _INTERVAL,
                "S_online": _INTERVAL,
                "dimensions": {"type": "object", "additionalProperties": _INTERVAL},
            },
        },
        "ci95_t": {"type": "object", "description": "analytic t intervals (cross-check)"},
        "half_width": {
            "type": "object",
            "additionalProperties": {"type": "number", "nullable": True},
        },
        "sufficient": {"type": "object", "additionalProperties": {"type": "boolean"}},
        "marginal": {"type": "object", "additionalProperties": {"type": "boolean"}},
        "satisfaction_rate": _SCORE,
        "nps": {"type": "number", "nullable": True},
        "alpha": {"type": "object", "additionalProperties": {"type": "number", "nullable": True}},
        "warnings": {"type": "array", "items": {"type": "string"}},
        "parameters": {
            "type": "object",
            "description": "the campaign's frozen survey parameters used",
        },
        "filter": {"type": "object"},
        "scheme": {"type": "string"},
        "computed_at": {"type": "string", "format": "date-time"},
    },
}
FILTER_PARAMS = [
    {"name": "campaign_id", "in": "path", "required": True, "schema": {"type": "integer"}},
    {
        "name": "outlet",
        "in": "query",
        "schema": {"type": "array", "items": {"type": "integer"}},
        "style": "form",
        "explode": True,
        "description": "outlet ids (repeat)",
    },
    {
        "name": "channel",
        "in": "query",
        "schema": {"type": "string", "enum": ["in_person", "online"]},
    },
    {
        "name": "start",
        "in": "query",
        "schema": {"type": "string", "format": "date"},
        "description": "first local day (Asia/Shanghai), inclusive",
    },
    {
        "name": "end",
        "in": "query",
        "schema": {"type": "string", "format": "date"},
        "description": "last local day, inclusive",
    },
]
_COMMON = campaign_errors()
PATHS = {
    "/campaigns/{campaign_id}/scores": {
        "get": {
            "summary": "Perception scores over the campaign's valid responses",
            "security": [{"bearer": []}],
            "parameters": FILTER_PARAMS,
            "responses": {
                "200": {
                    "description": "scores",
                    "content": {"application/json": {"schema": SCORES_SCHEMA}},
                },
                "400": {"description": "bad filter (field names the parameter)", "content": _ERR},
                **_COMMON,
            },
        }
    },
    "/campaigns/{campaign_id}/scores.csv": {
        "get": {
            "summary": "The scores as CSV (UTF-8 with BOM)",
            "security": [{"bearer": []}],
            "parameters": FILTER_PARAMS,
            "responses": {
                "200": {
                    "description": "CSV",
                    "content": {"text/csv": {"schema": {"type": "string"}}},
                },
                **_COMMON,
            },
        }
    },
    "/campaigns/{campaign_id}/export.csv": {
        "get": {
            "summary": "Every response (one row each, one column per question), streamed CSV",
            "security": [{"bearer": []}],
            "parameters": FILTER_PARAMS[:1],
            "responses": {
                "200": {
                    "description": "CSV, UTF-8 with BOM",
                    "content": {"text/csv": {"schema": {"type": "string"}}},
                },
                **_COMMON,
            },
        }
    },
}
