"""Sign-in and sign-out for auditors, admins and viewers (customers never sign in)."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required, login_user, logout_user

from ..extensions import limiter
from ..services import accounts
from .forms import LoginForm

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    """Only same-site relative paths are followed after sign-in (no open redirect)."""
    if target and target.startswith("/") and not target.startswith("//"):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target
    return url_for("main.index")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("20 per minute", methods=["POST"])
def login():
    """Sign in with username and password; repeated failures lock the account for a while."""
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        result = accounts.authenticate(
            form.username.data,
            form.password.data,
            get_remote_address(),
            accounts.Throttle.from_config(current_app.config),
        )
        if result.user is not None:
            login_user(result.user)
            if result.user.must_change_password:
                return redirect(url_for("account.password"))
            return redirect(_safe_next(request.args.get("next")))
        if result.code == "throttled":
            error = _("登录失败次数过多，请 %(n)s 秒后再试。", n=result.retry_after)
        elif result.code == "locked":
            error = _("此账户因多个地址登录失败已被锁定。请从您常用的地址登录，或请管理员解锁。")
        else:
            error = _("用户名或密码错误。")
    status = 200 if error is None and not form.errors else 400 if error is None else 401
    headers = {}
    if error is not None and result.retry_after:
        status, headers = 429, {"Retry-After": str(result.retry_after)}
    return render_template("auth/login.html", form=form, error=error), status, headers


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    """Sign out (POST with CSRF, so a link elsewhere cannot sign a user out)."""
    if current_user.is_authenticated:
        accounts.sign_out(current_user)
    logout_user()
    flash(_("已退出登录。"))
    return redirect(url_for("auth.login"))
