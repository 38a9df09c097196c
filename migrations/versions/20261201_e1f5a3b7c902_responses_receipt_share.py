"""responses.contact_share and responses.receipt_sha256: the customer's separate consent to pass
the contact to the certified company, and the digest of the receipt code that lets them
withdraw consent or delete their contact and comment later (PIPL)

Revision ID: e1f5a3b7c902
Revises: c4d8e2f6a310
Create Date: 2026-12-01 14:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "e1f5a3b7c902"
down_revision = "c4d8e2f6a310"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("responses", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("contact_share", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("receipt_sha256", sa.String(length=64), nullable=True))
        batch_op.create_index("ix_responses_receipt_sha256", ["receipt_sha256"])


def downgrade():
    with op.batch_alter_table("responses", schema=None) as batch_op:
        batch_op.drop_index("ix_responses_receipt_sha256")
        batch_op.drop_column("receipt_sha256")
        batch_op.drop_column("contact_share")
