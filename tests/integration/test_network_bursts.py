"""One network address posting many responses in minutes is a burst, whatever user agent a
script rotates through (CONTRACT December: at the latest from the 11th within 10 minutes)."""

from __future__ import annotations

from surveyapp.services import responses as response_service
from surveyapp.services import scores
from surveyapp.services.responses import Submission
from tests import factories


def _post(campaign, token, n, address, agent):
    for i in range(n):
        response_service.submit_online(
            token,
            Submission(
                answers=factories.full_answers(campaign, 3 + i % 3),
                client_id=f"{address}-{i:05d}".replace(".", "-"),
                address=address,
                user_agent=agent(i),
            ),
        )


def test_rotating_user_agents_from_one_address_are_a_burst(app):
    scores.clear_cache()
    c = factories.make_campaign()
    token = factories.outlet_token(c)
    _post(c, token, 15, "198.51.100.7", lambda i: f"Mozilla/5.0 (bot {i})")
    _post(c, token, 10, "203.0.113.9", lambda i: f"Mozilla/5.0 (phone {i})")
    f = scores.flags(c)
    summary = scores.flag_summary(c)
    assert summary["burst"] == 15  # the 15 of the first address; 10 of the second are not
    assert f["burst"].sum() == 15 and "网络地址" in f.loc[f["burst"], "reason"].iloc[0]
    assert summary["no_timing"] == 25  # none of them brought the page's start


def test_a_network_hash_is_stable_and_not_the_address(app):
    a = response_service.network("198.51.100.7")
    assert a == response_service.network("198.51.100.7") != response_service.network("10.0.0.1")
    assert "198.51" not in a and len(a) == 64
    assert response_service.network(None) is None
