"""responses.link_id loses its index: nothing reads through it, every submission wrote it

No query looks responses up by their link: a campaign's responses are read through the
campaign's indexes (the link id comes along as a column), a single-use code's use is recorded
on the link itself, and links are revoked, never deleted, so no foreign-key check on the link
side needs it either. Each submission still inserted into its B-tree: one page more in every
commit's write-ahead log on SQLite, one index insertion more on PostgreSQL.

Revision ID: f9a3d5b1c740
Revises: e4f7b9c2a618
Create Date: 2026-12-02 07:45:00

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "f9a3d5b1c740"
down_revision = "e4f7b9c2a618"
branch_labels = None
depends_on = None


def upgrade():
    op.drop_index("ix_responses_link_id", table_name="responses")


def downgrade():
    op.create_index("ix_responses_link_id", "responses", ["link_id"])
