"""Domain error → HTTP status, and the error answers of pages and the API, written once.

Services raise `surveyapp.errors.DomainError(code, field, **params)`; `surveyapp.messages`
words it in the user's language; this module gives each code its status.
"""

from __future__ import annotations

from collections.abc import Mapping

from flask import flash, jsonify, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

from ..errors import DomainError
from ..messages import message

#: code → HTTP status
STATUS: Mapping[str, int] = {
    # input, any request
    "required": 422,
    "not_text": 422,
    "not_a_number": 422,
    "not_a_list": 422,
    "not_an_object": 422,
    "too_long": 422,
    "too_many": 422,
    "out_of_range": 422,
    "not_a_choice": 422,
    "share_without_consent": 422,
    "unknown_receipt": 404,
    "number_range": 422,
    "no_such_id": 422,
    "no_such_page": 422,
    "stale_form": 422,
    "invalid_text": 422,
    "invalid_date": 422,
    "invalid_datetime": 422,
    "needs_zone": 422,
    "invalid": 422,
    "unknown_field": 422,
    "invalid_json": 400,
    "unsupported_media_type": 415,
    "invalid_filter": 400,
    "unknown_channel": 422,
    "start_after_end": 422,
    "date_range": 422,
    # access
    "unauthorized": 401,
    "forbidden": 403,
    "not_found": 404,
    # campaigns
    "unknown_scheme": 422,
    "unknown_organization": 422,
    "unknown_user": 422,
    "not_auditor": 422,
    "bad_initial_status": 422,
    "closes_before_opens": 422,
    "questionnaire_invalid": 422,
    "campaign_finalized": 409,
    "organization_frozen": 403,
    "questionnaire_frozen": 409,
    "questionnaire_sheet": 422,
    "bad_transition": 409,
    "count_range": 422,
    # responses
    "bad_token": 404,
    "campaign_not_open": 409,
    "campaign_closed": 410,
    "link_revoked": 410,
    "link_used": 409,
    "unknown_outlet": 422,
    "unknown_question": 422,
    "answer_required": 422,
    "contact_without_consent": 422,
    "invalid_client_id": 422,
    # evaluations and review
    "invalid_input": 400,
    # the reasons an evaluation input is invalid (worded for people, still invalid_input's 400)
    "score_no_percentage": 400,
    "score_percentage_range": 400,
    "score_expected": 400,
    "score_negative": 400,
    "score_negative_star": 400,
    "score_above_max": 400,
    "score_not_an_option": 400,
    "score_not_excludable": 400,
    "unknown_item": 400,
    "no_special_deductions": 400,
    "no_special_bonus": 400,
    "too_many_bonus": 400,
    "bonus_needs_note": 400,
    "count_not_negative": 400,
    "survey_unavailable": 409,
    "stored_input_invalid": 409,
    "no_evaluation": 404,
    "already_finalized": 409,
    "reason_required": 422,
    "already_excluded": 409,
    "not_excluded": 409,
    "export_too_large": 413,
    # accounts, privacy, backup (CLI and admin pages)
    "username_length": 422,
    "username_chars": 422,
    "unknown_role": 422,
    "password_too_short": 422,
    "user_exists": 409,
    "unknown_token": 404,
    "grant_not_needed": 409,
    "grant_all_viewers_only": 422,
    "campaign_open": 409,
    "retention_running": 409,
    "backup_failed": 500,
    "pdf_unavailable": 503,
    "evaluation_incomplete": 409,
    "outlet_inactive": 409,
    "cannot_change_self": 409,
    "last_admin": 409,
    "wrong_password": 422,
    "password_unchanged": 422,
}


def kept_headers(e: HTTPException | None) -> dict[str, str]:
    """The headers an HTTP refusal must keep (Allow on 405, Retry-After on 429), not its type."""
    return {k: v for k, v in e.get_headers() if k.lower() != "content-type"} if e else {}


def status_of(code: str) -> int:
    """The HTTP status of a code (422 for one this table does not know)."""
    return STATUS.get(code, 422)


def api_body(err: DomainError) -> dict:
    """The contract's {"error": {"code", "message", "field"}} plus every field's problem."""
    body: dict = {"code": err.code, "message": message(err)}
    if err.field is not None:
        body["field"] = err.field
    if err.fields:
        body["fields"] = {
            f: {"code": p.code, "message": message(p, f)} for f, p in err.fields.items()
        }
    return {"error": body}


def api_response(err: DomainError):
    """(JSON body, status) for the API."""
    return jsonify(api_body(err)), status_of(err.code)


def flash_error(err: DomainError) -> None:
    """Flash a refused action on the next page ("未能保存：…")."""
    flash(_("未能保存：%(message)s", message=message(err)), "error")


def wants_json() -> bool:
    """API paths and JSON clients get JSON errors; everyone else gets a page."""
    return request.path.startswith("/api/") or (request.accept_mimetypes.best == "application/json")
