"""Backup and restore of the configured database (SQLite online copy, PostgreSQL pg_dump).

SQLite: sqlite3's online backup API copies every page in one step under a read snapshot, so
the copy is consistent while the app keeps writing (WAL readers never block writers); the copy
is switched to a single self-contained file (journal_mode=DELETE), checked with
`PRAGMA integrity_check`, fsynced and renamed into place.

PostgreSQL: `pg_dump --format=custom` run against a snapshot exported by a REPEATABLE READ
transaction of ours, so the ledger heads printed are exactly those inside the dump. Restore
runs `pg_restore --clean --if-exists --single-transaction --exit-on-error`.
Credentials go to the tools through PG* environment variables, never the command line.

The contact encryption key is deliberately NOT in a backup (it lives outside the database);
back it up separately (docs/security.md).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from ..db import db
from ..errors import DomainError
from .ledger import Head, heads_digest

#: tables whose rows make a database "non-empty" for restore (alembic_version does not count)
_IGNORED = {"alembic_version"}


def _failed(detail: str) -> DomainError:
    """A backup or restore that cannot be carried out: backup_failed, detail says what to do."""
    return DomainError("backup_failed", detail=detail)


@dataclass(frozen=True)
class BackupResult:
    path: Path
    size: int
    dialect: str
    #: entries in the ledger, and the digest of every chain's head (what verify-ledger prints)
    ledger_entries: int
    heads_digest: str


def _dialect() -> str:
    return db.engine.dialect.name


def _sqlite_file() -> Path:
    name = db.engine.url.database
    if not name or name == ":memory:":
        raise _failed("the configured SQLite database is in memory; nothing to back up")
    return Path(name)


def backup(path: str | os.PathLike, overwrite: bool = False) -> BackupResult:
    """Write a consistent copy of the configured database to path (refuses to overwrite)."""
    target = Path(path)
    if target.exists() and not overwrite:
        raise _failed(f"{target} exists; choose a new file name")
    target.parent.mkdir(parents=True, exist_ok=True)
    if _dialect() == "sqlite":
        head = _sqlite_backup(_sqlite_file(), target)
    elif _dialect() == "postgresql":
        head = _pg_backup(target)
    else:
        raise _failed(f"backup of {_dialect()} is not supported")
    return BackupResult(target, target.stat().st_size, _dialect(), *head)


_COUNT_SQL = "SELECT COUNT(*) FROM ledger_entries"
_HEADS_SQL = (
    "SELECT b.chain, b.seq, b.length, b.batch_hash FROM ledger_batches b JOIN"
    " (SELECT chain, MAX(seq) AS seq FROM ledger_batches GROUP BY chain) n"
    " ON b.chain = n.chain AND b.seq = n.seq ORDER BY b.chain"
)


def _head(count, heads) -> tuple[int, str]:
    """(entries, heads digest) from the two queries' rows."""
    hs = [Head(int(c), int(s), int(n), str(h)) for c, s, n, h in heads]
    return int(count[0]) if count else 0, heads_digest(hs)


def _sqlite_head(conn: sqlite3.Connection) -> tuple[int, str]:
    try:
        return _head(conn.execute(_COUNT_SQL).fetchone(), conn.execute(_HEADS_SQL).fetchall())
    except sqlite3.OperationalError:  # no ledger tables yet
        return _head(None, [])


def _sa_head(conn) -> tuple[int, str]:
    return _head(conn.execute(sa.text(_COUNT_SQL)).first(), conn.execute(sa.text(_HEADS_SQL)).all())


def _sqlite_backup(source: Path, target: Path) -> tuple[int, str]:
    tmp = target.with_name(target.name + ".part")
    tmp.unlink(missing_ok=True)
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    dst = sqlite3.connect(tmp)
    try:
        src.backup(dst)  # all pages in one step: one consistent snapshot
        dst.execute("PRAGMA journal_mode=DELETE")
        check = dst.execute("PRAGMA integrity_check").fetchone()[0]
        if check != "ok":
            raise _failed(f"the copy failed its integrity check: {check}")
        head = _sqlite_head(dst)
    finally:
        dst.close()
        src.close()
    os.chmod(tmp, 0o600)  # a backup holds every answer and (encrypted) contact: owner only
    with open(tmp, "rb") as f:
        os.fsync(f.fileno())
    os.replace(tmp, target)
    return head


