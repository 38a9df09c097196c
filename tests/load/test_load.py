"""(1) 32 clients, 3,000 responses, one campaign, real gunicorn: exactly the acknowledged ones stored.
(2) The same with the server SIGKILLed midway and restarted: every acknowledged response is
there once, and verify-ledger passes."""

from __future__ import annotations

import threading
import time

import pytest

from .harness import response_entries, stored, submit_all

N = 3000
CLIENTS = 32


@pytest.mark.slow
@pytest.mark.timeout(180)
def test_concurrent_submissions_all_stored_once(load_db, server):
    url, campaign_id, token, answers = load_db
    started = time.monotonic()
    tally = submit_all(lambda: server.port, token, answers, N, CLIENTS)
    elapsed = time.monotonic() - started
    print(
        f"LOAD {server.database_url.split(':')[0]}: sent={N} acknowledged={len(tally.acked)}"
        f" created={tally.created} 5xx={len(tally.server_errors)} 4xx={len(tally.refused)}"
        f" connection_errors={tally.connection_errors} {N / elapsed:.0f} req/s"
    )
    assert not tally.server_errors, tally.server_errors[:3]
    assert not tally.refused, tally.refused[:3]
    assert tally.connection_errors == 0
    assert len(tally.acked) == tally.created == N
    db_rows = stored(url, campaign_id)
    assert db_rows == tally.acked  # exactly the acknowledged responses, same ids, none twice
    check = server.flask("verify-ledger")
    assert check.returncode == 0, check.stderr
    assert "ledger intact" in check.stdout
    assert response_entries(url, campaign_id) == N


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_sigkill_midway_loses_no_acknowledged_response(load_db, server):
    url, campaign_id, token, answers = load_db
    killed = threading.Event()
    restarted = threading.Event()
    acked_at_kill = []

    def on_ack(count: int) -> None:
        if count >= N // 3 and not killed.is_set():
            killed.set()

    def controller() -> None:
        killed.wait(120)
        server.kill()
        acked_at_kill.append(time.monotonic())
        time.sleep(0.5)  # clients see refused connections meanwhile and retry
        server.start()
        restarted.set()

    ctl = threading.Thread(target=controller)
    ctl.start()
    tally = submit_all(lambda: server.port, token, answers, N, CLIENTS, retry=True, on_ack=on_ack)
    ctl.join(60)
    assert restarted.is_set(), "the server was not restarted"
    db_rows = stored(url, campaign_id)
    print(
        f"CRASH {server.database_url.split(':')[0]}: sent={N} acknowledged={len(tally.acked)}"
        f" (201={tally.created}, 200 on retry={tally.replayed}) stored={len(db_rows)}"
        f" connection_errors={tally.connection_errors} retries={tally.retries}"
        f" 5xx={len(tally.server_errors)}"
    )
    assert not tally.server_errors, tally.server_errors[:3]
    assert not tally.refused, tally.refused[:3]
    assert tally.connection_errors > 0, "the kill did not interrupt anything"
    # every acknowledged response is stored under the id it was acknowledged with
    missing = {c: i for c, i in tally.acked.items() if db_rows.get(c) != i}
    assert not missing, f"{len(missing)} acknowledged responses lost"
    # clients retried until acknowledged, so nothing is stored that was not acknowledged
    assert len(tally.acked) == N and db_rows == tally.acked
    check = server.flask("verify-ledger")
    assert check.returncode == 0, check.stderr
    assert "ledger intact" in check.stdout
    assert response_entries(url, campaign_id) == N
