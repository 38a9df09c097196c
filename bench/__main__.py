"""python -m bench: run the benchmarks, print the table and the BENCH line, write results.json."""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from . import phone, qr, scores, submit
from .common import (
    Database,
    Section,
    Skipped,
    app_routes,
    bench_line,
    database,
    results_json,
    table,
)

ALL = ("submit", "scores", "export", "qr", "phone")
RESULTS = Path(__file__).with_name("results.json")


def _log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _guard(
    sections: list[Section], name: str, backend: str, fn: Callable[[], Section | list[Section]]
) -> None:
    """Run one benchmark; a Skipped or an error becomes a skipped row instead of a crash."""
    _log(f"{name}[{backend}] …")
    t = time.perf_counter()
    try:
        result = fn()
        got = result if isinstance(result, list) else [result]
    except Skipped as e:
        got = [Section(name, backend, skipped=str(e))]
    except Exception as e:  # a broken benchmark must not hide the others' figures
        traceback.print_exc()
        got = [Section(name, backend, skipped=f"error: {type(e).__name__}: {str(e)[:160]}")]
    spent = time.perf_counter() - t
    for s in got:
        s.seconds = s.seconds or spent
    sections.extend(got)
    _log(f"{name}[{backend}] done in {spent:.1f} s")


def _first_outlet(db: Database, campaign_id: int) -> int:
    engine = sa.create_engine(db.url)
    with engine.connect() as c:
        outlet = c.execute(
            sa.text("SELECT min(id) FROM outlets WHERE campaign_id = :c"), {"c": campaign_id}
        ).scalar()
    engine.dispose()
    return int(outlet)


def run_backend(
    backend: str, only: set[str], sizes: list[int], seconds: float, rules: list[str]
) -> list[Section]:
    """Every selected benchmark on one backend, on one throw-away database."""
    sections: list[Section] = []
    try:
        ctx = database(backend)
        db = ctx.__enter__()
    except Exception as e:  # no server, or the app does not start: say so per benchmark
        reason = str(e) if isinstance(e, Skipped) else f"error: {type(e).__name__}: {str(e)[-200:]}"
        return [Section(name, backend, skipped=reason) for name in sorted(only)]
    try:
        if "submit" in only:
            _guard(sections, "submit", backend, lambda: submit.run(db, seconds))
        if only & {"scores", "export", "qr", "phone"}:
            prepared: dict = {}

            def prep() -> Section:
                synth, campaigns, login, token = scores.prepare(db, sizes)
                prepared.update(campaigns=campaigns, login=login, token=token)
                return synth

            _guard(sections, "synth", backend, prep)
            if prepared:
                campaigns, login, token = (
                    prepared["campaigns"],
                    prepared["login"],
                    prepared["token"],
                )
                if "scores" in only:
                    _guard(
                        sections,
                        "scores",
                        backend,
                        lambda: list(scores.run_scores(db, campaigns, rules, login, token)),
                    )
                if "export" in only:
                    n = max(campaigns)
                    _guard(
                        sections,
                        "export",
                        backend,
                        lambda: scores.run_export(db, campaigns[n], n, rules, login, token),
                    )
                if "phone" in only and backend == "sqlite":
                    small = campaigns[min(campaigns)]
                    _guard(sections, "phone", backend, lambda: phone.run(db, small, login))
                if "qr" in only and backend == "sqlite":
                    cid = campaigns[min(campaigns)]
                    _guard(
                        sections,
                        "qr",
                        backend,
                        lambda: qr.run(db, cid, _first_outlet(db, cid), login, rules),
                    )
    finally:
        ctx.__exit__(None, None, None)
    return sections


def _wrk_version() -> str | None:
    wrk = shutil.which("wrk")
    if wrk is None:
        return None
    out = subprocess.run([wrk, "--version"], capture_output=True, text=True)  # noqa: S603
    return (out.stdout or out.stderr).split("\n")[0].strip()


def main(argv: list[str] | None = None) -> int:
    """Parse options, run, print the table and the BENCH line, write bench/results.json."""
    ap = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    ap.add_argument("--only", default=",".join(ALL), help=f"comma list of {', '.join(ALL)}")
    ap.add_argument("--backends", default="sqlite,postgres", help="sqlite and/or postgres")
    ap.add_argument("--sizes", default="10000,100000,1000000", help="campaign sizes for scores")
    ap.add_argument("--seconds", type=float, default=15.0, help="duration of each load run")
    ap.add_argument("--results", default=str(RESULTS), help="where to write the JSON figures")
    args = ap.parse_args(argv)
    only = {x.strip() for x in args.only.split(",") if x.strip()}
    unknown = only - set(ALL)
    if unknown:
        ap.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")
    sizes = sorted(int(x) for x in args.sizes.split(",") if x.strip())
    started = time.perf_counter()
    rules = app_routes()
    sections: list[Section] = []
    for backend in [b.strip() for b in args.backends.split(",") if b.strip()]:
        sections += run_backend(backend, only, sizes, args.seconds, rules)
    total = time.perf_counter() - started
    print(table(sections))
    print(f"total {total:.0f} s on {os.cpu_count()} cores")
    meta = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "seconds": round(total, 1),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "wrk": _wrk_version(),
        "sizes": sizes,
        "load_seconds": args.seconds,
    }
    Path(args.results).write_text(
        json.dumps(results_json(sections, meta), indent=2, ensure_ascii=False) + "\n"
    )
    print(bench_line(sections))
    return 0


if __name__ == "__main__":
    sys.exit(main())
