"""Moving a version-1 ledger (one global hash chain) to the version-2 chains and batches.

Run by the schema migration `ledger_v2` on its connection (`check` before any change, then
`seal_v1` and `write` around the schema changes):

1. The v1 chain is verified by the v1 rules (each entry's prev_hash is the previous entry's
   hash, each content matches its hash, each entry hash recomputes); a broken chain stops the
   migration, naming the entry — nothing is migrated on top of tampered history.
2. Each v1 entry is assigned its chain (its campaign's, or the system chain) and the v1 entries
   of each chain are sealed as its first batch, in their v1 order.
3. Every live row of every ledgered table is compared with its newest v1 entry on the fields
   v1 recorded; a difference stops the migration, naming table, row and field. Rows whose v2
   snapshot (with the fields v1 did not record: paradata, links, users …) differs from what
   v1 recorded get a `migrate` entry, sealed as each chain's next batch.
"""

from __future__ import annotations

import hashlib
import json

from sqlalchemy import text

from .ledger import bulk_insert, canonical_json, live_rows, seal_chain
from .records import LEDGERED, SYSTEM_CHAIN

V1_GENESIS = "0" * 64
#: the tables version 1 recorded: each of their rows must have had a v1 entry
V1_TABLES = ("evaluations", "response_exclusions", "responses")


class LedgerMigrationError(RuntimeError):
    """The v1 ledger does not verify: the migration refuses to build on it."""


def _sha(s: str) -> str:
    return hashlib.sha256(s.encode("utf-8")).hexdigest()


def verify_v1(connection) -> int:
    """Walk the v1 chain by its own rules; returns its length."""
    rows = connection.execute(
        text(
            "SELECT id, kind, table_name, row_id, content, content_hash, prev_hash, entry_hash"
            " FROM ledger_entries ORDER BY id"
        )
    )
    prev, n = V1_GENESIS, 0
    for e in rows:
        if e.prev_hash != prev:
            raise LedgerMigrationError(f"v1 ledger entry {e.id}: chain broken (prev_hash)")
        if _sha(e.content) != e.content_hash:
            raise LedgerMigrationError(f"v1 ledger entry {e.id}: content does not match its hash")
        link = _sha(f"{e.prev_hash}|{e.kind}|{e.table_name}|{e.row_id}|{e.content_hash}")
        if link != e.entry_hash:
            raise LedgerMigrationError(f"v1 ledger entry {e.id}: entry hash does not match")
        prev, n = e.entry_hash, n + 1
    head = connection.execute(text("SELECT last_entry_id, last_hash FROM ledger_head")).first()
    if n and (head is None or head[1] != prev):
        raise LedgerMigrationError("v1 ledger head does not point at the chain's end")
    return n


#: SQL giving each v1 entry's chain from its table and row
_ASSIGN = {
    "responses": "SELECT campaign_id FROM responses WHERE responses.id = ledger_entries.row_id",
    "response_exclusions": (
        "SELECT r.campaign_id FROM response_exclusions x JOIN responses r ON r.id = x.response_id"
        " WHERE x.id = ledger_entries.row_id"
    ),
    "evaluations": (
        "SELECT campaign_id FROM evaluations WHERE evaluations.id = ledger_entries.row_id"
    ),
}


def assign_chains(connection) -> None:
    for table, sql in _ASSIGN.items():
        connection.execute(
            text(
                f"UPDATE ledger_entries SET chain = COALESCE(({sql}), 0)"  # noqa: S608 (constants)
                " WHERE table_name = :t"
            ),
            {"t": table},
        )
    # purge summaries are keyed by campaign id
    connection.execute(
        text("UPDATE ledger_entries SET chain = row_id WHERE table_name = 'campaign_purges'")
    )


#: rows re-recorded per sealed batch
CHUNK = 20_000


