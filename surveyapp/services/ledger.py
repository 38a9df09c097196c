"""The tamper-evident ledger: every recorded row state, sealed into Merkle-rooted batches.

Design (ledger v2, docs/ledger.md):

- **Entries without a lock.** An entry (canonical JSON of a row's snapshot and its hash) is
  inserted in the same transaction as the row it vouches for — on the submission path one
  statement on PostgreSQL (a data-modifying CTE) — and takes no lock: submissions to one
  campaign commit in parallel. Each entry names its chain: its campaign's, or the system
  chain (0) for users and organizations.
- **Sealing.** Every few seconds (LEDGER_SEAL_SECONDS) the sealer takes a chain's sealing lock
  (an advisory lock on PostgreSQL, the write lock on SQLite), claims that chain's unsealed
  entries with one UPDATE … RETURNING, and stores a batch: the RFC 6962 Merkle root over
  their leaves (each leaf binds the entry's id, chain, kind, table, row and content hash),
  linked to the chain's previous batch by hash. Certificate Transparency logs work this way.
- **Verification** walks every chain's batches (sequence, links, hashes), recomputes every
  root from its entries, checks every unsealed entry's content hash, and compares every live
  row of every ledgered table (services/records.py) with its newest entry, naming table, row
  and field. An anchor (services/anchors.py) pins chain heads: a cut or a rewrite of history
  since then fails against it.
- **Recording by construction.** An ORM flush records every new or changed ledgered row
  (`_record_flush`); a changed row's entry is its recorded content with the changed fields
  applied, so a field edited behind the application's back stays different from the ledger
  after a later legitimate change. Core writes (the submission path, bulk loads, purges)
  append explicitly.

The window: an entry not yet sealed is covered by its content hash and the live-row
comparison, but removing it together with its row is only visible once sealed; the sealer
runs every LEDGER_SEAL_SECONDS (5 s by default) and `verify-ledger` reports the oldest
unsealed entry's age.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import Integer, bindparam, event, func, literal_column, select, update
from sqlalchemy.orm import Session, attributes, load_only

from ..db import UTCDateTime, db, utcnow, write_gate
from ..models import LedgerBatch, LedgerEntry
from .records import LEDGERED, SYSTEM_CHAIN

log = logging.getLogger(__name__)

GENESIS = "0" * 64
#: pg_advisory_xact_lock(class, chain): one sealer per chain at a time
_SEAL_LOCK_CLASS = 0x1ED6


def _default(value):
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bytes):
        return hashlib.sha256(value).hexdigest()
    raise TypeError(f"not JSON-serializable: {type(value).__name__}")


_CANONICAL = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_default
)


def canonical_json(content: dict) -> str:
    """Sorted keys, no spaces, UTF-8 kept: the same content always gives the same text."""
    return _CANONICAL.encode(content)


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# ── the hashes ───────────────────────────────────────────────────────────────────────────


def leaf_hash(entry_id: int, chain: int, kind: str, table: str, row_id: int, c_hash: str) -> bytes:
    """RFC 6962 leaf: sha256(0x00 | id|chain|kind|table|row|content hash)."""
    return hashlib.sha256(
        b"\x00" + f"{entry_id}|{chain}|{kind}|{table}|{row_id}|{c_hash}".encode()
    ).digest()


def merkle_root(leaves: list[bytes]) -> str:
    """RFC 6962 Merkle tree hash of the leaves in order (an odd node moves up unpaired)."""
    if not leaves:
        return hashlib.sha256(b"").hexdigest()
    level = leaves
    sha = hashlib.sha256
    while len(level) > 1:
        paired = [
            sha(b"\x01" + level[i] + level[i + 1]).digest() for i in range(0, len(level) - 1, 2)
        ]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return level[0].hex()


def batch_hash(
    chain: int, seq: int, prev: str, root: str, size: int, length: int, sealed_at: str
) -> str:
    return sha256(f"batch|{chain}|{seq}|{prev}|{root}|{size}|{length}|{sealed_at}")


def chain_name(chain: int) -> str:
    """How people read a chain: 'system' or 'campaign 12'."""
    return "system" if chain == SYSTEM_CHAIN else f"campaign {chain}"


# ── appending ────────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class Prepared:
    """An entry's canonical content and its hash, computed before the transaction starts."""

    content: str
    content_hash: str


def prepare(content: dict) -> Prepared:
    """Canonical JSON and hash of a content: pure work, done before any write."""
    text = canonical_json(content)
    return Prepared(text, sha256(text))


_ENTRIES = LedgerEntry.__table__
_BATCHES = LedgerBatch.__table__
INSERT_ENTRY = _ENTRIES.insert().returning(_ENTRIES.c.id)


