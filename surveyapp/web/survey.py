"""The customer's survey page /s/<token>: no sign-in, works without JavaScript.

One scrolling page, grouped by dimension: 21 short questions fit on one page a customer can
review before sending, the form POST needs no script, and a single request suits a slow
network better than one round trip per screen. With JavaScript (static/js/survey.js) the page
shows progress, keeps answers in localStorage and retries a failed submit with the same
client_id through the JSON endpoint.
"""

from __future__ import annotations

import functools
import hashlib
import json
import uuid
from collections.abc import Mapping

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from werkzeug.datastructures import MultiDict

from ..errors import DomainError
from ..extensions import limiter
from ..messages import field_messages, message, sentence
from ..question_kinds import ABSENT, kind_of
from ..questionnaire import Questionnaire
from ..services import privacy, responses
from ..services.responses import Submission
from .errors import status_of

bp = Blueprint("survey", __name__)

#: defaults of the abuse limits; each can be overridden as FLASK_SURVEY_RATE_*
RATE_DEFAULTS = {
    # one outlet poster link is shared by every customer of a busy outlet
    "SURVEY_RATE_PER_LINK": "120 per minute",
    # one browser (client_id) retrying: generous for retries, tight for scripts
    "SURVEY_RATE_PER_CLIENT": "12 per minute",
    # a mall or outlet Wi-Fi puts hundreds of phones behind one address: a ceiling, not a gate
    "SURVEY_RATE_PER_ADDRESS": "300 per minute",
    "SURVEY_RATE_PAGE_PER_ADDRESS": "600 per minute",
}


def _rate(name: str):
    return lambda: current_app.config.get(name) or RATE_DEFAULTS[name]


def link_key(token: object) -> str:
    """The per-link limit's key of a survey link's token."""
    return "link:" + str(token)[:64]


def _token_key() -> str:
    return link_key((request.view_args or {}).get("token", ""))


def _client_key() -> str:
    # by the body's type: a JSON submission is not also parsed as a form (werkzeug would read
    # and buffer its stream for a form it does not hold)
    if request.is_json:
        return client_key(request.get_data(), get_remote_address())
    return _key_of(request.form.get("client_id"), get_remote_address())


def client_key(raw: bytes, address: str) -> str:
    """The per-client limit's key of a JSON body (the Flask view's and web/submit_path.py's):
    its client_id, or the address when it names none (or is not JSON)."""
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError):
        body = None
    return _key_of(body.get("client_id") if isinstance(body, dict) else None, address)


def _key_of(cid: object, address: str) -> str:
    if not isinstance(cid, str) or not cid:
        return "addr:" + address
    return "client:" + cid[:64]


#: the rate limits of a survey submission, (config key, shared scope, whose count), in the
#: order Flask-Limiter evaluates them (its decorators applied in this order, innermost first):
#: a per-address ceiling, per client id, per link; web/submit_path.py hits the same
SUBMIT_LIMITS = (
    ("SURVEY_RATE_PER_ADDRESS", "survey-address", "address"),
    ("SURVEY_RATE_PER_CLIENT", "survey-client", "client"),
    ("SURVEY_RATE_PER_LINK", "survey-link", "link"),
)
_KEY_FUNCS = {"address": get_remote_address, "client": _client_key, "link": _token_key}


def submit_limits(view):
    """Rate limits of a survey submission (SUBMIT_LIMITS), shared by the form and the API."""
    for name, scope, whose in SUBMIT_LIMITS:
        view = limiter.shared_limit(
            _rate(name), scope=scope, key_func=_KEY_FUNCS[whose], methods=["POST"]
        )(view)
    return view


# ── shared by the survey page, the interview pages and the JSON API ─────────────────────


def lang() -> str:
    """The current language code: zh or en."""
    return "en" if str(get_locale()) == "en" else "zh"


def controller() -> str:
    """Who keeps the customers' personal information (PIPL), as the pages name it."""
    return current_app.config.get("DATA_CONTROLLER") or _("组织本次评价的认证机构")


def survey_url(token: str) -> str:
    """The absolute URL of a survey link (PUBLIC_BASE_URL when set, else this host)."""
    base = current_app.config.get("PUBLIC_BASE_URL")
    if base:
        return base.rstrip("/") + url_for("survey.page", token=token)
    return url_for("survey.page", token=token, _external=True)


def error_text(err: DomainError) -> str:
    """The user-facing message of a refused submission (the first field's, when there is one)."""
    if err.field and err.field in err.fields:
        return sentence(err.fields[err.field].code, err.fields[err.field].params)
    return message(err)


