"""Authorization matrix: every route of app.url_map × every kind of caller.

The expectation table below must name every (endpoint, method) the app serves: a new route
without an entry fails `test_every_route_is_classified`, so whoever adds a route decides who
may call it. Callers: anonymous, viewer, the auditor assigned to the campaign, an auditor not
assigned, admin. Pages are called with a session cookie, API routes with a bearer token (and
API routes are also called with an admin *cookie only*, which must not count as signed in:
the API is exempt from CSRF, so cookies must not authenticate it).

Allowed = answered without 401/403/404, without a redirect to the sign-in page, and below 500
(an API 404 whose error code is not `not_found`, e.g. "no evaluation yet", came from inside the
use case and counts as allowed). Denied = 401, 403, 404 (a campaign one may not see need not be
admitted to exist) or the sign-in redirect. Nobody ever gets a 5xx.
"""

from __future__ import annotations

import uuid

import pytest
from flask import g

from surveyapp.services import accounts
from surveyapp.services import campaigns as campaign_service
from surveyapp.services import responses as response_service
from surveyapp.services.responses import Submission
from tests import factories

ANON, VIEWER, AUDITOR, OTHER, ADMIN = "anonymous", "viewer", "auditor", "other_auditor", "admin"
#: a certified company's manager: a viewer granted nothing of the campaigns under test
SCOPED = "scoped_viewer"
CALLERS = (ANON, VIEWER, SCOPED, AUDITOR, OTHER, ADMIN)

PUBLIC = frozenset(CALLERS)
SIGNED_IN = frozenset({VIEWER, SCOPED, AUDITOR, OTHER, ADMIN})
#: role-level staff actions that are not about one campaign
STAFF = frozenset({AUDITOR, OTHER, ADMIN})
#: read one campaign: admins and viewers all, auditors only when assigned
READ = frozenset({VIEWER, AUDITOR, ADMIN})
#: change one campaign: admins, and the auditors assigned to it
WRITE = frozenset({AUDITOR, ADMIN})
ADMIN_ONLY = frozenset({ADMIN})

