"""Sources carry a version, so their edits need If-Match like events

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 09:30:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("sources", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("version", sa.Integer(), nullable=False, server_default=sa.text("1"))
        )


def downgrade():
    with op.batch_alter_table("sources", schema=None) as batch_op:
        batch_op.drop_column("version")
