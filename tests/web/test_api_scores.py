"""GET /api/v1/campaigns/<id>/scores, …/export.csv, …/evaluation (PUT/GET), …/finalize."""

from __future__ import annotations

import csv
import io

import pytest

from surveyapp.db import db
from surveyapp.models import Evaluation
from surveyapp.services import scores
from tests.helpers import bearer
from tests.scores_fixtures import add_responses, answers_all, five_star_input, make_campaign


@pytest.fixture
def setup(app, make_user):
    scores.clear_cache()
    admin, admin_t = make_user("admin")
    auditor, auditor_t = make_user("auditor")
    other, other_t = make_user("auditor")
    viewer, viewer_t = make_user("viewer")
    c = make_campaign(auditors=[auditor])
    add_responses(c, "in_person", [answers_all(5)] * 3)
    add_responses(c, "online", [answers_all(4)] * 2)
    return {
        "campaign": c,
        "admin": admin_t,
        "auditor": auditor_t,
        "other": other_t,
        "viewer": viewer_t,
    }


@pytest.mark.parametrize(
    "who,status", [("admin", 200), ("auditor", 200), ("viewer", 200), ("other", 403)]
)
def test_scores_roles(client, setup, who, status):
    c = setup["campaign"]
    resp = client.get(f"/api/v1/campaigns/{c.id}/scores", headers=bearer(setup[who]))
    assert resp.status_code == status
    if status == 200:
        body = resp.get_json()
        # contract shape; S = 0.5·100 + 0.5·80
        assert body["n"] == {"in_person": 3, "online": 2}
        assert body["S"] == pytest.approx(90.0)
        assert body["S_in_person"] == pytest.approx(100.0)
        assert body["S_online"] == pytest.approx(80.0)
        assert set(body["dimensions"]) == {
            "functionality",
            "economy",
            "safety",
            "timeliness",
            "comfort",
            "civility",
        }
        assert set(body["ci95"]) >= {"S", "S_in_person", "S_online"}
        assert body["sufficient"] == {"S": False, "S_in_person": False, "S_online": False}
        assert isinstance(body["warnings"], list)
        assert body["parameters"]["channel_weights"] == {"in_person": 0.5, "online": 0.5}


def test_scores_auth_and_errors(client, setup):
    c = setup["campaign"]
    assert client.get(f"/api/v1/campaigns/{c.id}/scores").status_code == 401
    assert (
        client.get("/api/v1/campaigns/999/scores", headers=bearer(setup["admin"])).status_code
        == 404
    )
    resp = client.get(
        f"/api/v1/campaigns/{c.id}/scores?channel=phone", headers=bearer(setup["admin"])
    )
    assert resp.status_code == 400
    assert resp.get_json()["error"]["field"] == "channel"
    resp = client.get(
        f"/api/v1/campaigns/{c.id}/scores?channel=online", headers=bearer(setup["viewer"])
    )
    assert resp.get_json()["n"] == {"in_person": 0, "online": 2}
    assert resp.get_json()["filter"]["channel"] == "online"


def test_export_csv_streamed(client, setup):
    c = setup["campaign"]
    assert (
        client.get(
            f"/api/v1/campaigns/{c.id}/export.csv", headers=bearer(setup["other"])
        ).status_code
        == 403
    )
    resp = client.get(f"/api/v1/campaigns/{c.id}/export.csv", headers=bearer(setup["viewer"]))
    assert resp.status_code == 200
    assert resp.is_streamed
    text = resp.get_data().decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text[1:])))
    assert len(rows) == 5
    assert {r["channel"] for r in rows} == {"in_person", "online"}
    resp = client.get(f"/api/v1/campaigns/{c.id}/scores.csv", headers=bearer(setup["viewer"]))
    assert resp.status_code == 200 and "S_in_person" in resp.get_data().decode("utf-8")