#: (endpoint, method) -> who may call it
EXPECTED: dict[tuple[str, str], frozenset[str]] = {
    ("static", "GET"): PUBLIC,
    ("main.healthz", "GET"): PUBLIC,
    ("main.index", "GET"): SIGNED_IN,
    ("auth.login", "GET"): PUBLIC,
    ("auth.login", "POST"): PUBLIC,
    ("auth.logout", "POST"): SIGNED_IN,
    ("admin.audit_log", "GET"): ADMIN_ONLY,
    ("admin.audit_csv", "GET"): ADMIN_ONLY,
    # user administration (admins) and one's own account (everyone signed in)
    ("users.index", "GET"): ADMIN_ONLY,
    ("users.new", "GET"): ADMIN_ONLY,
    ("users.new", "POST"): ADMIN_ONLY,
    ("users.detail", "GET"): ADMIN_ONLY,
    ("users.role", "POST"): ADMIN_ONLY,
    ("users.deactivate", "POST"): ADMIN_ONLY,
    ("users.activate", "POST"): ADMIN_ONLY,
    ("users.unlock", "POST"): ADMIN_ONLY,
    ("users.reset_password", "POST"): ADMIN_ONLY,
    ("users.revoke_token", "POST"): ADMIN_ONLY,
    ("users.grant", "POST"): ADMIN_ONLY,
    ("users.revoke_grant", "POST"): ADMIN_ONLY,
    ("account.index", "GET"): SIGNED_IN,
    ("account.password", "GET"): SIGNED_IN,
    ("account.password", "POST"): SIGNED_IN,
    ("account.issue_token", "POST"): SIGNED_IN,
    ("account.revoke_token", "POST"): SIGNED_IN,  # the service refuses others' tokens (below)
    # campaigns (pages)
    ("campaigns.index", "GET"): SIGNED_IN,
    ("campaigns.organization", "GET"): READ,
    ("campaigns.new", "GET"): STAFF,
    ("campaigns.new", "POST"): STAFF,
    ("campaigns.detail", "GET"): READ,
    # the questionnaire: read by readers, designed by writers while the campaign is a draft
    ("evaluation.ledger_anchor", "GET"): READ,
    ("questionnaire.show", "GET"): READ,
    ("questionnaire.download", "GET"): READ,
    ("questionnaire.preview", "GET"): READ,
    ("questionnaire.save", "POST"): WRITE,
    ("questionnaire.from_bank", "POST"): WRITE,
    ("questionnaire.import_sheet", "POST"): WRITE,
    ("campaigns.edit", "GET"): WRITE,
    ("campaigns.edit", "POST"): WRITE,
    ("campaigns.add_outlet", "POST"): WRITE,
    ("campaigns.rotate", "POST"): WRITE,
    ("campaigns.edit_outlet", "POST"): WRITE,
    ("campaigns.outlet_active", "POST"): WRITE,
    ("campaigns.auditors", "POST"): ADMIN_ONLY,
    ("campaigns.status", "POST"): WRITE,
    ("campaigns.issue_tokens", "POST"): WRITE,
    ("campaigns.revoke", "POST"): WRITE,
    ("campaigns.qr_png", "GET"): READ,
    ("campaigns.qr_svg", "GET"): READ,
    ("campaigns.poster", "GET"): READ,
    ("campaigns.batch_sheet", "GET"): WRITE,
    ("campaigns.batch_csv", "GET"): WRITE,
    # the customer's survey (no sign-in ever)
    ("survey.page", "GET"): PUBLIC,
    ("survey.page", "POST"): PUBLIC,
    ("survey.thanks", "GET"): PUBLIC,
    ("privacy.page", "GET"): PUBLIC,
    ("privacy.page", "POST"): PUBLIC,
    # in-person interviews
    ("interview.index", "GET"): STAFF,
    ("interview.outlets", "GET"): WRITE,
    ("interview.form", "GET"): WRITE,
    ("interview.form", "POST"): WRITE,
    ("interview.queued", "POST"): WRITE,
    # scores, dashboard, review of responses, evaluation (issue 5)
    ("dashboard.plotly_js", "GET"): PUBLIC,
    ("dashboard.view", "GET"): READ,
    ("dashboard.review", "GET"): READ,
    ("dashboard.comments", "GET"): READ,
    ("dashboard.followups", "GET"): WRITE,
    ("dashboard.followups", "POST"): WRITE,
    ("dashboard.change", "POST"): WRITE,
    ("dashboard.change_many", "POST"): WRITE,
    ("dashboard.export", "GET"): READ,
    ("evaluation.form", "GET"): READ,
    ("evaluation.form", "POST"): WRITE,
    ("evaluation.finalize", "POST"): WRITE,
    ("evaluation.report", "GET"): READ,
    ("evaluation.report_pdf", "GET"): READ,
    # API
    ("api.openapi", "GET"): PUBLIC,
    ("api.me", "GET"): SIGNED_IN,
    ("api.create_campaign_api", "POST"): STAFF,
    ("api.campaign_detail_api", "GET"): READ,
    ("api.campaign_questionnaire_api", "GET"): PUBLIC,
    ("api.campaign_status_api", "POST"): WRITE,
    ("api.issue_links_api", "POST"): WRITE,
    ("api.submit_in_person_api", "POST"): WRITE,
    ("api.link_questionnaire_api", "GET"): PUBLIC,
    ("api.submit_online_api", "POST"): PUBLIC,
    ("api.campaign_scores", "GET"): READ,
    ("api.campaign_trend", "GET"): READ,
    ("api.campaign_drivers", "GET"): READ,
    ("api.scores_csv", "GET"): READ,
    ("api.export_csv", "GET"): READ,
    ("api.export_xlsx", "GET"): READ,
    ("api.export_sav", "GET"): READ,
    ("api.get_evaluation", "GET"): READ,
    ("api.campaign_comments", "GET"): READ,
    ("api.put_evaluation", "PUT"): WRITE,
    ("api.finalize_evaluation", "POST"): WRITE,
    ("api.report_pdf_api", "GET"): READ,
}

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def served(app) -> list[tuple[str, str, object]]:
    """(endpoint, method, rule) of every route the app serves."""
    return sorted(
        ((r.endpoint, m, r) for r in app.url_map.iter_rules() for m in r.methods if m in METHODS),
        key=lambda x: (x[0], x[1]),
    )


def test_every_route_is_classified(app):
    missing = [f"{e} {m} {r.rule}" for e, m, r in served(app) if (e, m) not in EXPECTED]
    assert not missing, "routes without an authorization expectation:\n" + "\n".join(missing)
    stale = sorted(set(EXPECTED) - {(e, m) for e, m, _r in served(app)})
    assert not stale, f"expectations for routes that no longer exist: {stale}"


@pytest.fixture
def world(app, make_user):
    """Users of every kind, and a campaign with the auditor assigned, a link and a batch."""
    users = {}
    for key, role in (
        (VIEWER, "viewer"),
        (AUDITOR, "auditor"),
        (OTHER, "auditor"),
        (ADMIN, "admin"),
    ):
        users[key] = make_user(role, f"{key}-m")
    users[SCOPED] = make_user("viewer", f"{SCOPED}-m", sees_all=False)
    return users


