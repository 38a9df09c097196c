"""Records that prove what happened: the hash-chained ledger and the audit log."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, UTCDateTime, utcnow


class LedgerEntry(Base):
    """One recorded row state: canonical content and its hash, in its chain.

    An entry is written in the same transaction as the row it vouches for, with no lock: it
    belongs to no batch until the sealer puts it in one (`batch_id`), whose Merkle root binds
    the entry's id, chain, kind, table, row and content hash.
    """

    __tablename__ = "ledger_entries"
    __table_args__ = (
        Index("ix_ledger_entries_row", "table_name", "row_id", "id"),
        Index(  # sealed entries only: an append touches one B-tree page less
            "ix_ledger_entries_batch",
            "batch_id",
            "id",
            sqlite_where=text("batch_id IS NOT NULL"),
            postgresql_where=text("batch_id IS NOT NULL"),
        ),
        Index(
            "ix_ledger_entries_unsealed",
            "chain",
            "id",
            sqlite_where=text("batch_id IS NULL"),
            postgresql_where=text("batch_id IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    #: the campaign whose chain holds the entry; 0 = the system chain (users, organizations)
    chain: Mapped[int] = mapped_column(Integer, default=0)
    #: the sealed batch holding the entry; NULL until the sealer has sealed it
    batch_id: Mapped[int | None] = mapped_column(Integer)
    #: what was recorded: response, exclusion, evaluation, finalization …
    kind: Mapped[str] = mapped_column(String(32))
    #: table and primary key of the live row this entry vouches for
    table_name: Mapped[str] = mapped_column(String(64))
    row_id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    #: canonical JSON (sorted keys, no spaces, UTF-8) of the recorded content
    content: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LedgerBatch(Base):
    """A sealed batch of one chain: the Merkle root of its entries, linked to the previous one.

    batch_hash = sha256("batch|chain|seq|prev_hash|root|size|length|sealed_at"); `length` is
    the chain's entry count up to and including this batch. An anchor records each chain's
    newest (seq, length, batch_hash).
    """

    __tablename__ = "ledger_batches"
    __table_args__ = (UniqueConstraint("chain", "seq", name="uq_ledger_batches_chain_seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    chain: Mapped[int] = mapped_column(Integer)
    seq: Mapped[int] = mapped_column(Integer)
    size: Mapped[int] = mapped_column(Integer)
    length: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    root: Mapped[str] = mapped_column(String(64))
    prev_hash: Mapped[str] = mapped_column(String(64))
    batch_hash: Mapped[str] = mapped_column(String(64))
    #: ISO 8601 UTC text, hashed as written
    sealed_at: Mapped[str] = mapped_column(String(40))


class AuditLog(Base):
    """Every sign-in, failed sign-in and change made by a user: who, when, what, from where."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: the name as typed, also for failed sign-ins of unknown users
    username: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str | None] = mapped_column(String(200))
    detail: Mapped[dict | None] = mapped_column(JSON)
    #: the campaign the entry concerns, when it concerns one (the audit page filters on it)
    campaign_id: Mapped[int | None] = mapped_column(Integer, index=True)
    ip: Mapped[str | None] = mapped_column(String(64))
