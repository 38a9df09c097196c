"""scores, dashboard and export: large synthetic campaigns, cold and warm, server memory."""

from __future__ import annotations

import re
import statistics
import time

from .common import Client, Database, Section, Server, Skipped, create_user, flask_cli

SCORES_RULE = r"^/api/v1/campaigns/<int:campaign_id>/scores$"
DASHBOARD_RULE = r"campaign_id>.*dashboard|dashboard.*campaign_id>"
EXPORT_RULE = r"campaign_id>.*(export|responses\.csv)"
#: issue 15: the scores of the biggest campaign (1 M responses) after a restart, and warm
SCORES_COLD_LIMIT_S = 1.0
WARM_LIMIT_S = 0.05
#: the manager's views (issue 14) after a restart
COLD_LIMIT_S = 2.0
#: issue 14: outlets side by side, the trend and the drivers on the biggest campaign
MANAGER_PATHS = {
    "outlets": "/api/v1/campaigns/{id}/scores?by=outlet",
    "trend": "/api/v1/campaigns/{id}/trend?interval=week",
    "drivers": "/api/v1/campaigns/{id}/drivers",
}
MANAGER_WARM_LIMIT_S = 0.3
DASHBOARD_WARM_LIMIT_S = 0.5
PEAK_LIMIT_MB = 1536
EXPORT_GROWTH_LIMIT_MB = 100
WARMUPS, REPEATS = 3, 5


def label(n: int) -> str:
    """10000 -> 10k, 1000000 -> 1M."""
    if n >= 1_000_000 and n % 1_000_000 == 0:
        return f"{n // 1_000_000}M"
    if n >= 1000 and n % 1000 == 0:
        return f"{n // 1000}k"
    return str(n)


def find_rule(rules: list[str], pattern: str) -> str | None:
    """The first rule matching the pattern (rules are Flask URL rules)."""
    rx = re.compile(pattern)
    return next((r for r in rules if rx.search(r)), None)


def concrete(rule: str, campaign_id: int) -> str:
    """A URL rule with the campaign id filled in, and `any(...)` parts by their first choice."""
    path = re.sub(r"<(?:int:)?campaign_id>", str(campaign_id), rule)
    return re.sub(r"<any\(\s*([^,)\s]+)[^>]*>", r"\1", path)


def build_campaigns(db: Database, sizes: list[int], section: Section) -> dict[int, int]:
    """One synthetic campaign per size; records the synth throughput of each."""
    campaigns = {}
    for n in sizes:
        t = time.perf_counter()
        out, err = flask_cli(
            db, "synth", "--responses", str(n), "--outlets", "24", "--seed", str(n)
        )
        wall = time.perf_counter() - t
        campaigns[n] = int(out.strip().splitlines()[-1])
        m = re.search(r"responses in ([\d.]+) s", err)
        inner = float(m.group(1)) if m else wall
        extra = {"op": ">=", "limit": 50_000} if db.backend == "sqlite" and n == max(sizes) else {}
        section.add(
            f"synth_{label(n)}_rate",
            n / inner if inner else None,
            "resp/s",
            **extra,
            note="incl. ledger entries",
        )
        m = re.search(r"response insert and commit ([\d.]+) s", err)
        if m and float(m.group(1)) > 0:
            section.add(
                f"synth_{label(n)}_rate_rows_only",
                n / float(m.group(1)),
                "resp/s",
                note="response insert + commit, without ledger",
            )
    return campaigns


def _timed_get(client: Client, path: str, what: str) -> float:
    seconds, status, body = client.timed(path)
    if status != 200:
        raise RuntimeError(f"{what}: GET {path} answered {status}: {body[:200]!r}")
    return seconds


def _cold_warm(
    db: Database,
    section: Section,
    path: str,
    key: str,
    login: tuple[str, str],
    token: str,
    warm_limit: float,
    cold_limit: float | None,
    prime: bool = False,
) -> int:
    """Fresh server: first call (cold), then the median of REPEATS after WARMUPS; peak RSS.

    With `prime`, a server first computes the figures once (`_first`: what the first request
    after new data costs) and stops; the cold call is then the one after a restart, which reads
    what the first one left in the scores cache on disk."""
    if prime:
        with Server("bench.wsgi:app", db.env()) as server:
            client = Client(server.base, token)
            if not path.startswith("/api/") and not client.login(*login):
                raise RuntimeError("could not sign in")
            section.add(
                f"{key}_first",
                _timed_get(client, path, key),
                "s",
                note="first request after the data changed",
            )
    with Server("bench.wsgi:app", db.env()) as server:
        client = Client(server.base, token)
        if not path.startswith("/api/") and not client.login(*login):
            raise RuntimeError("could not sign in for the dashboard")
        cold = _timed_get(client, path, key)
        for _ in range(WARMUPS):
            _timed_get(client, path, key)
        warm = statistics.median(_timed_get(client, path, key) for _ in range(REPEATS))
        section.add(
            f"{key}_cold", cold, "s", **({"op": "<=", "limit": cold_limit} if cold_limit else {})
        )
        section.add(f"{key}_warm", warm, "s", op="<=", limit=warm_limit)
        return server.peak_rss()