#: the columns an appended entry is given (`entry_values`); its id and batch come later
ENTRY_FIELDS = ("chain", "kind", "table_name", "row_id", "content", "content_hash", "created_at")


def entry_values(
    kind: str, table: str, row_id: int, prepared: Prepared, chain: int = SYSTEM_CHAIN
) -> dict:
    """The column values of an entry (`ENTRY_FIELDS`; for executemany and the submission)."""
    return {
        "chain": chain,
        "kind": kind,
        "table_name": table,
        "row_id": row_id,
        "content": prepared.content,
        "content_hash": prepared.content_hash,
        "created_at": utcnow(),
    }


def append_prepared(
    kind: str, table: str, row_id: int, prepared: Prepared, chain: int = SYSTEM_CHAIN
) -> int:
    """Insert one entry in the caller's transaction (no lock); returns its id."""
    return db.session.execute(
        INSERT_ENTRY, entry_values(kind, table, row_id, prepared, chain)
    ).scalar_one()


def append(
    kind: str, table: str, row_id: int, content: dict, chain: int = SYSTEM_CHAIN
) -> LedgerEntry:
    """Add an entry in the current transaction (the caller commits)."""
    entry_id = append_prepared(kind, table, row_id, prepare(content), chain)
    return db.session.get(LedgerEntry, entry_id)


def recorded(connection, table: str, row_id: int) -> dict | None:
    """The newest recorded content of a row, or None."""
    text = connection.execute(
        select(_ENTRIES.c.content)
        .where(_ENTRIES.c.table_name == table, _ENTRIES.c.row_id == row_id)
        .order_by(_ENTRIES.c.id.desc())
        .limit(1)
    ).scalar()
    return None if text is None else json.loads(text)


def record_change(kind: str, table: str, row, changes: dict) -> int:
    """Append a row's recorded content with `changes` ({column: new value}) applied, for a
    change written by a Core statement (which no flush sees); returns the entry id."""
    spec = LEDGERED[table]
    connection = db.session.connection()
    content = recorded(connection, table, row.id) or spec.snapshot(row)
    content.update(
        {f.name: f.encode(changes[f.source]) for f in spec.fields if f.source in changes}
    )
    return append_prepared(kind, table, row.id, prepare(content), spec.chain(row, connection))


def mark(kind: str, row, session=None) -> None:
    """Record `row` at the next flush under `kind`, even when none of its fields changed."""
    session = session or db.session
    session.info.setdefault("ledger_kinds", {})[id(row)] = (row, kind)


def _changed(obj, spec) -> list:
    state = attributes.instance_state(obj)
    return [f for f in spec.fields if state.attrs[f.source].history.has_changes()]


#: the key of an entry listing fields found edited behind the application's back when a
#: legitimate write changed them (no live row has it, so verify names the row and the field)
TAMPERED = "_found_edited"


def _found_edited(obj, changed, before: dict) -> dict:
    """Changed fields whose value before this write is not what the ledger recorded: edited by
    SQL, then read and written back by a use case (e.g. a checklist save merging the stored
    input). {field: {"ledger": recorded, "found": value before the write}}."""
    state = attributes.instance_state(obj)
    found = {}
    for f in changed:
        if f.delta or f.name not in before:
            continue
        deleted = state.attrs[f.source].history.deleted
        if not deleted:  # the old value was never loaded: nothing to compare
            continue
        old = f.encode(deleted[0])
        if canonical_json({"v": old}) != canonical_json({"v": before[f.name]}):
            found[f.name] = {"ledger": before[f.name], "found": old}
    return found


def _changed_value(obj, f, before: dict):
    """The recorded value of a changed field: its new value, or for a collection the recorded
    members with this flush's additions and removals applied."""
    if not f.delta or not isinstance(before.get(f.name), list):
        return f.encode(getattr(obj, f.source))
    history = attributes.instance_state(obj).attrs[f.source].history
    ids = set(before[f.name]) - {x.id for x in history.deleted or ()}
    return sorted(ids | {x.id for x in history.added or ()})


def lock_row(obj) -> None:
    """Lock a row for the rest of the transaction and read it afresh (SQLite: the write lock),
    before changing what its ledger entry records from its current state (grants)."""
    write_lock()
    db.session.refresh(obj, with_for_update=True)


def _spec(obj):
    return LEDGERED.get(getattr(obj, "__tablename__", None))


