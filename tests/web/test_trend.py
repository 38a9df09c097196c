"""GET /campaigns/<id>/trend (issue 14): S per week or month in Asia/Shanghai days, each period
computed as the campaign, the periods' n adding up to the campaign's; hand-worked."""

from __future__ import annotations

from datetime import UTC, datetime

from surveyapp.services import scores
from tests.helpers import bearer
from tests.scores_fixtures import add_responses, answers_all, make_campaign


def test_months_and_weeks_by_beijing_days(app, client, make_user):
    scores.clear_cache()
    c = make_campaign()
    # 2026-10-31 20:00 UTC is 11-01 04:00 in Beijing: November, not October
    add_responses(c, "online", [answers_all(5)] * 2, start=datetime(2026, 10, 20, 2, tzinfo=UTC))
    add_responses(c, "online", [answers_all(3)], start=datetime(2026, 10, 31, 20, tzinfo=UTC))
    add_responses(c, "in_person", [answers_all(4)], start=datetime(2026, 11, 9, 2, tzinfo=UTC))
    auth = bearer(make_user("viewer", "trend.reader")[1])
    body = client.get(f"/api/v1/campaigns/{c.id}/trend?interval=month", headers=auth).json
    october, november = body["periods"]
    assert (october["start"], october["end"]) == ("2026-10-01", "2026-10-31")
    assert october["n"] == {"in_person": 0, "online": 2} and october["S_online"] == 100.0
    assert november["n"] == {"in_person": 1, "online": 1}
    # November by hand: online all 3 → 60, in person all 4 → 80, S = ½·80 + ½·60
    assert (november["S_online"], november["S_in_person"], november["S"]) == (60.0, 80.0, 70.0)
    whole = client.get(f"/api/v1/campaigns/{c.id}/scores", headers=auth).json["n"]
    for ch in ("in_person", "online"):
        assert sum(p["n"][ch] for p in body["periods"]) == whole[ch]

    weeks = client.get(f"/api/v1/campaigns/{c.id}/trend?interval=week", headers=auth).json
    starts = [p["start"] for p in weeks["periods"]]
    # Mondays from the week of 10-20 (a Tuesday) to the week of 11-09 (a Monday)
    assert starts == ["2026-10-19", "2026-10-26", "2026-11-02", "2026-11-09"]
    # 11-01 in Beijing is a Sunday: the week of 10-26; the week of 11-02 is empty
    assert [sum(p["n"].values()) for p in weeks["periods"]] == [2, 1, 0, 1]
    assert (
        client.get(f"/api/v1/campaigns/{c.id}/trend?interval=day", headers=auth).status_code == 400
    )


def test_an_empty_campaign_has_no_periods(app, client, make_user):
    c = make_campaign()
    auth = bearer(make_user("viewer", "trend.empty")[1])
    body = client.get(f"/api/v1/campaigns/{c.id}/trend", headers=auth).json
    assert body == {"interval": "month", "periods": []}  # the default interval: the month


def test_the_days_filter_trims_the_periods(app, client, make_user):
    scores.clear_cache()
    c = make_campaign()
    add_responses(c, "online", [answers_all(5)], start=datetime(2026, 10, 20, 2, tzinfo=UTC))
    add_responses(c, "online", [answers_all(3)], start=datetime(2026, 11, 20, 2, tzinfo=UTC))
    auth = bearer(make_user("viewer", "trend.days")[1])
    body = client.get(
        f"/api/v1/campaigns/{c.id}/trend",
        query_string={"start": "2026-11-01", "end": "2026-12-31"},
        headers=auth,
    ).json
    assert [p["start"] for p in body["periods"]] == ["2026-11-01"]
    assert body["periods"][0]["S_online"] == 60.0
