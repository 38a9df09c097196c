"""What every benchmark shares: targets and figures, servers under gunicorn, databases, HTTP."""

from __future__ import annotations

import contextlib
import http.cookiejar
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PG_ADMIN_URL = os.environ.get(
    "BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


class Skipped(Exception):  # noqa: N818 - a benchmark that cannot run here, with the reason
    """A benchmark that cannot run here; the message says why (e.g. endpoint missing)."""


@dataclass
class Figure:
    """One measured figure, optionally held against a target (`<=` or `>=` a limit)."""

    key: str
    value: float | None
    unit: str = ""
    op: str | None = None  #: "<=" or ">="; None = reported, no target
    limit: float | None = None
    note: str = ""

    @property
    def met(self) -> bool | None:
        """True/False against the target; None when there is no target or no value."""
        if self.op is None or self.limit is None or self.value is None:
            return None
        return self.value <= self.limit if self.op == "<=" else self.value >= self.limit

    @property
    def ratio(self) -> float | None:
        """value ÷ limit: how far from the target (≤ 1 passes a `<=` target, ≥ 1 a `>=` one)."""
        if self.limit in (None, 0) or self.value is None:
            return None
        return self.value / self.limit

    def verdict(self) -> str:
        """PASS, MISS or '' (no target)."""
        met = self.met
        return "" if met is None else ("PASS" if met else "MISS")


@dataclass
class Section:
    """The figures of one benchmark on one backend, or why it was skipped."""

    name: str
    backend: str = ""
    figures: list[Figure] = field(default_factory=list)
    skipped: str | None = None
    seconds: float = 0.0

    def add(self, key: str, value: float | None, unit: str = "", **kw) -> Figure:
        """Record a figure and return it."""
        fig = Figure(key, value, unit, **kw)
        self.figures.append(fig)
        return fig

    @property
    def label(self) -> str:
        """name[backend]"""
        return f"{self.name}[{self.backend}]" if self.backend else self.name


def fmt(value: float | None) -> str:
    """A number for the table: 3 significant digits, thousands separated."""
    if value is None:
        return "-"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.3g}"


def table(sections: list[Section]) -> str:
    """The printed table: one row per figure, PASS/MISS with the ratio to the target."""
    lines = [f"{'benchmark':<22} {'figure':<34} {'value':>12} {'unit':<6} {'target':<12} result"]
    lines.append("-" * len(lines[0]))
    for s in sections:
        if s.skipped:
            lines.append(f"{s.label:<22} skipped: {s.skipped}")
            continue
        for f in s.figures:
            target = f"{f.op} {fmt(f.limit)}" if f.op else ""
            verdict = f.verdict()
            if verdict and f.ratio is not None:
                verdict += f" ({f.ratio:.2f}× target)"
            note = f"  {f.note}" if f.note else ""
            lines.append(
                f"{s.label:<22} {f.key:<34} {fmt(f.value):>12} {f.unit:<6} {target:<12} {verdict}{note}"
            )
    return "\n".join(lines)


def bench_line(sections: list[Section]) -> str:
    """The final `BENCH key=value …` line: every figure, then pass/miss/skip counts."""
    parts = []
    passed = missed = skipped = 0
    for s in sections:
        prefix = f"{s.name}.{s.backend}." if s.backend else f"{s.name}."
        if s.skipped:
            skipped += 1
            parts.append(f"{prefix}skipped=1")
            continue
        for f in s.figures:
            if f.value is not None:
                parts.append(f"{prefix}{f.key}={f.value:.6g}")
            if f.met is True:
                passed += 1
            elif f.met is False:
                missed += 1
    parts += [f"targets_pass={passed}", f"targets_miss={missed}", f"skipped={skipped}"]
    return "BENCH " + " ".join(parts)


def results_json(sections: list[Section], meta: Mapping) -> dict:
    """bench/results.json: metadata and every figure with its target and verdict."""
    return {
        **meta,
        "sections": [
            {
                "name": s.name,
                "backend": s.backend,
                "skipped": s.skipped,
                "seconds": round(s.seconds, 2),
                "figures": [
                    {
                        "key": f.key,
                        "value": f.value,
                        "unit": f.unit,
                        "target": f"{f.op} {f.limit}" if f.op else None,
                        "ratio": f.ratio,
                        "result": f.verdict() or None,
                        "note": f.note or None,
                    }
                    for f in s.figures
                ],
            }
            for s in sections
        ],
    }


