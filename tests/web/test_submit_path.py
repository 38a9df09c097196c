"""The customers' submission outside Flask's request cycle (surveyapp/web/submit_path.py):
taken only when it stores, answering as Flask's view answers, counting each limit once."""

from __future__ import annotations

import flask_babel
import pytest
from sqlalchemy import func, select
from werkzeug.middleware.proxy_fix import ProxyFix

from surveyapp.db import db
from surveyapp.models import Response
from surveyapp.services import campaigns as campaign_service
from surveyapp.web.submit_path import SubmitPath
from tests.factories import form_data, full_answers, outlet_token

#: headers whose values differ between two requests by nature (the time, a count, the id)
_VARYING = {
    "date",
    "set-cookie",
    "content-length",
    "retry-after",
    "x-ratelimit-remaining",
    "x-ratelimit-reset",
}


def _flask_calls(app) -> list[str]:
    """The paths of the requests the layer hands to Flask, from now on."""
    layer = app.wsgi_app
    layer = layer.app if isinstance(layer, ProxyFix) else layer  # PROXY_FIX wraps the layer
    assert isinstance(layer, SubmitPath)
    inner, calls = layer.wsgi_app, []

    def counting(environ, start_response):
        calls.append(environ["PATH_INFO"])
        return inner(environ, start_response)

    layer.wsgi_app = counting
    return calls


def _both(app, send):
    """send() through the layer, then through Flask alone: the two answers."""
    app.config["SUBMIT_FAST_PATH"] = True
    fast = send()
    app.config["SUBMIT_FAST_PATH"] = False
    try:
        return fast, send()
    finally:
        app.config["SUBMIT_FAST_PATH"] = True


def _same_answer(fast, flask) -> None:
    assert fast.status_code == flask.status_code
    cookies = lambda r: sorted(c.split("=", 1)[0] for c in r.headers.getlist("Set-Cookie"))  # noqa: E731
    assert cookies(fast) == cookies(flask)
    headers = lambda r: sorted(  # noqa: E731
        (k.lower(), v if k.lower() not in _VARYING else "") for k, v in r.headers.items()
    )
    assert headers(fast) == headers(flask)


def _stored() -> int:
    return db.session.scalar(select(func.count()).select_from(Response))


@pytest.mark.parametrize("limits", [False, True])
def test_a_stored_response_is_answered_as_the_view_answers(make_app, make_campaign, limits):
    app = make_app(RATELIMIT_ENABLED=limits)
    with app.app_context():
        c = make_campaign()
        url = f"/api/v1/links/{outlet_token(c)}/responses"
        client = app.test_client()
        calls = _flask_calls(app)
        n = iter(range(100))
        send = lambda: client.post(  # noqa: E731
            url, json={"answers": full_answers(c), "client_id": f"phone-{next(n):04d}"}
        )
        fast, flask = _both(app, send)
        assert calls == [url]  # the second only
        assert fast.status_code == 201 and fast.json.keys() == flask.json.keys()
        assert flask.json["id"] == fast.json["id"] + 1 and fast.json["receipt"]
        _same_answer(fast, flask)
        assert (
            fast.headers["Set-Cookie"].replace("phone-0000", "phone-0001")
            == (flask.headers["Set-Cookie"])
        )
        if limits:
            assert int(fast.headers["X-RateLimit-Remaining"]) == (
                int(flask.headers["X-RateLimit-Remaining"]) + 1
            )

        # the same client_id again: 200 with the first id, on both
        def again():
            return client.post(url, json={"answers": full_answers(c), "client_id": "phone-0000"})

        fast, flask = _both(app, again)
        assert fast.status_code == flask.status_code == 200
        assert fast.json == flask.json and fast.json["id"] == 1
        _same_answer(fast, flask)
        assert _stored() == 2


def test_what_it_does_not_store_flask_answers_with_the_same_words(make_app, make_campaign):
    app = make_app()
    with app.app_context():
        c = make_campaign()
        token = outlet_token(c)
        url = f"/api/v1/links/{token}/responses"
        client = app.test_client()
        calls = _flask_calls(app)
        refused = [
            dict(json={"answers": {}}),
            dict(json={"answers": full_answers(c), "surplus": 1}),
            dict(data=b'{"answers": ', content_type="application/json"),
            dict(data=b"answers=1", content_type="text/plain"),
            dict(json={"answers": full_answers(c)}, headers={"Accept-Language": "en"}),
        ]
        for kwargs in refused[:4]:
            fast, flask = _both(app, lambda kwargs=kwargs: client.post(url, **kwargs))
            assert fast.status_code >= 400 and fast.json == flask.json
            _same_answer(fast, flask)

        def unknown():
            return client.post("/api/v1/links/no-such-link/responses", json=refused[4]["json"])

        fast, flask = _both(app, unknown)
        assert fast.status_code == 404 and fast.json == flask.json
        campaign_service.change_status(c, "closed")

        def closed():
            flask_babel.refresh()  # the tests' one app context caches a locale
            return client.post(url, **refused[4])

        fast, flask = _both(app, closed)
        flask_babel.refresh()
        assert fast.status_code == 410 and fast.json == flask.json
        assert "has ended" in fast.json["error"]["message"]  # in the reader's language
        assert _stored() == 0
        # every one was handed to Flask by the layer, then sent to Flask alone
        assert len(calls) == 2 * 6