def _flushed(session, named: dict) -> list:
    """(row, spec, kind, changed fields or None for a new row) of what the flush wrote."""
    todo = []
    for obj in session.new:
        if (spec := _spec(obj)) is not None:
            todo.append((obj, spec, named.pop(id(obj), (None, "insert"))[1], None))
    for obj in session.dirty:
        if (spec := _spec(obj)) is None:
            continue
        changed = _changed(obj, spec)
        kind = named.pop(id(obj), (None, None))[1]
        if changed or kind:
            todo.append((obj, spec, kind or "update", changed))
    # the session's sets have no order: entries go in table and row order, the same each run
    todo.sort(key=lambda t: (t[1].table, t[0].id))
    return todo


def _record_flush(session, _flush_context) -> None:
    """after_flush: one entry for every ledgered row the flush inserted or changed."""
    named = session.info.pop("ledger_kinds", {})
    todo = _flushed(session, named)
    connection = session.connection()
    written = session.info.setdefault("ledger_written", {})
    for obj, kind in named.values():  # named but unchanged since the last flush
        spec = _spec(obj)
        if spec is None or obj in session.deleted:
            continue
        earlier = written.get((spec.table, obj.id))
        if earlier is not None:  # recorded by an earlier flush of this transaction: name it
            connection.execute(update(_ENTRIES).where(_ENTRIES.c.id == earlier).values(kind=kind))
        else:  # the recorded state, reaffirmed under that name
            todo.append((obj, spec, kind, []))
    for obj, spec, kind, changed in todo:
        if changed is None and spec.table == "campaigns":
            _register_chain(connection, obj.id)
        content = spec.snapshot(obj)
        if changed is not None:
            before = recorded(connection, spec.table, obj.id)
            if before is not None:
                found = _found_edited(obj, changed, before)
                content = {**content, **before}
                content.update({f.name: _changed_value(obj, f, before) for f in changed})
                if found:  # evidence kept: verify names these fields until resolved
                    content[TAMPERED] = {**before.get(TAMPERED, {}), **found}
        values = entry_values(
            kind, spec.table, obj.id, prepare(content), spec.chain(obj, connection)
        )
        written[(spec.table, obj.id)] = connection.execute(INSERT_ENTRY, values).scalar_one()


#: the system chain's register of campaign chains: one entry per campaign, so that deleting a
#: campaign together with its whole chain still leaves a sealed trace that verify checks
REGISTER = "chains"


def _register_chain(connection, campaign_id: int) -> None:
    content = prepare({"campaign_id": campaign_id})
    connection.execute(
        INSERT_ENTRY, entry_values("chain.open", REGISTER, campaign_id, content, SYSTEM_CHAIN)
    )


def _forget_written(session, _transaction) -> None:
    session.info.pop("ledger_written", None)
    session.info.pop("ledger_kinds", None)


event.listen(Session, "after_flush", _record_flush)
event.listen(Session, "after_commit", lambda session: _forget_written(session, None))
event.listen(Session, "after_soft_rollback", _forget_written)


def write_lock() -> None:
    """SQLite: take the database's write lock now, with a write that changes nothing, so the
    reads that follow stay true until commit. PostgreSQL locks rows instead (FOR UPDATE)."""
    if db.session.get_bind().dialect.name == "sqlite":
        db.session.execute(update(_BATCHES).where(literal_column("0")).values(id=_BATCHES.c.id))


# ── sealing ──────────────────────────────────────────────────────────────────────────────


def _lock_chain(connection, chain: int, wait: bool = True) -> bool:
    """The chain's sealing lock for this transaction (PostgreSQL); SQLite's write lock
    serializes sealers by itself. False when `wait` is off and another sealer holds it."""
    if connection.dialect.name != "postgresql":
        return True
    if wait:
        connection.execute(select(func.pg_advisory_xact_lock(_SEAL_LOCK_CLASS, chain)))
        return True
    return bool(
        connection.execute(select(func.pg_try_advisory_xact_lock(_SEAL_LOCK_CLASS, chain))).scalar()
    )


def _now_text() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


_NEXT_BATCH = (
    _BATCHES.insert()
    .from_select(
        ["chain", "seq", "size", "length", "root", "prev_hash", "batch_hash", "sealed_at"],
        select(
            bindparam("chain", type_=Integer),
            func.coalesce(func.max(_BATCHES.c.seq), 0) + 1,
            literal_column("0"),
            literal_column("0"),
            literal_column("''"),
            literal_column("''"),
            literal_column("''"),
            literal_column("''"),
        ).where(_BATCHES.c.chain == bindparam("chain", type_=Integer)),
    )
    .returning(_BATCHES.c.id, _BATCHES.c.seq)
)


