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

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from .ledger import _seal_chain, bulk_insert, canonical_json
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


def _newest_v1(connection, table: str) -> dict[int, dict]:
    rows = connection.execute(
        text(
            "SELECT e.row_id, e.content FROM ledger_entries e JOIN (SELECT MAX(id) AS mid"
            " FROM ledger_entries WHERE table_name = :t GROUP BY row_id) n ON e.id = n.mid"
        ),
        {"t": table},
    )
    return {int(r[0]): json.loads(r[1]) for r in rows}


def _live(connection, spec):
    if not spec.needs_orm:
        yield from connection.execute(select(spec.model.__table__).order_by(spec.model.id))
        return
    with Session(bind=connection) as session:
        yield from session.execute(select(spec.model).order_by(spec.model.id)).scalars()


def rerecord(connection) -> dict[int, list[tuple[str, int, dict]]]:
    """What each chain needs re-recorded: {chain: [(table, row id, v2 snapshot)]}."""
    todo: dict[int, list[tuple[str, int, dict]]] = {}
    for table, spec in sorted(LEDGERED.items()):
        v1 = _newest_v1(connection, table)
        for row in _live(connection, spec):
            snap = spec.snapshot(row)
            old = v1.pop(row.id, None)
            if old is None and table in V1_TABLES:
                raise LedgerMigrationError(
                    f"table {table}, row {row.id}: live row has no v1 ledger entry; nothing was"
                    " migrated"
                )
            if old is not None:
                differs = sorted(k for k in old if k in snap and old[k] != snap[k])
                if differs:
                    k = differs[0]
                    raise LedgerMigrationError(
                        f"table {table}, row {row.id}: live row differs from its v1 ledger entry"
                        f" ({k}: ledger {old[k]!r} != live {snap[k]!r}); nothing was migrated"
                    )
                if canonical_json(old) == canonical_json(snap):
                    continue
            chain = spec.chain(row, connection)
            todo.setdefault(chain, []).append((table, row.id, snap))
        if v1:
            row_id = min(v1)
            raise LedgerMigrationError(
                f"table {table}, row {row_id}: recorded row is missing from the table; nothing"
                " was migrated"
            )
    # the system chain's register of campaign chains (services/ledger.py REGISTER)
    for cid in connection.execute(text("SELECT id FROM campaigns ORDER BY id")).scalars():
        todo.setdefault(SYSTEM_CHAIN, []).append(("chains", int(cid), {"campaign_id": int(cid)}))
    return todo


def check(connection) -> dict[int, list[tuple[str, int, dict]]]:
    """Before any change: verify the v1 chain and compare every row with it; returns what
    needs re-recording. Raises LedgerMigrationError, changing nothing."""
    verify_v1(connection)
    return rerecord(connection)


def seal_v1(connection) -> int:
    """Assign the v1 entries their chains and seal each chain's v1 entries as its batch 1."""
    assign_chains(connection)
    chains = connection.execute(text("SELECT DISTINCT chain FROM ledger_entries")).scalars()
    total = 0
    for chain in sorted(int(c) for c in chains):
        while (sealed := _seal_chain(connection, chain, True)) > 0:
            total += sealed
    return total


def write(connection, plan: dict[int, list[tuple[str, int, dict]]]) -> int:
    """Append the re-recorded rows, each chain's as one sealed batch per table."""
    added = 0
    for chain, items in sorted(plan.items()):
        by_table: dict[str, list[tuple[int, dict]]] = {}
        for table, row_id, snap in items:
            by_table.setdefault(table, []).append((row_id, snap))
        for table, rows in sorted(by_table.items()):
            added += bulk_insert(connection, "migrate", table, rows, chain)
    return added


__all__ = ["SYSTEM_CHAIN", "LedgerMigrationError", "check", "seal_v1", "verify_v1", "write"]
