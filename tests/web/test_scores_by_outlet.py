"""GET /campaigns/<id>/scores?by=outlet: each outlet computed exactly as a campaign of its own
(issue 14), checked by hand and against a campaign that holds only that outlet's responses."""

from __future__ import annotations

import json
import re

import pytest

from surveyapp.services import scores
from tests.helpers import bearer
from tests.scores_fixtures import add_responses, answers_all, make_campaign


@pytest.fixture
def reader(make_user):
    return bearer(make_user("viewer", "outlets.reader")[1])


def _fill(outlet_of, campaign):
    a, b = outlet_of(campaign)
    add_responses(campaign, "in_person", [answers_all(5)] * 3, outlet=a)
    add_responses(campaign, "online", [answers_all(4)] * 2, outlet=a)
    add_responses(campaign, "online", [answers_all(2), answers_all(3)], outlet=b)


def test_each_outlet_as_a_campaign_of_its_own(app, client, reader):
    scores.clear_cache()
    c = make_campaign()
    _fill(lambda c: c.outlets[:2], c)
    body = client.get(f"/api/v1/campaigns/{c.id}/scores?by=outlet", headers=reader).json
    first, second = body["outlets"]
    # by hand: in person all 5 → 100, online all 4 → 80, S = ½·100 + ½·80
    assert (first["S_in_person"], first["S_online"], first["S"]) == (100.0, 80.0, 90.0)
    assert first["n"] == {"in_person": 3, "online": 2}
    # online only: (40 + 60) / 2 = 50; no in-person response, so S is not computed
    assert second["S_online"] == 50.0 and second["S_in_person"] is None
    assert second["n"] == {"in_person": 0, "online": 2}
    assert first["sufficient"]["S"] is False  # 3 and 2 responses: below 30 per channel
    # the campaign's own figures are still there, over both outlets
    assert body["n"] == {"in_person": 3, "online": 4}

    # independently: a campaign holding only the first outlet's responses gives the same
    alone = make_campaign(outlets=1)
    add_responses(alone, "in_person", [answers_all(5)] * 3)
    add_responses(alone, "online", [answers_all(4)] * 2)
    own = client.get(f"/api/v1/campaigns/{alone.id}/scores", headers=reader).json
    for key in ("S", "S_in_person", "S_online", "n", "dimensions", "sufficient"):
        assert first[key] == own[key], key
    assert first["ci95"]["S"] == own["ci95"]["S"]


def test_outlets_follow_the_filter_and_name_the_threshold(app, client, reader):
    scores.clear_cache()
    c = make_campaign()
    a, b = c.outlets[:2]
    add_responses(c, "in_person", [answers_all(5)] * 2, outlet=a)
    add_responses(c, "online", [answers_all(5)] * 2, outlet=a)
    add_responses(c, "online", [answers_all(4)], outlet=b)
    one = client.get(
        f"/api/v1/campaigns/{c.id}/scores",
        query_string={"by": "outlet", "outlet": a.id},
        headers=reader,
    ).json["outlets"]
    assert [o["id"] for o in one] == [a.id]
    thresholds = scores.params_of(c).thresholds
    assert one[0]["S"] == 100.0 and one[0]["threshold"] == max(thresholds)
    online = client.get(
        f"/api/v1/campaigns/{c.id}/scores",
        query_string={"by": "outlet", "channel": "online"},
        headers=reader,
    ).json["outlets"]
    assert [o["n"]["in_person"] for o in online] == [0, 0]
    bad = client.get(f"/api/v1/campaigns/{c.id}/scores?by=region", headers=reader)
    assert bad.status_code == 400
    plain = client.get(f"/api/v1/campaigns/{c.id}/scores", headers=reader).json
    assert plain.get("outlets") is None


def test_the_dashboard_charts_outlets_lowest_first(app, client, make_user, login):
    scores.clear_cache()
    c = make_campaign()
    _fill(lambda c: c.outlets[:2], c)
    make_user("admin", "outlets.admin")
    login("outlets.admin")
    html = client.get(f"/campaigns/{c.id}/dashboard").get_data(as_text=True)
    block = re.search(
        r'<script type="application/json" id="fig-outlets">(.*?)</script>', html, re.S
    )
    assert block, "no outlet chart"
    bar = json.loads(block.group(1).replace("<\\/", "</"))["data"][0]
    assert bar["orientation"] == "h"
    # 网点2 has no in-person response, so no S: shown first with its n, then 网点1 at 90
    assert bar["y"] == ["网点2", "网点1"] and bar["x"][1] == 90.0
    assert "n=2" in bar["text"][0] and "n=5" in bar["text"][1]
    assert "样本不足" in html  # the table says so next to the interval


def test_the_outlet_table_sorts_and_marks_outlets_below_a_threshold(app, client, login, make_user):
    from surveyapp.services import scores as score_service
    from tests.scores_fixtures import add_responses, answers_all, make_campaign

    score_service.clear_cache()
    c = make_campaign(outlets=3)
    a, b, z = c.outlets
    add_responses(c, "online", [answers_all(5)] * 3, outlet=a)  # 100
    add_responses(c, "online", [answers_all(3)] * 5, outlet=b)  # 60
    add_responses(c, "online", [answers_all(4)] * 2, outlet=z)  # 80
    make_user("admin", "outlet.sorter")
    login("outlet.sorter")

    def order(html: str) -> list[str]:
        table = html.split('aria-label="各网点"')[1].split("</table>")[0]
        return re.findall(r'<td class="nowrap">(网点\d)</td>', table)

    url = f"/campaigns/{c.id}/dashboard"
    assert order(client.get(url).get_data(as_text=True)) == ["网点2", "网点3", "网点1"]  # low S
    assert order(client.get(url + "?sort=n").get_data(as_text=True)) == ["网点2", "网点1", "网点3"]
    assert order(client.get(url + "?sort=name").get_data(as_text=True)) == [
        "网点1",
        "网点2",
        "网点3",
    ]
    marked = client.get(url + "?below=80&outlet=" + str(a.id) + "&outlet=" + str(b.id))
    html = marked.get_data(as_text=True)
    assert html.count('class="below"') == 1 and "低于 80" in html  # 网点2's 60 only
    # the sort links keep both outlets of the filter
    assert f"outlet={a.id}&amp;outlet={b.id}" in html
    assert client.get(url + "?sort=evil&below=x").status_code == 200  # ignored, not an error
