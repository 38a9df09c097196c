"""Admin pages: the audit log (filter by user, action and date; paginated) and its CSV export."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from flask import Blueprint, render_template, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from wtforms import DateField, Form, IntegerField, SelectField, StringField
from wtforms.validators import Length, NumberRange, Optional, ValidationError

from ..db import db
from ..i18n import label, local_day_start, local_zone
from ..models import Campaign, User
from ..services import audit
from ..vocabulary import AUDIT_ACTIONS
from . import audit_words
from .access import roles_required
from .downloads import send

bp = Blueprint("admin", __name__, url_prefix="/admin")

PER_PAGE = 50


class AuditFilter(Form):
    """Query-string filters of the audit log (GET, so no CSRF token)."""

    user = StringField(_l("用户"), validators=[Optional(), Length(max=64)])
    campaign = SelectField(_l("评价项目"), choices=[], validate_choice=False)
    #: an action, or the group of actions it starts (?action=login finds login.failed too)
    action = SelectField(_l("操作"), choices=[], validate_choice=False)

    def validate_campaign(self, field):
        value = field.data or ""
        if value and not (value.isascii() and value.isdigit() and len(value) < 19):
            raise ValidationError(_l("没有这个编号。"))

    def validate_action(self, field):
        value = field.data or ""
        if value and not any(a == value or a.startswith(value + ".") for a in AUDIT_ACTIONS):
            raise ValidationError(_l("没有这种操作。"))

    start = DateField(_l("起始日期"), validators=[Optional()])
    end = DateField(_l("截止日期"), validators=[Optional()])
    page = IntegerField(validators=[Optional(), NumberRange(min=1, max=1_000_000)])


def _filters(form: AuditFilter) -> audit.Filters:
    """The form's filters; typed dates are local calendar days, turned into UTC bounds."""

    def day(d: date | None, days: int = 0) -> datetime | None:
        return local_day_start(d + timedelta(days=days)).astimezone(UTC) if d else None

    campaign = form.campaign.data
    return audit.Filters(
        user=form.user.data or None,
        action=form.action.data or None,
        campaign=int(campaign) if campaign and campaign.isascii() and campaign.isdigit() else None,
        since=day(form.start.data),
        before=day(form.end.data, 1),
    )


def _filter_args() -> dict[str, str]:
    """The non-empty filters of the query string, without the page."""
    return {k: v for k, v in request.args.items() if k != "page" and v}


def _filter_form() -> AuditFilter:
    form = AuditFilter(request.args)
    anything = [("", _l("全部"))]
    form.campaign.choices = anything + [
        (str(i), t)
        for i, t in db.session.execute(
            select(Campaign.id, Campaign.title).order_by(Campaign.id.desc())
        )
    ]
    form.action.choices = anything + [(a, label("audit_action", a)) for a in AUDIT_ACTIONS]
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
    entries, total = audit.search(_filters(form), page, PER_PAGE)
    entries = audit_words.describe(entries)
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
        usernames=db.session.scalars(select(User.username).order_by(User.username)).all(),
    )


@bp.get("/audit.csv")
@roles_required("admin")
def audit_csv():
    """The filtered audit log as CSV (UTF-8 with BOM); the export itself is audited."""
    form = _filter_form()
    audit.record("audit.export", detail={"filters": _filter_args()})
    stamp = datetime.now(local_zone()).strftime("%Y%m%d-%H%M")
    return send(audit.export(_filters(form), f"audit-{stamp}"), **{"Cache-Control": "no-store"})
