"""The signed-in user's own account: change the password (required after an admin's reset),
and their API tokens — issue one (shown once), see its last use, revoke it."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user
from sqlalchemy import select
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Optional

from ..db import db
from ..errors import DomainError
from ..messages import message
from ..models import ApiToken
from ..services import accounts
from .errors import flash_error
from .forms import Form

bp = Blueprint("account", __name__, url_prefix="/account")

#: what a user who must change their password may still reach
OPEN_WHILE_CHANGING = {"account.index", "account.password", "auth.logout", "static"}


class PasswordForm(Form):
    current = PasswordField(_l("当前密码"), validators=[DataRequired(), Length(max=200)])
    new = PasswordField(
        _l("新密码"), validators=[DataRequired(), Length(min=accounts.MIN_PASSWORD, max=200)]
    )
    repeat = PasswordField(
        _l("再次输入新密码"),
        validators=[DataRequired(), EqualTo("new", message=_l("两次输入的新密码不一致。"))],
    )


class TokenForm(Form):
    label = StringField(_l("说明（例如：数据对接脚本）"), validators=[Optional(), Length(max=120)])


def require_new_password():
    """before_request: after an admin's reset, every page leads to choosing a new password."""
    if (
        not request.path.startswith("/api/")
        and current_user.is_authenticated
        and current_user.must_change_password
        and request.endpoint not in OPEN_WHILE_CHANGING
    ):
        return redirect(url_for("account.password"))
    return None


def _page(form: PasswordForm | None = None, token_form: TokenForm | None = None, **extra):
    tokens = db.session.scalars(
        select(ApiToken).where(ApiToken.user_id == current_user.id).order_by(ApiToken.id.desc())
    ).all()
    return render_template(
        "account/index.html",
        form=form or PasswordForm(formdata=None),
        token_form=token_form or TokenForm(formdata=None),
        tokens=tokens,
        **extra,
    )


@bp.get("/")
@login_required
def index():
    """The user's account page."""
    return _page()


@bp.route("/password", methods=["GET", "POST"])
@login_required
def password():
    """Change one's own password; other sessions and tokens end, this browser stays signed in."""
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            accounts.change_password(current_user, form.current.data, form.new.data)
        except DomainError as err:
            field = getattr(form, err.field or "", None) or form.new
            field.errors = [*field.errors, message(err)]
        else:
            login_user(
                current_user._get_current_object()
            )  # a session of the new epoch for this browser only
            flash(_("密码已修改。其他设备上的登录和所有 API 令牌已失效。"))
            return redirect(url_for("main.index"), 303)
    status = 200 if not form.errors else 422
    return _page(form, forced=current_user.must_change_password), status


@bp.post("/tokens")
@login_required
def issue_token():
    """A new API token, shown on this response only."""
    form = TokenForm()
    if not form.validate_on_submit():
        return _page(token_form=form), 422
    token = accounts.issue_token(current_user, form.label.data or None)
    return _page(new_token=token), 201, {"Cache-Control": "no-store"}


@bp.post("/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id: int):
    try:
        accounts.revoke_token(token_id, by=current_user)
    except DomainError as err:
        flash_error(err)
    else:
        flash(_("令牌已撤销。"))
    return redirect(url_for(".index"), 303)
