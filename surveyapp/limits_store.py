"""The embedded rate-limit store: counters in a SQLite file shared by every worker.

Flask-Limiter's `memory://` store lives in one process, so `make run`'s two gunicorn workers
allowed twice each limit and a restart forgot them. This store keeps the fixed-window counters
in `instance/ratelimits.sqlite3`: one atomic UPSERT … RETURNING per hit, serialized by SQLite
across processes, so two workers (or ten) share one exact count and a restart keeps it. It is
a separate file from the data so a burst of limit hits never waits on the data's write lock,
and it is written with synchronous=OFF — a counter lost in a power cut costs nothing.

Several servers share limits through Redis instead: RATELIMIT_STORAGE_URI=redis://host:6379/0.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time

from limits.storage import Storage

_SCHEMA = """
CREATE TABLE IF NOT EXISTS hits (
    key TEXT PRIMARY KEY,
    count INTEGER NOT NULL,
    expires REAL NOT NULL
) WITHOUT ROWID
"""
_HIT = """
INSERT INTO hits (key, count, expires) VALUES (:key, :amount, :expires)
ON CONFLICT (key) DO UPDATE SET
    count = CASE WHEN hits.expires <= :now THEN :amount ELSE hits.count + :amount END,
    expires = CASE WHEN hits.expires <= :now THEN :expires ELSE hits.expires END
RETURNING count
"""
#: expired counters are deleted about once per this many hits
_SWEEP_EVERY = 1000


class SQLiteStorage(Storage):
    """`sqlite:///absolute/path.sqlite3` as a limits storage (fixed-window strategy)."""

    STORAGE_SCHEME = ["sqlite"]

    def __init__(self, uri: str, wrap_exceptions: bool = False, **options) -> None:
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        # as SQLAlchemy reads it: sqlite:///relative/path, sqlite:////absolute/path
        if not uri or not uri.startswith("sqlite:///") or uri == "sqlite:///":
            raise ValueError("rate-limit store: give sqlite:///path/to/file.sqlite3")
        self.path = os.path.abspath(uri.removeprefix("sqlite:///"))
        self._local = threading.local()
        self._hits = 0

    @property
    def base_exceptions(self):
        return sqlite3.Error

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        pid = os.getpid()
        if conn is None or self._local.pid != pid:  # a forked worker opens its own
            fresh = not os.path.exists(self.path)
            if fresh:  # counters are not personal data, but nobody else needs to read them
                os.close(os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600))
            conn = sqlite3.connect(self.path, timeout=10, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=OFF")
            conn.execute(_SCHEMA)
            self._local.conn, self._local.pid = conn, pid
        return conn

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = time.time()
        conn = self._conn()
        row = conn.execute(
            _HIT, {"key": key, "amount": amount, "expires": now + expiry, "now": now}
        ).fetchone()
        self._hits += 1
        if self._hits % _SWEEP_EVERY == 0:
            conn.execute("DELETE FROM hits WHERE expires <= ?", (now,))
        return int(row[0])

    def get(self, key: str) -> int:
        row = (
            self._conn()
            .execute("SELECT count FROM hits WHERE key = ? AND expires > ?", (key, time.time()))
            .fetchone()
        )
        return int(row[0]) if row else 0

    def get_expiry(self, key: str) -> float:
        row = self._conn().execute("SELECT expires FROM hits WHERE key = ?", (key,)).fetchone()
        return float(row[0]) if row and row[0] > time.time() else time.time()

    def check(self) -> bool:
        try:
            self._conn().execute("SELECT 1")
        except sqlite3.Error:
            return False
        return True

    def reset(self) -> int | None:
        cur = self._conn().execute("DELETE FROM hits")
        return cur.rowcount

    def clear(self, key: str) -> None:
        self._conn().execute("DELETE FROM hits WHERE key = ?", (key,))
