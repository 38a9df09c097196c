"""POST /campaigns, GET /campaigns/<id>, its questionnaire, status and single-use links."""

from sqlalchemy import func, select

from surveyapp.db import db
from surveyapp.models import Campaign, Organization
from surveyapp.scoring.survey import DIMENSIONS
from tests.helpers import bearer

BODY = {
    "organization": {"name": "示例电器有限公司", "operating_since": "2020-01-01"},
    "scheme": "cqm-2019",
    "outlets": [{"name": "朝阳服务中心"}, {"name": "海淀服务中心", "address": "海淀区 1 号"}],
}


def test_create_campaign_as_in_the_contract(client, make_user):
    auditor, token = make_user("auditor")
    resp = client.post("/api/v1/campaigns", json=BODY, headers=bearer(token))
    assert resp.status_code == 201, resp.json
    data = resp.json
    assert isinstance(data["id"], int) and data["status"] == "collecting"
    assert [o["name"] for o in data["outlets"]] == ["朝阳服务中心", "海淀服务中心"]
    for o in data["outlets"]:
        assert o["survey_url"].startswith("http://survey.test/s/")
        token_part = o["survey_url"].rsplit("/", 1)[1]
        assert len(token_part) >= 43  # 256 random bits, url-safe
        assert client.get(o["survey_url"].replace("http://survey.test", "")).status_code == 200
    assert data["auditors"] == [auditor.username]  # the creator is assigned
    c = db.session.get(Campaign, data["id"])
    assert c.questionnaire["version"] and c.survey_params["scale"]["5"] == 100.0
    assert c.organization.operating_since.isoformat() == "2020-01-01"


def test_create_refusals_write_nothing(client, make_user):
    _admin, token = make_user("admin")
    _viewer, viewer_token = make_user("viewer")
    assert client.post("/api/v1/campaigns", json=BODY).status_code == 401
    assert (
        client.post("/api/v1/campaigns", json=BODY, headers=bearer(viewer_token)).status_code == 403
    )
    cases = [
        ({**BODY, "scheme": "nope-1"}, "scheme"),
        ({**BODY, "outlets": []}, "outlets"),
        ({**BODY, "outlets": [{"name": ""}]}, "outlets[0].name"),
        (
            {**BODY, "organization": {"name": "X", "operating_since": "2020-13-01"}},
            "organization.operating_since",
        ),
        ({**BODY, "organization": {}}, "organization.name"),
        ({**BODY, "opens_at": "2026-10-01T00:00:00"}, "opens_at"),
        ({**BODY, "status": "finalized"}, "status"),
        ({**BODY, "colour": "red"}, "colour"),
        ({**BODY, "auditors": ["ghost-user"]}, "auditors"),
    ]
    for body, field in cases:
        resp = client.post("/api/v1/campaigns", json=body, headers=bearer(token))
        assert resp.status_code == 422, (field, resp.json)
        assert resp.json["error"]["field"] == field
    assert db.session.scalar(select(func.count(Campaign.id))) == 0
    assert db.session.scalar(select(func.count(Organization.id))) == 0


def test_admin_creates_with_auditors_and_window(client, make_user):
    _admin, token = make_user("admin")
    auditor, _t = make_user("auditor")
    body = {
        **BODY,
        "auditors": [auditor.username],
        "status": "draft",
        "title": "2026 年度评价",
        "opens_at": "2026-10-01T00:00:00+08:00",
        "closes_at": "2026-10-31T00:00:00+08:00",
    }
    data = client.post("/api/v1/campaigns", json=body, headers=bearer(token)).json
    assert data["auditors"] == [auditor.username] and data["status"] == "draft"
    assert data["title"] == "2026 年度评价" and data["opens_at"].startswith("2026-09-30T16:00")


def test_questionnaire_is_public_and_carries_the_s_parameters(client, make_user):
    _a, token = make_user("auditor")
    cid = client.post("/api/v1/campaigns", json=BODY, headers=bearer(token)).json["id"]
    q = client.get(f"/api/v1/campaigns/{cid}/questionnaire")
    assert q.status_code == 200
    doc = q.json
    assert doc["scale"] == {"1": 20.0, "2": 40.0, "3": 60.0, "4": 80.0, "5": 100.0}
    assert doc["channel_weights"] == {"in_person": 0.5, "online": 0.5}
    assert set(doc["dimension_weights"]) == set(DIMENSIONS)
    for dim in DIMENSIONS:
        assert sum(1 for x in doc["questions"] if x["dimension"] == dim) >= 3
    kinds = {x["id"]: x["kind"] for x in doc["questions"]}
    assert kinds["nps"] == "nps" and kinds["comment"] == "text" and kinds["overall"] == "likert"
    assert all(x["text"]["zh"] and x["text"]["en"] for x in doc["questions"])
    assert client.get("/api/v1/campaigns/424242/questionnaire").status_code == 404


def test_read_access_by_role_and_assignment(client, make_user, make_campaign):
    mine, token = make_user("auditor")
    _other, other_token = make_user("auditor")
    _viewer, viewer_token = make_user("viewer")
    c = make_campaign(auditors=[mine])
    assert client.get(f"/api/v1/campaigns/{c.id}", headers=bearer(token)).json["id"] == c.id
    assert client.get(f"/api/v1/campaigns/{c.id}", headers=bearer(viewer_token)).status_code == 200
    assert client.get(f"/api/v1/campaigns/{c.id}", headers=bearer(other_token)).status_code == 403
    assert client.get("/api/v1/campaigns/999", headers=bearer(token)).status_code == 404


def test_status_transitions(client, make_user, make_campaign):
    mine, token = make_user("auditor")
    _viewer, viewer_token = make_user("viewer")
    c = make_campaign(status="draft", auditors=[mine])
    url = f"/api/v1/campaigns/{c.id}/status"
    assert (
        client.post(url, json={"status": "collecting"}, headers=bearer(viewer_token)).status_code
        == 403
    )
    assert client.post(url, json={"status": "finalized"}, headers=bearer(token)).status_code == 409
    for s in ("collecting", "closed", "collecting", "closed"):
        resp = client.post(url, json={"status": s}, headers=bearer(token))
        assert resp.status_code == 200 and resp.json["status"] == s
    # finalized only by finalizing the evaluation (one meaning of 定稿)
    resp = client.post(url, json={"status": "finalized"}, headers=bearer(token))
    assert resp.status_code == 409 and resp.json["error"]["code"] == "bad_transition"
    assert client.post(url, json={}, headers=bearer(token)).status_code == 422


def test_issue_single_use_links(client, make_user, make_campaign):
    mine, token = make_user("auditor")
    c = make_campaign(auditors=[mine])
    url = f"/api/v1/campaigns/{c.id}/outlets/{c.outlets[0].id}/links"
    resp = client.post(url, json={"labels": ["WO-1001", "WO-1002"]}, headers=bearer(token))
    assert resp.status_code == 201
    assert [x["label"] for x in resp.json["links"]] == ["WO-1001", "WO-1002"]
    assert len({x["survey_url"] for x in resp.json["links"]}) == 2
    assert client.post(url, json={"count": 0}, headers=bearer(token)).status_code == 422
    assert client.post(url, json={"count": 1001}, headers=bearer(token)).status_code == 422
    assert (
        client.post(
            f"/api/v1/campaigns/{c.id}/outlets/9999/links", json={"count": 1}, headers=bearer(token)
        ).status_code
        == 404
    )