def _open_batch(connection, chain: int) -> tuple[int, int, str, int]:
    """Insert the chain's next batch row (its first write: SQLite's write lock from here);
    returns (batch id, seq, previous batch hash, previous length)."""
    batch_id, seq = connection.execute(_NEXT_BATCH, {"chain": chain}).one()
    prev = connection.execute(
        select(_BATCHES.c.batch_hash, _BATCHES.c.length).where(
            _BATCHES.c.chain == chain, _BATCHES.c.seq == seq - 1
        )
    ).first()
    return batch_id, seq, (prev[0] if prev else GENESIS), (int(prev[1]) if prev else 0)


def _close_batch(connection, batch_id, chain, seq, prev, length, leaves: list[bytes]) -> None:
    root = merkle_root(leaves)
    sealed_at = _now_text()
    total = length + len(leaves)
    connection.execute(
        update(_BATCHES)
        .where(_BATCHES.c.id == batch_id)
        .values(
            size=len(leaves),
            length=total,
            root=root,
            prev_hash=prev,
            sealed_at=sealed_at,
            batch_hash=batch_hash(chain, seq, prev, root, len(leaves), total, sealed_at),
        )
    )


#: entries per sealed batch at most: a backlog is sealed in several short transactions
SEAL_BATCH = 20_000


def seal_chain(connection, chain: int, wait: bool, limit: int | None = None) -> int:
    limit = limit or SEAL_BATCH
    if not _lock_chain(connection, chain, wait):
        return 0
    batch_id, seq, prev, length = _open_batch(connection, chain)
    pending = (
        select(_ENTRIES.c.id)
        .where(_ENTRIES.c.chain == chain, _ENTRIES.c.batch_id.is_(None))
        .order_by(_ENTRIES.c.id)
        .limit(limit)
        .scalar_subquery()
    )
    claimed = connection.execute(
        update(_ENTRIES)
        .where(_ENTRIES.c.id.in_(pending), _ENTRIES.c.batch_id.is_(None))
        .values(batch_id=batch_id)
        .returning(
            _ENTRIES.c.id,
            _ENTRIES.c.kind,
            _ENTRIES.c.table_name,
            _ENTRIES.c.row_id,
            _ENTRIES.c.content_hash,
        )
    ).all()
    if not claimed:
        connection.execute(_BATCHES.delete().where(_BATCHES.c.id == batch_id))
        return 0
    claimed.sort(key=lambda e: e[0])
    leaves = [leaf_hash(e[0], chain, e[1], e[2], e[3], e[4]) for e in claimed]
    _close_batch(connection, batch_id, chain, seq, prev, length, leaves)
    return len(claimed)


def unsealed_chains(connection) -> list[int]:
    return list(
        connection.execute(
            select(_ENTRIES.c.chain).where(_ENTRIES.c.batch_id.is_(None)).distinct()
        ).scalars()
    )


def seal(chains: Iterable[int] | None = None, wait: bool = True) -> int:
    """Seal the unsealed entries of the given chains (all by default); returns how many.

    Each chain is sealed in its own short transaction on its own connection, so a sealer
    never holds a request's transaction open; `wait=False` skips chains another sealer holds.
    """
    engine = db.engine
    total = 0
    if chains is None:
        with engine.connect() as conn:
            chains = unsealed_chains(conn)
    for chain in sorted(set(chains)):
        while True:  # one batch of at most SEAL_BATCH entries per transaction
            with write_gate(), engine.begin() as conn:
                sealed = seal_chain(conn, chain, wait)
            total += sealed
            if sealed < SEAL_BATCH:
                break
    return total


# ── bulk appends ─────────────────────────────────────────────────────────────────────────

_ENTRY_COLUMNS = (
    "id",
    "chain",
    "batch_id",
    "kind",
    "table_name",
    "row_id",
    "content",
    "content_hash",
    "created_at",
)


def _reserve_ids(connection, n: int) -> list[int]:
    """n entry ids no other writer will take."""
    if connection.dialect.name == "postgresql":
        return list(
            connection.execute(
                db.text(
                    "SELECT nextval(pg_get_serial_sequence('ledger_entries', 'id'))"
                    " FROM generate_series(1, :n)"
                ),
                {"n": n},
            ).scalars()
        )
    # SQLite: the transaction holds the write lock (the batch row was written first)
    first = (connection.execute(select(func.max(_ENTRIES.c.id))).scalar() or 0) + 1
    return list(range(first, first + n))


