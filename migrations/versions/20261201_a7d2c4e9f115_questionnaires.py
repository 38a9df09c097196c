"""questionnaires: designs imported from the spreadsheet template, for new campaigns to use

Revision ID: a7d2c4e9f115
Revises: f3a9c6e1b804
Create Date: 2026-12-01 21:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "a7d2c4e9f115"
down_revision = "f3a9c6e1b804"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "questionnaires",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("version", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_questionnaires_created_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_questionnaires")),
    )


def downgrade():
    op.drop_table("questionnaires")
