"""response_exclusions.campaign_id: an exclusion changes only its own campaign's caches

The caches' fingerprint counted every campaign's exclusions (their max id and count), so one
auditor's exclusion anywhere made every campaign recompute its scores and dashboards once; a
per-campaign part joined through responses cost 0.30 s at a million. The response's campaign
is copied on each exclusion row (filled here from the responses), with an index on
(campaign_id, id) for the campaign's newest exclusion. SQLite copies the table to make the
column NOT NULL, with its foreign keys off while it does, and checks them afterwards.

Revision ID: b2c6e8a4d017
Revises: d5b8f2a4c613
Create Date: 2026-12-02 02:30:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "b2c6e8a4d017"
down_revision = "d5b8f2a4c613"
branch_labels = None
depends_on = None


def _foreign_keys(on: bool) -> None:
    if op.get_bind().dialect.name == "sqlite":
        with op.get_context().autocommit_block():  # PRAGMA foreign_keys is a no-op in a transaction
            op.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")


def upgrade():
    bind = op.get_bind()
    orphan = bind.exec_driver_sql(
        "SELECT x.id FROM response_exclusions x LEFT JOIN responses r ON r.id = x.response_id"
        " WHERE r.id IS NULL ORDER BY x.id LIMIT 1"
    ).scalar()
    if orphan is not None:  # before any change (SQLite's DDL is not transactional here)
        raise RuntimeError(
            f"response_exclusions row {orphan} refers to no response: repair or remove it "
            "(flask verify-ledger names what it should be), then upgrade again"
        )
    columns = {c["name"] for c in sa.inspect(bind).get_columns("response_exclusions")}
    if "campaign_id" not in columns:  # (a retry after a failure further down finds it there)
        with op.batch_alter_table("response_exclusions") as batch:
            batch.add_column(sa.Column("campaign_id", sa.Integer(), nullable=True))
    op.execute(
        "UPDATE response_exclusions SET campaign_id = "
        "(SELECT r.campaign_id FROM responses r WHERE r.id = response_exclusions.response_id)"
    )
    _foreign_keys(False)
    try:
        with op.batch_alter_table("response_exclusions") as batch:
            batch.alter_column("campaign_id", existing_type=sa.Integer(), nullable=False)
            batch.create_foreign_key(
                "fk_response_exclusions_campaign_id_campaigns", "campaigns", ["campaign_id"], ["id"]
            )
        if op.get_bind().dialect.name == "sqlite":
            broken = op.get_bind().exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise RuntimeError(f"foreign keys broken after copying exclusions: {broken[:5]}")
    finally:
        _foreign_keys(True)
    op.create_index(
        "ix_response_exclusions_campaign_id_id", "response_exclusions", ["campaign_id", "id"]
    )


def downgrade():
    op.drop_index("ix_response_exclusions_campaign_id_id", table_name="response_exclusions")
    _foreign_keys(False)
    try:
        with op.batch_alter_table("response_exclusions") as batch:
            batch.drop_constraint("fk_response_exclusions_campaign_id_campaigns", type_="foreignkey")
            batch.drop_column("campaign_id")
    finally:
        _foreign_keys(True)
