"""Auditor and admin pages for campaigns: create, edit, outlets, auditors, status, QR codes."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select
from wtforms import BooleanField, DateField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from .. import qr
from ..db import db
from ..errors import DomainError
from ..i18n import label, local_date, local_day_start, local_zone, scheme_title
from ..messages import field_key, message, sentence
from ..models import Campaign, Organization, Outlet, SurveyLink, User
from ..scoring.survey import DIMENSIONS
from ..services import campaigns as service
from ..services import exports, portfolio
from ..services.dashboard import history_figure
from ..vocabulary import TRANSITIONS
from .access import (
    campaign_or_abort,
    can_write,
    in_campaign_or_abort,
    roles_required,
    visible_campaigns,
)
from .downloads import send
from .errors import flash_error
from .forms import Form
from .params import id_list, int_param
from .survey import survey_url

bp = Blueprint("campaigns", __name__, url_prefix="/campaigns")


class CampaignForm(Form):
    """The editable fields of a campaign (dates are local days, Asia/Shanghai by default)."""

    title = StringField(_l("项目名称"), validators=[Optional(), Length(max=200)])
    organization_name = StringField(_l("申请组织"), validators=[DataRequired(), Length(max=200)])
    operating_since = DateField(_l("开始经营日期"), validators=[Optional()])
    scheme = SelectField(_l("评价标准"), validators=[DataRequired()])
    evaluation_date = DateField(_l("现场评价日期"), validators=[Optional()])
    opens_on = DateField(_l("问卷开始日期"), validators=[Optional()])
    closes_on = DateField(_l("问卷截止日期（含当天）"), validators=[Optional()])


class NewCampaignForm(CampaignForm):
    """A new campaign also names its outlets and whether collection starts at once."""

    outlets = TextAreaField(
        _l("服务网点（每行一个）"),
        validators=[DataRequired(message=_l("请至少填写一个服务网点。")), Length(max=20000)],
    )
    start_now = BooleanField(_l("创建后立即开始收集问卷"), default=True)


def _day_start(d: date | None) -> datetime | None:
    return local_day_start(d) if d else None


def _day_after(d: date | None) -> datetime | None:
    return local_day_start(d + timedelta(days=1)) if d else None


def _local_date(value: datetime | None, end: bool = False) -> date | None:
    if value is None:
        return None
    local = value.astimezone(local_zone())
    return (local - timedelta(days=1)).date() if end else local.date()


def _scheme_choices() -> list[tuple[str, str]]:
    from ..schemes import list_schemes

    return [(s.id, scheme_title(s.id)) for s in list_schemes()]


#: the service's field → the form field showing it
_FORM_FIELDS = {
    "title": "title",
    "organization.name": "organization_name",
    "organization_name": "organization_name",
    "organization.operating_since": "operating_since",
    "operating_since": "operating_since",
    "scheme": "scheme",
    "evaluation_date": "evaluation_date",
    "opens_at": "opens_on",
    "closes_at": "closes_on",
    "outlets": "outlets",
    "outlets.name": "outlets",
    "outlets.address": "outlets",
}


def _shown_on(form, err: DomainError) -> str | None:
    """Put a refusal next to its form field (marked there); the top of the form gets the rest."""
    name = _FORM_FIELDS.get(field_key(err.field))
    if name is not None and name in form:
        form[name].errors = [*form[name].errors, sentence(err.code, err.params)]
        return None
    return message(err)


#: campaigns per page of the list (each row computes or reads its figures)
CAMPAIGNS_PAGE = 50


@bp.get("/")
@login_required
def index():
    """The campaigns the user may see, newest first, with S, level, n and status."""
    try:
        page = int_param(request.args, "page", 1, 1, 10_000)
    except DomainError as e:
        flash_error(e)
        page = 1
    stmt = visible_campaigns(current_user).offset((page - 1) * CAMPAIGNS_PAGE)
    rows = db.session.scalars(stmt.limit(CAMPAIGNS_PAGE + 1)).all()
    shown = rows[:CAMPAIGNS_PAGE]
    return render_template(
        "campaigns/index.html",
        campaigns=list(zip(shown, portfolio.summaries(shown), strict=True)),
        page=page,
        more=len(rows) > CAMPAIGNS_PAGE,
    )


@bp.get("/organizations/<int:organization_id>")
@login_required
def organization(organization_id: int):
    """Every campaign of one organization the user may see, oldest first: certification and the
    yearly surveillance side by side (S, S当面, S电子, dimensions, level); 404 when none."""
    org = db.session.get(Organization, organization_id)
    if org is None:
        abort(404)
    stmt = visible_campaigns(current_user).where(Campaign.organization_id == org.id)
    campaigns = db.session.scalars(stmt.limit(200)).all()
    if not campaigns:  # nothing of it is the user's to see: as if it did not exist
        abort(404)
    rows = portfolio.history(campaigns)
    return render_template(
        "campaigns/organization.html",
        org=org,
        rows=rows,
        history_json=history_figure(rows, _, local_date),
        dimensions=DIMENSIONS,
    )


@bp.route("/new", methods=["GET", "POST"])
@roles_required("admin", "auditor")
def new():
    """Create a campaign with its outlets; the scheme's questionnaire is frozen into it."""
    form = NewCampaignForm()
    form.scheme.choices = _scheme_choices()
    error = None
    if form.validate_on_submit():
        try:
            campaign = service.create_campaign(
                organization={
                    "name": form.organization_name.data,
                    "operating_since": form.operating_since.data,
                },
                scheme_id=form.scheme.data,
                outlets=[line.strip() for line in form.outlets.data.splitlines() if line.strip()],
                title=form.title.data or None,
                evaluation_date=form.evaluation_date.data,
                opens_at=_day_start(form.opens_on.data),
                closes_at=_day_after(form.closes_on.data),
                status="collecting" if form.start_now.data else "draft",
                created_by=current_user,
            )
        except DomainError as err:
            error = _shown_on(form, err)
        else:
            flash(_("评价项目已创建。"))
            return redirect(url_for(".detail", campaign_id=campaign.id), 303)
    status = 200 if error is None and not form.errors else 422
    return render_template("campaigns/form.html", form=form, error=error, campaign=None), status