def append_many(
    kind: str, table: str, rows: list[tuple[int, dict]], chain: int = SYSTEM_CHAIN
) -> int:
    """Append many entries of one chain at once, sealed as one batch, in the caller's
    transaction (bulk loads and purges).

    The entries go to the driver directly (executemany on SQLite, COPY on PostgreSQL) with
    one created_at for the batch: the ORM bulk path's per-value processing cost more than
    hashing. Values are written in the form the ORM would store them.
    """
    if not rows:
        return 0
    return bulk_insert(db.session.connection(), kind, table, rows, chain)


def bulk_insert(connection, kind: str, table: str, rows: list[tuple[int, dict]], chain: int) -> int:
    """append_many on a given connection (the schema migration has its own)."""
    _lock_chain(connection, chain)
    batch_id, seq, prev, length = _open_batch(connection, chain)
    ids = _reserve_ids(connection, len(rows))
    dialect = connection.dialect.name
    created = utcnow().astimezone(UTC).replace(tzinfo=None)  # stored as naive UTC
    if dialect == "sqlite":
        created = created.isoformat(sep=" ", timespec="microseconds")
    encode = _CANONICAL.encode
    digest = hashlib.sha256
    values, leaves = [], []
    for entry_id, (row_id, content) in zip(ids, rows, strict=True):
        text = encode(content)
        c_hash = digest(text.encode("utf-8")).hexdigest()
        values.append((entry_id, chain, batch_id, kind, table, row_id, text, c_hash, created))
        leaves.append(leaf_hash(entry_id, chain, kind, table, row_id, c_hash))
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
    else:  # any other database: the portable Core path
        connection.execute(
            _ENTRIES.insert(), [dict(zip(_ENTRY_COLUMNS, v, strict=True)) for v in values]
        )
    _close_batch(connection, batch_id, chain, seq, prev, length, leaves)
    return len(values)


# ── heads ────────────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class Head:
    """A chain's newest sealed batch: what an anchor pins."""

    chain: int
    seq: int
    length: int
    hash: str

    def as_dict(self) -> dict:
        return {"chain": self.chain, "batches": self.seq, "entries": self.length, "head": self.hash}


def heads(connection=None, chain: int | None = None) -> list[Head]:
    """Every chain's head (or one chain's), in chain order."""
    B = _BATCHES.c
    newest = select(B.chain, func.max(B.seq).label("seq")).group_by(B.chain)
    if chain is not None:
        newest = newest.where(B.chain == chain)
    newest = newest.subquery()
    stmt = (
        select(B.chain, B.seq, B.length, B.batch_hash)
        .join(newest, (B.chain == newest.c.chain) & (B.seq == newest.c.seq))
        .order_by(B.chain)
    )
    conn = connection if connection is not None else db.session
    return [Head(int(c), int(s), int(n), str(h)) for c, s, n, h in conn.execute(stmt)]


def heads_digest(hs: Iterable[Head]) -> str:
    """sha256 over the canonical list of heads: one value that stands for all of them."""
    return sha256(canonical_json([h.as_dict() for h in hs]))


def chain_length(chain: int):
    """The number of a chain's entries, sealed and not, as a SQL expression to read in one
    statement with other figures (one snapshot): the newest batch's `length` (the (chain, seq)
    key, one probe) plus the entries not sealed yet (their partial index). Sealing moves
    entries into a batch and leaves it unchanged; every new entry adds one."""
    sealed = (
        select(_BATCHES.c.length)
        .where(_BATCHES.c.chain == chain)
        .order_by(_BATCHES.c.seq.desc())
        .limit(1)
        .scalar_subquery()
    )
    pending = (
        select(func.count())
        .where(_ENTRIES.c.chain == chain, _ENTRIES.c.batch_id.is_(None))
        .scalar_subquery()
    )
    return func.coalesce(sealed, 0) + pending


def unsealed(connection=None, chain: int | None = None) -> tuple[int, datetime | None]:
    """(number of unsealed entries, the oldest one's time)."""
    stmt = select(func.count(), func.min(_ENTRIES.c.created_at)).where(
        _ENTRIES.c.batch_id.is_(None)
    )
    if chain is not None:
        stmt = stmt.where(_ENTRIES.c.chain == chain)
    conn = connection if connection is not None else db.session
    n, oldest = conn.execute(stmt).one()
    if isinstance(oldest, str):  # an aggregate loses the column type on SQLite
        oldest = UTCDateTime().process_result_value(datetime.fromisoformat(oldest), None)
    return int(n), oldest


# ── verification ─────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class Mismatch:
    """The first thing found wrong: which entry or chain, which table and row, what differs."""

    entry_id: int | None
    table: str | None
    row_id: int | None
    problem: str
    chain: int | None = None

    def __str__(self) -> str:
        if self.entry_id is not None:
            where = f"entry {self.entry_id}"
        elif self.chain is not None:
            where = f"chain {chain_name(self.chain)}"
        else:
            where = "ledger"
        if self.table:
            where += f" (table {self.table}"
            where += f", row {self.row_id})" if self.row_id is not None else ")"
        return f"{where}: {self.problem}"


