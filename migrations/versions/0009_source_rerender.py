"""Source edits whose citing events are brought up to date in the background

A source edit that many events cite commits the source at once and leaves one
row in ``source_rerenders``: which source, the fields its edits changed, who
edited it and when, and how far the background work has come (the citing
events up to ``after_event_seq`` are done). ``timeline.rerender`` works the
rows off in short batches and deletes each once its events are current.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05 23:50:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "source_rerenders",
        sa.Column("source_seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("changed_by", sa.String(length=80), nullable=False),
        sa.Column("changed_fields", sa.JSON(), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("after_event_seq", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["source_seq"], ["sources.seq"]),
        sa.PrimaryKeyConstraint("source_seq"),
    )
    op.create_index("ix_source_rerenders_requested_at", "source_rerenders", ["requested_at"])


def downgrade():
    # The older code has no way to finish pending work, and its events would keep
    # the source as it was: finish it first.
    pending = op.get_bind().execute(sa.text("SELECT count(*) FROM source_rerenders")).scalar()
    if pending:
        raise RuntimeError(
            f"Edited sources with events still to bring up to date: {pending}. Run "
            "'flask read-model refresh' before downgrading."
        )
    op.drop_index("ix_source_rerenders_requested_at", table_name="source_rerenders")
    op.drop_table("source_rerenders")