def test_evaluation_put_get_finalize(client, setup):
    c = setup["campaign"]
    url = f"/api/v1/campaigns/{c.id}/evaluation"
    assert client.get(url, headers=bearer(setup["viewer"])).status_code == 404  # none yet
    # viewers never write; an auditor not assigned neither
    assert (
        client.put(url, json=five_star_input(), headers=bearer(setup["viewer"])).status_code == 403
    )
    assert (
        client.put(url, json=five_star_input(), headers=bearer(setup["other"])).status_code == 403
    )
    resp = client.put(url, json=five_star_input(), headers=bearer(setup["auditor"]))
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    # X = 9.5+13.5+9.5+23+14+7+8+9.5 = 94; S = 90 but S_in_person = 100: five-star criteria
    # all hold (survey ≥ 90 both) → five_star
    assert body["score"] == 94.0
    assert body["level"] == "five_star"
    assert body["survey"]["S"] == pytest.approx(90.0)
    assert body["evaluation"]["status"] == "draft"
    got = client.get(url, headers=bearer(setup["viewer"])).get_json()
    assert got["level"] == "five_star" and got["survey"]["n"] == {"in_person": 3, "online": 2}

    fin = client.post(f"{url}/finalize", headers=bearer(setup["viewer"]))
    assert fin.status_code == 403
    fin = client.post(f"{url}/finalize", headers=bearer(setup["auditor"]))
    assert fin.status_code == 200
    assert fin.get_json()["evaluation"]["status"] == "finalized"
    # one meaning of 定稿: the campaign is finalized with its evaluation
    got = client.get(f"/api/v1/campaigns/{c.id}", headers=bearer(setup["viewer"])).get_json()
    assert got["status"] == "finalized"
    assert client.post(f"{url}/finalize", headers=bearer(setup["admin"])).status_code == 409


def test_evaluation_bad_input_stores_nothing(client, setup):
    c = setup["campaign"]
    url = f"/api/v1/campaigns/{c.id}/evaluation"
    bad = five_star_input()
    bad["scores"]["4.1.2"] = 16  # above the maximum of 15
    resp = client.put(url, json=bad, headers=bearer(setup["admin"]))
    assert resp.status_code == 400
    assert resp.get_json()["error"]["field"] == "scores.4.1.2"
    with_survey = {**five_star_input(), "survey": {"S": 99, "S_in_person": 99}}
    resp = client.put(url, json=with_survey, headers=bearer(setup["admin"]))
    assert resp.status_code == 400 and resp.get_json()["error"]["field"] == "survey"
    resp = client.put(url, data="nope", headers=bearer(setup["admin"]))
    assert resp.status_code == 415
    assert db.session.scalar(db.select(db.func.count(Evaluation.id))) == 0


def test_openapi_lists_paths(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    for path in (
        "/campaigns/{campaign_id}/scores",
        "/campaigns/{campaign_id}/evaluation",
        "/campaigns/{campaign_id}/evaluation/finalize",
        "/campaigns/{campaign_id}/export.csv",
    ):
        assert path in doc["paths"]
    assert "put" in doc["paths"]["/campaigns/{campaign_id}/evaluation"]


def test_a_three_item_draft_through_the_api(client, make_user):
    from surveyapp.services import scores
    from tests.scores_fixtures import five_star_input, make_campaign

    scores.clear_cache()
    user, token = make_user("auditor")
    c = make_campaign(auditors=[user])
    auth = {"Authorization": f"Bearer {token}"}
    full = five_star_input()
    three = {k: full["scores"][k] for k in ("4.1.1", "4.1.2", "4.1.3")}
    resp = client.put(
        f"/api/v1/campaigns/{c.id}/evaluation", json={**full, "scores": three}, headers=auth
    )
    assert resp.status_code == 200
    body = resp.json
    assert body["complete"] is False and body["level"] is None
    assert body["missing"] == ["4.1.4", "4.1.5", "4.1.6", "4.1.7", "4.1.8"]
    assert (
        client.get(f"/api/v1/campaigns/{c.id}/evaluation", headers=auth).json["missing"]
        == (body["missing"])
    )
    refused = client.post(f"/api/v1/campaigns/{c.id}/evaluation/finalize", headers=auth)
    assert refused.status_code == 409
    assert refused.json["error"]["code"] == "evaluation_incomplete"
    assert client.get(f"/api/v1/campaigns/{c.id}", headers=auth).json["status"] == "collecting"
