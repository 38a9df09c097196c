"""campaigns.questionnaire_version: the frozen questionnaire's version beside it, as text

A submission through a remembered link card is stored by a guarded insert that compares the
card's questionnaire version with the campaign's. Read out of the questionnaire's JSON, that
comparison made PostgreSQL parse the whole questionnaire (8.8 KB for cqm-2019) in every
insert: about a fifth of the statement's server time. The version is kept in a column of its
own, filled here from each campaign's questionnaire and set with it by the model from then on;
verify-ledger checks the two agree (the questionnaire itself is recorded in the ledger).

Revision ID: e4f7b9c2a618
Revises: c8e4a2f6b913
Create Date: 2026-12-02 07:30:00

"""

import json
from collections.abc import Mapping

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "e4f7b9c2a618"
down_revision = "c8e4a2f6b913"
branch_labels = None
depends_on = None


def _version_text(questionnaire) -> str:
    """As models.campaigns.version_text at this revision (a migration keeps its own copy)."""
    if isinstance(questionnaire, str):
        questionnaire = json.loads(questionnaire)
    version = questionnaire.get("version") if isinstance(questionnaire, Mapping) else None
    if version is None:
        return ""
    return version if isinstance(version, str) else json.dumps(version)


def upgrade():
    op.add_column(
        "campaigns",
        sa.Column("questionnaire_version", sa.Text(), nullable=False, server_default=""),
    )
    bind = op.get_bind()
    campaigns = sa.table(
        "campaigns",
        sa.column("id", sa.Integer),
        sa.column("questionnaire", sa.JSON),
        sa.column("questionnaire_version", sa.Text),
    )
    rows = bind.execute(sa.select(campaigns.c.id, campaigns.c.questionnaire)).all()
    for campaign_id, questionnaire in rows:
        bind.execute(
            campaigns.update()
            .where(campaigns.c.id == campaign_id)
            .values(questionnaire_version=_version_text(questionnaire))
        )


def downgrade():
    with op.batch_alter_table("campaigns") as batch:
        batch.drop_column("questionnaire_version")