def run_scores(
    db: Database, campaigns: dict[int, int], rules: list[str], login: tuple[str, str], token: str
) -> tuple[Section, Section]:
    """Scores and dashboard on each campaign: cold after a restart, then warm; server peak."""
    scores = Section("scores", db.backend)
    dashboard = Section("dashboard", db.backend)
    biggest = max(campaigns)
    scores_rule = find_rule(rules, SCORES_RULE)
    dash_rule = find_rule(rules, DASHBOARD_RULE)
    peak = 0
    if scores_rule is None:
        scores.skipped = "endpoint missing: GET /api/v1/campaigns/<id>/scores"
    if dash_rule is None:
        dashboard.skipped = "endpoint missing: dashboard page"
    for n, campaign_id in sorted(campaigns.items()):
        big = n == biggest
        if scores_rule:
            peak = max(
                peak,
                _cold_warm(
                    db,
                    scores,
                    concrete(scores_rule, campaign_id),
                    f"{label(n)}",
                    login,
                    token,
                    WARM_LIMIT_S,
                    SCORES_COLD_LIMIT_S if big else None,
                    prime=big,
                ),
            )
        if scores_rule and big:  # before the dashboard, which computes them all
            big_id = campaign_id
            for key, path in MANAGER_PATHS.items():
                peak = max(
                    peak,
                    _cold_warm(
                        db,
                        scores,
                        path.format(id=big_id),
                        f"{key}_{label(biggest)}",
                        login,
                        token,
                        MANAGER_WARM_LIMIT_S,
                        COLD_LIMIT_S,
                        prime=True,
                    ),
                )
        if dash_rule:
            peak = max(
                peak,
                _cold_warm(
                    db,
                    dashboard,
                    concrete(dash_rule, campaign_id),
                    f"{label(n)}",
                    login,
                    token,
                    DASHBOARD_WARM_LIMIT_S,
                    None,
                    prime=big,
                ),
            )
    if scores_rule or dash_rule:
        target = scores if scores_rule else dashboard
        target.add(
            "server_peak_rss",
            peak / 2**20,
            "MB",
            op="<=",
            limit=PEAK_LIMIT_MB,
            note="largest worker VmHWM over scores and dashboard runs",
        )
    return scores, dashboard


def run_export(
    db: Database, campaign_id: int, n: int, rules: list[str], login: tuple[str, str], token: str
) -> Section:
    """CSV export of the biggest campaign: time, bytes, rows and worker memory growth."""
    section = Section("export", db.backend)
    rule = find_rule(rules, EXPORT_RULE)
    if rule is None:
        raise Skipped("endpoint missing: CSV export of a campaign's responses")
    path = concrete(rule, campaign_id)
    with Server("bench.wsgi:app", db.env()) as server:
        client = Client(server.base, token)
        if not path.startswith("/api/") and not client.login(*login):
            raise RuntimeError("could not sign in for the export")
        before = {pid: rss for pid, (rss, _hwm) in server.memory().items()}
        t = time.perf_counter()
        req_headers = {"Authorization": f"Bearer {token}"} if path.startswith("/api/") else {}
        import urllib.request

        req = urllib.request.Request(server.base + path, headers=req_headers)  # noqa: S310
        size = lines = 0
        first_byte = None
        with client.opener.open(req, timeout=600) as resp:
            while True:
                block = resp.read(1 << 16)
                if not block:
                    break
                if first_byte is None:
                    first_byte = time.perf_counter() - t
                size += len(block)
                lines += block.count(b"\n")
        seconds = time.perf_counter() - t
        after = server.memory()
    growth = max((hwm - before.get(pid, hwm) for pid, (_rss, hwm) in after.items()), default=0)
    section.add(f"{label(n)}_seconds", seconds, "s")
    section.add(f"{label(n)}_first_byte", first_byte, "s")
    section.add(f"{label(n)}_rows", max(0, lines - 1), "rows", note=f"expected {n}")
    section.add(f"{label(n)}_mb", size / 2**20, "MB")
    section.add(f"{label(n)}_rate", n / seconds if seconds else None, "rows/s")
    section.add(
        "server_memory_growth",
        growth / 2**20,
        "MB",
        op="<=",
        limit=EXPORT_GROWTH_LIMIT_MB,
        note="worker VmHWM after − VmRSS before",
    )
    return section


def prepare(db: Database, sizes: list[int]) -> tuple[Section, dict[int, int], tuple[str, str], str]:
    """Synth section, campaigns by size, an admin's sign-in and API token."""
    synth = Section("synth", db.backend)
    t = time.perf_counter()
    campaigns = build_campaigns(db, sizes, synth)
    synth.seconds = time.perf_counter() - t
    name, password, token = create_user(db, "admin")
    return synth, campaigns, (name, password), token
