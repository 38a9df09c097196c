"""A customer who marks most questions 不适用 is asked once, then stored and counted invalid.

DOMAIN.md "Valid response" and CONTRACT (December): fewer than half of the scored questions
answered is accepted (API 201), stored, and left out of S; only malformed input is refused.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from surveyapp.db import db
from surveyapp.models import Response
from surveyapp.services import scores
from tests.factories import form_data, full_answers, outlet_token
from tests.helpers import bearer


def stored() -> int:
    return db.session.scalar(select(func.count(Response.id)))


def mostly_na(campaign) -> dict:
    """Every question answered 不适用 but the first three scored ones."""
    answers = dict.fromkeys(full_answers(campaign))
    for qid in ("fun1", "fun2", "fun3"):
        answers[qid] = 4
    return answers


def test_api_stores_mostly_not_applicable_and_counts_it_invalid(client, make_campaign, make_user):
    scores.clear_cache()
    _admin, token = make_user("admin")
    c = make_campaign()
    ok = client.post(
        f"/api/v1/links/{outlet_token(c)}/responses", json={"answers": full_answers(c)}
    )
    few = client.post(f"/api/v1/links/{outlet_token(c)}/responses", json={"answers": mostly_na(c)})
    assert (ok.status_code, few.status_code) == (201, 201)
    face = client.post(
        f"/api/v1/campaigns/{c.id}/responses",
        json={"outlet": c.outlets[0].id, "answers": mostly_na(c)},
        headers=bearer(token),
    )
    assert face.status_code == 201, face.json
    got = client.get(f"/api/v1/campaigns/{c.id}/scores", headers=bearer(token)).json
    assert got["received"] == {"in_person": 1, "online": 2}
    assert got["invalid"] == {"in_person": 1, "online": 1}
    assert got["n"] == {"in_person": 0, "online": 1}
    assert got["S_online"] == 100.0  # the stored invalid response does not move S


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_survey_page_asks_once_then_stores(client, make_campaign, lang):
    c = make_campaign()
    url = f"/s/{outlet_token(c)}" + ("?lang=en" if lang == "en" else "")
    data = {f"q_{k}": ("na" if v is None else str(v)) for k, v in mostly_na(c).items()}
    data["client_id"] = "few-answers-0001"
    first = client.post(url, data=data)
    html = first.get_data(as_text=True)
    assert first.status_code == 200 and stored() == 0
    words = "Submit anyway" if lang == "en" else "仍然提交"
    assert words in html and 'name="confirm_few" value="1"' in html
    assert ("3 of the 18" if lang == "en" else "您只回答了 3 道评价题（共 18 道）") in html
    assert 'value="na" checked' in html  # the answers are kept
    second = client.post(url, data={**data, "confirm_few": "1"})
    assert second.status_code == 303 and second.headers["Location"].endswith("/thanks")
    assert stored() == 1


def test_a_complete_page_is_never_asked(client, make_campaign):
    c = make_campaign()
    resp = client.post(f"/s/{outlet_token(c)}", data=form_data(c, 5))
    assert resp.status_code == 303 and stored() == 1


def test_interview_asks_once_then_stores(client, make_campaign, make_user, login):
    auditor, _token = make_user("auditor", username="few-auditor")
    c = make_campaign(auditors=[auditor])
    login("few-auditor")
    url = f"/interview/{c.id}/{c.outlets[0].id}"
    data = {f"q_{k}": ("na" if v is None else str(v)) for k, v in mostly_na(c).items()}
    first = client.post(url, data=data)
    assert first.status_code == 200 and stored() == 0
    assert "仍然提交" in first.get_data(as_text=True)
    second = client.post(url, data={**data, "confirm_few": "1"})
    assert second.status_code == 303 and stored() == 1
