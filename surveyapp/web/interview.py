"""The in-person channel: a signed-in auditor fills the questionnaire with a customer."""

from __future__ import annotations

import uuid

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..db import db
from ..errors import DomainError
from ..messages import field_messages
from ..models import Outlet
from ..services import campaigns as campaign_service
from ..services import responses
from .access import campaign_or_abort, in_campaign_or_abort, roles_required, visible_campaigns
from .api.responses import store_in_person
from .errors import status_of
from .survey import (
    error_text,
    few_answers_question,
    questionnaire_context,
    submission_from_form,
)

bp = Blueprint("interview", __name__, url_prefix="/interview")


@bp.get("/")
@roles_required("admin", "auditor")
def index():
    """The campaigns the user may interview for, collecting ones first."""
    rows = db.session.scalars(visible_campaigns(current_user).limit(200)).all()
    rows = sorted(rows, key=lambda c: (c.status != "collecting", -c.id))
    return render_template("interview/index.html", campaigns=rows)


@bp.get("/<int:campaign_id>")
@roles_required("admin", "auditor")
def outlets(campaign_id: int):
    """Pick the outlet where the customer was served."""
    campaign = campaign_or_abort(campaign_id, write=True)
    counts = campaign_service.response_counts(campaign)
    return render_template("interview/outlets.html", campaign=campaign, counts=counts)


@bp.post("/<int:campaign_id>/queued")
@roles_required("admin", "auditor")
def queued(campaign_id: int):
    """An interview finished without signal, sent from the page's queue when the network is
    back: the API's in-person body as JSON, with the page's CSRF token in X-CSRFToken."""
    return store_in_person(campaign_or_abort(campaign_id, write=True), current_user)


@bp.route("/<int:campaign_id>/<int:outlet_id>", methods=["GET", "POST"])
@roles_required("admin", "auditor")
def form(campaign_id: int, outlet_id: int):
    """Fill the questionnaire with a customer; records channel in_person, auditor and times."""
    campaign = campaign_or_abort(campaign_id, write=True)
    outlet = in_campaign_or_abort(Outlet, outlet_id, campaign)
    scope = responses.interview_scope(campaign.id, outlet.id, current_user.id)
    questionnaire = responses.questionnaire_for(campaign)
    errors: dict[str, str] = {}
    values: dict = {}
    status = 200
    try:
        responses.check_open(campaign)
    except DomainError as err:
        return render_template(
            "interview/closed.html", campaign=campaign, message=error_text(err)
        ), status_of(err.code)
    started = responses.start_stamp(scope)
    client_id = uuid.uuid4().hex
    ask = None
    if request.method == "POST":
        sub = submission_from_form(
            questionnaire, responses.read_start_stamp(request.form.get("started"), scope)
        )
        ask = few_answers_question(campaign, sub)
        if ask is None:
            try:
                stored = responses.submit_in_person(campaign, outlet.id, current_user, sub)
            except DomainError as err:
                if status_of(err.code) != 422:
                    return render_template(
                        "interview/closed.html", campaign=campaign, message=error_text(err)
                    ), status_of(err.code)
                errors = field_messages(err) or {"answers": error_text(err)}
                status = 422
            else:
                flash(_("已保存第 %(id)s 号问卷。可以开始下一位顾客。", id=stored.id))
                return redirect(
                    url_for(".form", campaign_id=campaign.id, outlet_id=outlet.id, done=1), 303
                )
        # asked or refused: nothing stored; the form shows the answers as they were sent
        values = request.form.copy()
        started = request.form.get("started") or started
        client_id = sub.client_id or client_id
    return render_template(
        "interview/form.html",
        campaign=campaign,
        outlet=outlet,
        started=started,
        client_id=client_id,
        counts=campaign_service.response_counts(campaign).get(outlet.id, {}),
        clear_draft=request.args.get("done") == "1",
        **questionnaire_context(campaign, questionnaire, values, errors, ask),
    ), status