def _newest_v1(connection, table: str):
    """(row id, content) of each row's newest v1 entry, in row id order, streamed."""
    # per statement: Connection.execution_options would change the migration's connection
    stmt = text(
        "SELECT e.row_id, e.content FROM ledger_entries e JOIN (SELECT MAX(id) AS mid"
        " FROM ledger_entries WHERE table_name = :t GROUP BY row_id) n ON e.id = n.mid"
        " ORDER BY e.row_id"
    ).execution_options(yield_per=5000)
    with connection.execute(stmt, {"t": table}) as rows:  # closed however the caller stops
        for r in rows:
            yield int(r[0]), json.loads(r[1])


def _refuse(table: str, row_id: int, what: str) -> LedgerMigrationError:
    return LedgerMigrationError(f"table {table}, row {row_id}: {what}; nothing was migrated")


def _compared(connection, table: str, spec):
    """(row id, whether its v2 snapshot records more than v1 did) for every live row, the
    newest v1 entries and the rows merged in id order (constant memory); raises on any
    difference between a row and what v1 recorded of it."""
    recorded = _newest_v1(connection, table)
    live = live_rows(connection, spec)
    try:
        yield from _merge(table, spec, recorded, live)
    finally:  # a refusal leaves no open cursor behind
        recorded.close()
        live.close()


def _merge(table: str, spec, recorded, live):
    rec = next(recorded, None)
    for row in live:
        if rec is not None and rec[0] < row.id:
            raise _refuse(table, rec[0], "recorded row is missing from the table")
        old = None
        if rec is not None and rec[0] == row.id:
            old, rec = rec[1], next(recorded, None)
        elif table in V1_TABLES:
            raise _refuse(table, row.id, "live row has no v1 ledger entry")
        snap = spec.snapshot(row)
        if old is not None:
            differs = sorted(k for k in old if k in snap and old[k] != snap[k])
            if differs:
                k = differs[0]
                raise _refuse(
                    table,
                    row.id,
                    f"live row differs from its v1 ledger entry ({k}: ledger {old[k]!r} != live"
                    f" {snap[k]!r})",
                )
        yield row.id, old is None or canonical_json(old) != canonical_json(snap)
    if rec is not None:
        raise _refuse(table, rec[0], "recorded row is missing from the table")


def check(connection) -> None:
    """Before any change: verify the v1 chain and compare every row with it. Raises
    LedgerMigrationError, changing nothing."""
    verify_v1(connection)
    for table, spec in sorted(LEDGERED.items()):
        for _row_id, _more in _compared(connection, table, spec):
            pass


def seal_v1(connection) -> int:
    """Assign the v1 entries their chains and seal each chain's v1 entries as its batch 1."""
    assign_chains(connection)
    chains = connection.execute(text("SELECT DISTINCT chain FROM ledger_entries")).scalars()
    total = 0
    for chain in sorted(int(c) for c in chains):
        while (sealed := seal_chain(connection, chain, True)) > 0:
            total += sealed
    return total


def write(connection) -> int:
    """Re-record every row whose v2 snapshot records more than v1 did, CHUNK rows per sealed
    batch (the ids to do are read first; then rows are read and written chunk by chunk), and
    register every campaign's chain on the system chain."""
    added = 0
    for table, spec in sorted(LEDGERED.items()):
        todo = [row_id for row_id, more in _compared(connection, table, spec) if more]
        for i in range(0, len(todo), CHUNK):
            by_chain: dict[int, list[tuple[int, dict]]] = {}
            for row in live_rows(connection, spec, todo[i : i + CHUNK]):
                by_chain.setdefault(spec.chain(row, connection), []).append(
                    (row.id, spec.snapshot(row))
                )
            for chain, rows in sorted(by_chain.items()):
                added += bulk_insert(connection, "migrate", table, rows, chain)
    campaigns = connection.execute(text("SELECT id FROM campaigns ORDER BY id")).scalars()
    register = [(int(c), {"campaign_id": int(c)}) for c in campaigns]
    if register:
        added += bulk_insert(connection, "migrate", "chains", register, SYSTEM_CHAIN)
    return added


__all__ = ["SYSTEM_CHAIN", "LedgerMigrationError", "check", "seal_v1", "verify_v1", "write"]