def test_other_methods_and_a_forged_host_are_flask_s(app, client, make_campaign):
    c = make_campaign()
    url = f"/api/v1/links/{outlet_token(c)}/responses"
    calls = _flask_calls(app)
    assert client.get(url).status_code == 405
    forged = client.post(url, json={"answers": full_answers(c)}, headers={"Host": "evil.example"})
    assert forged.status_code == 400 and calls == [url, url] and _stored() == 0


def test_each_limit_counts_a_request_once(make_app, make_campaign):
    """A request the layer hands on after hitting its limits is not hit again by Flask, and a
    breach is Flask's 429 with Flask-Limiter's headers: three sends, two of them refused as
    invalid, use the per-client limit of 3 exactly."""
    app = make_app(
        RATELIMIT_ENABLED=True,
        SURVEY_RATE_PER_CLIENT="3 per minute",
        SURVEY_RATE_PER_ADDRESS="1000 per minute",
    )
    with app.app_context():
        c = make_campaign()
        url = f"/api/v1/links/{outlet_token(c)}/responses"
        client = app.test_client()
        bad = {"answers": {}, "client_id": "one-phone-01"}
        assert [client.post(url, json=bad).status_code for _ in range(2)] == [422, 422]
        good = {"answers": full_answers(c), "client_id": "one-phone-01"}
        ok = client.post(url, json=good)
        # the headers name the first limit (the address's ceiling): three sends, counted once
        assert ok.status_code == 201 and ok.headers["X-RateLimit-Remaining"] == "997"
        limited = client.post(url, json=good)
        assert limited.status_code == 429 and limited.json["error"]["code"] == "rate_limited"
        assert limited.headers["X-RateLimit-Limit"] == "3"
        assert 0 <= int(limited.headers["Retry-After"]) <= 60
        app.config["SUBMIT_FAST_PATH"] = False
        flask = client.post(url, json=good)
        _same_answer(limited, flask)
        assert flask.json == limited.json


def test_the_form_and_the_api_share_one_count(make_app, make_campaign):
    """The layer hits the keys and scopes of Flask-Limiter's decorators: the form's sends and
    the API's count together against the per-link limit."""
    app = make_app(RATELIMIT_ENABLED=True, SURVEY_RATE_PER_LINK="4 per minute")
    with app.app_context():
        c = make_campaign()
        token = outlet_token(c)
        client = app.test_client()

        def api(i):
            body = {"answers": full_answers(c), "client_id": f"api-phone-{i:02d}"}
            return client.post(f"/api/v1/links/{token}/responses", json=body)

        def form(i):
            return client.post(f"/s/{token}", data=form_data(c, client_id=f"form-phone-{i:02d}"))

        assert [api(0).status_code, form(0).status_code, api(1).status_code] == [201, 303, 201]
        assert form(1).status_code == 303
        assert api(2).status_code == 429 and form(2).status_code == 429
        assert _stored() == 4


def test_behind_a_proxy_the_layer_sees_the_customer_s_address(make_app, make_campaign):
    """PROXY_FIX wraps the layer as it wraps Flask: the per-address ceiling counts the address
    the proxy forwarded, not the proxy's own."""
    app = make_app(PROXY_FIX=True, RATELIMIT_ENABLED=True, SURVEY_RATE_PER_ADDRESS="1 per minute")
    with app.app_context():
        c = make_campaign()
        url = f"/api/v1/links/{outlet_token(c)}/responses"
        client = app.test_client()
        calls = _flask_calls(app)

        def send(address: str, n: int):
            body = {"answers": full_answers(c), "client_id": f"proxied-phone-{n:02d}"}
            return client.post(url, json=body, headers={"X-Forwarded-For": address}).status_code

        assert [send("203.0.113.7", 0), send("198.51.100.9", 1)] == [201, 201]
        assert calls == []  # both stored by the layer
        assert send("203.0.113.7", 2) == 429


def test_a_failure_it_cannot_decide_again_is_flask_s_500_once(make_app, make_campaign, monkeypatch):
    """A database error in the layer is not retried through Flask's view (a commit whose answer
    was lost may have stored the response): Flask answers 500 in the error contract."""
    from surveyapp.services import responses

    app = make_app()
    with app.app_context():
        c = make_campaign()
        calls = []

        def failing(*args, **kwargs):
            calls.append(args)
            raise RuntimeError("connection lost during COMMIT")

        monkeypatch.setattr(responses, "submit_online", failing)
        url = f"/api/v1/links/{outlet_token(c)}/responses"
        resp = app.test_client().post(url, json={"answers": full_answers(c)})
        assert resp.status_code == 500 and resp.json["error"]["code"]
        assert len(calls) == 1


