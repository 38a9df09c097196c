"""Web layer: blueprints, sign-in wiring, security headers and error pages."""

from __future__ import annotations

from flask import (
    Flask,
    current_app,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.json.provider import DefaultJSONProvider
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, SecurityError
from werkzeug.routing import IntegerConverter

from ..db import db
from ..errors import DomainError
from ..extensions import login_manager
from ..i18n import label, local_date, local_time, scheme_text, scheme_title
from ..messages import message
from ..models import User
from ..scoring.numbers import shown
from ..services import actor
from ..services.campaigns import default_title
from .csp import CSP
from .errors import api_response, kept_headers, status_of, wants_json

#: every response's security headers, unless the view set its own (a framed preview does)
_SECURITY = (
    ("Content-Security-Policy", CSP),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
    ("X-Frame-Options", "DENY"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
)


def _security_headers(resp):
    headers = resp.headers
    present = {key.lower() for key, _value in headers.items()}  # one pass, not one per header
    for key, value in _SECURITY:
        if key.lower() not in present:
            headers.add(key, value)
    # pages and error messages follow the browser's language
    if "vary" in present:
        resp.vary.add("Accept-Language")
    else:
        headers.add("Vary", "Accept-Language")
    return resp


class SafeJSONProvider(DefaultJSONProvider):
    """JSON whose parse errors are all ValueErrors: absurdly deep nesting is bad input, not a 500."""

    def loads(self, s, **kwargs):
        try:
            return super().loads(s, **kwargs)
        except RecursionError:
            raise ValueError("JSON nested too deeply") from None


class BoundedIntConverter(IntegerConverter):
    """<int:…> ids within a signed 64-bit column: larger ones are a 404, not a driver overflow."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", 2**63 - 1)
        super().__init__(map, *args, **kwargs)


def campaign_subtitle(campaign) -> list[str]:
    """What a page names beside a campaign's title: its organization and its scheme, unless
    the title is the default one, which names both in Chinese (then, on an English page, the
    scheme in English only)."""
    organization = campaign.organization.name
    zh, shown = scheme_title(campaign.scheme_id, zh=True), scheme_title(campaign.scheme_id)
    if campaign.title == default_title(organization, zh):
        return [] if shown == zh else [shown]
    return [organization, shown]


def _signed_in_cookie() -> bool:
    """Whether the caller may be signed in: a remember-me cookie, or a session naming a user.
    Without either, the caller is anonymous, known without loading a user: a customer's
    submission never loads one, also with the survey page's session holding only its CSRF
    token (loading it, Flask-Login's session protection rewrote that session's cookie for
    nothing; web/submit_path.py answers such a submission the same way)."""
    cookies, config = request.cookies, current_app.config
    if config.get("REMEMBER_COOKIE_NAME", "remember_token") in cookies:
        return True
    return config["SESSION_COOKIE_NAME"] in cookies and "_user_id" in session


def _begin_actor() -> None:
    """Tell the services who acts in this request (they never read request or current_user)."""
    user = current_user if _signed_in_cookie() and current_user.is_authenticated else None
    who = actor.Actor(
        user.id if user else None, user.username if user else None, request.remote_addr
    )
    g.actor_token = actor.begin(who)


def _end_actor(_exc: BaseException | None) -> None:
    token = g.pop("actor_token", None)
    if token is not None:
        actor.end(token)


def _error(status: int, code: str, message: str, e: HTTPException | None = None):
    """An error page or JSON error, keeping the exception's headers (Allow, Retry-After)."""
    headers = kept_headers(e)
    if wants_json():
        return jsonify({"error": {"code": code, "message": message}}), status, headers
    return render_template("error.html", status=status, message=message), status, headers


def init_app(app: Flask) -> None:
    """Register blueprints, the user loader, headers and error handlers."""
    from .sessions import SessionInterface

    app.session_interface = SessionInterface()
    from . import access, account, admin, api, auth, main, result_words, users

    app.json = SafeJSONProvider(app)
    app.url_map.converters["int"] = BoundedIntConverter
    login_manager.login_view = "auth.login"

    @login_manager.unauthorized_handler
    def unauthorized():
        """Pages go to the sign-in page; a script of a page (JSON) is told 401, so it keeps
        what it was sending (a redirect it follows would end in a 200 sign-in page)."""
        if wants_json():
            return _error(401, "unauthorized", _("请先登录。"))
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))

    login_manager.login_message = None

    @login_manager.user_loader
    def load_user(session_id: str):
        """The user a session names, while active and the session's epoch is current."""
        uid, _, epoch = session_id.partition(".")
        if not (uid.isdigit() and epoch.isdigit()) or len(uid) > 19:
            return None
        user = db.session.get(User, int(uid))
        if user is None or not user.active or int(epoch) != (user.session_epoch or 0):
            return None
        return user

    app.jinja_env.globals["get_locale"] = get_locale
    app.jinja_env.globals["label"] = label
    app.jinja_env.globals["may_change"] = lambda campaign: access.can_write(current_user, campaign)
    app.jinja_env.globals["may_call_back"] = lambda c: access.may_call_back(current_user, c)
    # an evaluation result in the reader's words: its conditions, the level not reached, how
    # the score was reached, the scores' warnings
    app.jinja_env.globals.update(
        criteria_rows=result_words.criteria_rows,
        not_reached=result_words.not_reached,
        explanation=result_words.explanation,
        warning_words=result_words.warning,
    )
    app.jinja_env.filters["source"] = result_words.source
    app.jinja_env.filters["fixed"] = shown
    app.jinja_env.filters["local_time"] = local_time
    # what a reader sees of a scheme: its title (CQM 商品售后服务认证评价规范), not its id, and
    # its part, group and item titles (基本要求), each in the reader's language
    app.jinja_env.filters.update(scheme_title=scheme_title, scheme_text=scheme_text)
    app.jinja_env.globals["campaign_subtitle"] = campaign_subtitle
    app.jinja_env.filters["local_date"] = local_date
    app.register_blueprint(auth.bp)
    app.register_blueprint(main.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(users.bp)
    app.register_blueprint(account.bp)
    from . import campaigns, interview, privacy, questionnaire_editor, survey

    app.register_blueprint(campaigns.bp)
    app.register_blueprint(questionnaire_editor.bp)
    app.register_blueprint(survey.bp)
    app.register_blueprint(privacy.bp)
    app.register_blueprint(interview.bp)
    from . import dashboard, evaluation  # issue 5: dashboard, review, exports, evaluation

    app.register_blueprint(dashboard.bp)
    app.register_blueprint(evaluation.bp)
    api.init_app(app)
    app.after_request(_security_headers)
    app.before_request(_begin_actor)
    app.before_request(account.require_new_password)
    app.teardown_request(_end_actor)
    _register_error_handlers(app)


def _register_error_handlers(app: Flask) -> None:
    """Every refusal answered once: JSON for the API and JSON clients, a page otherwise."""

    @app.errorhandler(DomainError)
    def domain_error(e: DomainError):
        db.session.rollback()
        if wants_json():
            return api_response(e)
        return render_template(
            "error.html", status=status_of(e.code), message=message(e)
        ), status_of(e.code)

    @app.errorhandler(SecurityError)
    def untrusted_host(e):
        # no URL can be built for an untrusted Host: a bare answer, no template, no link
        body = {"error": {"code": "untrusted_host", "message": _("请求的主机名不受信任。")}}
        return body, 400

    @app.errorhandler(CSRFError)
    def csrf_error(e):
        return _error(400, "csrf", _("表单已过期或缺少安全令牌，请刷新页面后重试。"))

    @app.errorhandler(400)
    def bad_request(e):
        return _error(400, "bad_request", getattr(e, "description", None) or _("请求无效。"))

    @app.errorhandler(403)
    def forbidden(e):
        return _error(403, "forbidden", _("您没有权限执行此操作。"))

    @app.errorhandler(404)
    def not_found(e):
        return _error(404, "not_found", _("页面不存在。"))

    @app.errorhandler(405)
    def method_not_allowed(e):
        return _error(405, "method_not_allowed", _("不支持此请求方法。"), e)

    @app.errorhandler(413)
    def too_large(e):
        return _error(413, "too_large", _("提交的内容过大。"))

    @app.errorhandler(429)
    def too_many(e):
        return _error(429, "rate_limited", _("请求过于频繁，请稍后再试。"), e)

    @app.errorhandler(500)
    def server_error(e):
        db.session.rollback()
        return _error(500, "server_error", _("服务器内部错误，已记录。请稍后再试。"))