@bp.get("/<int:campaign_id>")
@login_required
def detail(campaign_id: int):
    """A campaign: status, outlets with their links and QR codes, batches, counts, auditors."""
    campaign = campaign_or_abort(campaign_id)
    links = service.outlet_links(campaign)
    return render_template(
        "campaigns/detail.html",
        campaign=campaign,
        links=links,
        urls={oid: survey_url(link.token) for oid, link in links.items()},
        counts=service.response_counts(campaign),
        batches=service.batches(campaign),
        outlets_by_id={o.id: o for o in campaign.outlets},
        writable=can_write(current_user, campaign),
        transitions=TRANSITIONS.get(campaign.status, ()),
        auditors=service.assignable_auditors() if current_user.role == "admin" else [],
    )


@bp.route("/<int:campaign_id>/edit", methods=["GET", "POST"])
@roles_required("admin", "auditor")
def edit(campaign_id: int):
    """Edit title, dates and organization (scheme and questionnaire stay frozen)."""
    campaign = campaign_or_abort(campaign_id, write=True)
    form = CampaignForm(
        obj=None,
        data=None
        if request.method == "POST"
        else {
            "title": campaign.title,
            "organization_name": campaign.organization.name,
            "operating_since": campaign.organization.operating_since,
            "scheme": campaign.scheme_id,
            "evaluation_date": campaign.evaluation_date,
            "opens_on": _local_date(campaign.opens_at),
            "closes_on": _local_date(campaign.closes_at, end=True),
        },
    )
    form.scheme.choices = [(campaign.scheme_id, campaign.scheme_id)]
    error = None
    if form.validate_on_submit():
        try:
            service.update_campaign(
                campaign,
                {
                    "title": form.title.data or campaign.title,
                    "organization_name": form.organization_name.data,
                    "operating_since": form.operating_since.data,
                    "evaluation_date": form.evaluation_date.data,
                    "opens_at": _day_start(form.opens_on.data),
                    "closes_at": _day_after(form.closes_on.data),
                },
                by=current_user,
            )
        except DomainError as err:
            error = _shown_on(form, err)
        else:
            flash(_("已保存。"))
            return redirect(url_for(".detail", campaign_id=campaign.id), 303)
    status = 200 if error is None and not form.errors else 422
    return render_template("campaigns/form.html", form=form, error=error, campaign=campaign), status


@bp.post("/<int:campaign_id>/outlets")
@roles_required("admin", "auditor")
def add_outlet(campaign_id: int):
    """Add an outlet (and its reusable survey link)."""
    campaign = campaign_or_abort(campaign_id, write=True)
    try:
        service.add_outlet(
            campaign, request.form.get("name", ""), request.form.get("address"), by=current_user
        )
    except DomainError as err:
        flash_error(err)
    else:
        flash(_("已添加服务网点。"))
    return redirect(url_for(".detail", campaign_id=campaign.id), 303)


