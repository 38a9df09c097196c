"""CPU per submission in one process: the WSGI app called directly, no server, no socket.

`python -m bench.inproc <path> <body>` (environment as the bench servers get it) posts the
body (its CLIENT_ID replaced by a fresh id each time) to `path` of `bench.wsgi:app`, or of
`bench.baseline:app` with BENCH_SIDE=baseline, with the cookies in BENCH_COOKIE, and prints
`CPUMS <ms>`: the least of three runs' process CPU time per request. The same machine noise reaches both sides less than a
load test's (no scheduler contention between a server, its workers and wrk), so the ratio of
the two is the steadier figure beside the throughput ratio.
"""

from __future__ import annotations

import io
import os
import sys
import time
import uuid

WARM, REQUESTS, RUNS = 200, 1500, 3


def main(path: str, body: str) -> None:
    if os.environ.get("BENCH_SIDE") == "baseline":
        from .baseline import app
    else:
        from .wsgi import app
    statuses: list[str] = []
    cookie = os.environ.get("BENCH_COOKIE", "")  # what a phone sends (bench/submit.py)

    def start_response(status, _headers, _exc=None):
        statuses.append(status)

    def post() -> None:
        data = body.replace("CLIENT_ID", "cpu-" + uuid.uuid4().hex).encode()
        environ = {
            "REQUEST_METHOD": "POST",
            "PATH_INFO": path,
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8000",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "HTTP_HOST": "127.0.0.1:8000",
            "HTTP_USER_AGENT": "bench-inproc",
            "REMOTE_ADDR": "127.0.0.1",
            "HTTP_COOKIE": cookie,
            "CONTENT_TYPE": "application/json",
            "CONTENT_LENGTH": str(len(data)),
            "wsgi.input": io.BytesIO(data),
            "wsgi.url_scheme": "http",
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": False,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
            "wsgi.version": (1, 0),
        }
        b"".join(app(environ, start_response))

    for _ in range(WARM):
        post()
    best = float("inf")
    for _ in range(RUNS):
        started = time.process_time()
        for _ in range(REQUESTS):
            post()
        best = min(best, (time.process_time() - started) / REQUESTS * 1000)
    refused = [s for s in statuses if not s.startswith("201")]
    if refused:
        raise SystemExit(f"refused: {refused[:3]} ({len(refused)} of {len(statuses)})")
    print(f"CPUMS {best:.4f}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
