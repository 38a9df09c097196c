"""A real gunicorn on loopback, a prepared database, and a pool of HTTP clients (stdlib only)."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent

WSGI_MODULE = """
import os
from surveyapp import create_app
app = create_app(instance_path=os.environ["SURVEYAPP_INSTANCE"])
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    """gunicorn serving the app from its own instance folder on 127.0.0.1."""

    workdir: Path
    database_url: str
    workers: int = 4
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen | None = None
    #: environment on top of the defaults (e.g. rate limits switched on)
    extra_env: dict[str, str] = field(default_factory=dict)

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            DATABASE_URL=self.database_url,
            SURVEYAPP_INSTANCE=str(self.workdir / "instance"),
            FLASK_SECRET_KEY="load-test-secret",
            FLASK_RATELIMIT_ENABLED="false",
            FLASK_PUBLIC_BASE_URL=f"http://127.0.0.1:{self.port}",
            PYTHONPATH=f"{self.workdir}{os.pathsep}{ROOT}",
        )
        env.update(self.extra_env)
        return env

    def start(self, timeout: float = 30) -> None:
        (self.workdir / "loadapp.py").write_text(WSGI_MODULE)
        (self.workdir / "instance").mkdir(exist_ok=True)
        log = open(self.workdir / "gunicorn.log", "ab")  # noqa: SIM115 - lives with the process
        self.proc = subprocess.Popen(
            [
                str(VENV_BIN / "gunicorn"),
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(self.workers),
                "--timeout",
                "60",
                "--graceful-timeout",
                "2",
                "loadapp:app",
            ],
            cwd=self.workdir,
            env=self.env(),
            stdout=log,
            stderr=log,
            start_new_session=True,  # its own process group: SIGKILL takes master and workers
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("gunicorn exited:\n" + self.log()[-3000:])
            try:
                status, _ = request(self.port, "GET", "/healthz", timeout=2)
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError("gunicorn did not answer /healthz:\n" + self.log()[-3000:])

    def kill(self) -> None:
        """SIGKILL the whole process group: master and every worker, no clean-up."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()

    def log(self) -> str:
        path = self.workdir / "gunicorn.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def flask(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        """Run a flask command against the same database and instance."""
        return subprocess.run(  # noqa: S603
            [str(VENV_BIN / "flask"), "--app", "loadapp:app", *args],
            cwd=self.workdir,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
        )


def request(
    port: int,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict | None = None,
    timeout: float = 30,
) -> tuple[int, bytes]:
    """One HTTP request on a fresh loopback connection."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


@dataclass
class Tally:
    """What the clients saw: acknowledged client_id -> response id, and everything else."""

    acked: dict[str, int] = field(default_factory=dict)
    created: int = 0
    replayed: int = 0
    retries: int = 0
    connection_errors: int = 0
    server_errors: list[tuple[int, bytes]] = field(default_factory=list)
    refused: list[tuple[int, bytes]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def submit_all(
    port_of: Callable[[], int],
    token: str,
    answers: dict,
    n: int,
    clients: int = 32,
    retry: bool = False,
    deadline_s: float = 100,
    on_ack: Callable[[int], None] | None = None,
) -> Tally:
    """n submissions from `clients` threads; with retry, resend the same client_id until acked."""
    tally = Tally()
    deadline = time.monotonic() + deadline_s
    path = f"/api/v1/links/{token}/responses"

    def one(_i: int) -> None:
        client_id = uuid.uuid4().hex
        body = json.dumps({"answers": answers, "client_id": client_id}).encode()
        headers = {"Content-Type": "application/json"}
        while time.monotonic() < deadline:
            try:
                status, data = request(port_of(), "POST", path, body, headers)
            except (OSError, http.client.HTTPException):
                # refused, reset, or cut off mid-answer by the kill (IncompleteRead): not
                # acknowledged, so the client sends the same client_id again
                with tally.lock:
                    tally.connection_errors += 1
                if not retry:
                    return
                with tally.lock:
                    tally.retries += 1
                time.sleep(0.05)
                continue
            if status in (200, 201):
                rid = json.loads(data)["id"]
                with tally.lock:
                    if status == 201:
                        tally.created += 1
                    else:
                        tally.replayed += 1
                    previous = tally.acked.setdefault(client_id, rid)
                    assert previous == rid, f"{client_id} acknowledged as {previous} and {rid}"
                    count = len(tally.acked)
                if on_ack is not None:
                    on_ack(count)
                return
            with tally.lock:
                (tally.server_errors if status >= 500 else tally.refused).append(
                    (status, data[:300])
                )
            return

    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(one, range(n)))
    return tally


def stored(database_url: str, campaign_id: int) -> dict[str, int]:
    """client_id -> id of every response stored for the campaign (read straight from the DB)."""
    eng = sa.create_engine(database_url)
    try:
        with eng.connect() as c:
            rows = c.execute(
                sa.text("SELECT client_id, id FROM responses WHERE campaign_id = :c"),
                {"c": campaign_id},
            ).all()
    finally:
        eng.dispose()
    ids = [r[0] for r in rows]
    assert len(ids) == len(set(ids)), "a client_id is stored twice"
    return dict(rows)


def response_entries(database_url: str, campaign_id: int) -> int:
    """How many ledger entries vouch for the campaign's responses (read straight from the DB)."""
    eng = sa.create_engine(database_url)
    try:
        with eng.connect() as c:
            return c.execute(
                sa.text(
                    "SELECT count(*) FROM ledger_entries WHERE table_name = 'responses'"
                    " AND chain = :c"
                ),
                {"c": campaign_id},
            ).scalar_one()
    finally:
        eng.dispose()
