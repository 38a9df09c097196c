"""The unit of work of a write use case: changes, then flush → ledger → audit → commit, once.

A use case opens `with unit_of_work() as uow:`, changes rows, and names what the audit log
must record (`uow.audit(action, …)`) and, where it matters, what a ledger entry is called
(`uow.ledger(kind, row)`). Leaving the block flushes (rows get their ids; the flush appends a
ledger entry for every ledgered row it wrote), adds the audit entries and commits, all in one
transaction; any error anywhere rolls everything back, so a refused request changes
nothing (cosmicpython's `unit_of_work.py`).

Two paths keep their own transaction on purpose: the survey submission
(`responses._store`: its ledger entry is hashed before the write gate and rows go in by core
statements, for throughput) and the bulk writers (`synth`, `privacy.purge_campaign`), which
append thousands of ledger entries through `ledger.append_many`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from ..db import db
from ..models import User
from . import audit, ledger


@dataclass
class UnitOfWork:
    """What one write use case will record when it commits."""

    _ledger: list[tuple[str, Any]] = field(default_factory=list)
    _audit: list[dict[str, Any]] = field(default_factory=list)

    def ledger(self, kind: str, row: Any) -> None:
        """Name the ledger entry of `row` `kind` (every changed ledgered row is recorded at the
        flush anyway; a named row is recorded even when unchanged)."""
        self._ledger.append((kind, row))

    def audit(
        self,
        action: str,
        target: str | None = None,
        detail: dict | None = None,
        by: User | None = None,
        username: str | None = None,
    ) -> None:
        """Add an audit entry at commit; `by` (else the request's actor) is who did it."""
        self._audit.append(
            {
                "action": action,
                "target": target,
                "detail": detail,
                "user_id": by.id if by is not None else None,
                "username": by.username if by is not None else username,
            }
        )

    def commit(self) -> None:
        """Flush (the flush appends the ledger entries), add the audit entries, commit."""
        for kind, row in self._ledger:
            ledger.mark(kind, row)
        db.session.flush()
        for entry in self._audit:
            resolved = {k: v() if callable(v) else v for k, v in entry.items()}
            audit.record(**resolved, commit=False)
        db.session.commit()
        self._ledger.clear()
        self._audit.clear()


@contextmanager
def unit_of_work() -> Iterator[UnitOfWork]:
    """`with unit_of_work() as uow:` — commit on leaving, roll back on any error."""
    uow = UnitOfWork()
    try:
        yield uow
        uow.commit()
    except BaseException:
        db.session.rollback()
        raise
