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
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import bindparam, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from ..db import db, utcnow
from ..models import LedgerEntry, LedgerHead
from .records import SNAPSHOTS

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


def _ensure_head() -> None:
    dialect = db.session.get_bind().dialect.name
    ins = pg_insert if dialect == "postgresql" else sqlite_insert
    db.session.execute(
        ins(LedgerHead)
        .values(id=1, last_entry_id=0, last_hash=GENESIS)
        .on_conflict_do_nothing(index_elements=["id"])
    )


def lock() -> None:
    """Take the chain's append lock in the current transaction (held until commit/rollback)."""
    # on SQLite this write starts the transaction holding the write lock, on PostgreSQL it
    # locks the head row until commit
    locked = db.session.execute(
        update(LedgerHead).where(LedgerHead.id == 1).values(last_hash=LedgerHead.last_hash)
    )
    if locked.rowcount == 0:
        # first append ever: create the head, then lock it — the insert alone takes no row
        # lock on PostgreSQL, and concurrent first appends would otherwise fork the chain
        _ensure_head()
        db.session.execute(
            update(LedgerHead).where(LedgerHead.id == 1).values(last_hash=LedgerHead.last_hash)
        )


@dataclass(frozen=True)
class Prepared:
    """An entry's canonical content and its hash, computed before the append lock is taken."""

    content: str
    content_hash: str


def prepare(content: dict) -> Prepared:
    """Canonical JSON and hash of a content: pure work that needs no lock."""
    text = canonical_json(content)
    return Prepared(text, sha256(text))


_HEAD = LedgerHead.__table__
_ENTRIES = LedgerEntry.__table__
#: built once: statement construction is a good part of a submission's CPU time
_LOCK_AND_READ_HEAD = (
    update(_HEAD)
    .where(_HEAD.c.id == 1)
    .values(last_hash=_HEAD.c.last_hash)
    .returning(_HEAD.c.last_entry_id, _HEAD.c.last_hash)
)
_READ_HEAD = select(_HEAD.c.last_entry_id, _HEAD.c.last_hash).where(_HEAD.c.id == 1)
_INSERT_ENTRY = _ENTRIES.insert().returning(_ENTRIES.c.id)
_MOVE_HEAD = (
    update(_HEAD)
    .where(_HEAD.c.id == 1)
    .values(last_entry_id=bindparam("entry_id"), last_hash=bindparam("entry_hash"))
)


def _lock_and_read_head() -> tuple[int, str]:
    """Take the append lock and read the head in one statement: (last entry id, last hash)."""
    row = db.session.execute(_LOCK_AND_READ_HEAD).first()
    if row is None:  # first append ever: create the head under the lock (see lock())
        lock()
        row = db.session.execute(_READ_HEAD).one()
    return row[0], row[1]


def append_prepared(kind: str, table: str, row_id: int, prepared: Prepared) -> int:
    """Append content prepared beforehand; returns the entry id (the caller commits).

    Inside the lock only three statements run: lock-and-read the head, insert the entry, move
    the head. `append` and the hot submission path both go through here.
    """
    _last_id, prev = _lock_and_read_head()
    e_hash = entry_hash(prev, kind, table, row_id, prepared.content_hash)
    entry_id = db.session.execute(
        _INSERT_ENTRY,
        {
            "kind": kind,
            "table_name": table,
            "row_id": row_id,
            "content": prepared.content,
            "content_hash": prepared.content_hash,
            "prev_hash": prev,
            "entry_hash": e_hash,
        },
    ).scalar_one()
    db.session.execute(_MOVE_HEAD, {"entry_id": entry_id, "entry_hash": e_hash})
    return entry_id


def append(kind: str, table: str, row_id: int, content: dict) -> LedgerEntry:
    """Add an entry to the chain in the current transaction (the caller commits)."""
    entry_id = append_prepared(kind, table, row_id, prepare(content))
    return db.session.get(LedgerEntry, entry_id)