@bp.post("/<int:campaign_id>/outlets/<int:outlet_id>/rotate")
@roles_required("admin", "auditor")
def rotate(campaign_id: int, outlet_id: int):
    """Withdraw the outlet's link and issue a new one (old posters stop working)."""
    campaign = campaign_or_abort(campaign_id, write=True)
    try:
        service.rotate_outlet_link(
            in_campaign_or_abort(Outlet, outlet_id, campaign), by=current_user
        )
    except DomainError as err:
        flash_error(err)
    else:
        flash(_("已更换该网点的问卷链接，请重新打印海报。"))
    return redirect(url_for(".detail", campaign_id=campaign.id), 303)


@bp.post("/<int:campaign_id>/outlets/<int:outlet_id>")
@roles_required("admin", "auditor")
def edit_outlet(campaign_id: int, outlet_id: int):
    """Rename an outlet or move its address (audited with old and new values)."""
    campaign = campaign_or_abort(campaign_id, write=True)
    outlet = in_campaign_or_abort(Outlet, outlet_id, campaign)
    try:
        service.update_outlet(
            outlet,
            {"name": request.form.get("name", ""), "address": request.form.get("address")},
            by=current_user,
        )
    except DomainError as err:
        flash_error(err)
    else:
        flash(_("已保存服务网点。"))
    return redirect(url_for(".detail", campaign_id=campaign.id), 303)


@bp.post("/<int:campaign_id>/outlets/<int:outlet_id>/active")
@roles_required("admin", "auditor")
def outlet_active(campaign_id: int, outlet_id: int):
    """Deactivate an outlet (its answers stay, its links stop) or reactivate it."""
    campaign = campaign_or_abort(campaign_id, write=True)
    outlet = in_campaign_or_abort(Outlet, outlet_id, campaign)
    active = request.form.get("active") == "1"
    try:
        service.set_outlet_active(outlet, active, by=current_user)
    except DomainError as err:
        flash_error(err)
    else:
        flash(
            _("已重新启用服务网点，请打印新的海报。")
            if active
            else _("已停用服务网点：其答卷保留，其二维码和链接已失效。")
        )
    return redirect(url_for(".detail", campaign_id=campaign.id), 303)


@bp.post("/<int:campaign_id>/auditors")
@roles_required("admin")
def auditors(campaign_id: int):
    """Assign auditors to the campaign (admins only)."""
    campaign = campaign_or_abort(campaign_id, write=True)
    try:
        ids = id_list(request.form.getlist("auditor"), "auditor")
        users = list(db.session.scalars(select(User).where(User.id.in_(ids)))) if ids else []
        service.set_auditors(campaign, users, by=current_user)
    except DomainError as err:
        flash_error(err)
    else:
        flash(_("已更新审查员。"))
    return redirect(url_for(".detail", campaign_id=campaign.id), 303)


@bp.post("/<int:campaign_id>/status")
@roles_required("admin", "auditor")
def status(campaign_id: int):
    """Move the campaign to its next status."""
    campaign = campaign_or_abort(campaign_id, write=True)
    try:
        service.change_status(campaign, request.form.get("status", ""), by=current_user)
    except DomainError as err:
        flash_error(err)
    else:
        flash(_("状态已更新为：%(status)s", status=label("status", campaign.status)))
    return redirect(url_for(".detail", campaign_id=campaign.id), 303)


def _outlet_url(campaign_id: int, outlet_id: int) -> tuple[Campaign, Outlet, str]:
    campaign = campaign_or_abort(campaign_id)
    outlet = in_campaign_or_abort(Outlet, outlet_id, campaign)
    link = service.outlet_link(outlet)
    if link is None:
        abort(404)
    return campaign, outlet, survey_url(link.token)


def _image(body: bytes, mimetype: str, name: str) -> Response:
    resp = Response(body, mimetype=mimetype)
    resp.headers["Content-Disposition"] = f'inline; filename="{name}"'
    resp.headers["Cache-Control"] = "private, max-age=300"
    return resp