def fresh_campaign(users, auditor=AUDITOR, organization="示例电器有限公司"):
    """A campaign of its own per route, so one route's side effects never affect the next;
    and a user of its own (with a token) for the user-administration routes to act on."""
    campaign = factories.make_campaign(auditors=[users[auditor][0]], organization=organization)
    outlet = campaign.outlets[0]
    batch, links = campaign_service.issue_single_use(outlet, 2)
    token = factories.outlet_token(campaign)
    answers = Submission(answers=factories.full_answers(campaign), client_id=uuid.uuid4().hex)
    response_id = response_service.submit_online(token, answers).id
    target, _pw, _token = accounts.create_user(f"target-{uuid.uuid4().hex[:8]}", "viewer")
    return {
        "user_id": target.id,
        "token_id": target.tokens[0].id,
        "campaign_id": campaign.id,
        "organization_id": campaign.organization_id,
        "outlet_id": outlet.id,
        "link_id": links[0].id,
        "batch": batch,
        "token": token,
        "response_id": response_id,
        "action": "exclude",
        "kind": "responses",
        "ext": "csv",
        "filename": "css/app.css",
    }


def call(app, rule, method: str, values: dict, caller: str, users, cookie_only: bool = False):
    """One request as caller; returns the response."""
    # requests share the test's app context, hence `g`, where Flask-Login caches the user
    g.pop("_login_user", None)
    client = app.test_client()
    path = app.url_map.bind("survey.test").build(
        rule.endpoint, {k: values[k] for k in rule.arguments}, method=method
    )
    headers = {}
    is_api = rule.rule.startswith("/api/")
    if caller != ANON:
        user, token = users[caller]
        if is_api and not cookie_only:
            headers["Authorization"] = f"Bearer {token}"
        else:
            with client.session_transaction() as s:
                s["_user_id"] = user.get_id()
                s["_fresh"] = True
    if method == "GET":
        return client.get(path, headers=headers)
    if is_api:
        return client.open(path, method=method, json={}, headers=headers)
    return client.open(path, method=method, data={}, headers=headers)


def verdict(resp) -> str:
    if resp.status_code >= 500:
        return "error"
    if resp.status_code in (404, 409) and resp.is_json:
        # the caller got through to the use case, which found nothing to show (no evaluation yet)
        code = (resp.get_json() or {}).get("error", {}).get("code")
        if code not in ("not_found", "forbidden", "unauthorized"):
            return "allowed"
    location = resp.headers.get("Location", "")
    if resp.status_code in (401, 403, 404) or (
        resp.status_code in (301, 302, 303) and "/login?next=" in location
    ):
        return "denied"
    return "allowed"


def test_matrix(app, world):
    problems = []
    # a GET changes nothing (one more thing this test holds every route to), so the GET routes
    # share one campaign; each other route gets its own, so no side effect reaches the next
    shared = fresh_campaign(world)
    for endpoint, method, rule in served(app):
        allowed = EXPECTED.get((endpoint, method))
        if allowed is None:
            continue  # reported by test_every_route_is_classified
        values = shared if method == "GET" else fresh_campaign(world)
        for caller in CALLERS:
            resp = call(app, rule, method, values, caller, world)
            resp.close()  # static files answer with an open file
            got = verdict(resp)
            want = "allowed" if caller in allowed else "denied"
            if got != want:
                problems.append(
                    f"{method} {rule.rule} as {caller}: {resp.status_code} ({got}), expected {want}"
                )
        if rule.rule.startswith("/api/") and allowed != PUBLIC:
            resp = call(app, rule, method, values, ADMIN, world, cookie_only=True)
            resp.close()
            if verdict(resp) != "denied":
                problems.append(f"{method} {rule.rule} accepted a session cookie without a token")
    assert not problems, "\n".join(problems)


def test_inactive_user_and_revoked_token_are_anonymous(app, client, make_user):
    user, token = make_user("admin", "gone")
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    for tok in user.tokens:
        accounts.revoke_token(tok.id, user)
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    with client.session_transaction() as s:
        s["_user_id"] = user.get_id()
    user.active = False
    from surveyapp.db import db

    db.session.commit()
    resp = client.get("/admin/audit")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


