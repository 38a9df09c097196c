"""responses.network: a salted hash of the network address, for bursts whatever the user agent

Revision ID: b7e3c1a9d205
Revises: 9d4b2e6f0a17
Create Date: 2026-12-01 12:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "b7e3c1a9d205"
down_revision = "9d4b2e6f0a17"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("responses", schema=None) as batch_op:
        batch_op.add_column(sa.Column("network", sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table("responses", schema=None) as batch_op:
        batch_op.drop_column("network")
