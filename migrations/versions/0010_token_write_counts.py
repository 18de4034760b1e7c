"""Tokens count their writes: what a read replica compares to serve a client's own writes

``api_tokens.writes`` is the number of write requests made with the token that
have committed, raised by each write in its own transaction. A read replica
applies the primary's transactions whole and in commit order, so one whose copy
of a token's count has reached the primary's holds every write made with the
token; until then that token's reads go to the primary (``timeline.replica``).
Existing tokens start at 0, as if they had never written: no replica was used
before this revision. The column is added and dropped without rebuilding the table.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 23:50:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column(
        "api_tokens",
        sa.Column("writes", sa.BigInteger(), nullable=False, server_default="0"),
    )


def downgrade():
    op.drop_column("api_tokens", "writes")
