"""responses.answers: 1,024 characters, so answers wider than one character fit

A multiple-choice answer takes up to six characters (a bit set, five options a character;
surveyapp/question_kinds/multiple.py), so a response is no longer one character per question.
Existing answers keep their exact text: every earlier kind is one character wide.
PostgreSQL widens a varchar in place (no table rewrite); SQLite copies the table.

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


def upgrade():
    with op.batch_alter_table("responses") as batch:
        batch.alter_column(
            "answers", existing_type=sa.String(128), type_=sa.String(1024), existing_nullable=False
        )


def downgrade():
    # refuses (on PostgreSQL) while any stored response is wider than 128 characters
    with op.batch_alter_table("responses") as batch:
        batch.alter_column(
            "answers", existing_type=sa.String(1024), type_=sa.String(128), existing_nullable=False
        )