def record(kind: str, row) -> LedgerEntry:
    """Append the registered snapshot of an ORM row (its table must be registered)."""
    table = row.__table__.name
    _model, fn = SNAPSHOTS[table]
    db.session.flush()
    return append(kind, table, row.id, fn(row))


@dataclass(frozen=True)
class Mismatch:
    """The first thing found wrong: which entry, which table and row, what differs."""

    entry_id: int | None
    table: str | None
    row_id: int | None
    problem: str

    def __str__(self) -> str:
        where = f"entry {self.entry_id}" if self.entry_id is not None else "ledger head"
        if self.table:
            where += f" (table {self.table}"
            where += f", row {self.row_id})" if self.row_id is not None else ")"
        return f"{where}: {self.problem}"


@dataclass(frozen=True)
class Report:
    """What verification covered: entries walked, live rows compared, the head it ended on."""

    entries: int
    rows: int
    head_entry_id: int
    head_hash: str
    mismatch: Mismatch | None


def head() -> tuple[int, str] | None:
    """The chain's tip as (entry id, hash): what `verify-ledger --anchor ID:HASH` checks later."""
    row = db.session.execute(
        select(LedgerHead.last_entry_id, LedgerHead.last_hash).where(LedgerHead.id == 1)
    ).first()
    return (int(row[0]), str(row[1])) if row is not None and row[0] else None


def verify(batch: int = 5000) -> tuple[int, Mismatch | None]:
    """Walk the chain and the live rows; return (entries checked, first mismatch or None)."""
    report = verify_report(batch)
    return report.entries, report.mismatch


def verify_report(batch: int = 5000, anchor: tuple[int, str] | None = None) -> Report:
    """Check the chain, the head and every registered table; anchor=(entry id, hash) pins history.

    Runs on its own connection inside one snapshot (a read transaction on SQLite, REPEATABLE
    READ on PostgreSQL), so appends committed meanwhile are neither half-seen nor reported.
    Memory stays constant: entries and rows are streamed and merged in row-id order.
    """
    engine = db.engine
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            # pysqlite would not begin a transaction for SELECTs: one explicit read snapshot
            conn.exec_driver_sql("BEGIN")
        else:
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
        try:
            return _verify_on(conn.execution_options(yield_per=batch), anchor)
        finally:
            conn.rollback()


def _verify_on(conn, anchor: tuple[int, str] | None) -> Report:
    entries, head_id, head_hash, mismatch = _verify_chain(conn, anchor)
    if mismatch is not None:
        return Report(entries, 0, head_id, head_hash, mismatch)
    rows = 0
    for table, (model, fn) in sorted(SNAPSHOTS.items()):
        checked, mismatch = _verify_table(conn, table, model, fn, head_id)
        rows += checked
        if mismatch is not None:
            break
    return Report(entries, rows, head_id, head_hash, mismatch)


def _check_entry(e, prev: str, last_id: int, anchor) -> str | None:
    """What is wrong with one entry given the previous entry's hash, or None."""
    if e.prev_hash != prev:
        return (
            f"chain broken: prev_hash {e.prev_hash[:12]}… but the previous entry"
            f" ({last_id or 'genesis'}) hashes to {prev[:12]}… (entry inserted or removed?)"
        )
    actual = sha256(e.content)
    if actual != e.content_hash:
        return (
            f"content does not match its hash (stored {e.content_hash[:12]}…, content hashes"
            f" to {actual[:12]}…): the entry's content was edited"
        )
    if entry_hash(e.prev_hash, e.kind, e.table_name, e.row_id, e.content_hash) != e.entry_hash:
        return "entry hash does not match its kind/table/row/content (entry fields edited)"
    if anchor is not None and e.id == anchor[0] and e.entry_hash != anchor[1]:
        return (
            f"entry hash {e.entry_hash[:12]}… differs from the anchor {anchor[1][:12]}…"
            " (history rewritten since the anchor was taken)"
        )
    return None