def test_a_phone_that_opened_the_survey_page_is_stored_by_the_layer(make_app, make_campaign):
    """The survey page leaves its CSRF token in a session cookie, which the phone's JSON
    submission carries: that caller is anonymous and stored by the layer, answered as Flask
    answers it (sent outside any app context, as a server sends them: Flask-Login loads the
    caller afresh for each request)."""
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        c = make_campaign()
        token, answers = outlet_token(c), full_answers(c)
    url = f"/api/v1/links/{token}/responses"
    client = app.test_client()
    page = client.get(f"/s/{token}")
    assert "session=" in page.headers["Set-Cookie"]
    calls = _flask_calls(app)
    n = iter(range(10))

    def send():
        return client.post(url, json={"answers": answers, "client_id": f"page-phone-{next(n):02d}"})

    fast, flask = _both(app, send)
    assert fast.status_code == flask.status_code == 201
    assert calls == [url]  # the second only
    _same_answer(fast, flask)
    assert "session=" not in fast.headers.get("Set-Cookie", "")
    with app.app_context():
        assert _stored() == 2


def test_a_session_naming_a_user_is_flask_s(app, client, make_campaign, make_user, login):
    c = make_campaign()
    url = f"/api/v1/links/{outlet_token(c)}/responses"
    make_user("auditor", "tries-the-link")
    login("tries-the-link")
    calls = _flask_calls(app)
    assert client.post(url, json={"answers": full_answers(c)}).status_code == 201
    assert calls == [url]


def test_limiter_settings_it_does_not_reproduce_send_every_submission_to_flask(
    make_app, make_campaign
):
    """An app-wide limit (RATELIMIT_APPLICATION) is Flask-Limiter's to hit: the layer hands
    the submissions on uncounted, and the limit holds."""
    from surveyapp.extensions import limiter

    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_APPLICATION="2 per minute")
    try:
        with app.app_context():
            c = make_campaign()
            token, answers = outlet_token(c), full_answers(c)
        url = f"/api/v1/links/{token}/responses"
        client = app.test_client()
        calls = _flask_calls(app)
        codes = [
            client.post(url, json={"answers": answers, "client_id": f"app-limit-{i:02d}"})
            for i in range(3)
        ]
        assert [r.status_code for r in codes] == [201, 201, 429] and calls == [url] * 3
    finally:
        # the one Limiter of the process keeps an app's application limits for every later app
        limiter.limit_manager.set_application_limits([])


def test_a_token_that_is_not_ascii_is_flask_s(app, client):
    calls = _flask_calls(app)
    resp = client.post("/api/v1/links/%E4%BD%A0%E5%A5%BD/responses", json={"answers": {}})
    assert resp.status_code == 404 and resp.json["error"]["code"] and len(calls) == 1


def test_who_a_session_cookie_may_name_is_read_without_its_signature(app):
    """The layer reads the session's payload only to decide who else looks: naming a user or
    permanent (compressed or not), or not decoding, is Flask's; anything else is a customer's."""
    from surveyapp.web.submit_path import _may_name_a_user

    serializer = app.session_interface.get_signing_serializer(app)
    cookie = lambda data: serializer.dumps(data)  # noqa: E731
    assert not _may_name_a_user(cookie({"csrf_token": "ab" * 20}))
    assert _may_name_a_user(cookie({"_user_id": "7.0", "csrf_token": "ab" * 20}))
    big = cookie({"_user_id": "7.0", "_id": "f" * 128, "csrf_token": "ab" * 200})
    assert big.startswith(".")  # itsdangerous compressed it
    assert _may_name_a_user(big)
    assert _may_name_a_user(cookie({"_permanent": True}))
    assert _may_name_a_user("!!not base64!!") and _may_name_a_user(".AAAA.x.y")


def test_a_forged_session_is_a_customer_s_on_both_paths(make_app, make_campaign):
    """A session cookie whose signature is wrong is an empty session to Flask, so an anonymous
    caller: the layer stores the response and answers as Flask does."""
    app = make_app()
    with app.app_context():
        c = make_campaign()
        token, answers = outlet_token(c), full_answers(c)
    url = f"/api/v1/links/{token}/responses"
    client = app.test_client()
    serializer = app.session_interface.get_signing_serializer(app)
    host = app.config["SERVER_NAME"]
    calls = _flask_calls(app)
    n = iter(range(10))

    def send():
        return client.post(url, json={"answers": answers, "client_id": f"forged-ses-{next(n):02d}"})

    client.set_cookie("session", serializer.dumps({"csrf_token": "x"})[:-4] + "AAAA", domain=host)
    fast, flask = _both(app, send)
    assert fast.status_code == flask.status_code == 201 and calls == [url]
    _same_answer(fast, flask)
    # the cookie is sent: a forged one naming a user is Flask's (which finds nobody)
    client.set_cookie("session", serializer.dumps({"_user_id": "1.0"})[:-4] + "AAAA", domain=host)
    calls.clear()
    assert send().status_code == 201 and calls == [url]