@dataclass(frozen=True)
class Report:
    """What verification covered: entries, batches and live rows, the heads it ended on."""

    entries: int
    rows: int
    heads: list[Head]
    mismatch: Mismatch | None
    batches: int = 0
    unsealed: int = 0
    oldest_unsealed: datetime | None = None


def verify(batch: int = 5000) -> tuple[int, Mismatch | None]:
    """Walk the ledger and the live rows; return (entries checked, first mismatch or None)."""
    report = verify_report(batch)
    return report.entries, report.mismatch


def verify_report(batch: int = 5000, anchor: list[Head] | None = None) -> Report:
    """Check every chain, every entry and every ledgered table; `anchor` pins earlier heads.

    Runs on its own connection inside one snapshot (a read transaction on SQLite, REPEATABLE
    READ on PostgreSQL), so writes committed meanwhile are neither half-seen nor reported.
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


def _verify_on(conn, anchor: list[Head] | None) -> Report:
    hs, batches, by_id, hashes, mismatch = _verify_batches(conn)
    entries = 0
    if mismatch is None:
        mismatch = _verify_anchor(hs, hashes, anchor)
    if mismatch is None:
        entries, mismatch = _verify_sealed(conn, by_id)
    n_unsealed, oldest = 0, None
    if mismatch is None:
        n_unsealed, mismatch = _verify_unsealed(conn)
        entries += n_unsealed
        oldest = unsealed(conn)[1]
    rows = 0
    if mismatch is None:
        for table, spec in sorted(LEDGERED.items()):
            checked, mismatch = _verify_table(conn, table, spec)
            rows += checked
            if mismatch is not None:
                break
    if mismatch is None:
        mismatch = _verify_register(conn)
    if mismatch is None:
        mismatch = _verify_copies(conn)
    return Report(entries, rows, hs, mismatch, batches, n_unsealed, oldest)


def _verify_copies(conn) -> Mismatch | None:
    """Every exempt column that copies a recorded one (`Ledgered.copies`: an exclusion's
    campaign is its response's, kept for the caches' fingerprint) still equals its source, and
    every one derived from a recorded column of its row (`Ledgered.derived`: a campaign's
    questionnaire version) still equals what its source gives."""
    for table, spec in sorted(LEDGERED.items()):
        own = spec.model.__table__
        for column, (key, source_table, source_column) in sorted(spec.copies.items()):
            source = LEDGERED[source_table].model.__table__
            wrong = conn.execute(
                select(own.c.id, own.c[column], source.c[source_column])
                .join_from(own, source, source.c.id == own.c[key])
                .where(own.c[column] != source.c[source_column])
                .order_by(own.c.id)
                .limit(1)
            ).first()
            if wrong is not None:
                return Mismatch(
                    None,
                    table,
                    wrong[0],
                    f"{column}: ledger {wrong[2]!r} != live {wrong[1]!r} (a copy of"
                    f" {source_table}.{source_column}, as recorded)",
                )
        for column, (source_column, derive) in sorted(spec.derived.items()):
            stmt = select(own.c.id, own.c[source_column], own.c[column]).order_by(own.c.id)
            with conn.execute(stmt) as rows:
                wrong = next(((i, s, v) for i, s, v in rows if derive(s) != v), None)
            if wrong is not None:
                return Mismatch(
                    None,
                    table,
                    wrong[0],
                    f"{column}: ledger {derive(wrong[1])!r} != live {wrong[2]!r} (derived"
                    f" from {table}.{source_column}, as recorded)",
                )
    return None


def _verify_register(conn) -> Mismatch | None:
    """Every campaign chain the system chain registered still has entries."""
    E = _ENTRIES.c
    registered = set(
        conn.execute(
            select(E.row_id).where(E.table_name == REGISTER, E.chain == SYSTEM_CHAIN)
        ).scalars()
    )
    present = set(conn.execute(select(E.chain).distinct()).scalars())
    missing = sorted(registered - present)
    if missing:
        return Mismatch(
            None,
            REGISTER,
            missing[0],
            "the system chain registered this campaign's chain, which has no entries any more"
            " (the campaign's records were deleted)",
            missing[0],
        )
    return None


def _verify_batches(conn):
    """Each chain's batches: seq 1, 2, …; each links to the previous; each hash recomputes."""
    B = _BATCHES.c
    last: dict[int, tuple[int, str, int]] = {}
    by_id: dict[int, tuple] = {}
    hashes: dict[tuple[int, int], str] = {}
    count = 0
    stmt = select(
        B.id, B.chain, B.seq, B.size, B.length, B.root, B.prev_hash, B.batch_hash, B.sealed_at
    ).order_by(B.chain, B.seq)
    with conn.execute(stmt) as result:
        for b in result:
            seq0, prev0, length0 = last.get(b.chain, (0, GENESIS, 0))
            problem = None
            if b.seq != seq0 + 1:
                problem = f"batch {seq0 + 1} is missing (the next is {b.seq}): batches removed"
            elif b.prev_hash != prev0:
                problem = f"batch {b.seq} does not link to batch {seq0} (a batch was replaced)"
            elif b.length != length0 + b.size:
                problem = f"batch {b.seq}'s length {b.length} != {length0} + {b.size}"
            elif (
                batch_hash(b.chain, b.seq, b.prev_hash, b.root, b.size, b.length, b.sealed_at)
                != b.batch_hash
            ):
                problem = f"batch {b.seq}'s hash does not match its fields (the batch was edited)"
            if problem is not None:
                mismatch = Mismatch(None, None, None, problem, b.chain)
                return _heads_of(last), count, by_id, hashes, mismatch
            last[b.chain] = (b.seq, b.batch_hash, b.length)
            by_id[b.id] = (b.chain, b.seq, b.size, b.root)
            hashes[(b.chain, b.seq)] = b.batch_hash
            count += 1
    return _heads_of(last), count, by_id, hashes, None


