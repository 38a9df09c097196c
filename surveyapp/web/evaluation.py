"""The auditor's checklist page, finalization, and the printable evaluation report."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.datastructures import MultiDict

from ..errors import DomainError
from ..i18n import label, local_time
from ..messages import FIELD_LABELS, message
from ..scoring import EVENT_TYPES, Scheme
from ..services import anchors, evaluations
from ..services import dashboard as dashboard_service
from ..services.checklist import (
    MAX_COLUMNS,
    SHARED,
    column_keys_of,
    columns_of,
    merge_columns,
    typed_points,
)
from . import report_pdf as report_pdf_module
from .access import campaign_or_abort, can_write, roles_required
from .downloads import Download, send
from .errors import wants_json
from .params import int_param

bp = Blueprint("evaluation", __name__, url_prefix="/campaigns")

EXTRA_ROWS = 2  #: empty rows offered for new special deductions and events
#: rows of special deductions or events a form may post (a checklist has at most ~70 items)
MAX_ROWS = 100


def _bounded_rows(form: MultiDict) -> MultiDict:
    """The form with its row counts clamped, to read back what was typed after a refusal."""
    out = MultiDict(form)
    for name in ("deduction_rows", "event_rows"):
        raw = str(form.get(name, "0"))
        ok = raw.isascii() and raw.isdigit() and len(raw) < 30
        out[name] = str(min(int(raw), MAX_ROWS)) if ok else "0"
    return out


def _shown(err: DomainError) -> dict[str, Any]:
    """What the page shows of a refused or pending action: the field and the sentence."""
    return {"field": err.field or "", "code": err.code, "message": message(err)}


def input_from_form(form: MultiDict, scheme: Scheme, columns: int) -> dict[str, Any]:
    """The evaluation input (CONTRACT.md, without scheme and survey) from the checklist form."""
    data: dict[str, Any] = {"scores": _scores_from_form(form, scheme, columns)}
    if form.get("evaluation_date"):
        data["evaluation_date"] = form["evaluation_date"]
    deductions = _deductions_from_form(form)
    if deductions:
        data["special_deductions"] = deductions
    if form.get("bonus"):
        data["special_bonus"] = {"note": form.get("bonus-note", "").strip()}
    passed = form.get("audit-passed", "")
    if passed:
        severe = form.get("audit-severe", "0").strip() or "0"
        data["management_audit"] = {
            "passed": passed == "yes",
            "severe_nonconformities": int(severe)
            if severe.isascii() and severe.isdigit() and len(severe) < 10
            else severe,
        }
    if form.get("operating_since"):
        data["organization"] = {"operating_since": form["operating_since"]}
    data["events"] = _events_from_form(form)
    return data


def _scores_from_form(form: MultiDict, scheme: Scheme, columns: int) -> dict[str, Any]:
    """Item id -> "n/a", one score, or one score per auditor column; blank items left out."""
    scores: dict[str, Any] = {}
    for item in scheme.items:
        if item.mode == "survey" and not any(
            form.get(f"score-{item.id}-{k}", "").strip() for k in range(columns)
        ):
            continue  # fed by the survey unless the auditors score it
        if item.excludable and form.get(f"na-{item.id}"):
            scores[item.id] = "n/a"
            continue
        values = [
            typed_points(v)
            for k in range(columns)
            if (v := form.get(f"score-{item.id}-{k}", "").strip())
        ]
        if len(values) == 1:
            scores[item.id] = values[0]
        elif values:
            scores[item.id] = values
    return scores


def _deductions_from_form(form: MultiDict) -> list[dict[str, Any]]:
    """The special deduction rows with an item or a note."""
    deductions = []
    for k in range(int_param(form, "deduction_rows", 0, 0, MAX_ROWS, code="stale_form")):
        item, note = form.get(f"ded-item-{k}", "").strip(), form.get(f"ded-note-{k}", "").strip()
        if item or note:
            deductions.append({"item": item or None, "note": note})
    return deductions


def _events_from_form(form: MultiDict) -> list[dict[str, Any]]:
    """The event rows with a type or a date."""
    events = []
    for k in range(int_param(form, "event_rows", 0, 0, MAX_ROWS, code="stale_form")):
        kind, day = form.get(f"ev-type-{k}", ""), form.get(f"ev-date-{k}", "")
        if kind or day:
            events.append(
                {
                    "type": kind,
                    "date": day or None,
                    "rectified": bool(form.get(f"ev-rectified-{k}")),
                }
            )
    return events


def _columns(campaign, data: dict[str, Any] | None) -> list[str]:
    """Auditor column headers, one per column key (checklist.column_keys_of)."""
    by_id = {str(a.id): a.display_name or a.username for a in campaign.auditors}
    keys = column_keys_of(campaign, data)
    stored = max(
        (len(v) for v in ((data or {}).get("scores") or {}).values() if isinstance(v, list)),
        default=0,
    )
    names = [by_id.get(k) or _("审查员 %(n)s", n=i + 1) for i, k in enumerate(keys)]
    while len(names) < max(stored, 1):
        names.append(_("审查员 %(n)s", n=len(names) + 1))
    return names


def _defaults(campaign) -> dict[str, Any]:
    data: dict[str, Any] = {"scores": {}, "events": []}
    if campaign.evaluation_date:
        data["evaluation_date"] = campaign.evaluation_date.isoformat()
    since = campaign.organization.operating_since if campaign.organization else None
    if since:
        data["organization"] = {"operating_since": since.isoformat()}
    return data


def _render(campaign, data, *, error=None, result=None, pending=None, status=200):
    scheme = evaluations.scheme_of(campaign)
    names = _columns(campaign, data)
    keys = column_keys_of(campaign, data)
    ev = evaluations.current(campaign)
    return render_template(
        "evaluation/form.html",
        campaign=campaign,
        scheme=scheme,
        data=data,
        columns=names,
        cells=columns_of(campaign, data),
        column_keys=keys + [f"#{k}" for k in range(len(keys), len(names))],
        mine=str(current_user.id)
        if any(a.id == current_user.id for a in campaign.auditors)
        else None,
        error=error,
        result=result,
        pending=pending,
        ev=ev,
        history=evaluations.history(campaign),
        writable=can_write(current_user, campaign),
        event_types=[(t, label("event", t)) for t in EVENT_TYPES],
        extra_rows=EXTRA_ROWS,
        shared=SHARED,
        gap_names={
            f: str(FIELD_LABELS[f])
            for f in ("evaluation_date", "management_audit", "organization.operating_since")
        },
    ), status


@bp.route("/<int:campaign_id>/evaluation", methods=["GET", "POST"])
@login_required
def form(campaign_id: int):
    """The checklist of the campaign's scheme and the level it gives (POST saves the draft)."""
    campaign = campaign_or_abort(campaign_id, write=request.method == "POST")
    if request.method == "POST":
        scheme = evaluations.scheme_of(campaign)
        columns = len(_columns(campaign, None))
        # what the auditor typed comes back whatever goes wrong (a stale hidden count included)
        data = input_from_form(_bounded_rows(request.form), scheme, columns)
        try:
            asked = int_param(request.form, "columns", 1, 1, MAX_COLUMNS, code="stale_form")
            data = input_from_form(request.form, scheme, max(columns, asked))
            ev = evaluations.current(campaign)
            stored = ev.input if ev is not None else None
            data = merge_columns(
                campaign, scheme, request.form, data, stored, current_user, max(columns, asked)
            )
            evaluations.put_input(campaign, data, current_user)
        except DomainError as e:
            if wants_json():  # the page's autosave: the field and the sentence, nothing stored
                return jsonify({"error": _shown(e)}), 422
            return _render(campaign, data, error=_shown(e), status=422)
        if wants_json():
            ev = evaluations.current(campaign)
            gaps = evaluations.missing(campaign, ev.input)
            return jsonify(
                {"saved_at": local_time(ev.updated_at), "complete": not gaps, "missing": gaps}
            )
        flash(_("已保存评价草稿。"))
        return redirect(url_for(".form", campaign_id=campaign.id), 303)
    ev = evaluations.current(campaign)
    if ev is None:
        return _render(campaign, _defaults(campaign))
    try:
        result = evaluations.result(campaign, ev)
    except DomainError as e:
        return _render(campaign, ev.input, pending=_shown(e))
    return _render(campaign, ev.input, result=result)


