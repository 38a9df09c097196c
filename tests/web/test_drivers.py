"""GET /campaigns/<id>/drivers (issue 14): importance = r with the overall question over the
valid responses, performance = the campaign's own dimension score; hand-worked."""

from __future__ import annotations

import math

from surveyapp.scoring.survey import DIMENSIONS
from surveyapp.services import scores
from tests.helpers import bearer
from tests.scores_fixtures import SCORED, add_responses, make_campaign


def row(fun: int, rest: int, overall: int) -> list:
    """Both functionality questions `fun`, every other scored question `rest`."""
    return [fun, fun] + [rest] * (SCORED - 2) + [overall, None]


def test_drivers_by_hand(app, client, make_user):
    scores.clear_cache()
    c = make_campaign()
    # functionality 80, 80, 40, 60 (scale 20..100) against overall 100, 80, 40, 60; the other
    # dimensions 60, 80, 60, 80
    add_responses(c, "online", [row(4, 3, 5), row(4, 4, 4), row(2, 3, 2), row(3, 4, 3)])
    add_responses(c, "online", [[1] + [None] * (SCORED - 1) + [1, None]])  # invalid
    auth = bearer(make_user("viewer", "drivers.reader")[1])
    body = client.get(f"/api/v1/campaigns/{c.id}/drivers", headers=auth).json
    assert (body["method"], body["basis"]) == ("pearson_r", "overall_question:overall")
    by = {d["dimension"]: d for d in body["dimensions"]}
    assert list(by) == list(DIMENSIONS)
    fun = by["functionality"]
    assert fun["importance"] == round(1400 / math.sqrt(1100 * 2000), 3) == 0.944
    assert (fun["n"], fun["sufficient"]) == (4, False)
    # others (60, 80, 60, 80) vs overall (100, 80, 40, 60): dev (-10, 10, -10, 10) · (30, 10,
    # -30, -10) = -300 + 100 + 300 - 100 = 0
    assert by["economy"]["importance"] == 0.0
    whole = client.get(f"/api/v1/campaigns/{c.id}/scores", headers=auth).json
    assert all(by[d]["performance"] == whole["dimensions"][d] for d in DIMENSIONS)
    # functionality 65 vs the others 70: most important and below the mean performance
    assert fun["performance"] == 65.0
    assert fun["quadrant"] == "fix_first"
    assert by["economy"]["quadrant"] == "possible_overkill"
    assert body["split"]["performance"] == round((65 + 5 * 70) / 6, 2)
    questions = {q["question_id"]: q for q in body["questions"]}
    assert questions["fun1"]["dimension"] == "functionality"
    assert questions["fun1"]["importance"] == fun["importance"]
    assert len(questions) == SCORED


def test_drivers_follow_the_filter(app, client, make_user):
    scores.clear_cache()
    c = make_campaign()
    add_responses(c, "online", [row(5, 5, 5), row(3, 3, 3), row(4, 4, 4)])
    add_responses(c, "in_person", [row(5, 1, 1), row(1, 5, 5), row(3, 3, 3)])
    auth = bearer(make_user("viewer", "drivers.filter")[1])
    url = f"/api/v1/campaigns/{c.id}/drivers"
    online = client.get(url, query_string={"channel": "online"}, headers=auth).json
    in_person = client.get(url, query_string={"channel": "in_person"}, headers=auth).json
    assert online["dimensions"][0]["importance"] == 1.0
    assert in_person["dimensions"][0]["importance"] == -1.0
    assert client.get(url, query_string={"channel": "fax"}, headers=auth).status_code == 400


def test_an_empty_campaign_has_drivers_without_figures(app, client, make_user):
    c = make_campaign()
    auth = bearer(make_user("viewer", "drivers.empty")[1])
    body = client.get(f"/api/v1/campaigns/{c.id}/drivers", headers=auth).json
    assert {d["importance"] for d in body["dimensions"]} == {None}
    assert {d["quadrant"] for d in body["dimensions"]} == {None}