def _heads_of(last: dict) -> list[Head]:
    return [Head(c, s, n, h) for c, (s, h, n) in sorted(last.items())]


def _verify_anchor(hs: list[Head], hashes: dict, anchor: list[Head] | None) -> Mismatch | None:
    """Each anchored head must still be there, unchanged: same chain, same seq, same hash."""
    current = {h.chain: h for h in hs}
    for pinned in anchor or ():
        now = current.get(pinned.chain)
        if now is None or now.seq < pinned.seq:
            return Mismatch(
                None,
                None,
                None,
                f"the anchor pins batch {pinned.seq} ({pinned.length} entries) but the chain"
                f" now ends at batch {now.seq if now else 0}: history was cut since the anchor",
                pinned.chain,
            )
        if hashes.get((pinned.chain, pinned.seq)) != pinned.hash:
            return Mismatch(
                None,
                None,
                None,
                f"batch {pinned.seq} hashes to {hashes.get((pinned.chain, pinned.seq), '')[:12]}…"
                f" but the anchor pins {pinned.hash[:12]}…: history was rewritten since the anchor",
                pinned.chain,
            )
    return None


def _verify_sealed(conn, by_id: dict) -> tuple[int, Mismatch | None]:
    """Recompute each batch's root from its entries (streamed in batch, id order)."""
    E = _ENTRIES.c
    stmt = (
        select(E.id, E.chain, E.batch_id, E.kind, E.table_name, E.row_id, E.content, E.content_hash)
        .where(E.batch_id.is_not(None))
        .order_by(E.batch_id, E.id)
    )
    checked = 0
    current, leaves = None, []
    seen: set[int] = set()

    def close(batch_id) -> Mismatch | None:
        chain, seq, size, root = by_id[batch_id]
        if len(leaves) != size or merkle_root(leaves) != root:
            return Mismatch(
                None,
                None,
                None,
                f"batch {seq} holds {len(leaves)} entries whose Merkle root does not match the"
                f" sealed root of {size} (entries removed, added, or rewritten)",
                chain,
            )
        return None

    with conn.execute(stmt) as result:
        for e in result:
            if e.batch_id != current:
                if current is not None and (m := close(current)) is not None:
                    return checked, m
                current, leaves = e.batch_id, []
                seen.add(current)
                if current not in by_id:
                    return checked, Mismatch(
                        e.id,
                        e.table_name,
                        e.row_id,
                        f"entry is in batch {current}, which does not exist",
                    )
            if (problem := _entry_problem(e)) is not None:
                return checked, Mismatch(e.id, e.table_name, e.row_id, problem, e.chain)
            if e.chain != by_id[current][0]:
                return checked, Mismatch(
                    e.id, e.table_name, e.row_id, "entry's chain differs from its batch's chain"
                )
            leaves.append(leaf_hash(e.id, e.chain, e.kind, e.table_name, e.row_id, e.content_hash))
            checked += 1
    if current is not None and (m := close(current)) is not None:
        return checked, m
    for batch_id, (chain, seq, size, _root) in by_id.items():
        if batch_id not in seen and size:
            return checked, Mismatch(
                None, None, None, f"batch {seq}'s {size} entries are all missing", chain
            )
    return checked, None


