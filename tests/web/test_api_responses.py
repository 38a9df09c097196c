"""POST /links/<token>/responses (public, online) and POST /campaigns/<id>/responses (in person)."""

import pytest
from sqlalchemy import func, select

from surveyapp.db import db
from surveyapp.models import Response
from surveyapp.services import campaigns as campaign_service
from tests.factories import full_answers, outlet_token
from tests.helpers import bearer


def n_responses():
    return db.session.scalar(select(func.count(Response.id)))


def post(client, token, **body):
    return client.post(f"/api/v1/links/{token}/responses", json=body)


def test_online_201_then_200_with_the_same_id(client, make_campaign):
    c = make_campaign()
    token = outlet_token(c)
    body = {
        "answers": full_answers(c) | {"fun2": None},
        "comment": "不错",
        "client_id": "4b1c7a1e-0000-4000-8000-000000000001",
    }
    first = post(client, token, **body)
    assert first.status_code == 201 and isinstance(first.json["id"], int)
    again = post(client, token, **body)
    assert again.status_code == 200 and again.json == first.json
    assert n_responses() == 1
    r = db.session.get(Response, first.json["id"])
    assert r.channel == "online" and r.comment == "不错" and r.answers[1] == "-"


def test_signed_start_stamp_gives_a_duration(client, make_campaign):
    c = make_campaign()
    token = outlet_token(c)
    info = client.get(f"/api/v1/links/{token}")
    assert info.status_code == 200 and info.json["outlet"]["id"] == c.outlets[0].id
    resp = post(client, token, answers=full_answers(c), started=info.json["started"])
    r = db.session.get(Response, resp.json["id"])
    assert r.started_at is not None and r.duration_s is not None and r.duration_s >= 0
    # a stamp of another link is ignored, not trusted
    other = client.get(f"/api/v1/links/{outlet_token(c, 1)}").json["started"]
    r2 = db.session.get(
        Response, post(client, token, answers=full_answers(c), started=other).json["id"]
    )
    assert r2.started_at is None


@pytest.mark.parametrize(
    ("change", "status", "code", "field"),
    [
        ({"fun1": 6}, 422, "out_of_range", "fun1"),
        ({"nps": 11}, 422, "out_of_range", "nps"),
        ({"fun1": "5"}, 422, "out_of_range", "fun1"),
        ({"no_such_question": 3}, 422, "unknown_question", "no_such_question"),
    ],
)
def test_bad_answers_refused_with_field_and_nothing_stored(
    client, make_campaign, change, status, code, field
):
    c = make_campaign()
    resp = post(client, outlet_token(c), answers=full_answers(c) | change)
    assert resp.status_code == status
    err = resp.json["error"]
    assert (err["code"], err["field"]) == (code, field)
    assert err["fields"][field]["message"]
    assert n_responses() == 0


def test_missing_required_answer_named_in_chinese(client, make_campaign):
    c = make_campaign()
    answers = full_answers(c)
    del answers["saf2"]
    resp = post(client, outlet_token(c), answers=answers)
    assert resp.status_code == 422
    assert resp.json["error"]["field"] == "saf2"
    assert "不适用" in resp.json["error"]["message"]


def test_bad_token_closed_campaign_used_and_revoked_links(client, make_campaign):
    c = make_campaign()
    assert post(client, "nope", answers={}).status_code == 404
    assert post(client, "nope", answers={}).json["error"]["code"] == "bad_token"
    _b, links = campaign_service.issue_single_use(c.outlets[0], 1)
    assert post(client, links[0].token, answers=full_answers(c)).status_code == 201
    used = post(client, links[0].token, answers=full_answers(c))
    # a second phone on one code: kept and flagged, never thrown away (DOMAIN: duplicates)
    assert used.status_code == 201 and used.json["reused"] is True
    token = outlet_token(c)
    campaign_service.change_status(c, "closed")
    closed = post(client, token, answers=full_answers(c))
    assert closed.status_code == 410 and closed.json["error"]["code"] == "campaign_closed"
    assert n_responses() == 2  # both phones of the single-use code; nothing after closing


def test_malformed_bodies(client, make_campaign):
    c = make_campaign()
    token = outlet_token(c)
    assert client.post(f"/api/v1/links/{token}/responses", data="answers").status_code == 415
    assert post(client, token).status_code == 422
    assert (
        post(client, token, answers=full_answers(c), extra=1).json["error"]["code"]
        == "unknown_field"
    )
    assert post(client, token, answers=[1, 2]).status_code == 422
    assert (
        post(client, token, answers=full_answers(c), client_id="x").json["error"]["field"]
        == "client_id"
    )
    resp = post(client, token, answers=full_answers(c), contact="13800138000")
    assert resp.json["error"]["code"] == "contact_without_consent"
    assert n_responses() == 0


