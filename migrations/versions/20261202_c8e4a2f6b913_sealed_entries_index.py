"""ledger_entries: the batch index holds sealed entries only

An entry is appended unsealed (batch_id NULL) and sealed into a batch seconds later; the index
on (batch_id, id) serves the verification's walk of the sealed entries batch by batch, which
never asks for an unsealed one (those have their own partial index on (chain, id)). Holding the
NULLs too cost every submission one more B-tree page in its commit. The index is remade with
`WHERE batch_id IS NOT NULL`.

Revision ID: c8e4a2f6b913
Revises: b2c6e8a4d017
Create Date: 2026-12-02 06:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "c8e4a2f6b913"
down_revision = "b2c6e8a4d017"
branch_labels = None
depends_on = None


def upgrade():
    op.drop_index("ix_ledger_entries_batch", table_name="ledger_entries")
    op.create_index(
        "ix_ledger_entries_batch",
        "ledger_entries",
        ["batch_id", "id"],
        sqlite_where=sa.text("batch_id IS NOT NULL"),
        postgresql_where=sa.text("batch_id IS NOT NULL"),
    )


def downgrade():
    op.drop_index("ix_ledger_entries_batch", table_name="ledger_entries")
    op.create_index("ix_ledger_entries_batch", "ledger_entries", ["batch_id", "id"])