@bp.post("/<int:campaign_id>/evaluation/finalize")
@roles_required("admin", "auditor")
def finalize(campaign_id: int):
    """Freeze the draft; afterwards only a new draft can supersede it."""
    campaign = campaign_or_abort(campaign_id, write=True)
    if not request.form.get("confirm"):
        flash(_("请勾选确认后再定稿。"))
        return redirect(url_for(".form", campaign_id=campaign.id), 303)
    try:
        evaluations.finalize(campaign, current_user)
    except DomainError as e:
        flash(_("未能定稿：%(message)s", message=message(e)))
        return redirect(url_for(".form", campaign_id=campaign.id), 303)
    flash(_("评价已定稿。"))
    return redirect(url_for(".report", campaign_id=campaign.id), 303)


@bp.get("/<int:campaign_id>/report.pdf")
@login_required
def report_pdf(campaign_id: int):
    """The evaluation report as an A4 PDF with extractable Chinese text."""
    campaign = campaign_or_abort(campaign_id)
    try:
        return report_pdf_module.response(campaign)
    except DomainError as e:
        flash(message(e), "error")
        return redirect(url_for(".form", campaign_id=campaign.id), 303)


@bp.get("/<int:campaign_id>/ledger-anchor.json")
@login_required
def ledger_anchor(campaign_id: int):
    """The campaign chain's signed anchor as a file: kept beside the certificate, it is what
    `flask verify-ledger --anchor FILE` checks later (docs/ledger.md)."""
    campaign = campaign_or_abort(campaign_id)
    doc = anchors.for_campaign_or_none(campaign.id)
    if doc is None:
        abort(503)
    body = (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    name = f"ledger-anchor-{campaign.id}-{datetime.now(UTC):%Y%m%d}.json"
    anchor = Download("application/json; charset=utf-8", name, iter([body]))
    return send(anchor, **{"Cache-Control": "private, no-store"})


@bp.get("/<int:campaign_id>/report")
@login_required
def report(campaign_id: int):
    """The printable A4 evaluation report (finalized, or marked as a draft)."""
    campaign = campaign_or_abort(campaign_id)
    try:
        result = evaluations.result(campaign, evaluations.reported(campaign))
    except DomainError as e:
        flash(message(e))
        return redirect(url_for(".form", campaign_id=campaign.id), 303)
    if not result["complete"]:
        flash(_("检查表尚未填完，填完后才有评价报告。"))
        return redirect(url_for(".form", campaign_id=campaign.id), 303)
    ev = result["evaluation"]
    return render_template(
        "report/report.html",
        campaign=campaign,
        scheme=evaluations.scheme_of(campaign),
        r=result,
        survey=result["survey"],
        ev=ev,
        dimension_json=dashboard_service.dimension_figure(result["survey"], _),
        finalized_by=evaluations.user_name(ev.get("finalized_by_id")),
        **report_pdf_module.comment_context(campaign),
    )
