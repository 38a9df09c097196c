"""Rate limits hold across workers: two gunicorn workers share one count, in the embedded
SQLite store (`make run`) and in Redis (several servers), and a restart does not reset it."""

from __future__ import annotations

import uuid

import pytest

from tests.conftest import redis_url

from .harness import Server, stored, submit_all

pytestmark = pytest.mark.slow

LIMIT = 50


def _limits(store: str) -> dict[str, str]:
    env = {
        "FLASK_RATELIMIT_ENABLED": "true",
        # the per-link limit under test; an hour, so the whole run sits in one window
        "FLASK_SURVEY_RATE_PER_LINK": f"{LIMIT} per hour",
        "FLASK_SURVEY_RATE_PER_CLIENT": "10000 per hour",
        "FLASK_SURVEY_RATE_PER_ADDRESS": "10000 per hour",
    }
    if store == "redis":
        url = redis_url()
        if url is None:
            pytest.skip("Redis not reachable (set TEST_REDIS_URL)")
        env["FLASK_RATELIMIT_STORAGE_URI"] = url
        # counters of this run only, whatever else shares the Redis database
        env["FLASK_RATELIMIT_KEY_PREFIX"] = f"test-{uuid.uuid4().hex}"
    return env


@pytest.mark.parametrize("store", ["embedded", "redis"])
def test_600_posts_through_two_workers_store_at_most_the_limit(load_db, tmp_path, store):
    url, campaign_id, token, answers = load_db
    srv = Server(tmp_path, url, workers=2, extra_env=_limits(store))
    srv.start()
    try:
        tally = submit_all(lambda: srv.port, token, answers, 600, clients=16)
        assert not tally.server_errors, tally.server_errors[:3]
        assert tally.created == LIMIT
        assert len(tally.refused) == 600 - LIMIT
        assert {status for status, _ in tally.refused} == {429}
        assert len(stored(url, campaign_id)) == LIMIT
        # a restart does not hand out a fresh allowance
        srv.stop()
        srv.start()
        again = submit_all(lambda: srv.port, token, answers, 20, clients=4)
        assert again.created == 0 and len(again.refused) == 20
    finally:
        srv.stop()
    assert len(stored(url, campaign_id)) == LIMIT
