"""The tamper-evident ledger: a hash chain over every record that certification relies on.

Each entry stores canonical JSON of what was recorded, its hash, and the hash of the previous
entry. `append` runs inside the caller's transaction, so a record and its entry commit together.
Appends are serialized by updating the single `ledger_head` row first (a row lock on
PostgreSQL, the write lock on SQLite). Verification: the chain must link up, every content must
match its hash, and the newest entry of each live row must equal that row as it is now.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ..db import db
from ..models import LedgerEntry, LedgerHead

GENESIS = "0" * 64


def _default(value):
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bytes):
        return hashlib.sha256(value).hexdigest()
    raise TypeError(f"not JSON-serializable: {type(value).__name__}")


def canonical_json(content: dict) -> str:
    """Sorted keys, no spaces, UTF-8 kept: the same content always gives the same text."""
    return json.dumps(
        content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_default
    )


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def entry_hash(prev_hash: str, kind: str, table: str, row_id: int, content_hash: str) -> str:
    """The link: sha256 over the previous hash and this entry's identity and content hash."""
    return sha256(f"{prev_hash}|{kind}|{table}|{row_id}|{content_hash}")


#: table name -> function(row) -> dict; the live snapshot that entries of that table vouch for
SNAPSHOTS: dict[str, tuple[type, Callable[[object], dict]]] = {}


def snapshot(table: str, model: type):
    """Register how rows of a table are snapshotted for the ledger (decorator)."""

    def decorator(fn):
        SNAPSHOTS[table] = (model, fn)
        return fn

    return decorator


def _ensure_head() -> None:
    dialect = db.session.get_bind().dialect.name
    ins = pg_insert if dialect == "postgresql" else sqlite_insert
    db.session.execute(
        ins(LedgerHead)
        .values(id=1, last_entry_id=0, last_hash=GENESIS)
        .on_conflict_do_nothing(index_elements=["id"])
    )


def append(kind: str, table: str, row_id: int, content: dict) -> LedgerEntry:
    """Add an entry to the chain in the current transaction (the caller commits)."""
    # take the lock first: on SQLite this write starts the transaction holding the write lock,
    # on PostgreSQL it locks the head row until commit
    locked = db.session.execute(
        update(LedgerHead).where(LedgerHead.id == 1).values(last_hash=LedgerHead.last_hash)
    )
    if locked.rowcount == 0:
        _ensure_head()
    head = db.session.execute(
        select(LedgerHead.last_entry_id, LedgerHead.last_hash).where(LedgerHead.id == 1)
    ).one()
    text = canonical_json(content)
    c_hash = sha256(text)
    e_hash = entry_hash(head.last_hash, kind, table, row_id, c_hash)
    entry = LedgerEntry(
        kind=kind,
        table_name=table,
        row_id=row_id,
        content=text,
        content_hash=c_hash,
        prev_hash=head.last_hash,
        entry_hash=e_hash,
    )
    db.session.add(entry)
    db.session.flush()
    db.session.execute(
        update(LedgerHead)
        .where(LedgerHead.id == 1)
        .values(last_entry_id=entry.id, last_hash=e_hash)
    )
    return entry


def record(kind: str, row) -> LedgerEntry:
    """Append the registered snapshot of an ORM row (its table must be registered)."""
    table = row.__table__.name
    _model, fn = SNAPSHOTS[table]
    db.session.flush()
    return append(kind, table, row.id, fn(row))


@dataclass(frozen=True)
class Mismatch:
    entry_id: int | None
    table: str | None
    row_id: int | None
    problem: str

    def __str__(self) -> str:
        where = f"entry {self.entry_id}" if self.entry_id is not None else "ledger head"
        if self.table:
            where += f" ({self.table} row {self.row_id})"
        return f"{where}: {self.problem}"