def answers_from_form(questionnaire: Questionnaire, form) -> dict[str, object]:
    """Form fields q_<id> → answers, each as its kind reads its field ('na' = None, 不适用;
    left empty = not answered)."""
    answers: dict[str, object] = {}
    for q in questionnaire.questions:
        raw = kind_of(q).from_form(q, form)
        if raw is not ABSENT:
            answers[q.id] = raw
    return answers


def condition_hints(questionnaire: Questionnaire) -> dict[str, str]:
    """Question id → when to answer it, in words (its display condition; shown without
    JavaScript, where every question is on the page): "第 3 题的回答不高于 2 时回答本题"."""
    numbers = {q.id: n for n, q in enumerate(questionnaire.questions, start=1)}
    by_id = questionnaire.by_id
    out = {}
    for qid, c in questionnaire.conditions.items():
        target = by_id[c.question]
        words = kind_of(target).words(target, questionnaire.labels, lang())
        value = words.get(c.number, str(c.number)) if target.choices else str(c.number)
        n = numbers[c.question]
        if c.op == "has":
            out[qid] = _("第 %(n)s 题选了“%(v)s”时回答本题", n=n, v=value)
        elif c.op == "=":
            out[qid] = _("第 %(n)s 题的回答为“%(v)s”时回答本题", n=n, v=value)
        elif c.op == "!=":
            out[qid] = _("第 %(n)s 题的回答不是“%(v)s”时回答本题", n=n, v=value)
        elif c.op in ("<=", "<"):
            v = c.number if c.op == "<=" else c.number - 1
            out[qid] = _("第 %(n)s 题的回答为 %(v)s 或更低时回答本题", n=n, v=v)
        else:
            v = c.number if c.op == ">=" else c.number + 1
            out[qid] = _("第 %(n)s 题的回答为 %(v)s 或更高时回答本题", n=n, v=v)
    return out


def sections(questionnaire: Questionnaire) -> list[dict]:
    """Questions grouped in runs of the same dimension, with their running number."""
    out: list[dict] = []
    for number, q in enumerate(questionnaire.questions, start=1):
        key = q.dimension or "_overall"
        if not out or out[-1]["key"] != key:
            names = questionnaire.dimensions.get(q.dimension) if q.dimension else None
            title = names[lang()] if names else _("总体评价")
            out.append({"key": key, "title": title, "questions": []})
        out[-1]["questions"].append((number, q))
    return out


def questionnaire_context(
    campaign,
    questionnaire: Questionnaire,
    values: Mapping | None = None,
    errors: Mapping | None = None,
    confirm_few: str | None = None,
) -> dict:
    """What templates/survey/_questions.html needs (and the few-answers question, if asked)."""
    return {
        "q": questionnaire,
        "sections": sections(questionnaire),
        "lang": lang(),
        # a MultiDict: a multiple choice question's field holds several values
        "values": values if hasattr(values, "getlist") else MultiDict(values or {}),
        "kind_of": kind_of,
        "conditions": {k: str(v) for k, v in questionnaire.conditions.items()},
        "hints": condition_hints(questionnaire),
        "errors": errors or {},
        "required_count": sum(1 for x in questionnaire.questions if x.required),
        "need": responses.coverage(campaign, {}).needed,
        "confirm_few": confirm_few,
        "controller": controller(),
        "retention_days": int(current_app.config.get("PERSONAL_DATA_RETENTION_DAYS", 365)),
    }


def few_answers_question(campaign, sub: Submission) -> str | None:
    """Before storing a response that will not count, ask once (None: store it).

    A customer who honestly marks most questions 不适用 is never refused (DOMAIN.md); the page
    says the response will not count and stores it when they confirm (confirm_few=1).
    """
    if request.form.get("confirm_few") == "1":
        return None
    cov = responses.coverage(campaign, sub.answers)
    if cov.enough:
        return None
    return _(
        "您只回答了 %(n)s 道评价题（共 %(total)s 道），这份问卷将不计入满意度得分。确定提交吗？",
        n=cov.answered,
        total=cov.scored,
    )


def submission_from_form(questionnaire: Questionnaire, started_at=None) -> Submission:
    """A Submission from the posted form and the request's address and user agent."""
    return Submission(
        answers=answers_from_form(questionnaire, request.form),
        comment=None,
        client_id=request.form.get("client_id") or None,
        contact=request.form.get("contact") or None,
        contact_consent=request.form.get("contact_consent") in ("1", "on", "y", "true"),
        contact_share=request.form.get("contact_share") in ("1", "on", "y", "true"),
        started_at=started_at,
        address=request.remote_addr,
        user_agent=request.headers.get("User-Agent", "")[:400],
    )


def unavailable(err: DomainError):
    """A clear page for a bad, closed, revoked or used link (never a trace)."""
    return render_template(
        "survey/unavailable.html", code=err.code, message=error_text(err)
    ), status_of(err.code)


