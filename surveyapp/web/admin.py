"""Admin pages: the audit log (filter by user, action and date; paginated) and its CSV export."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

from flask import Blueprint, Response, render_template, request, stream_with_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, select
from wtforms import DateField, Form, IntegerField, StringField
from wtforms.validators import Length, NumberRange, Optional

from ..db import db
from ..i18n import local_day_start, local_zone
from ..models import AuditLog
from ..services import audit
from ..services.text import spreadsheet_safe
from .access import roles_required

bp = Blueprint("admin", __name__, url_prefix="/admin")

PER_PAGE = 50
#: rows in one CSV export; a larger log is exported in date ranges
EXPORT_LIMIT = 200_000


class AuditFilter(Form):
    """Query-string filters of the audit log (GET, so no CSRF token)."""

    user = StringField(_l("用户"), validators=[Optional(), Length(max=64)])
    action = StringField(_l("操作"), validators=[Optional(), Length(max=64)])
    start = DateField(_l("起始日期"), validators=[Optional()])
    end = DateField(_l("截止日期"), validators=[Optional()])
    page = IntegerField(validators=[Optional(), NumberRange(min=1, max=1_000_000)])


def _day_start(day: date) -> datetime:
    """Midnight of a local calendar day, in UTC (dates are typed in local time)."""
    return local_day_start(day).astimezone(UTC)


def _query(form: AuditFilter) -> Select:
    """Audit entries matching the filters, newest first."""
    stmt = select(AuditLog)
    if form.user.data:
        stmt = stmt.where(AuditLog.username == form.user.data.strip())
    if form.action.data:
        action = form.action.data.strip()
        # "login" also finds login.failed and login.refused
        stmt = stmt.where((AuditLog.action == action) | AuditLog.action.startswith(action + "."))
    if form.start.data:
        stmt = stmt.where(AuditLog.at >= _day_start(form.start.data))
    if form.end.data:
        stmt = stmt.where(AuditLog.at < _day_start(form.end.data + timedelta(days=1)))
    return stmt.order_by(AuditLog.id.desc())


def _filter_args() -> dict[str, str]:
    """The non-empty filters of the query string, without the page."""
    return {k: v for k, v in request.args.items() if k != "page" and v}


def _filter_form() -> AuditFilter:
    form = AuditFilter(request.args)
    form.validate()
    for name, field in form._fields.items():
        if field.errors:
            form[name].data = None  # an unreadable filter is ignored and flagged on the page
    return form


@bp.get("/audit")
@roles_required("admin")
def audit_log():
    """The audit log, newest first, 50 per page."""
    form = _filter_form()
    page = form.page.data or 1
    stmt = _query(form)
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    entries = db.session.scalars(stmt.limit(PER_PAGE).offset((page - 1) * PER_PAGE)).all()
    pages = max(1, -(-total // PER_PAGE))
    return render_template(
        "admin/audit.html",
        form=form,
        entries=entries,
        total=total,
        page=page,
        pages=pages,
        args=_filter_args(),
        zone=local_zone(),
    )


def _csv_rows(stmt: Select) -> Iterator[str]:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["id", "at_utc", "username", "user_id", "action", "target", "ip", "detail"])
    yield "\ufeff" + buf.getvalue()  # BOM: spreadsheets then read the Chinese correctly
    for e in db.session.scalars(stmt.limit(EXPORT_LIMIT).execution_options(yield_per=1000)):
        buf.seek(0)
        buf.truncate()
        detail = json.dumps(e.detail, ensure_ascii=False, sort_keys=True) if e.detail else ""
        at = e.at.astimezone(UTC).isoformat(timespec="seconds")
        fields = (e.id, at, e.username, e.user_id, e.action, e.target, e.ip, detail)
        writer.writerow([spreadsheet_safe(v) for v in fields])
        yield buf.getvalue()


@bp.get("/audit.csv")
@roles_required("admin")
def audit_csv():
    """The filtered audit log as CSV (UTF-8 with BOM); the export itself is audited."""
    form = _filter_form()
    audit.record("audit.export", detail={"filters": _filter_args()})
    stamp = datetime.now(local_zone()).strftime("%Y%m%d-%H%M")
    return Response(
        stream_with_context(_csv_rows(_query(form))),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="audit-{stamp}.csv"',
            "Cache-Control": "no-store",
        },
    )