def verify(batch: int = 5000) -> tuple[int, Mismatch | None]:
    """Walk the chain and the live rows; return (entries checked, first mismatch or None)."""
    prev = GENESIS
    #: newest entry per live row: (entry id, content hash) — hashes keep memory small at 1M rows
    latest: dict[tuple[str, int], tuple[int, str]] = {}
    checked = 0
    last_id = 0
    while True:
        rows = db.session.execute(
            select(LedgerEntry).where(LedgerEntry.id > last_id).order_by(LedgerEntry.id).limit(batch)
        ).scalars().all()
        if not rows:
            break
        for e in rows:
            if e.prev_hash != prev:
                return checked, Mismatch(e.id, e.table_name, e.row_id, "chain broken: prev_hash does not match the previous entry")
            if sha256(e.content) != e.content_hash:
                return checked, Mismatch(e.id, e.table_name, e.row_id, "content does not match its hash")
            if entry_hash(e.prev_hash, e.kind, e.table_name, e.row_id, e.content_hash) != e.entry_hash:
                return checked, Mismatch(e.id, e.table_name, e.row_id, "entry hash does not match")
            prev = e.entry_hash
            latest[(e.table_name, e.row_id)] = (e.id, e.content_hash)
            checked += 1
            last_id = e.id
        db.session.expunge_all()
    head = db.session.get(LedgerHead, 1)
    if head is not None and (head.last_hash != prev or head.last_entry_id != last_id):
        return checked, Mismatch(None, None, None, "head does not point at the last entry (entries removed?)")
    for table, (model, fn) in SNAPSHOTS.items():
        mismatch = _verify_table(table, model, fn, latest, batch)
        if mismatch is not None:
            return checked, mismatch
    return checked, None


def _verify_table(table, model, fn, latest, batch) -> Mismatch | None:
    seen = 0
    last_id = 0
    while True:
        rows = db.session.execute(
            select(model).where(model.id > last_id).order_by(model.id).limit(batch)
        ).scalars().all()
        if not rows:
            break
        for row in rows:
            last_id = row.id
            got = latest.get((table, row.id))
            if got is None:
                return Mismatch(None, table, row.id, "live row has no ledger entry")
            seen += 1
            live = canonical_json(fn(row))
            if sha256(live) != got[1]:
                recorded = json.loads(db.session.get(LedgerEntry, got[0]).content)
                now = json.loads(live)
                fields = sorted(k for k in set(recorded) | set(now) if recorded.get(k) != now.get(k))
                detail = "; ".join(f"{k}: ledger {recorded.get(k)!r} != live {now.get(k)!r}" for k in fields[:5])
                return Mismatch(got[0], table, row.id, f"live row differs from its ledger entry ({detail})")
        db.session.expunge_all()
    recorded_rows = sum(1 for (t, _r) in latest if t == table)
    if recorded_rows != seen:
        return Mismatch(None, table, None, f"{recorded_rows - seen} recorded row(s) missing from the table")
    return None


def append_many(kind: str, table: str, rows: list[tuple[int, dict]]) -> int:
    """Append many entries in one go (bulk loads); same chain as append, in the caller's txn."""
    if not rows:
        return 0
    locked = db.session.execute(
        update(LedgerHead).where(LedgerHead.id == 1).values(last_hash=LedgerHead.last_hash)
    )
    if locked.rowcount == 0:
        _ensure_head()
    head = db.session.execute(
        select(LedgerHead.last_entry_id, LedgerHead.last_hash).where(LedgerHead.id == 1)
    ).one()
    first_id = (db.session.scalar(select(db.func.max(LedgerEntry.id))) or 0) + 1
    prev = head.last_hash
    values = []
    for offset, (row_id, content) in enumerate(rows):
        text = canonical_json(content)
        c_hash = sha256(text)
        e_hash = entry_hash(prev, kind, table, row_id, c_hash)
        values.append(
            {
                "id": first_id + offset,
                "kind": kind,
                "table_name": table,
                "row_id": row_id,
                "content": text,
                "content_hash": c_hash,
                "prev_hash": prev,
                "entry_hash": e_hash,
            }
        )
        prev = e_hash
    db.session.execute(db.insert(LedgerEntry), values)
    if db.session.get_bind().dialect.name == "postgresql":
        # explicit ids bypass the sequence; move it past them for later single appends
        db.session.execute(
            db.text("SELECT setval(pg_get_serial_sequence('ledger_entries', 'id'), :v)"),
            {"v": values[-1]["id"]},
        )
    db.session.execute(
        update(LedgerHead)
        .where(LedgerHead.id == 1)
        .values(last_entry_id=values[-1]["id"], last_hash=prev)
    )
    return len(values)


# the snapshots of each recorded table register themselves on import
from . import records  # noqa: E402,F401
