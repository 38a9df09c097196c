"""The customer's privacy page /privacy: what is kept, why and how long, and, with the receipt
code the thank-you page showed, withdraw consent and delete the contact (and the comment).

Public and without sign-in, like the survey; rate-limited per address, so a receipt code
(50 bits) cannot be guessed. Nothing on the page tells whether a code exists beyond "done" or
"not found", and nothing about the response is shown back.
"""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request

from ..errors import DomainError
from ..extensions import limiter
from ..messages import message
from ..services import privacy
from .errors import status_of
from .survey import controller, lang

bp = Blueprint("privacy", __name__)

#: tries of receipt codes per address (a customer mistyping gets several; a script a few)
RATE_PRIVACY = "10 per minute;60 per hour"


@bp.context_processor
def _names() -> dict:
    return {"lang": lang(), "controller": controller()}


@bp.route("/privacy", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config.get("PRIVACY_RATE") or RATE_PRIVACY, methods=["POST"])
def page():
    """The notice, and the form that withdraws consent / deletes contact and comment."""
    done = error = None
    status = 200
    code = ""
    if request.method == "POST":
        code = (request.form.get("receipt") or "")[:40]
        try:
            done = privacy.erase_by_receipt(code, comment=request.form.get("what") == "all")
        except DomainError as err:
            error, status = message(err), status_of(err.code)
    return render_template(
        "survey/privacy.html",
        done=done,
        error=error,
        code=code if error else "",
        days=int(current_app.config.get("PERSONAL_DATA_RETENTION_DAYS", 365)),
        contact=current_app.config.get("DATA_CONTACT") or "",
    ), status
