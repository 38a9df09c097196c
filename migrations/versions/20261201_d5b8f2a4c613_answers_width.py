"""responses.answers: 1,024 characters, so answers wider than one character fit

A multiple-choice answer takes up to six characters (a bit set, five options a character;
surveyapp/question_kinds/multiple.py), so a response is no longer one character per question.
Existing answers keep their exact text: every earlier kind is one character wide.
PostgreSQL widens a varchar in place (no table rewrite); SQLite copies the table, with its
foreign keys off while it does (the app turns them on for every connection, and dropping the
old table would otherwise count as deleting every response that exclusions and follow-ups
refer to), and checks them afterwards.

Revision ID: d5b8f2a4c613
Revises: a7d2c4e9f115
Create Date: 2026-12-01 23:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "d5b8f2a4c613"
down_revision = "a7d2c4e9f115"
branch_labels = None
depends_on = None


def _alter(old: int, new: int) -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        with op.get_context().autocommit_block():  # PRAGMA foreign_keys is a no-op in a transaction
            op.execute("PRAGMA foreign_keys=OFF")
    try:
        with op.batch_alter_table("responses") as batch:
            batch.alter_column(
                "answers", existing_type=sa.String(old), type_=sa.String(new), existing_nullable=False
            )
        if sqlite:
            broken = op.get_bind().exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise RuntimeError(f"foreign keys broken after copying responses: {broken[:5]}")
    finally:
        if sqlite:
            with op.get_context().autocommit_block():
                op.execute("PRAGMA foreign_keys=ON")


def upgrade():
    _alter(128, 1024)


def downgrade():
    # refuses (on PostgreSQL) while any stored response is wider than 128 characters
    _alter(1024, 128)
