"""Fixtures of the end-to-end tests: a real HTTP server on a SQLite app, and the browser."""

import os
import shutil
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from surveyapp.db import db
from tests.conftest import base_config, new_app

CHROMIUM = "/usr/bin/chromium"
#: headless Chromium in a container: no sandbox, no GPU, nothing fetched from outside
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def launch(chromium_path):
    """launch(playwright) -> a headless Chromium browser with the container's arguments."""
    return lambda p: p.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)


@pytest.fixture
def chromium_path() -> str:
    """The Chromium binary; skip when missing unless REQUIRE_BROWSER is set (then fail)."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("REQUIRE_BROWSER"):
            pytest.fail(f"REQUIRE_BROWSER is set but {CHROMIUM} is missing")
        pytest.skip(
            f"headless Chromium not installed at {CHROMIUM} (set REQUIRE_BROWSER to make this fail)"
        )
    return CHROMIUM


@pytest.fixture
def live_app(sqlite_template, tmp_path):
    """A production-like app (CSRF and rate limits on) on a copy of the migrated SQLite database."""
    path = tmp_path / "live.sqlite3"
    shutil.copy(sqlite_template, path)
    cfg = base_config(f"sqlite:///{path}")
    cfg.update(WTF_CSRF_ENABLED=True, RATELIMIT_ENABLED=True, SERVER_NAME=None, TESTING=False)
    app = new_app(cfg, str(tmp_path / "instance"))
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _closed_before_sent(app):
    """The app's answers read whole and closed before werkzeug's server sends them. When a
    browser drops a connection (a navigation cancels a script's load), the dev server's drain
    of the socket raises before it closes the answer, which leaves a static file open: a
    ResourceWarning, an error under `filterwarnings = error`, in whatever test runs next."""

    def wsgi(environ, start_response):
        answer = app(environ, start_response)
        try:
            return [b"".join(answer)]
        finally:
            if hasattr(answer, "close"):
                answer.close()

    return wsgi


@pytest.fixture
def live_server(live_app):
    """Serve live_app on 127.0.0.1 (a free port) in a thread; yields the base URL."""
    server = make_server("127.0.0.1", 0, _closed_before_sent(live_app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    thread.join(10)