def _pg_env() -> dict[str, str]:
    url = db.engine.url
    env = dict(os.environ)
    for var, value in (
        ("PGHOST", url.host),
        ("PGPORT", url.port),
        ("PGUSER", url.username),
        ("PGPASSWORD", url.password),
        ("PGDATABASE", url.database),
        ("PGSSLMODE", url.query.get("sslmode")),
    ):
        if value is not None:
            env[var] = str(value)
    return env


def _tool(name: str) -> str:
    found = current_app.config.get(name.upper()) or shutil.which(name)
    if not found:
        raise _failed(
            f"{name} not found: install the PostgreSQL client tools (the same major version as"
            f" the server) or set FLASK_{name.upper()} to its path"
        )
    return found


def _pg_backup(target: Path) -> tuple[int, str]:
    tmp = target.with_name(target.name + ".part")
    tmp.unlink(missing_ok=True)
    with db.engine.connect() as conn:
        conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            snapshot = conn.execute(sa.text("SELECT pg_export_snapshot()")).scalar_one()
            head = _sa_head(conn)
            cmd = [_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges"]
            cmd += [f"--snapshot={snapshot}", f"--file={tmp}"]
            _run(cmd)
    os.chmod(tmp, 0o600)  # owner only, like the SQLite copy
    os.replace(tmp, target)
    return head


def _run(cmd: list[str]) -> None:
    proc = subprocess.run(cmd, env=_pg_env(), capture_output=True, text=True, timeout=3600)  # noqa: S603
    if proc.returncode != 0:
        raise _failed(f"{Path(cmd[0]).name} failed: {proc.stderr.strip()[:2000]}")


def nonempty_tables() -> list[str]:
    """Tables of the configured database that hold rows (alembic_version aside)."""
    inspector = sa.inspect(db.engine)
    names = [t for t in inspector.get_table_names() if t not in _IGNORED]
    with db.engine.connect() as conn:
        return [
            t
            for t in sorted(names)
            if conn.execute(sa.select(sa.literal(1)).select_from(sa.table(t)).limit(1)).first()
        ]


def restore(path: str | os.PathLike, force: bool = False) -> BackupResult:
    """Load a backup into the configured database; refuses a non-empty one unless force."""
    source = Path(path)
    if not source.is_file():
        raise _failed(f"{source}: no such backup file")
    busy = nonempty_tables()
    if busy and not force:
        raise _failed(
            f"the configured database is not empty ({', '.join(busy[:5])}"
            f"{', …' if len(busy) > 5 else ''}); restore with --force to replace it"
        )
    db.session.remove()
    db.engine.dispose()
    if _dialect() == "sqlite":
        head = _sqlite_restore(source, _sqlite_file())
    elif _dialect() == "postgresql":
        head = _pg_restore(source)
    else:
        raise _failed(f"restore into {_dialect()} is not supported")
    db.engine.dispose()
    return BackupResult(source, source.stat().st_size, _dialect(), *head)


def _sqlite_restore(source: Path, target: Path) -> tuple[int, str]:
    try:
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        check = src.execute("PRAGMA integrity_check").fetchone()[0]
        tables = {r[0] for r in src.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    except sqlite3.DatabaseError as e:
        raise _failed(f"{source} is not a SQLite backup: {e}") from e
    if check != "ok" or "alembic_version" not in tables:
        src.close()
        raise _failed(f"{source} is not a sound surveyapp backup (integrity: {check})")
    target.parent.mkdir(parents=True, exist_ok=True)
    dst = sqlite3.connect(target, timeout=30)
    try:
        src.backup(dst)
        head = _sqlite_head(dst)
        dst.execute("PRAGMA journal_mode=WAL")
    finally:
        dst.close()
        src.close()
    return head


def _pg_restore(source: Path) -> tuple[int, str]:
    cmd = [_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--no-privileges"]
    cmd += ["--single-transaction", "--exit-on-error", f"--dbname={db.engine.url.database}"]
    _run([*cmd, str(source)])
    with db.engine.connect() as conn:
        return _sa_head(conn)