def test_security_headers_on_every_kind_of_page(app, client):
    for path in ("/login", "/api/v1/openapi.json", "/healthz", "/nope"):
        h = client.get(path).headers
        csp = h["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
        assert "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
        assert h["X-Content-Type-Options"] == "nosniff"
        assert h["Referrer-Policy"] == "same-origin"


def test_session_cookie_flags(app, client, make_user):
    make_user("viewer", "cookie-v")
    resp = client.post("/login", data={"username": "cookie-v", "password": "correct-horse"})
    cookie = resp.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_secure_cookie_setting_is_honoured(make_app, make_user):
    app = make_app(SESSION_COOKIE_SECURE=True)
    with app.app_context():
        from surveyapp.services import accounts as acc

        acc.create_user("cookie-s", "viewer", "correct-horse")
        resp = app.test_client().post(
            "/login", data={"username": "cookie-s", "password": "correct-horse"}
        )
        assert "Secure" in resp.headers["Set-Cookie"]


def test_sign_in_throttled_after_repeated_failures(app, client, make_user):
    make_user("admin", "throttled")
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        client.post("/login", data={"username": "throttled", "password": "wrong-password"})
    resp = client.post("/login", data={"username": "throttled", "password": "correct-horse"})
    assert resp.status_code == 429 and "秒后再试" in resp.get_data(as_text=True)
    assert 1 <= int(resp.headers["Retry-After"]) <= 30


#: path arguments naming an object that belongs to a campaign
OBJECT_ARGS = ("outlet_id", "link_id", "response_id", "batch")


def _snapshot(values) -> dict:
    """What a request about another campaign's objects must leave as it was."""
    from sqlalchemy import func, select

    from surveyapp.db import db
    from surveyapp.models import Outlet, Response, SurveyLink

    db.session.expire_all()
    outlet = db.session.get(Outlet, values["outlet_id"])
    return {
        "outlet": (outlet.name, outlet.address, outlet.active),
        "links": db.session.execute(
            select(SurveyLink.id, SurveyLink.revoked_at)
            .where(SurveyLink.outlet_id == outlet.id)
            .order_by(SurveyLink.id)
        ).all(),
        "excluded": db.session.get(Response, values["response_id"]).excluded,
        "responses": db.session.scalar(select(func.count(Response.id))),
    }


def test_objects_of_another_campaign_and_organization(app, world):
    """Every route naming an object under a campaign, called with a campaign the caller may
    change and an object of *another* campaign (another organization, another auditor): denied
    for every caller, admins included (the object is not that campaign's), and the object
    is left exactly as it was."""
    problems, calls = [], 0
    for endpoint, method, rule in served(app):
        if "campaign_id" not in rule.arguments or not set(OBJECT_ARGS) & set(rule.arguments):
            continue
        own = fresh_campaign(world)
        foreign = fresh_campaign(world, auditor=OTHER, organization="另一家电器有限公司")
        values = {**own, **{k: foreign[k] for k in OBJECT_ARGS}}
        before = _snapshot(foreign)
        for caller in CALLERS:
            resp = call(app, rule, method, values, caller, world)
            resp.close()
            calls += 1
            if verdict(resp) != "denied":
                problems.append(f"{method} {rule.rule} as {caller}: {resp.status_code}")
        if _snapshot(foreign) != before:
            problems.append(f"{method} {rule.rule} changed another campaign's objects")
    assert calls >= 14 * len(CALLERS)  # 14 routes name such an object today
    assert not problems, "\n".join(problems)


def test_users_and_tokens_of_someone_else(app, world):
    """A token is revoked only under its own user (admin pages) or by its owner (account)."""
    from surveyapp.db import db
    from surveyapp.models import ApiToken

    a, b = fresh_campaign(world), fresh_campaign(world)
    rules = {r.endpoint: r for r in app.url_map.iter_rules()}
    # the admin page for user A cannot revoke B's token
    resp = call(
        app, rules["users.revoke_token"], "POST", {**a, "token_id": b["token_id"]}, ADMIN, world
    )
    assert resp.status_code == 404
    # nobody but an admin revokes someone else's token from their own account page
    for caller in (VIEWER, SCOPED, AUDITOR, OTHER):
        call(app, rules["account.revoke_token"], "POST", b, caller, world)
    db.session.expire_all()
    assert db.session.get(ApiToken, b["token_id"]).revoked_at is None


def test_in_person_answers_for_another_campaigns_outlet_are_refused(app, world, client):
    from sqlalchemy import func, select

    from surveyapp.db import db
    from surveyapp.models import Response

    own = fresh_campaign(world)
    foreign = fresh_campaign(world, auditor=OTHER, organization="另一家电器有限公司")
    before = db.session.scalar(select(func.count(Response.id)))
    campaign = db.session.get(__import__("surveyapp.models").models.Campaign, own["campaign_id"])
    body = {"outlet": foreign["outlet_id"], "answers": factories.full_answers(campaign)}
    for caller in (AUDITOR, ADMIN):
        resp = client.post(
            f"/api/v1/campaigns/{own['campaign_id']}/responses",
            json={**body, "client_id": uuid.uuid4().hex},
            headers={"Authorization": f"Bearer {world[caller][1]}"},
        )
        assert resp.status_code == 422 and resp.json["error"]["code"] == "unknown_outlet"
    assert db.session.scalar(select(func.count(Response.id))) == before
