"""One network address posting many responses in minutes is a burst, whatever user agent a
script rotates through (CONTRACT December: at the latest from the 11th within 10 minutes)."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from surveyapp.errors import DomainError
from surveyapp.services import responses as response_service
from surveyapp.services import scores
from surveyapp.services.responses import Submission
from tests import factories
from tests.helpers import bearer


def _post(campaign, token, n, address, agent, start=0):
    for i in range(start, start + n):
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
    assert f["burst"].sum() == 15 and "网段" in f.loc[f["burst"], "reason"].iloc[0]
    assert summary["no_timing"] == 25  # none of them brought the page's start


def test_addresses_of_one_block_are_one_network(app):
    scores.clear_cache()
    c = factories.make_campaign()
    token = factories.outlet_token(c)
    for last in range(12):  # a script walking through the addresses of one /24
        _post(c, token, 1, f"198.51.100.{10 + last}", lambda i, last=last: f"agent {last}")
    assert scores.flag_summary(c)["burst"] == 12


def test_the_threshold_is_the_campaigns(app, client, make_user):
    _admin, api_token = make_user("admin")
    scores.clear_cache()
    c = factories.make_campaign(burst={"network": 20, "minutes": 5})
    token = factories.outlet_token(c)
    _post(c, token, 15, "198.51.100.7", lambda i: f"Mozilla/5.0 (bot {i})")
    assert scores.flag_summary(c)["burst"] == 0  # 15 < 20
    _post(c, token, 5, "198.51.100.7", lambda i: f"Mozilla/5.0 (more {i})", start=15)
    f = scores.flags(c)
    assert f["burst"].sum() == 20 and "5 分钟内" in f.loc[f["burst"], "reason"].iloc[0]
    shown = client.get(f"/api/v1/campaigns/{c.id}", headers=bearer(api_token)).get_json()
    assert shown["burst"] == {"network": 20, "device": 5, "minutes": 5.0}


def test_thresholds_are_checked_at_the_edge(app, client, make_user):
    _admin, token = make_user("admin")
    base = {"organization": {"name": "某公司"}, "scheme": "cqm-2019", "outlets": [{"name": "甲"}]}
    for bad in ({"network": 1}, {"minutes": 0}, {"device": "5"}, {"hours": 2}):
        r = client.post("/api/v1/campaigns", json={**base, "burst": bad}, headers=bearer(token))
        assert r.status_code in (400, 422), bad
        assert r.get_json()["error"]["field"].startswith("burst"), r.get_json()
    ok = client.post(
        "/api/v1/campaigns", json={**base, "burst": {"device": 3}}, headers=bearer(token)
    )
    assert ok.status_code == 201 and ok.get_json()["burst"]["device"] == 3
    with pytest.raises(DomainError) as err:
        factories.make_campaign(burst={"network": 10**6})
    assert err.value.code == "number_range" and err.value.field == "burst.network"


def test_a_network_hash_is_stable_and_not_the_address(app):
    a = response_service.network("198.51.100.7")
    assert a == response_service.network("198.51.100.7") != response_service.network("10.0.0.1")
    assert "198.51" not in a and len(a) == 64
    assert response_service.network(None) is None
    assert response_service.network("198.51.100.200") == a  # one /24
    assert response_service.network("2001:db8:1:2::5") == response_service.network(
        "2001:db8:1:2::9"
    )
    assert response_service.network("2001:db8:1:2::5") != response_service.network(
        "2001:db8:1:3::5"
    )


def _reference_block(address: str) -> str:
    """The network block as the ipaddress module alone words it (the fast path must agree)."""
    import ipaddress

    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return address
    prefix = 24 if ip.version == 4 else 64
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.one_of(
        st.ip_addresses(v=4).map(str),
        st.ip_addresses(v=6).map(str),
        st.lists(st.integers(0, 300), min_size=4, max_size=4).map(lambda p: ".".join(map(str, p))),
        st.lists(st.text("0123456789", min_size=1, max_size=4), min_size=3, max_size=5).map(
            ".".join
        ),
        st.text(max_size=20),
    ),
    st.sampled_from(["", " ", "\n"]),
)
def test_the_ipv4_fast_path_hashes_as_ipaddress_would(app, address, pad):
    from surveyapp.services.responses import _salt

    text = pad + address + pad
    if not text:
        return
    salt = _salt()
    expected = hashlib.sha256(f"{salt}|net|{_reference_block(text)}".encode()).hexdigest()
    assert response_service.network(text) == expected
