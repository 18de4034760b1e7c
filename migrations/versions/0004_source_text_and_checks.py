"""Sources carry their text; events and reviews carry the claim checks

``sources.text`` is the document's text as the editor submitted it.
``events.checks`` holds the checks computed from the event and its sources
(``timeline.domain.checks``), and ``reviews.checks`` the checks an event had when
it was reviewed. ``reviews`` is append-only through triggers: its column is
added and dropped with plain ALTER TABLE, which SQLite does without rebuilding
the table, so the triggers stay.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 12:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("sources", schema=None) as batch_op:
        batch_op.add_column(sa.Column("text", sa.Text(), nullable=True))
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("checks", sa.JSON(), nullable=False, server_default=sa.text("'[]'"))
        )
    op.add_column("reviews", sa.Column("checks", sa.JSON(), nullable=True))


def downgrade():
    op.drop_column("reviews", "checks")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_column("checks")
    with op.batch_alter_table("sources", schema=None) as batch_op:
        batch_op.drop_column("text")
