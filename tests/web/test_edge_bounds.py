"""Bounds at the edge: ids past 2^63, huge counts and pages are 4xx naming the field, at once.

Before: integers ≥ 2^63 reached the driver (500 on PostgreSQL) and the checklist's
`columns=100000000` looped until gunicorn killed the worker.
"""

from __future__ import annotations

import pytest

from surveyapp.db import db
from surveyapp.models import Evaluation
from tests.factories import full_answers
from tests.helpers import bearer

HUGE = 2**63
BODY = {
    "organization": {"name": "示例电器有限公司", "operating_since": "2020-01-01"},
    "scheme": "cqm-2019",
    "outlets": [{"name": "朝阳服务中心"}],
}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"auditors": [HUGE]}, "auditors"),
        ({"auditors": [-1]}, "auditors"),
        ({"organization": {"id": HUGE}}, "organization.id"),
        ({"organization": {"id": 0}}, "organization.id"),
    ],
)
def test_create_campaign_refuses_ids_out_of_range(client, make_user, change, field):
    _admin, token = make_user("admin")
    resp = client.post("/api/v1/campaigns", json={**BODY, **change}, headers=bearer(token))
    assert resp.status_code == 422, resp.json
    assert resp.json["error"]["field"] == field
    assert resp.json["error"]["code"] == "no_such_id"


def test_in_person_outlet_past_2_63_is_unknown(client, make_user, make_campaign):
    admin, token = make_user("admin")
    c = make_campaign()
    resp = client.post(
        f"/api/v1/campaigns/{c.id}/responses",
        json={"outlet": HUGE, "answers": full_answers(c)},
        headers=bearer(token),
    )
    assert resp.status_code == 422
    assert (resp.json["error"]["code"], resp.json["error"]["field"]) == ("unknown_outlet", "outlet")


@pytest.mark.parametrize("outlet", [str(HUGE), "-1", "0", "9" * 40, "x"])
def test_scores_outlet_filter_out_of_range(client, make_user, make_campaign, outlet):
    _admin, token = make_user("admin")
    c = make_campaign()
    resp = client.get(f"/api/v1/campaigns/{c.id}/scores?outlet={outlet}", headers=bearer(token))
    assert resp.status_code == 400, resp.get_data(as_text=True)[:300]
    assert resp.json["error"]["field"] == "outlet"
    assert "9223372036854775807" not in resp.json["error"]["message"]


def test_dashboard_outlet_of_another_campaign_is_refused_not_filtered(
    client, make_user, make_campaign, login
):
    make_user("admin", username="admin-outlets")
    c, other = make_campaign(), make_campaign(outlets=["别的网点"])
    login("admin-outlets")
    html = client.get(f"/campaigns/{c.id}/dashboard?outlet={other.outlets[0].id}").get_data(
        as_text=True
    )
    assert "没有这个服务网点" in html


@pytest.mark.parametrize(
    ("name", "value"),
    [("columns", "100000000"), ("deduction_rows", "1000000000"), ("event_rows", "99999999999")],
)
def test_checklist_counts_are_bounded(client, make_user, make_campaign, login, name, value):
    auditor, _t = make_user("auditor", username="auditor-bounds")
    c = make_campaign(auditors=[auditor])
    login("auditor-bounds")
    resp = client.post(f"/campaigns/{c.id}/evaluation", data={name: value, "score-4.1.1-0": "9"})
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert "页面已过期" in html and 'value="9"' in html  # what was typed comes back
    assert db.session.scalar(db.select(db.func.count(Evaluation.id))) == 0


def test_review_page_and_auditor_ids_are_bounded(client, make_user, make_campaign, login):
    make_user("admin", username="admin-bounds")
    c = make_campaign()
    login("admin-bounds")
    assert client.get(f"/campaigns/{c.id}/review?page={10**30}").status_code == 422
    assert client.get(f"/campaigns/{c.id}/review?page=2").status_code == 200
    resp = client.post(f"/campaigns/{c.id}/auditors", data={"auditor": str(HUGE)})
    assert resp.status_code in (302, 303, 422)
    assert resp.status_code != 500


def test_api_scores_outlet_of_another_campaign_is_refused(client, make_user, make_campaign):
    _admin, token = make_user("admin")
    c, other = make_campaign(), make_campaign(outlets=["别的网点"])
    resp = client.get(
        f"/api/v1/campaigns/{c.id}/scores?outlet={other.outlets[0].id}", headers=bearer(token)
    )
    assert resp.status_code == 400 and resp.json["error"]["field"] == "outlet"
    own = client.get(
        f"/api/v1/campaigns/{c.id}/scores?outlet={c.outlets[0].id}", headers=bearer(token)
    )
    assert own.status_code == 200
