"""followups: the call-back queue of consenting customers (回访), beside the responses

Revision ID: c4d8e2f6a310
Revises: b7e3c1a9d205
Create Date: 2026-12-01 12:05:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "c4d8e2f6a310"
down_revision = "b7e3c1a9d205"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "followups",
        sa.Column(
            "response_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "status IN ('todo', 'done', 'unreachable')", name=op.f("ck_followups_status")
        ),
        sa.ForeignKeyConstraint(
            ["response_id"], ["responses.id"], name=op.f("fk_followups_response_id_responses")
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_followups_user_id_users")),
        sa.PrimaryKeyConstraint("response_id", name=op.f("pk_followups")),
    )


def downgrade():
    op.drop_table("followups")