def test_in_person_by_the_assigned_auditor(client, make_campaign, make_user):
    auditor, token = make_user("auditor")
    c = make_campaign(auditors=[auditor])
    resp = client.post(
        f"/api/v1/campaigns/{c.id}/responses",
        headers=bearer(token),
        json={
            "outlet": c.outlets[1].id,
            "answers": full_answers(c, 4),
            "started_at": "2020-01-01T00:00:00+00:00",
        },
    )
    # a start outside the last 12 h is not trusted for timing: stored without it, not refused
    assert resp.status_code == 201, resp.json
    untimed = db.session.get(Response, resp.json["id"])
    assert untimed.started_at is None and untimed.duration_s is None
    resp = client.post(
        f"/api/v1/campaigns/{c.id}/responses",
        headers=bearer(token),
        json={
            "outlet": c.outlets[1].id,
            "answers": full_answers(c, 4),
            "client_id": "tablet-000001",
        },
    )
    assert resp.status_code == 201
    r = db.session.get(Response, resp.json["id"])
    assert (r.channel, r.auditor_id, r.outlet_id) == ("in_person", auditor.id, c.outlets[1].id)
    again = client.post(
        f"/api/v1/campaigns/{c.id}/responses",
        headers=bearer(token),
        json={
            "outlet": c.outlets[1].id,
            "answers": full_answers(c, 4),
            "client_id": "tablet-000001",
        },
    )
    assert again.status_code == 200 and again.json == resp.json


def test_in_person_refusals(client, make_campaign, make_user):
    auditor, token = make_user("auditor")
    _other, other_token = make_user("auditor")
    _viewer, viewer_token = make_user("viewer")
    c = make_campaign(auditors=[auditor])
    url = f"/api/v1/campaigns/{c.id}/responses"
    body = {"outlet": c.outlets[0].id, "answers": full_answers(c)}
    assert client.post(url, json=body).status_code == 401
    assert client.post(url, json=body, headers=bearer(viewer_token)).status_code == 403
    denied = client.post(url, json=body, headers=bearer(other_token))
    assert denied.status_code == 403 and denied.json["error"]["code"] == "forbidden"
    assert (
        client.post(
            "/api/v1/campaigns/999999/responses", json=body, headers=bearer(token)
        ).status_code
        == 404
    )
    foreign = make_campaign(outlets=["别处"])
    bad = client.post(url, json=body | {"outlet": foreign.outlets[0].id}, headers=bearer(token))
    assert bad.status_code == 422 and bad.json["error"]["field"] == "outlet"
    missing = client.post(url, json={"answers": full_answers(c)}, headers=bearer(token))
    assert missing.status_code == 422 and missing.json["error"]["field"] == "outlet"
    campaign_service.change_status(c, "closed")
    assert client.post(url, json=body, headers=bearer(token)).status_code == 410
    assert n_responses() == 0


def test_rate_limits_per_client_but_not_per_shared_address(make_app, make_campaign):
    app = make_app(
        RATELIMIT_ENABLED=True,
        SURVEY_RATE_PER_CLIENT="3 per minute",
        SURVEY_RATE_PER_ADDRESS="1000 per minute",
    )
    with app.app_context():
        c = make_campaign()
        token = outlet_token(c)
        client = app.test_client()
        codes = [
            post(client, token, answers=full_answers(c), client_id="same-client-01").status_code
            for _ in range(4)
        ]
        assert codes == [201, 200, 200, 429]
        # 30 other phones on the same outlet Wi-Fi (same address) are not locked out
        codes = [
            post(client, token, answers=full_answers(c), client_id=f"phone-{i:04d}").status_code
            for i in range(30)
        ]
        assert codes == [201] * 30
        limited = post(client, token, answers=full_answers(c), client_id="same-client-01")
        assert limited.status_code == 429 and limited.json["error"]["code"]


def test_openapi_lists_the_endpoints_with_schemas(client):
    doc = client.get("/api/v1/openapi.json").json
    for path in (
        "/links/{token}/responses",
        "/campaigns/{campaign_id}/responses",
        "/links/{token}",
    ):
        assert path in doc["paths"]
    post_online = doc["paths"]["/links/{token}/responses"]["post"]
    assert {"201", "200", "404", "409", "410", "422"} <= set(post_online["responses"])
    assert (
        "answers"
        in post_online["requestBody"]["content"]["application/json"]["schema"]["properties"]
    )