# ── databases ──────────────────────────────────────────────────────────────────────────────


@dataclass
class Database:
    """A throw-away database for one backend: its URL and where its instance folder lives."""

    backend: str
    url: str
    workdir: Path

    def env(self) -> dict[str, str]:
        """Environment for the app's CLI and server on this database (rate limits off)."""
        env = dict(os.environ)
        env.update(
            DATABASE_URL=self.url,
            FLASK_SECRET_KEY="bench-" + self.workdir.name,
            FLASK_RATELIMIT_ENABLED="false",
            BENCH_INSTANCE=str(self.workdir / "instance"),
            PYTHONPATH=str(ROOT),
        )
        return env


@contextlib.contextmanager
def database(backend: str) -> Iterator[Database]:
    """A fresh migrated database (SQLite file in a temp dir, or a temporary PostgreSQL one)."""
    workdir = Path(tempfile.mkdtemp(prefix=f"surveyapp-bench-{backend}-"))
    (workdir / "instance").mkdir()
    pg_name = None
    if backend == "sqlite":
        url = f"sqlite:///{workdir / 'bench.sqlite3'}"
    else:
        import sqlalchemy as sa

        pg_name = f"surveyapp_bench_{uuid.uuid4().hex[:10]}"
        admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as c:
                c.execute(sa.text(f'CREATE DATABASE "{pg_name}"'))
        except Exception as e:
            admin.dispose()
            shutil.rmtree(workdir, ignore_errors=True)
            raise Skipped(f"PostgreSQL not reachable at {PG_ADMIN_URL}: {type(e).__name__}") from e
        url = sa.make_url(PG_ADMIN_URL).set(database=pg_name).render_as_string(hide_password=False)
    db = Database(backend, url, workdir)
    try:
        flask_cli(db, "init-db")
        yield db
    finally:
        if pg_name:
            with admin.connect() as c:
                c.execute(sa.text(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)'))
            admin.dispose()
        shutil.rmtree(workdir, ignore_errors=True)


def flask_cli(db: Database, *args: str, timeout: float = 900) -> tuple[str, str]:
    """Run `flask --app bench.wsgi <args>` on the database; return (stdout, stderr)."""
    proc = subprocess.run(
        [str(BIN / "flask"), "--app", "bench.wsgi", *args],
        env=db.env(),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"flask {' '.join(args)} failed: {proc.stderr.strip()[-800:]}")
    return proc.stdout, proc.stderr


def create_user(db: Database, role: str = "admin") -> tuple[str, str, str]:
    """A user with a known password: (username, password, API token)."""
    name = f"bench-{role}-{uuid.uuid4().hex[:6]}"
    password = uuid.uuid4().hex
    out, _err = flask_cli(db, "create-user", name, "--role", role, "--password", password)
    return name, password, out.strip().splitlines()[-1]


# ── servers ────────────────────────────────────────────────────────────────────────────────


def free_port() -> int:
    """An unused loopback port."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """gunicorn with 2 sync workers on loopback, as `make run` serves the app (its access log
    to stdout, through the token-masking logger)."""

    def __init__(
        self, wsgi: str, env: Mapping[str, str], workers: int = 2, log: Path | None = None
    ):
        self.wsgi, self.env, self.workers = wsgi, dict(env), workers
        self.port = free_port()
        self.log = log or Path(tempfile.mkstemp(prefix="bench-gunicorn-", suffix=".log")[1])
        self.proc: subprocess.Popen | None = None

    @property
    def base(self) -> str:
        """http://127.0.0.1:<port>"""
        return f"http://127.0.0.1:{self.port}"

    def start(self, ready_path: str = "/healthz", timeout: float = 60) -> Server:
        """Start and wait until `ready_path` answers and every worker is up."""
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                [
                    str(BIN / "gunicorn"),
                    "--bind",
                    f"127.0.0.1:{self.port}",
                    "--workers",
                    str(self.workers),
                    "--access-logfile",
                    "-",
                    "--timeout",
                    "300",
                    *self._logger(),
                    self.wsgi,
                ],
                env=self.env,
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {self.log.read_text()[-1500:]}")
            try:
                with urllib.request.urlopen(self.base + ready_path, timeout=2) as r:  # noqa: S310
                    if r.status < 500 and len(self.worker_pids()) == self.workers:
                        return self
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"gunicorn did not become ready: {self.log.read_text()[-1500:]}")

    def _logger(self) -> list[str]:
        """The app gets the access logger `make run` gives it (survey tokens masked); the
        baseline, which serves no token, gunicorn's own."""
        if self.wsgi.startswith("bench.baseline"):
            return []
        return ["--logger-class", "surveyapp.access_log.TokenMaskingLogger"]

    def worker_pids(self) -> list[int]:
        """The worker processes (children of the gunicorn master)."""
        if self.proc is None:
            return []
        try:
            text = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text()
        except OSError:
            return []
        return [int(p) for p in text.split()]

    def memory(self) -> dict[int, tuple[int, int]]:
        """Per worker: (VmRSS, VmHWM) in bytes."""
        out = {}
        for pid in self.worker_pids():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            rss = re.search(r"^VmRSS:\s+(\d+) kB", status, re.M)
            hwm = re.search(r"^VmHWM:\s+(\d+) kB", status, re.M)
            if rss and hwm:
                out[pid] = (int(rss.group(1)) * 1024, int(hwm.group(1)) * 1024)
        return out

    def peak_rss(self) -> int:
        """The largest peak resident set (VmHWM) over the workers, in bytes."""
        return max((hwm for _rss, hwm in self.memory().values()), default=0)

    def stop(self) -> None:
        """Stop gracefully (SIGTERM to the master), killing it after 20 s."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


# ── HTTP ───────────────────────────────────────────────────────────────────────────────────


class Client:
    """A small HTTP client with cookies (for pages behind sign-in) and bearer tokens (for the API)."""

    def __init__(self, base: str, token: str | None = None):
        self.base, self.token = base, token
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def request(
        self,
        path: str,
        *,
        data: bytes | None = None,
        form: Mapping | None = None,
        json_body: object = None,
        headers: Mapping[str, str] | None = None,
        timeout: float = 300,
    ) -> tuple[int, bytes, dict]:
        """One request; returns (status, body, headers). HTTP errors are returned, not raised."""
        hdrs = dict(headers or {})
        if self.token and path.startswith("/api/"):
            hdrs.setdefault("Authorization", f"Bearer {self.token}")
        if form is not None:
            data = urllib.parse.urlencode(form).encode()
            hdrs["Content-Type"] = "application/x-www-form-urlencoded"
        elif json_body is not None:
            data = json.dumps(json_body).encode()
            hdrs["Content-Type"] = "application/json"
        req = urllib.request.Request(self.base + path, data=data, headers=hdrs)  # noqa: S310
        try:
            with self.opener.open(req, timeout=timeout) as r:
                return r.status, r.read(), dict(r.headers)
        except urllib.error.HTTPError as e:
            return e.code, e.read(), dict(e.headers)

    def timed(self, path: str, **kw) -> tuple[float, int, bytes]:
        """(seconds, status, body) of one request."""
        t = time.perf_counter()
        status, body, _h = self.request(path, **kw)
        return time.perf_counter() - t, status, body

    def csrf(self, path: str) -> str | None:
        """The CSRF token of the form on a page."""
        _s, body, _h = self.request(path)
        m = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', body) or re.search(
            rb'value="([^"]+)"[^>]*name="csrf_token"', body
        )
        return m.group(1).decode() if m else None

    def login(self, username: str, password: str) -> bool:
        """Sign in through the /login form; True when it redirects away."""
        token = self.csrf("/login")
        form = {"username": username, "password": password}
        if token:
            form["csrf_token"] = token
        status, _b, _h = self.request("/login", form=form)
        return status in (200, 302, 303) and any(c.name for c in self.jar)


def route_exists(url_rules: list[str], pattern: str) -> str | None:
    """The first URL rule matching a regular expression, or None."""
    rx = re.compile(pattern)
    return next((r for r in url_rules if rx.search(r)), None)


def app_routes() -> list[str]:
    """Every URL rule of the real app (read without a server, on a throw-away database)."""
    code = (
        "import os, tempfile\n"
        "from surveyapp import create_app\n"
        "d = tempfile.mkdtemp()\n"
        "app = create_app({'SECRET_KEY': 'x', 'SQLALCHEMY_DATABASE_URI': 'sqlite:///' + d + '/r.db'},"
        " instance_path=d)\n"
        "print('\\n'.join(sorted(r.rule for r in app.url_map.iter_rules())))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    return proc.stdout.split()