def _verify_chain(conn, anchor) -> tuple[int, int, str, Mismatch | None]:
    """Walk the entries in id order; return (entries, last id, last hash, first mismatch)."""
    E = LedgerEntry
    cols = (E.id, E.kind, E.table_name, E.row_id, E.content, E.content_hash, E.prev_hash)
    stmt = select(*cols, E.entry_hash).order_by(E.id)
    prev, last_id, checked = GENESIS, 0, 0
    with conn.execute(stmt) as result:
        for e in result:
            problem = _check_entry(e, prev, last_id, anchor)
            if problem is not None:
                return checked, last_id, prev, Mismatch(e.id, e.table_name, e.row_id, problem)
            prev, last_id = e.entry_hash, e.id
            checked += 1
    mismatch = None
    head = conn.execute(
        select(LedgerHead.last_entry_id, LedgerHead.last_hash).where(LedgerHead.id == 1)
    ).first()
    if anchor is not None and anchor[0] > last_id:
        mismatch = Mismatch(anchor[0], None, None, "anchored entry is missing (history truncated)")
    elif head is None and checked:
        mismatch = Mismatch(None, None, None, "ledger head row is missing")
    elif head is not None and (head.last_hash != prev or head.last_entry_id != last_id):
        mismatch = Mismatch(
            None,
            None,
            None,
            f"head points at entry {head.last_entry_id} but the chain ends at entry {last_id}"
            " (entries removed from the end?)",
        )
    return checked, last_id, prev, mismatch


def _latest_entries(conn, table: str, upto: int):
    """(row id, entry id, content hash) of the newest entry per row of a table, by row id."""
    E = LedgerEntry
    newest = (
        select(db.func.max(E.id).label("mid"))
        .where(E.table_name == table, E.id <= upto)
        .group_by(E.row_id)
        .subquery()
    )
    return conn.execute(
        select(E.row_id, E.id, E.content_hash).join(newest, E.id == newest.c.mid).order_by(E.row_id)
    )


def _live_rows(conn, model, fn):
    """(id, snapshot) of every live row by id; rows come as Core rows, ORM objects if needed."""
    stmt = select(model.__table__).order_by(model.__table__.c.id)
    with conn.execute(stmt) as result:
        first = next(iter(result), None)
        if first is None:
            return
        try:
            snap = fn(first)
        except (AttributeError, KeyError, TypeError):
            snap = None
        if snap is not None:
            yield first.id, snap
            for row in result:
                yield row.id, fn(row)
            return
    # a snapshot that needs the ORM (relationships): read ORM objects instead
    with Session(bind=conn) as session:
        for obj in session.execute(select(model).order_by(model.id)).scalars():
            yield obj.id, fn(obj)


def _differences(recorded: dict, live: dict, limit: int = 5) -> str:
    keys = sorted(k for k in set(recorded) | set(live) if recorded.get(k) != live.get(k))
    parts = [f"{k}: ledger {recorded.get(k)!r} != live {live.get(k)!r}" for k in keys[:limit]]
    if len(keys) > limit:
        parts.append(f"… {len(keys) - limit} more field(s)")
    return "; ".join(parts)


def _verify_table(conn, table, model, fn, upto) -> tuple[int, Mismatch | None]:
    """Merge the newest entry per row with the live rows, both in id order."""
    with _latest_entries(conn, table, upto) as recorded:
        live = _live_rows(conn, model, fn)
        try:
            return _merge(conn, table, iter(recorded), live)
        finally:
            live.close()


