"""Events carry an optional external id, unique: the key of a resumable bulk import

``flask events import`` stores each row's ``external_id`` (the importing system's
own id for the event) and skips a row whose id is already stored, so an import
that was stopped can be run again. Events made through the API have none
(null), and a unique index allows any number of nulls on both databases. The
column and the index are added and dropped without rebuilding the table.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 08:10:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("events", sa.Column("external_id", sa.String(200), nullable=True))
    op.create_index("ix_events_external_id", "events", ["external_id"], unique=True)


def downgrade():
    op.drop_index("ix_events_external_id", table_name="events")
    op.drop_column("events", "external_id")
