"""Dashboard, review of flagged responses, exports, and the plotly bundle served by the app."""

from __future__ import annotations

import functools
import gzip
from pathlib import Path

import plotly
from flask import (
    Blueprint,
    Response,
    abort,
    copy_current_request_context,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..db import db
from ..errors import DomainError
from ..messages import message
from ..models import Campaign
from ..models import Response as SurveyResponse
from ..question_kinds import kind_of
from ..scoring.survey import DIMENSIONS
from ..services import comments as comment_service
from ..services import dashboard as dashboard_service
from ..services import exports, scores
from ..services import followups as followup_service
from ..services import review as review_service
from ..services.bounds import ID_MAX
from ..services.keywords import WINDOW as keyword_window
from ..survey_math.packing import unpack_fields, widths_of
from .access import (
    campaign_or_abort,
    can_write,
    in_campaign_or_abort,
    may_call_back,
    roles_required,
)
from .downloads import send
from .errors import flash_error
from .flag_words import reason_words
from .params import MAX_PAGE, id_list, int_param
from .survey import lang as page_lang

bp = Blueprint("dashboard", __name__)

PLOTLY_FULL = Path(plotly.__file__).resolve().parent / "package_data" / "plotly.min.js"
#: plotly.js's version inside the pinned plotly package; the partial bundle must be the same
PLOTLY_JS_VERSION = "4.1.1"
#: the partial bundle scripts/vendor-js installs (bar, scatter, pie: every chart drawn here)
PLOTLY_BASIC = (
    Path(__file__).resolve().parents[2]
    / "static"
    / "vendor"
    / f"plotly-basic-{PLOTLY_JS_VERSION}.min.js"
)
REVIEW_PAGE = 100
#: the outlet table's orders: lowest S first (what to look at first), by name, most answers
OUTLET_SORTS = {
    "S": lambda o: (o["S"] is None, o["S"] if o["S"] is not None else 0.0, o["name"]),
    "name": lambda o: o["name"],
    "n": lambda o: (-sum(o["n"].values()), o["name"]),
}


@functools.cache
def plotly_bundle() -> tuple[str, bytes, bytes]:
    """(which, bytes, gzip bytes) of the bundle pages load: the partial one when installed
    (1.19 MB, 395 KB gzipped), else the plotly package's full one (4.8 MB); read once."""
    which, path = ("basic", PLOTLY_BASIC) if PLOTLY_BASIC.is_file() else ("full", PLOTLY_FULL)
    raw = path.read_bytes()
    return which, raw, gzip.compress(raw, compresslevel=9, mtime=0)


@bp.get(f"/assets/plotly-{plotly.__version__}.min.js")
def plotly_js():
    """The plotly.js bundle (no CDN), gzipped when the browser accepts it; cached for a year
    (the URL changes with the plotly version)."""
    which, raw, packed = plotly_bundle()
    gz = "gzip" in request.headers.get("Accept-Encoding", "")
    resp = Response(packed if gz else raw, mimetype="text/javascript")
    if gz:
        resp.headers["Content-Encoding"] = "gzip"
    resp.headers["Vary"] = "Accept-Encoding"
    resp.headers["X-Plotly-Bundle"] = which
    resp.cache_control.public = True
    resp.cache_control.max_age = 365 * 86400
    resp.cache_control.immutable = True
    return resp


def _filter(campaign) -> tuple[scores.ScoreFilter, str | None]:
    """The page's ?outlet=&channel=&start=&end= filter; a bad one is shown, not applied."""
    try:
        flt = scores.parse_filter(
            request.args.getlist("outlet"),
            request.args.get("channel"),
            request.args.get("start"),
            request.args.get("end"),
        )
        return scores.check_outlets(flt, (o.id for o in campaign.outlets)), None
    except DomainError as e:
        return scores.NO_FILTER, message(e)


@bp.get("/campaigns/<int:campaign_id>/dashboard")
@login_required
def view(campaign_id: int):
    """Scores, intervals, thresholds, outlets, distributions and collection progress."""
    campaign = campaign_or_abort(campaign_id)
    flt, error = _filter(campaign)
    lang = page_lang()
    stale_after = current_app.config.get("DASHBOARD_STALE_AFTER_SECONDS")
    page = dashboard_service.build_page(campaign, flt, _, lang, stale_after)
    data = page.value
    sort = request.args.get("sort") if request.args.get("sort") in OUTLET_SORTS else "S"
    below = request.args.get("below", "")
    marked = next((t for t in data.thresholds if f"{t:g}" == below), None)
    html = render_template(
        "dashboard/view.html",
        campaign=campaign,
        d=data,
        outlets=sorted(data.outlet_scores, key=OUTLET_SORTS[sort]),
        sort=sort,
        below=marked,
        args={k: request.args.getlist(k) for k in request.args if k not in ("sort", "below")},
        flt=flt,
        filter_error=error,
        writable=can_write(current_user, campaign),
        latest_comments=comment_service.latest(campaign, 5),
        comment_total=comment_service.count(campaign),
        stale=page.stale,
        as_of=page.as_of,
    )
    resp = make_response(html, 400 if error else 200)
    if page.stale:
        resp.call_on_close(_refresh_later(campaign.id, flt, lang))
    return resp


def _refresh_later(campaign_id: int, flt, lang: str):
    """Make the current dashboard once the stale one is sent (this request's context copied,
    so the reader's language and a fresh database session come with it)."""

    @copy_current_request_context
    def refresh() -> None:
        try:
            campaign = db.session.get(Campaign, campaign_id)
            if campaign is not None:
                dashboard_service.refresh(campaign, flt, _, lang)
        except Exception:  # the page is sent: log it, the next reader makes it instead
            current_app.logger.exception("dashboard refresh of campaign %s failed", campaign_id)

    return refresh


def answer_words(campaign, rows) -> dict[int, list[tuple[str, str]]]:
    """Each review row's answers as (question text, the words of the answer) in the reader's
    language, each kind wording its own (the questionnaire's likert labels 非常满意 …, the
    number for NPS, the options picked), its 不适用 label for a blank; text questions are shown
    as the comment instead."""
    questions = scores.questions_of(campaign)
    labels = (campaign.questionnaire or {}).get("labels") or {}
    lang = page_lang()
    na = (labels.get("not_applicable") or {}).get(lang) or _("不适用")
    widths = widths_of(questions)
    packed = [r.answers for r in rows]
    shown = [(i, q, kind_of(q)) for i, q in enumerate(questions) if kind_of(q).answer != "text"]
    fields = {i: unpack_fields(packed, widths, i) for i, _q, _k in shown}
    out = {}
    for n, r in enumerate(rows):
        words = []
        for i, q, kind in shown:
            word = kind.word(q, fields[i][n], labels, lang)
            words.append((q.text_en if lang == "en" else q.text_zh, na if word is None else word))
        out[r.id] = words
    return out


@bp.get("/campaigns/<int:campaign_id>/review")
@login_required
def review(campaign_id: int):
    """Flagged and excluded responses, with why they were flagged and their history: one flag
    kind or the excluded at a time, a page at a time, many changed at once with one reason."""
    campaign = campaign_or_abort(campaign_id)
    kind = request.args.get("flag") or None
    if kind is not None and kind not in review_service.KINDS:
        kind = None
    page = int_param(request.args, "page", 1, 1, MAX_PAGE, code="no_such_page")
    rows, total = review_service.flagged_responses(
        campaign, limit=REVIEW_PAGE, offset=(page - 1) * REVIEW_PAGE, kind=kind
    )
    return render_template(
        "dashboard/review.html",
        campaign=campaign,
        rows=rows,
        words=answer_words(campaign, rows),
        total=total,
        page=page,
        pages=max(1, -(-total // REVIEW_PAGE)),
        kind=kind,
        kinds=review_service.KINDS,
        summary=scores.flag_summary(campaign),
        excluded_count=review_service.excluded_count(campaign),
        outlets=scores.outlet_names(campaign),
        writable=can_write(current_user, campaign),
        reason_words=reason_words,
    )


@bp.post("/campaigns/<int:campaign_id>/review/<any(exclude, reinstate):action>")
@roles_required("admin", "auditor")
def change_many(campaign_id: int, action: str):
    """Exclude or reinstate the ticked responses with one reason (each recorded as if alone)."""
    campaign = campaign_or_abort(campaign_id, write=True)
    back = url_for(
        ".review",
        campaign_id=campaign.id,
        flag=request.form.get("flag") or None,
        page=request.form.get("page") or None,
    )
    try:
        ids = id_list(request.form.getlist("response"), "responses")
        done = review_service.change_many(
            campaign, ids, action, request.form.get("reason", ""), current_user
        )
    except DomainError as e:
        flash_error(e)
    else:
        if action == "exclude":
            flash(_("已排除 %(n)s 份答卷。", n=done.changed))
        else:
            flash(_("已恢复 %(n)s 份答卷。", n=done.changed))
        if done.unchanged:
            flash(_("%(n)s 份原本就是这个状态，未改动。", n=done.unchanged))
    return redirect(back, 303)


@bp.get("/campaigns/<int:campaign_id>/comments")
@login_required
def comments(campaign_id: int):
    """What customers wrote, newest first: filter by outlet and channel, search the words, or
    read those whose own score on one dimension fell in a band (low, mid, high)."""
    campaign = campaign_or_abort(campaign_id)
    args = request.args
    error = None
    try:
        f = comment_service.CommentFilter(
            int_param(args, "outlet", 0, 1, ID_MAX, code="no_such_id") or None,
            args.get("channel") or None,
            args.get("q") or None,
            args.get("dimension") or None,
            args.get("band") or None,
        ).checked(campaign)
        page = int_param(args, "page", 1, 1, MAX_PAGE, code="no_such_page")
    except DomainError as err:
        error, f, page = message(err), comment_service.NO_FILTER, 1
    total = comment_service.count(campaign, f)
    per = comment_service.PER_PAGE
    return render_template(
        "dashboard/comments.html",
        campaign=campaign,
        rows=comment_service.latest(campaign, per, (page - 1) * per, f),
        total=total,
        all_total=comment_service.count(campaign),
        page=page,
        pages=max(1, -(-total // per)),
        flt=f,
        error=error,
        dimensions=DIMENSIONS,
        args={k: v for k, v in args.items() if k != "page" and v},
        keywords=comment_service.keywords(campaign, f) if total else [],
        window=keyword_window,
    ), (400 if error else 200)


@bp.route("/campaigns/<int:campaign_id>/followups", methods=["GET", "POST"])
@roles_required("admin", "auditor", "viewer")
def followups(campaign_id: int):
    """回访: consenting customers to call back; POST reveals one contact (audited) or records a
    call-back's status and note. The company's managers (viewers granted the campaign) see
    only the customers who agreed to pass their contact to the company; reviewers none."""
    campaign = campaign_or_abort(campaign_id)
    if not may_call_back(current_user, campaign):
        abort(403)
    shared_only = not can_write(current_user, campaign)
    status = request.args.get("status") or None
    revealed = None
    if request.method == "POST":
        try:
            rid = int_param(request.form, "response", 0, 1, ID_MAX, code="no_such_id")
            if request.form.get("reveal"):
                revealed = followup_service.reveal(campaign, rid, shared_only)
            else:
                followup_service.update(
                    campaign,
                    rid,
                    request.form.get("status", ""),
                    request.form.get("note"),
                    current_user,
                    shared_only,
                )
                flash(_("已记录回访。"))
                return redirect(url_for(".followups", campaign_id=campaign.id, status=status), 303)
        except DomainError as err:
            flash_error(err)
            return redirect(url_for(".followups", campaign_id=campaign.id, status=status), 303)
    try:
        rows = followup_service.queue(campaign, status, revealed, shared_only)
    except DomainError:
        rows, status = followup_service.queue(campaign, shared_only=shared_only), None
    page = render_template(
        "dashboard/followups.html",
        campaign=campaign,
        rows=rows,
        status=status,
        counts=followup_service.counts(campaign, shared_only),
        revealed=revealed,
        shared_only=shared_only,
    )
    # a revealed contact is on this response only: nothing may keep a copy
    return page, {"Cache-Control": "no-store"} if revealed else {}


@bp.post(
    "/campaigns/<int:campaign_id>/responses/<int:response_id>/<any(exclude, reinstate):action>"
)
@roles_required("admin", "auditor")
def change(campaign_id: int, response_id: int, action: str):
    """Exclude or reinstate a response with the reason given (recorded: who, when, why)."""
    campaign = campaign_or_abort(campaign_id, write=True)
    response = in_campaign_or_abort(SurveyResponse, response_id, campaign)
    do = review_service.exclude if action == "exclude" else review_service.reinstate
    try:
        do(response, request.form.get("reason", ""), current_user)
    except DomainError as e:
        flash_error(e)
    else:
        flash(
            _("已排除答卷 %(id)s。", id=response.id)
            if action == "exclude"
            else _("已恢复答卷 %(id)s。", id=response.id)
        )
    back = url_for(
        ".review",
        campaign_id=campaign.id,
        flag=request.form.get("flag") or None,
        page=request.form.get("page") or None,
    )
    return redirect(back, 303)


@bp.get(
    "/campaigns/<int:campaign_id>/export/<any(responses, scores):kind>.<any(csv, xlsx, sav):ext>"
)
@login_required
def export(campaign_id: int, kind: str, ext: str):
    """Download responses or scores as CSV (UTF-8 with BOM, streamed) or XLSX."""
    campaign = campaign_or_abort(campaign_id)
    try:
        if kind == "responses":
            download = exports.responses_export(campaign, ext)
        else:
            download = exports.scores_export(campaign, ext, _filter(campaign)[0])
    except DomainError as e:
        flash(message(e))
        return redirect(url_for(".view", campaign_id=campaign.id), 303)
    return send(download)