def _merge(conn, table, recorded, live) -> tuple[int, Mismatch | None]:
    rec = next(recorded, None)
    checked = 0
    for row_id, snap in live:
        if rec is not None and rec.row_id < row_id:
            return checked, Mismatch(
                rec.id, table, rec.row_id, "recorded row is missing from the table (deleted?)"
            )
        if rec is None or rec.row_id != row_id:
            return checked, Mismatch(None, table, row_id, "live row has no ledger entry")
        text = canonical_json(snap)
        if sha256(text) != rec.content_hash:
            content = conn.execute(
                select(LedgerEntry.content).where(LedgerEntry.id == rec.id)
            ).scalar_one()
            detail = _differences(json.loads(content), json.loads(text))
            return checked, Mismatch(
                rec.id, table, row_id, f"live row differs from its ledger entry ({detail})"
            )
        checked += 1
        rec = next(recorded, None)
    if rec is not None:
        return checked, Mismatch(
            rec.id, table, rec.row_id, "recorded row is missing from the table (deleted?)"
        )
    return checked, None


_CANONICAL = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_default
)  #: the encoder canonical_json uses, built once for bulk appends (same output)
_ENTRY_COLUMNS = (
    "id",
    "kind",
    "table_name",
    "row_id",
    "content",
    "content_hash",
    "prev_hash",
    "entry_hash",
    "created_at",
)


def _bulk_rows(
    kind: str, table: str, rows: list[tuple[int, dict]], first_id: int, prev: str, created
) -> tuple[list[tuple], str]:
    """The entries' column tuples (in _ENTRY_COLUMNS order) and the new last hash."""
    encode = _CANONICAL.encode
    digest = hashlib.sha256
    out = []
    entry_id = first_id
    for row_id, content in rows:
        text = encode(content)
        c_hash = digest(text.encode("utf-8")).hexdigest()
        e_hash = digest(f"{prev}|{kind}|{table}|{row_id}|{c_hash}".encode()).hexdigest()
        out.append((entry_id, kind, table, row_id, text, c_hash, prev, e_hash, created))
        prev = e_hash
        entry_id += 1
    return out, prev


def append_many(kind: str, table: str, rows: list[tuple[int, dict]]) -> int:
    """Append many entries in one go (bulk loads); same chain as append, in the caller's txn.

    The entries go to the driver directly (executemany on SQLite, COPY on PostgreSQL) with
    one created_at for the batch: the ORM bulk path's per-value processing cost more than
    hashing. Values are written in the form the ORM would store them.
    """
    if not rows:
        return 0
    _last_id, last_hash = _lock_and_read_head()
    first_id = (db.session.scalar(select(db.func.max(LedgerEntry.id))) or 0) + 1
    dialect = db.session.get_bind().dialect.name
    created = utcnow().astimezone(UTC).replace(tzinfo=None)  # stored as naive UTC
    if dialect == "sqlite":
        created = created.isoformat(sep=" ", timespec="microseconds")
    values, prev = _bulk_rows(kind, table, rows, first_id, last_hash, created)
    last_id = first_id + len(values) - 1
    connection = db.session.connection()
    names = ", ".join(_ENTRY_COLUMNS)
    if dialect == "sqlite":
        marks = ", ".join("?" * len(_ENTRY_COLUMNS))
        insert = f"INSERT INTO ledger_entries ({names}) VALUES ({marks})"  # noqa: S608 (constant names)
        connection.exec_driver_sql(insert, values)
    elif dialect == "postgresql":
        raw = connection.connection.driver_connection
        with raw.cursor() as cur, cur.copy(f"COPY ledger_entries ({names}) FROM STDIN") as cp:
            for row in values:
                cp.write_row(row)
        # explicit ids bypass the sequence; move it past them for later single appends
        db.session.execute(
            db.text("SELECT setval(pg_get_serial_sequence('ledger_entries', 'id'), :v)"),
            {"v": last_id},
        )
    else:  # any other database: the portable Core path
        db.session.execute(
            LedgerEntry.__table__.insert(),
            [dict(zip(_ENTRY_COLUMNS[:-1], v[:-1], strict=True)) for v in values],
        )
    db.session.execute(
        update(LedgerHead).where(LedgerHead.id == 1).values(last_entry_id=last_id, last_hash=prev)
    )
    return len(values)
