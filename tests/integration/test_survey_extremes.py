"""Every answer at the top, every answer at the bottom: the campaign evaluates (issue 10).

float64 means of means over many responses can land a hair outside 0–100 (100.00000000000001,
depending on the BLAS and the order of the sums); the survey figures must cross into the
engine's Decimals without that noise, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import uuid

import pytest

from surveyapp.services import scores
from tests.helpers import bearer
from tests.scores_fixtures import five_star_input

IN_PERSON, ONLINE = 7, 13  # uneven counts: the sums that showed the noise


def _fill(client, token, answer: int, nps: int) -> int:
    created = client.post(
        "/api/v1/campaigns",
        headers=bearer(token),
        json={
            "organization": {"name": "极值电器有限公司", "operating_since": "2020-01-01"},
            "scheme": "cqm-2019",
            "outlets": [{"name": "朝阳服务中心"}, {"name": "海淀服务中心"}],
        },
    )
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    cid = body["id"]
    q = client.get(f"/api/v1/campaigns/{cid}/questionnaire").get_json()["questions"]
    answers = {
        x["id"]: (nps if x.get("kind") == "nps" else answer)
        for x in q
        if x.get("kind", "likert") != "text"
    }
    for _ in range(IN_PERSON):
        r = client.post(
            f"/api/v1/campaigns/{cid}/responses",
            headers=bearer(token),
            json={"outlet": body["outlets"][0]["id"], "answers": answers},
        )
        assert r.status_code == 201, r.get_json()
    token_url = body["outlets"][1]["survey_url"].rsplit("/", 1)[-1]
    for _ in range(ONLINE):
        r = client.post(
            f"/api/v1/links/{token_url}/responses",
            json={"answers": answers, "client_id": str(uuid.uuid4())},
        )
        assert r.status_code == 201, r.get_json()
    return cid


@pytest.mark.parametrize(
    ("answer", "nps", "expected_s", "level"),
    [
        (5, 10, 100.0, "five_star"),  # X = 94 with the fixture's checklist: every row holds
        (1, 0, 20.0, "one_star"),  # S = 20 fails S ≥ 60 at two stars; one star needs no S
    ],
)
def test_extreme_campaign_evaluates_and_finalizes(
    client, make_user, answer, nps, expected_s, level
):
    scores.clear_cache()
    _admin, token = make_user("admin")
    cid = _fill(client, token, answer, nps)

    got = client.get(f"/api/v1/campaigns/{cid}/scores", headers=bearer(token)).get_json()
    assert got["n"] == {"in_person": IN_PERSON, "online": ONLINE}
    # exactly the top/bottom of the scale: no float noise leaves the survey math
    for key in ("S", "S_in_person", "S_online"):
        assert got[key] == expected_s, (key, got[key])
    assert all(v == expected_s for v in got["dimensions"].values())
    assert all(expected_s == lo == hi for lo, hi in [got["ci95"]["S"]])

    url = f"/api/v1/campaigns/{cid}/evaluation"
    put = client.put(url, json=five_star_input(), headers=bearer(token))
    assert put.status_code == 200, put.get_json()
    assert put.get_json()["level"] == level
    assert put.get_json()["survey"]["S"] == expected_s
    fin = client.post(f"{url}/finalize", headers=bearer(token))
    assert fin.status_code == 200, fin.get_json()
    assert client.get(url, headers=bearer(token)).get_json()["level"] == level

    page = client.get(f"/campaigns/{cid}/dashboard", headers=bearer(token))
    assert page.status_code in (200, 302)