@bp.get("/<int:campaign_id>/outlets/<int:outlet_id>/qr.png")
@login_required
def qr_png(campaign_id: int, outlet_id: int):
    """The outlet's survey link as a PNG QR code."""
    _c, outlet, url = _outlet_url(campaign_id, outlet_id)
    size = min(max(request.args.get("box", 10, type=int), 2), 40)
    return _image(qr.png_bytes(url, size), "image/png", f"outlet-{outlet.id}.png")


@bp.get("/<int:campaign_id>/outlets/<int:outlet_id>/qr.svg")
@login_required
def qr_svg(campaign_id: int, outlet_id: int):
    """The outlet's survey link as an SVG QR code."""
    _c, outlet, url = _outlet_url(campaign_id, outlet_id)
    return _image(qr.svg_bytes(url), "image/svg+xml", f"outlet-{outlet.id}.svg")


@bp.get("/<int:campaign_id>/outlets/<int:outlet_id>/poster")
@login_required
def poster(campaign_id: int, outlet_id: int):
    """A printable A4 poster: organization, outlet, invitation and a 12 cm code."""
    campaign, outlet, url = _outlet_url(campaign_id, outlet_id)
    return render_template(
        "campaigns/poster.html",
        campaign=campaign,
        outlet=outlet,
        url=url,
        qr_src=qr.data_uri(url, "svg"),
    )


@bp.post("/<int:campaign_id>/outlets/<int:outlet_id>/tokens")
@roles_required("admin", "auditor")
def issue_tokens(campaign_id: int, outlet_id: int):
    """Issue a batch of single-use links (N, or one per line of labels such as order numbers)."""
    campaign = campaign_or_abort(campaign_id, write=True)
    outlet = in_campaign_or_abort(Outlet, outlet_id, campaign)
    labels = [x for x in request.form.get("labels", "").splitlines() if x.strip()]
    try:
        batch, _links = service.issue_single_use(
            outlet, request.form.get("count", 0, type=int) or 0, labels, by=current_user
        )
    except DomainError as err:
        flash_error(err)
        return redirect(url_for(".detail", campaign_id=campaign.id), 303)
    flash(_("已生成一批一次性问卷链接。"))
    return redirect(url_for(".batch_sheet", campaign_id=campaign.id, batch=batch), 303)


def _batch(campaign_id: int, batch: str) -> tuple[Campaign, list[SurveyLink]]:
    # single-use links are answerable by whoever holds them: only those who run the campaign
    campaign = campaign_or_abort(campaign_id, write=True)
    links = service.batch_links(campaign, batch)
    if not links:
        abort(404)
    return campaign, links


@bp.get("/<int:campaign_id>/batches/<batch>")
@login_required
def batch_sheet(campaign_id: int, batch: str):
    """A printable sheet of a batch's single-use codes, to cut and hand out."""
    campaign, links = _batch(campaign_id, batch)
    cards = [
        {
            "link": link,
            "url": survey_url(link.token),
            "qr": qr.data_uri(survey_url(link.token), "svg"),
        }
        for link in links
    ]
    return render_template(
        "campaigns/sheet.html", campaign=campaign, batch=batch, cards=cards, outlet=links[0].outlet
    )


@bp.get("/<int:campaign_id>/batches/<batch>.csv")
@login_required
def batch_csv(campaign_id: int, batch: str):
    """The batch's survey URLs as CSV (UTF-8 with BOM, so spreadsheet programs read Chinese)."""
    _campaign_row, links = _batch(campaign_id, batch)
    header = ["batch", "outlet_id", "outlet", "label", "url", "used_at", "revoked_at"]
    rows = [
        [
            link.batch,
            link.outlet_id,
            link.outlet.name,
            link.label,
            survey_url(link.token),
            link.used_at,
            link.revoked_at,
        ]
        for link in links
    ]
    download = exports.rows_download("links", header, rows, f"survey-links-{batch}")
    return send(download, **{"Cache-Control": "no-store"})


@bp.post("/<int:campaign_id>/links/<int:link_id>/revoke")
@roles_required("admin", "auditor")
def revoke(campaign_id: int, link_id: int):
    """Withdraw one single-use link (e.g. a lost slip)."""
    campaign = campaign_or_abort(campaign_id, write=True)
    link = in_campaign_or_abort(SurveyLink, link_id, campaign)
    service.revoke_link(link, by=current_user)
    flash(_("链接已停用。"))
    if link.batch:
        return redirect(url_for(".batch_sheet", campaign_id=campaign.id, batch=link.batch), 303)
    return redirect(url_for(".detail", campaign_id=campaign.id), 303)
