"""Sign-in pages: CSRF, wrong password, redirects, language switch, headers."""

import re

from sqlalchemy import func, select

from surveyapp.db import db
from surveyapp.models import AuditLog


def test_login_page_is_chinese_first_and_mobile(client):
    resp = client.get("/login")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert "登录" in html and 'name="viewport"' in html
    assert 'lang="zh-CN"' in html


def test_english_switch(client):
    html = client.get("/login?lang=en").get_data(as_text=True)
    assert "Sign in" in html and 'lang="en"' in html
    # remembered in the session
    assert "Sign in" in client.get("/login").get_data(as_text=True)


def test_home_requires_login(client):
    resp = client.get("/")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


def test_login_success_and_logout(client, make_user, login):
    make_user("admin", "root1")
    login("root1")
    assert client.get("/").status_code == 200
    resp = client.post("/logout")
    assert resp.status_code == 302
    assert client.get("/").status_code == 302


def test_wrong_password_shows_error_and_stays_signed_out(client, make_user):
    make_user("admin", "root2")
    resp = client.post("/login", data={"username": "root2", "password": "nope-nope"})
    assert resp.status_code == 401
    assert "用户名或密码错误" in resp.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_empty_form_gets_field_errors(client):
    resp = client.post("/login", data={})
    assert resp.status_code == 400
    assert "请填写用户名" in resp.get_data(as_text=True)


def test_open_redirect_refused(client, make_user):
    make_user("viewer", "v1")
    resp = client.post(
        "/login?next=//evil.example/x", data={"username": "v1", "password": "correct-horse"}
    )
    assert resp.headers["Location"] in ("/", "http://survey.test/")


def test_next_followed_when_local(client, make_user):
    make_user("viewer", "v2")
    resp = client.post("/login?next=/healthz", data={"username": "v2", "password": "correct-horse"})
    assert resp.headers["Location"].endswith("/healthz")


def test_missing_csrf_token_rejected_and_nothing_logged_in(make_app, make_user):
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        from surveyapp.services import accounts

        accounts.create_user("csrfuser", "admin", "correct-horse")
        before = db.session.scalar(select(func.count(AuditLog.id)))
        client = app.test_client()
        resp = client.post("/login", data={"username": "csrfuser", "password": "correct-horse"})
        assert resp.status_code == 400
        assert "安全令牌" in resp.get_data(as_text=True)
        assert client.get("/").status_code == 302
        assert db.session.scalar(select(func.count(AuditLog.id))) == before
        # with the token it works
        page = client.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        resp = client.post(
            "/login",
            data={"username": "csrfuser", "password": "correct-horse", "csrf_token": token},
        )
        assert resp.status_code == 302


def test_logout_requires_post(client, make_user, login):
    make_user("viewer", "v3")
    login("v3")
    assert client.get("/logout").status_code == 405


def test_security_headers(client):
    resp = client.get("/login")
    csp = resp.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Referrer-Policy"] == "same-origin"


def test_no_external_assets(client):
    html = client.get("/login").get_data(as_text=True)
    assert not re.search(r'(src|href)="(https?:)?//', html)


def test_api_errors_are_json(client):
    resp = client.get("/api/v1/nope")
    assert resp.status_code == 404 and resp.is_json
    assert resp.json["error"]["code"] == "not_found"


def test_openapi_document(client):
    doc = client.get("/api/v1/openapi.json").json
    assert doc["openapi"].startswith("3.") and "/me" in doc["paths"]


def test_a_copied_session_cookie_stops_working_after_sign_out(make_app):
    # an app without a context pushed around the test: each request gets its own `g`, as in
    # production (the shared fixtures keep one context, in which Flask-Login's cached user
    # would hide the copy)
    from surveyapp.services import accounts

    app = make_app()
    with app.app_context():
        accounts.create_user("copycat", "auditor", "correct-horse")
    client = app.test_client()
    assert (
        client.post("/login", data={"username": "copycat", "password": "correct-horse"}).status_code
        == 302
    )
    stolen = client.get_cookie("session", domain="survey.test").value
    other = app.test_client()
    other.set_cookie("session", stolen, domain="survey.test")
    assert other.get("/campaigns/").status_code == 200  # the copy works while signed in
    client.post("/logout")
    resp = other.get("/campaigns/")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    # signing in again works, with a new session
    assert (
        client.post("/login", data={"username": "copycat", "password": "correct-horse"}).status_code
        == 302
    )
    assert client.get("/campaigns/").status_code == 200


def test_the_session_signer_is_made_once_and_follows_a_new_key(app):
    interface = app.session_interface
    first = interface.get_signing_serializer(app)
    assert interface.get_signing_serializer(app) is first  # not remade per request
    cookie = first.dumps({"_user_id": "1.0"})

    def opened() -> dict:
        with app.test_request_context(headers={"Cookie": f"session={cookie}"}) as ctx:
            return dict(interface.open_session(app, ctx.request))

    assert opened() == {"_user_id": "1.0"}
    old_key, old_fallbacks = app.secret_key, app.config.get("SECRET_KEY_FALLBACKS")
    try:
        app.secret_key = "another-secret-key-of-32-characters!"
        assert interface.get_signing_serializer(app) is not first
        assert opened() == {}  # a cookie signed with the old key signs no one in …
        app.config["SECRET_KEY_FALLBACKS"] = [old_key]
        assert opened() == {"_user_id": "1.0"}  # … unless the old key is kept as a fallback
    finally:
        app.secret_key, app.config["SECRET_KEY_FALLBACKS"] = old_key, old_fallbacks


def test_a_request_without_the_session_cookie_is_passed_through_as_flask_would(app):
    """No cookie: untouched, read or changed, the session answers with the headers Flask's
    own interface gives (no Set-Cookie; Vary: Cookie once read; the cookie once changed), and
    a remembered language is read back on the next request."""
    from flask import session
    from flask.sessions import SecureCookieSessionInterface

    ours, flasks = app.session_interface, SecureCookieSessionInterface()

    def answered(interface, touch) -> tuple:
        with app.test_request_context() as ctx:
            s = interface.open_session(app, ctx.request)
            assert dict(s) == {} and not s.modified
            touch(s)
            response = app.response_class("")
            interface.save_session(app, s, response)
            return sorted(response.vary), response.headers.get("Set-Cookie", "")[:8]

    touches = {
        "untouched": lambda s: None,
        "read": lambda s: setattr(s, "accessed", True),
        "changed": lambda s: (setattr(s, "accessed", True), s.__setitem__("lang", "en")),
    }
    seen = {name: answered(ours, touch) for name, touch in touches.items()}
    assert seen == {name: answered(flasks, touch) for name, touch in touches.items()}
    assert seen == {
        "untouched": ([], ""),
        "read": (["Cookie"], ""),
        "changed": (["Cookie"], "session="),
    }
    client = app.test_client()
    client.get("/login?lang=en")
    with client:
        client.get("/login")
        assert session["lang"] == "en"