def _entry_problem(e) -> str | None:
    actual = sha256(e.content)
    if actual != e.content_hash:
        return (
            f"content does not match its hash (stored {e.content_hash[:12]}…, content hashes"
            f" to {actual[:12]}…): the entry's content was edited"
        )
    return None


def _verify_unsealed(conn) -> tuple[int, Mismatch | None]:
    E = _ENTRIES.c
    stmt = select(E.id, E.chain, E.table_name, E.row_id, E.content, E.content_hash).where(
        E.batch_id.is_(None)
    )
    checked = 0
    with conn.execute(stmt.order_by(E.id)) as result:
        for e in result:
            if (problem := _entry_problem(e)) is not None:
                return checked, Mismatch(e.id, e.table_name, e.row_id, problem, e.chain)
            checked += 1
    return checked, None


def _latest_entries(conn, table: str):
    """(row id, entry id, content hash) of the newest entry per row of a table, by row id."""
    E = LedgerEntry
    newest = (
        select(func.max(E.id).label("mid"))
        .where(E.table_name == table)
        .group_by(E.row_id)
        .subquery()
    )
    return conn.execute(
        select(E.row_id, E.id, E.content_hash).join(newest, E.id == newest.c.mid).order_by(E.row_id)
    )


def live_rows(conn, spec, ids=None):
    """Every live row of a ledgered table (or those of `ids`) in id order, streamed: Core
    rows, or ORM objects when the snapshot reads relationships."""
    if not spec.needs_orm:
        table = spec.model.__table__
        stmt = select(*(table.c[name] for name in spec.read_columns())).order_by(table.c.id)
        if ids is not None:
            stmt = stmt.where(table.c.id.in_(ids))
        with conn.execute(stmt.execution_options(yield_per=5000)) as rows:
            yield from rows
        return
    with Session(bind=conn) as session:
        # the read columns only here too: a migration reads the table as it stood then
        columns = [getattr(spec.model, name) for name in spec.read_columns()]
        stmt = select(spec.model).options(load_only(*columns)).order_by(spec.model.id)
        if ids is not None:
            stmt = stmt.where(spec.model.id.in_(ids))
        yield from session.execute(stmt).scalars()


def _live_rows(conn, spec):
    """(id, snapshot) of every live row by id."""
    rows = live_rows(conn, spec)
    try:
        for row in rows:
            yield row.id, spec.snapshot(row)
    finally:
        rows.close()


def _differences(recorded: dict, live: dict, limit: int = 5) -> str:
    keys = sorted(k for k in set(recorded) | set(live) if recorded.get(k) != live.get(k))
    parts = [f"{k}: ledger {recorded.get(k)!r} != live {live.get(k)!r}" for k in keys[:limit]]
    if len(keys) > limit:
        parts.append(f"… {len(keys) - limit} more field(s)")
    return "; ".join(parts)


def _verify_table(conn, table, spec) -> tuple[int, Mismatch | None]:
    """Merge the newest entry per row with the live rows, both in id order."""
    with _latest_entries(conn, table) as recorded_rows:
        live = _live_rows(conn, spec)
        try:
            return _merge(conn, table, iter(recorded_rows), live)
        finally:
            live.close()


def _merge(conn, table, recorded_rows, live) -> tuple[int, Mismatch | None]:
    rec = next(recorded_rows, None)
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
        rec = next(recorded_rows, None)
    if rec is not None:
        return checked, Mismatch(
            rec.id, table, rec.row_id, "recorded row is missing from the table (deleted?)"
        )
    return checked, None


# ── the sealer thread ────────────────────────────────────────────────────────────────────

_sealer_lock = threading.Lock()
_sealer_pid: int | None = None


def start_sealer(app) -> None:
    """Seal every LEDGER_SEAL_SECONDS in a daemon thread of this process (once per process:
    a forked worker starts its own on its first request)."""
    global _sealer_pid
    seconds = float(app.config.get("LEDGER_SEAL_SECONDS") or 0)
    if seconds <= 0 or _sealer_pid == os.getpid():
        return
    with _sealer_lock:
        if _sealer_pid == os.getpid():
            return
        _sealer_pid = os.getpid()

    def run() -> None:
        while True:
            time.sleep(seconds)
            try:
                with app.app_context():
                    seal(wait=False)
            except Exception:  # a failed seal is retried next round; the entries wait
                log.exception("ledger sealing failed")

    threading.Thread(target=run, name="ledger-sealer", daemon=True).start()