@bp.context_processor
def _language() -> dict:
    return {"lang": lang()}


# ── the pages ────────────────────────────────────────────────────────────────────────────


#: how long a phone remembers that it answered a link (a customer going Back and sending again
#: within it is the same customer: the same client_id, counted once)
REMEMBER_SUBMITTED = 24 * 3600


@functools.lru_cache(maxsize=4096)  # the outlet codes a campaign prints are few and busy
def submitted_cookie(token: str) -> str:
    """The name of the cookie remembering this phone's response to this link."""
    return "sv_" + hashlib.sha256(token.encode()).hexdigest()[:16]


def remember_submitted(resp, token: str, client_id: str | None):
    """Let this phone's next visit to the link reuse the client_id it answered with."""
    if client_id:
        resp.set_cookie(
            submitted_cookie(token),
            client_id[:64],
            max_age=REMEMBER_SUBMITTED,
            path=f"/s/{token}"[:200],
            httponly=True,
            samesite="Lax",
            secure=current_app.config.get("SESSION_COOKIE_SECURE", False),
        )
    return resp


def _answered_before(link, token: str) -> str | None:
    """The client_id this phone already answered the link with, if that response is stored."""
    cid = request.cookies.get(submitted_cookie(token))
    if not cid or request.args.get("another") == "1":
        return None
    return cid if responses.existing_response(link.campaign_id, cid) is not None else None


@bp.route("/s/<token>", methods=["GET", "POST"])
@limiter.limit(_rate("SURVEY_RATE_PAGE_PER_ADDRESS"), methods=["GET"])
@submit_limits
def page(token: str):
    """Show the questionnaire of a survey link; on POST, store the response and thank."""
    try:
        link = responses.open_link(token)
    except DomainError as err:
        link = responses.find_link(token) if err.code in ("link_used", "campaign_closed") else None
        if link is not None:
            # a double-tapped submit whose first request went through, or Back to a used code
            # on the phone that used it, lands on thanks (with its receipt)
            cid = request.form.get("client_id") or _answered_before(link, token)
            if cid and responses.existing_response(link.campaign_id, cid):
                return redirect(url_for(".thanks", token=token), 303)
        if request.method != "POST" or link is None or err.code != "link_used":
            return unavailable(err)
        # another phone answered this code first while this one was answering: this answer is
        # kept too (flagged), and the thank-you page says the code had been used
    questionnaire = responses.questionnaire_for(link.campaign)
    errors: dict[str, str] = {}
    values: dict = {}
    status = 200
    scope = responses.link_scope(link)
    started = responses.start_stamp(scope)
    answered = _answered_before(link, token) if request.method == "GET" else None
    client_id = answered or uuid.uuid4().hex
    ask = None
    if request.method == "POST":
        sub = submission_from_form(
            questionnaire, responses.read_start_stamp(request.form.get("started"), scope)
        )
        ask = few_answers_question(link.campaign, sub)
        if ask is None:
            try:
                stored = responses.submit_online(token, sub)
                thanks_url = url_for(".thanks", token=token, reused=1 if stored.reused else None)
                return remember_submitted(redirect(thanks_url, 303), token, sub.client_id)
            except DomainError as err:
                if status_of(err.code) != 422:
                    return unavailable(err)
                errors = field_messages(err) or {"answers": error_text(err)}
                status = 422
        # asked or refused: nothing stored; the page shows the answers as they were sent
        values = request.form.copy()
        started = request.form.get("started") or started
        client_id = sub.client_id or client_id
    return render_template(
        "survey/page.html",
        link=link,
        campaign=link.campaign,
        outlet=link.outlet,
        token=token,
        started=started,
        client_id=client_id,
        answered=answered,
        # one part of the questionnaire per screen (with JavaScript), unless asked for all
        paged=request.args.get("view") != "all",
        **questionnaire_context(link.campaign, questionnaire, values, errors, ask),
    ), status


@bp.get("/s/<token>/thanks")
def thanks(token: str):
    """The thank-you page after a stored response."""
    link = responses.find_link(token)
    if link is None:
        return unavailable(DomainError("bad_token"))
    # the receipt of this phone's response, from the cookie the submission set (never the URL:
    # a code in a link would reach access logs and browser history)
    cid = request.cookies.get(submitted_cookie(token))
    stored = cid and responses.existing_response(link.campaign_id, cid) is not None
    return render_template(
        "survey/thanks.html",
        campaign=link.campaign,
        outlet=link.outlet,
        token=token,
        reused=request.args.get("reused") == "1",
        receipt=privacy.receipt_code(link.campaign_id, cid) if stored else None,
    ), {"Cache-Control": "no-store"}
