"""Two app servers (two gunicorn instances on two ports) on one PostgreSQL and one Redis, as a
certification body runs when one server is not enough: submissions to both, rate limits
shared, a session from one valid on the other, scores the same on both, one server SIGKILLed
mid-run — stored equals acknowledged, nothing twice, and the ledger verifies."""

from __future__ import annotations

import http.client
import itertools
import json
import re
import threading
import time
import urllib.parse
import uuid

import pytest

from tests.conftest import redis_url

from .harness import Server, request, response_entries, stored, submit_all

pytestmark = [
    pytest.mark.slow,
    pytest.mark.postgres,
    # several servers share PostgreSQL (an SQLite file is one server's database)
    pytest.mark.parametrize("load_db", ["postgres"], indirect=True),
]

LIMIT = 40
N = 300
DEAD_PICKS = 4  #: requests sent to the killed server before it leaves the rotation


def _pair(tmp_path, url, extra: dict[str, str]) -> tuple[Server, Server]:
    """Two servers of one installation: the same database, secret key and instance keys."""
    shared = tmp_path / "shared-instance"
    shared.mkdir(exist_ok=True)
    env = {"SURVEYAPP_INSTANCE": str(shared), "FLASK_LEDGER_SEAL_SECONDS": "1", **extra}
    servers = []
    for name in ("a", "b"):
        work = tmp_path / name
        work.mkdir(exist_ok=True)
        servers.append(Server(work, url, workers=2, extra_env=env))
    return servers[0], servers[1]


def _limits() -> dict[str, str]:
    url = redis_url()
    if url is None:
        pytest.skip("Redis not reachable (set TEST_REDIS_URL)")
    return {
        "FLASK_RATELIMIT_ENABLED": "true",
        "FLASK_RATELIMIT_STORAGE_URI": url,
        "FLASK_RATELIMIT_KEY_PREFIX": f"test-{uuid.uuid4().hex}",
        "FLASK_SURVEY_RATE_PER_LINK": f"{LIMIT} per hour",
        "FLASK_SURVEY_RATE_PER_CLIENT": "10000 per hour",
        "FLASK_SURVEY_RATE_PER_ADDRESS": "10000 per hour",
    }


def _cookie(headers: list[tuple[str, str]]) -> str | None:
    for name, value in headers:
        if name.lower() == "set-cookie" and value.startswith("session="):
            return value.split(";", 1)[0]
    return None


