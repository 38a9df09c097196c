"""The campaign's questionnaire page: read it, and while the campaign is a draft design it —
start from a bank or a spreadsheet, add, remove, reword, reorder — with a phone-sized preview.

Works without JavaScript: the whole list travels in one form; the buttons beside each question
(up, down, remove) and below it (add, save) are submit buttons naming their action. The same
rules as the spreadsheet's apply (services/questionnaire_sheets.from_rows), each refusal shown
at its question and field. Collection freezes the questionnaire, with its hash, as before.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import questionnaire as qbank
from ..errors import DomainError
from ..i18n import scheme_title
from ..messages import message
from ..question_kinds import KINDS
from ..schemes import list_schemes, load_scheme
from ..scoring.survey import DIMENSIONS
from ..services import questionnaire_sheets as sheets
from ..services import questionnaires
from ..services import responses as response_service
from .access import campaign_or_abort, can_write, roles_required
from .csp import CSP
from .downloads import Download, send, xlsx_type
from .survey import lang, questionnaire_context

bp = Blueprint("questionnaire", __name__, url_prefix="/campaigns")

COLUMNS = (*sheets.SURVEY_COLUMNS, "clause", "show_if")
#: a new blank question's id: the first free q1, q2 …
_NEW = "q{}"


def _rows_from_form() -> list[dict]:
    try:
        n = min(int(request.form.get("n", "0")), qbank.MAX_QUESTIONS + 1)
    except ValueError:
        n = 0
    rows = []
    for i in range(max(n, 0)):
        row = {c: (request.form.get(f"{c}-{i}") or "").strip()[:500] for c in COLUMNS}
        row["required"] = "yes" if request.form.get(f"required-{i}") else "no"
        # a choice question's options, one a line ("1 电话 / Phone"), as typed
        row["options"] = (request.form.get(f"options-{i}") or "")[:8000]
        rows.append(row)
    return rows


def _editor_rows(q) -> list[dict]:
    """The questionnaire as the page's rows: the sheet's columns, options written out."""
    rows = sheets.rows_of(q)
    for row, x in zip(rows, q.questions, strict=True):
        row["options"] = sheets.options_text(x.choices)
    return rows


def _with_lists(rows: list[dict]) -> tuple[list[tuple[int, dict]], dict]:
    """The page's rows numbered, each row's options as its own choice list (named by row)."""
    numbered, lists = [], {}
    for no, row in enumerate(rows, start=1):
        row = dict(row)
        options = row.pop("options", "")
        row["choices"] = ""
        if options.strip():
            row["choices"] = f"#{no}"
            lists[f"#{no}"] = sheets.parse_options(options, no)
        numbered.append((no, row))
    return numbered, lists


def _apply(rows: list[dict], action: str) -> list[dict]:
    """Move, remove or add a row (nothing is stored until Save)."""
    verb, _sep, where = action.partition("-")
    i = int(where) if where.isdigit() else -1
    if verb == "up" and 0 < i < len(rows):
        rows[i - 1], rows[i] = rows[i], rows[i - 1]
    elif verb == "down" and 0 <= i < len(rows) - 1:
        rows[i + 1], rows[i] = rows[i], rows[i + 1]
    elif verb == "del" and 0 <= i < len(rows):
        rows.pop(i)
    elif verb == "add" and len(rows) < qbank.MAX_QUESTIONS:
        taken = {r["id"] for r in rows}
        k = 1
        while _NEW.format(k) in taken:
            k += 1
        rows.append(
            {
                "id": _NEW.format(k),
                "kind": "likert",
                "dimension": "",
                "text_zh": "",
                "text_en": "",
                "required": "yes",
                "clause": "",
                "show_if": "",
                "options": "",
            }
        )
    return rows


def _banks() -> list[tuple[str, str]]:
    """(bank, what people read: the schemes that start from it) for the bank menu."""
    users: dict[str, list[str]] = {}
    for scheme in list_schemes():
        users.setdefault(scheme.questionnaire, []).append(scheme_title(scheme.id))
    return [(b, _("、").join(users.get(b, ())) or b) for b in qbank.bank_names()]


def _scheme_bank(campaign) -> str | None:
    return load_scheme(campaign.scheme_id).questionnaire


def _sheet_error(e: sheets.SheetError) -> str:
    return e.zh if lang() == "zh" else e.en


def _page(campaign, rows, errors=None, error=None, status=200, dirty=False):
    writable = can_write(current_user, campaign) and campaign.status == "draft"
    return render_template(
        "campaigns/questionnaire.html",
        campaign=campaign,
        rows=rows,
        errors=errors or {},
        error=error,
        dirty=dirty,
        writable=writable,
        may_change=can_write(current_user, campaign),
        kinds=qbank.KINDS,
        choice_kinds=[k for k, kind in KINDS.items() if kind.takes_choices],
        dimensions=DIMENSIONS,
        banks=_banks(),
        campaign_bank=_scheme_bank(campaign),
    ), status


@bp.get("/<int:campaign_id>/questionnaire")
@login_required
def show(campaign_id: int):
    """The questionnaire (the designer while the campaign is a draft and yours to change)."""
    campaign = campaign_or_abort(campaign_id)
    q = response_service.questionnaire_for(campaign)
    return _page(campaign, _editor_rows(q))


def _store(campaign, q) -> object:
    try:
        questionnaires.set_for_campaign(campaign, q, by=current_user)
    except DomainError as err:
        return _page(campaign, _editor_rows(q), error=message(err), status=409)
    flash(_("问卷已保存：%(n)s 题。", n=len(q.questions)))
    return redirect(url_for(".show", campaign_id=campaign.id), 303)


@bp.post("/<int:campaign_id>/questionnaire")
@roles_required("admin", "auditor")
def save(campaign_id: int):
    """Save the list, or move / remove / add a question (kept in the form until saved)."""
    campaign = campaign_or_abort(campaign_id, write=True)
    rows = _rows_from_form()
    action = request.form.get("action", "save")
    if action != "save":
        return _page(campaign, _apply(rows, action), dirty=True)
    base = response_service.questionnaire_for(campaign)  # its title, intro, labels stay
    try:
        numbered, lists = _with_lists(rows)
        q = sheets.from_rows(numbered, campaign.title[:120], "page", lists, base)
    except sheets.SheetError as e:
        key = (e.row, e.column) if e.row is not None else (None, e.column)
        where = _("第 %(n)s 题", n=e.row) if e.row is not None else None
        colon = "：" if lang() == "zh" else ": "
        top = f"{where}{colon}{_sheet_error(e)}" if where else _sheet_error(e)
        return _page(
            campaign, rows, errors={key: _sheet_error(e)}, error=top, status=422, dirty=True
        )
    return _store(campaign, q)


@bp.post("/<int:campaign_id>/questionnaire/bank")
@roles_required("admin", "auditor")
def from_bank(campaign_id: int):
    """Start again from a built-in bank."""
    campaign = campaign_or_abort(campaign_id, write=True)
    name = request.form.get("bank", "")
    if name not in qbank.bank_names():
        current = _editor_rows(response_service.questionnaire_for(campaign))
        return _page(campaign, current, error=_("没有这个题库。"), status=422)
    return _store(campaign, qbank.load_bank(name))


@bp.post("/<int:campaign_id>/questionnaire/import")
@roles_required("admin", "auditor")
def import_sheet(campaign_id: int):
    """Replace the questionnaire with an uploaded spreadsheet (the template's sheets)."""
    campaign = campaign_or_abort(campaign_id, write=True)
    upload = request.files.get("sheet")
    current = _editor_rows(response_service.questionnaire_for(campaign))
    if upload is None or not upload.filename:
        return _page(campaign, current, error=_("请选择要导入的 XLSX 文件。"), status=422)
    data = upload.read(sheets.MAX_BYTES + 1)
    try:
        q = sheets.read_xlsx(
            data, campaign.title[:120], response_service.questionnaire_for(campaign)
        )
    except sheets.SheetError as e:
        where = f"{e.where_zh()}：" if lang() == "zh" else f"{e.where_en()}: "
        return _page(campaign, current, error=f"{where}{_sheet_error(e)}", status=422)
    return _store(campaign, q)


@bp.get("/<int:campaign_id>/questionnaire.xlsx")
@login_required
def download(campaign_id: int):
    """The campaign's questionnaire as the spreadsheet template (edit it, import it back)."""
    campaign = campaign_or_abort(campaign_id)
    body = questionnaires.export_xlsx(campaign=campaign)
    sheet = Download(xlsx_type(), f"questionnaire-{campaign.id}.xlsx", iter([body]))
    return send(sheet, **{"Cache-Control": "private, no-store"})


@bp.get("/<int:campaign_id>/questionnaire/preview")
@login_required
def preview(campaign_id: int):
    """The customer's page of this questionnaire, as a phone shows it (nothing is sent)."""
    campaign = campaign_or_abort(campaign_id)
    q = response_service.questionnaire_for(campaign)
    html = render_template(
        "campaigns/questionnaire_preview.html",
        campaign=campaign,
        paged=request.args.get("view") != "all",
        **questionnaire_context(campaign, q),
    )
    # framed by the questionnaire page itself (same origin), nowhere else
    return (
        html,
        200,
        {
            "Content-Security-Policy": CSP.replace(
                "frame-ancestors 'none'", "frame-ancestors 'self'"
            ),
            "X-Frame-Options": "SAMEORIGIN",
        },
    )
