"""Database: SQLAlchemy 2 typed models via Flask-SQLAlchemy, SQLite pragmas, migrations."""

from __future__ import annotations

import contextlib
import os
import select
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import DateTime, MetaData, event, make_url
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

#: constraint names fixed so that migrations are the same on SQLite and PostgreSQL
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()


class UTCDateTime(TypeDecorator):
    """A timestamp stored as naive UTC (SQLite has no zones) and always returned timezone-aware."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use surveyapp.db.utcnow() or attach a zone")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        return None if value is None else value.replace(tzinfo=UTC)


def utcnow() -> datetime:
    """Timezone-aware now in UTC; every stored timestamp is UTC."""
    return datetime.now(UTC)


class _WriteGate:
    """Queue this process's SQLite writers on an OS file lock instead of SQLite's busy sleeps.

    SQLite has one writer at a time; a writer that finds the lock taken sleeps 1, 2, 5, 10 …
    ms in its busy handler and tries again, so with two busy workers much of the time goes to
    sleeping while the lock is already free. Writers that pass through this gate wait on
    flock() instead and are woken the moment the holder is done. Writers that do not (CLI,
    backups) still meet SQLite's own lock and busy timeout: the gate only orders, it does not
    replace SQLite's locking, and a failing writer releases it on the way out.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self.fd: int | None = None
        self.threads = threading.Lock()  # flock() is per process: threads queue here first

    @contextlib.contextmanager
    def hold(self) -> Iterator[None]:
        import fcntl

        with self.threads:
            if self.fd is None:
                try:
                    self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
                except OSError:  # no place for the lock file: SQLite's own locking only
                    yield
                    return
            fcntl.flock(self.fd, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(self.fd, fcntl.LOCK_UN)


_gates: dict[str, _WriteGate] = {}
_gates_lock = threading.Lock()


def write_gate():
    """Context manager around a short write transaction: on a SQLite file, writers of this
    process and of the other workers queue on a lock file next to the database; elsewhere
    (PostgreSQL, in-memory SQLite, no fcntl) it does nothing."""
    url = db.engine.url
    database = url.database
    if (
        url.get_backend_name() != "sqlite"
        or not database
        or database == ":memory:"
        or os.name != "posix"
    ):
        return contextlib.nullcontext()
    gate = _gates.get(database)
    if gate is None:
        with _gates_lock:
            gate = _gates.setdefault(database, _WriteGate(f"{database}-writegate"))
    return gate.hold()


class DriverStatement:
    """A Core statement compiled once per dialect and run on a pooled DBAPI connection.

    For the one write path hot enough to feel SQLAlchemy's per-execution work (an online
    submission: two inserts, ~0.1 ms of compile-cache lookup, execution context and result
    wrapping each). The SQL is SQLAlchemy's own, compiled with named parameters; each bind is
    processed by its type's own bind processor for the dialect (`UTCDateTime` included), None
    too, as `Connection.execute` does, so what is stored is what it would store. Statements
    whose SQL is finished at execution time (expanding IN lists, literal binds) are refused.
    """

    def __init__(self, statement) -> None:
        self.statement = statement
        self._compiled: dict[object, tuple[str, list[tuple[str, bool, object, object]]]] = {}

    def _for(self, dialect) -> tuple[str, list[tuple[str, bool, object, object]]]:
        compiled = self._compiled.get(dialect)
        if compiled is None:
            named = type(dialect)(paramstyle="named" if dialect.name == "sqlite" else None)
            c = self.statement.compile(dialect=named)
            if c.literal_execute_params or c.post_compile_params:
                raise ValueError("DriverStatement: the SQL would be finished at execution")
            binds = [
                (
                    name,
                    bp.required,
                    bp.effective_value,
                    bp.type.dialect_impl(dialect).bind_processor(dialect),
                )
                for bp, name in c.bind_names.items()
            ]
            compiled = self._compiled[dialect] = (str(c), binds)
        return compiled

    def execute(self, cursor, dialect, values: dict):
        """Execute on a DBAPI cursor with `values` by bind name; the cursor."""
        sql, binds = self._for(dialect)
        params = {}
        for name, required, default, process in binds:
            value = values[name] if required else values.get(name, default)
            params[name] = value if process is None else process(value)
        cursor.execute(sql, params)
        return cursor


def _sqlite_pragmas(synchronous: str, autocheckpoint: int):
    def on_connect(dbapi_connection, _record):
        cur = dbapi_connection.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA synchronous={synchronous}")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute(f"PRAGMA wal_autocheckpoint={autocheckpoint:d}")
        cur.close()

    return on_connect


def _private_file(name: str | None) -> None:
    """Create the SQLite file owner-only (0600) before SQLite does, and tighten an old one:
    SQLite gives its -wal and -shm files the database file's permissions, so customers' answers
    and contacts are never world-readable."""
    if not name or name == ":memory:" or name.startswith("file:"):
        return
    path = Path(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    for f in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if f.exists() and f.stat().st_mode & 0o077:
            f.chmod(0o600)


def _socket_first_ping(full_ping):
    """PostgreSQL's pool pre-ping without a round trip when the connection's socket is quiet.

    A pooled connection the server has ended (a restart, a crash, `pg_terminate_backend`,
    an idle timeout) has something to read: the server's termination notice or the socket's
    end. An idle connection in good standing has nothing. So the ping asks the socket first
    (`select` with no wait, ≈ 2 µs) and sends `SELECT 1` only when it is not quiet or the
    connection is not idle and in good standing; a ping that fails that way is the pool's
    usual disconnect: the connection is replaced before use. Sending `SELECT 1` on every
    checkout was a round trip per request, ≈ 10 % of a submission's time on PostgreSQL.
    """
    from psycopg import pq

    def do_ping(dbapi_connection) -> bool:
        try:
            pgconn = dbapi_connection.pgconn
            idle = (
                not dbapi_connection.closed
                and pgconn.status == pq.ConnStatus.OK
                and pgconn.transaction_status == pq.TransactionStatus.IDLE
            )
            if idle and not select.select([pgconn.socket], [], [], 0)[0]:
                return True
        except Exception:  # noqa: BLE001, S110 — anything odd about the socket: ask the server
            pass
        return full_ping(dbapi_connection)

    return do_ping


def init_app(app) -> None:
    """Bind the database and migrations to the app; SQLite gets WAL, FKs and synchronous=FULL."""
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    opts = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    if uri.startswith("sqlite"):
        opts.setdefault("connect_args", {}).setdefault("timeout", 30)
    else:
        opts.setdefault("pool_pre_ping", True)
        # a connection dropped without a word (a firewall's idle timeout) leaves its socket
        # quiet, which the socket-first ping takes for alive: none is kept longer than this
        opts.setdefault("pool_recycle", 1800)
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = opts
    db.init_app(app)
    migrations = str(Path(__file__).resolve().parent.parent / "migrations")
    migrate.init_app(app, db, directory=migrations, render_as_batch=True, compare_type=True)
    if make_url(uri).get_driver_name() == "psycopg" and opts.get("pool_pre_ping"):
        with app.app_context():
            dialect = db.engine.dialect
            dialect.do_ping = _socket_first_ping(dialect.do_ping)
    if uri.startswith("sqlite"):
        _private_file(make_url(uri).database)
        sync = app.config.get("SQLITE_SYNCHRONOUS", "FULL")
        if sync not in {"FULL", "NORMAL", "EXTRA"}:
            raise ValueError(f"SQLITE_SYNCHRONOUS must be FULL, NORMAL or EXTRA, not {sync!r}")
        pages = app.config.get("SQLITE_WAL_AUTOCHECKPOINT", 1000)
        if not isinstance(pages, int) or isinstance(pages, bool) or not 100 <= pages <= 100_000:
            raise ValueError(f"SQLITE_WAL_AUTOCHECKPOINT must be 100–100000 pages, not {pages!r}")
        with app.app_context():
            event.listen(db.engine, "connect", _sqlite_pragmas(sync, pages))


__all__ = [
    "Base",
    "DriverStatement",
    "Engine",
    "UTCDateTime",
    "db",
    "init_app",
    "migrate",
    "utcnow",
    "write_gate",
]