def _http(port: int, method: str, path: str, body: bytes | None = None, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, resp.getheaders(), resp.read()
    finally:
        conn.close()


def _sign_in(port: int, username: str, password: str) -> str:
    status, headers, body = _http(port, "GET", "/login")
    assert status == 200
    cookie = _cookie(headers)
    token = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', body).group(1).decode()
    form = urllib.parse.urlencode(
        {"username": username, "password": password, "csrf_token": token}
    ).encode()
    status, headers, _ = _http(
        port,
        "POST",
        "/login",
        form,
        {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie},
    )
    assert status == 302, status
    return _cookie(headers) or cookie


def _scores(port: int, campaign_id: int, api_token: str) -> dict:
    status, body = request(
        port,
        "GET",
        f"/api/v1/campaigns/{campaign_id}/scores",
        headers={"Authorization": f"Bearer {api_token}"},
    )
    assert status == 200, body[:300]
    return json.loads(body)


def test_limits_sessions_and_caches_hold_across_two_servers(load_db, tmp_path):
    url, campaign_id, token, answers = load_db
    a, b = _pair(tmp_path, url, _limits())
    a.start()
    b.start()
    try:
        made = a.flask("create-user", "two-servers", "--role", "admin", "--password", "pw-two-1234")
        assert made.returncode == 0, made.stderr
        api_token = made.stdout.strip().splitlines()[-1]
        # limits: one count for both servers (in Redis)
        ports = itertools.cycle([a.port, b.port])
        lock = threading.Lock()

        def next_port() -> int:
            with lock:
                return next(ports)

        # caches: both servers answer the same scores, and both see new responses at once
        early = submit_all(lambda: a.port, token, answers, 10, clients=4)
        first = _scores(a.port, campaign_id, api_token)
        assert _scores(b.port, campaign_id, api_token) == first
        later = submit_all(lambda: b.port, token, answers, 10, clients=4)
        second = _scores(a.port, campaign_id, api_token)
        assert second != first and _scores(b.port, campaign_id, api_token) == second
        # limits: one count for both servers (in Redis), the 20 above included
        tally = submit_all(next_port, token, answers, 3 * LIMIT, clients=8)
        assert not tally.server_errors, tally.server_errors[:3]
        assert len(tally.acked) == LIMIT - 20, (len(tally.acked), len(tally.refused))
        assert {s for s, _b in tally.refused} == {429}
        everything = {**early.acked, **later.acked, **tally.acked}
        assert stored(url, campaign_id) == everything
        # a session signed in on A is a session on B
        cookie = _sign_in(a.port, "two-servers", "pw-two-1234")
        for port in (a.port, b.port):
            status, _h, body = _http(port, "GET", "/campaigns/", headers={"Cookie": cookie})
            assert status == 200, (port, status)
            assert "负载测试网点".encode() in body or b"campaign" in body
        status, _h, _b = _http(b.port, "GET", "/campaigns/")
        assert status in (302, 303)  # without the cookie: to the sign-in page
    finally:
        a.stop()
        b.stop()


def test_one_of_two_servers_killed_midway_loses_nothing(load_db, tmp_path):
    url, campaign_id, token, answers = load_db
    a, b = _pair(tmp_path, url, {})
    a.start()
    b.start()
    try:
        alive = [a.port, b.port]
        turn = itertools.count()
        lock = threading.Lock()
        killed = threading.Event()
        dead = threading.Event()
        #: picks of the dead server before the balancer notices: each is refused and resent
        #: to the survivor (whether a request was in flight at the kill is up to timing, so
        #: the test does not count on it)
        to_dead = itertools.count(1)

        def next_port() -> int:
            with lock:
                port = alive[next(turn) % len(alive)]
                if port == a.port and dead.is_set() and next(to_dead) > DEAD_PICKS:
                    alive.remove(a.port)
                    port = alive[0]
                return port

        def on_ack(count: int) -> None:
            if count >= N // 3 and not killed.is_set():
                killed.set()

        def controller() -> None:
            killed.wait(120)
            a.kill()  # master and workers, mid-request
            dead.set()

        ctl = threading.Thread(target=controller)
        ctl.start()
        started = time.monotonic()
        tally = submit_all(next_port, token, answers, N, clients=16, retry=True, on_ack=on_ack)
        ctl.join(60)
        elapsed = time.monotonic() - started
        rows = stored(url, campaign_id)  # asserts that no client_id is stored twice
        print(
            f"TWO SERVERS: sent={N} acknowledged={len(tally.acked)} stored={len(rows)}"
            f" connection_errors={tally.connection_errors} retries={tally.retries}"
            f" {N / elapsed:.0f} req/s"
        )
        assert killed.is_set() and tally.connection_errors >= DEAD_PICKS, tally.connection_errors
        assert not tally.server_errors, tally.server_errors[:3]
        assert len(tally.acked) == N and rows == tally.acked
        assert response_entries(url, campaign_id) == N
        # the survivor's sealer and the command agree: one chain, sealed, intact
        check = b.flask("verify-ledger")
        assert check.returncode == 0, check.stderr
        sealed = b.flask("ledger-seal")
        assert sealed.returncode == 0, sealed.stderr
        check = b.flask("verify-ledger")
        assert check.returncode == 0 and "not sealed" not in check.stdout, check.stdout
    finally:
        a.stop()
        b.stop()
