"""User administration (admins): list, create, role, deactivate, reset a password, unlock,
tokens, and what each auditor or viewer may read. Users are never deleted, so ids are never
reused; every change is audited by the service."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from ..db import db
from ..errors import DomainError
from ..i18n import label
from ..messages import message
from ..models import ROLES, ApiToken, Campaign, User
from ..services import accounts
from ..services.bounds import ID_MAX
from .access import roles_required
from .errors import flash_error
from .forms import Form
from .params import int_param

bp = Blueprint("users", __name__, url_prefix="/admin/users")


def _role_choices():
    return [(r, label("role", r)) for r in ROLES]


class NewUserForm(Form):
    username = StringField(_l("用户名"), validators=[DataRequired(), Length(max=64)])
    display_name = StringField(_l("姓名"), validators=[Optional(), Length(max=120)])
    role = SelectField(_l("角色"), choices=[])


def _user_or_404(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


@bp.get("/")
@roles_required("admin")
def index():
    """Every user: role, status, what they may read, last sign-in."""
    rows = accounts.users()
    return render_template(
        "admin/users.html",
        users=rows,
        last=accounts.last_sign_ins(),
        grants=accounts.grant_counts(),
        locked={u.id for u in rows if accounts.is_locked(u)},
    )


@bp.route("/new", methods=["GET", "POST"])
@roles_required("admin")
def new():
    """Create a user with a temporary password shown once; they choose their own at sign-in."""
    form = NewUserForm()
    form.role.choices = _role_choices()
    error = None
    if form.validate_on_submit():
        try:
            user, password, _token = accounts.create_user(
                form.username.data,
                form.role.data,
                display_name=form.display_name.data or None,
                must_change_password=True,
                with_token=False,
                by=current_user,
            )
        except DomainError as err:
            field = getattr(form, err.field or "", None)
            if field is not None and hasattr(field, "errors"):
                field.errors = [*field.errors, message(err)]
            else:
                error = message(err)
        else:
            # rendered, not redirected: the password must not travel in a flash cookie
            page, headers = _detail(user, temporary=password)
            return page, 201, headers
    status = 200 if error is None and not form.errors else 422
    return render_template("admin/user_new.html", form=form, error=error), status


def _detail(user: User, temporary: str | None = None):
    granted = accounts.granted_campaigns(user) if user.role != "admin" else []
    ids = {c.id for c in granted}
    others = [
        c
        for c in db.session.scalars(select(Campaign).order_by(Campaign.id.desc()))
        if c.id not in ids
    ]
    tokens = db.session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc())
    ).all()
    page = render_template(
        "admin/user.html",
        user=user,
        temporary=temporary,
        granted=granted,
        others=others,
        tokens=tokens,
        roles=_role_choices(),
        locked=accounts.is_locked(user),
    )
    # a temporary password is shown on this response only: nothing may keep a copy
    return page, {"Cache-Control": "no-store"} if temporary else {}


@bp.get("/<int:user_id>")
@roles_required("admin")
def detail(user_id: int):
    """One user: role, status, tokens with their last use, and grants."""
    return _detail(_user_or_404(user_id))


def _act(user_id: int, action, done: str):
    """Run one admin action on a user: its sentence, or the refusal's (nothing changed)."""
    user = _user_or_404(user_id)
    try:
        action(user)
    except DomainError as err:
        flash_error(err)
    else:
        flash(done)
    return redirect(url_for(".detail", user_id=user.id), 303)


def _every() -> bool:
    """The form names every campaign (a viewer's grant), not one."""
    return request.form.get("every") == "1"


def _campaign_id() -> int | None:
    if _every():
        return None
    return int_param(request.form, "campaign", 0, 1, ID_MAX, code="no_such_id")


@bp.post("/<int:user_id>/role")
@roles_required("admin")
def role(user_id: int):
    role = request.form.get("role", "")
    return _act(
        user_id, lambda u: accounts.change_role(u, role, by=current_user), _("角色已更改。")
    )


@bp.post("/<int:user_id>/deactivate")
@roles_required("admin")
def deactivate(user_id: int):
    return _act(
        user_id,
        lambda u: accounts.deactivate_user(u, by=current_user),
        _("已停用：此用户不能再登录，其会话和令牌已全部失效。"),
    )


@bp.post("/<int:user_id>/activate")
@roles_required("admin")
def activate(user_id: int):
    return _act(user_id, lambda u: accounts.activate_user(u, by=current_user), _("已重新启用。"))


@bp.post("/<int:user_id>/unlock")
@roles_required("admin")
def unlock(user_id: int):
    return _act(user_id, lambda u: accounts.unlock(u, by=current_user), _("已解锁。"))


@bp.post("/<int:user_id>/reset-password")
@roles_required("admin")
def reset_password(user_id: int):
    """A temporary password, shown on this response only (never in a flash cookie)."""
    user = _user_or_404(user_id)
    try:
        temporary = accounts.reset_password(user, by=current_user)
    except DomainError as err:
        flash_error(err)
        return redirect(url_for(".detail", user_id=user.id), 303)
    return _detail(user, temporary=temporary)


@bp.post("/<int:user_id>/tokens/<int:token_id>/revoke")
@roles_required("admin")
def revoke_token(user_id: int, token_id: int):
    """Revoke one of this user's tokens (another user's token is unknown here: 404)."""
    user = _user_or_404(user_id)
    accounts.revoke_token(token_id, by=current_user, owner=user)
    flash(_("令牌已撤销。"))
    return redirect(url_for(".detail", user_id=user.id), 303)


@bp.post("/<int:user_id>/grants")
@roles_required("admin")
def grant(user_id: int):
    """Grant a campaign (assign an auditor), or every campaign to a viewer."""
    return _act(
        user_id,
        lambda u: accounts.grant(u, _campaign_id(), every=_every(), by=current_user),
        _("已授权。"),
    )


@bp.post("/<int:user_id>/grants/revoke")
@roles_required("admin")
def revoke_grant(user_id: int):
    return _act(
        user_id,
        lambda u: accounts.revoke_grant(u, _campaign_id(), by=current_user),
        _("已收回授权。"),
    )
