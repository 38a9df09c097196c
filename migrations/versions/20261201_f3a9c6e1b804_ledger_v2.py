"""ledger v2: chains per campaign sealed into Merkle-rooted batches, no global head

The v1 chain is verified by its own rules, its entries are assigned to their campaign's chain
(or the system chain) and sealed as each chain's first batch; the columns of the global chain
(prev_hash, entry_hash) and the ledger_head row go; then every ledgered row whose v2 snapshot
records more than v1 did gets a `migrate` entry (services/ledger_migration.py). Downgrade is
not supported: v2 history cannot be expressed as one v1 chain.

Revision ID: f3a9c6e1b804
Revises: e1f5a3b7c902
Create Date: 2026-12-01 20:10:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "f3a9c6e1b804"
down_revision = "e1f5a3b7c902"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade():
    from surveyapp.services import ledger_migration

    connection = op.get_bind()
    # verified and compared before any change: a refused migration leaves v1 as it was
    ledger_migration.check(connection)
    op.create_table(
        "ledger_batches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chain", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("length", _ID, nullable=False),
        sa.Column("root", sa.String(length=64), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("batch_hash", sa.String(length=64), nullable=False),
        sa.Column("sealed_at", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_batches")),
        sa.UniqueConstraint("chain", "seq", name="uq_ledger_batches_chain_seq"),
    )
    with op.batch_alter_table("ledger_entries") as batch_op:
        batch_op.add_column(sa.Column("chain", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("batch_id", sa.Integer(), nullable=True))
    ledger_migration.seal_v1(connection)
    with op.batch_alter_table("ledger_entries") as batch_op:
        batch_op.drop_constraint("uq_ledger_entries_entry_hash", type_="unique")
        batch_op.drop_column("entry_hash")
        batch_op.drop_column("prev_hash")
    op.drop_table("ledger_head")
    op.create_index("ix_ledger_entries_row", "ledger_entries", ["table_name", "row_id", "id"])
    op.create_index("ix_ledger_entries_batch", "ledger_entries", ["batch_id", "id"])
    op.create_index(
        "ix_ledger_entries_unsealed",
        "ledger_entries",
        ["chain", "id"],
        sqlite_where=sa.text("batch_id IS NULL"),
        postgresql_where=sa.text("batch_id IS NULL"),
    )
    ledger_migration.write(connection)


def downgrade():
    raise NotImplementedError("ledger v2 cannot be downgraded to one v1 chain")
