"""viewer grants: campaign_viewers, and users.sees_all for reviewers granted every campaign

Revision ID: 7c2e9f4a1d63
Revises: 5e7a1c0d9b42
Create Date: 2026-12-01 09:40:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "7c2e9f4a1d63"
down_revision = "5e7a1c0d9b42"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "campaign_viewers",
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_campaign_viewers_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_campaign_viewers_user_id_users")
        ),
        sa.PrimaryKeyConstraint("campaign_id", "user_id", name=op.f("pk_campaign_viewers")),
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        # viewers existing before grants keep what they had: every campaign
        batch_op.add_column(
            sa.Column("sees_all", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    op.execute("UPDATE users SET sees_all = true WHERE role = 'viewer'")


def downgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("sees_all")
    op.drop_table("campaign_viewers")
