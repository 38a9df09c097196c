"""users.session_epoch: a sign-out or deactivation ends every copy of the session cookie

Revision ID: 5e7a1c0d9b42
Revises: 2a40b5c75e30
Create Date: 2026-12-01 09:15:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "5e7a1c0d9b42"
down_revision = "2a40b5c75e30"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("session_epoch", sa.Integer(), server_default="0", nullable=False))


def downgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("session_epoch")
