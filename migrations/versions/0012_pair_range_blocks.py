"""Ranges as blocks of days, so that from finds the ranges running into it directly

``pair_range_blocks`` holds, for each range (a date with an end) in a pair's
timeline, the aligned blocks of days it is made of (``timeline.domain.spans``):
at most two per level, 22 levels. The ranges that began before a ``from`` and run
on to it are then one lookup per level, each in timeline order. Until now they
were found by reading every range that began within the pair's longest range
before ``from``, most of which end before it: with ranges of four years, a
one-month ``from`` at a million events read 9,630 ranges, of which 1,439 reach
it. The table is
filled from ``pair_events``; downgrade drops it.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 04:00:00

"""
import sqlalchemy as sa
from alembic import op

from timeline.domain.spans import blocks

# revision identifiers, used by Alembic.
revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_RANGE = 3  # pair_events.span_class of a date with an end (revision 0008)
_BATCH = 10_000

_BLOCKS = sa.table(
    "pair_range_blocks",
    sa.column("pair", sa.String),
    sa.column("level", sa.SmallInteger),
    sa.column("block", sa.Integer),
    sa.column("first_day", sa.Integer),
    sa.column("precision", sa.SmallInteger),
    sa.column("seq", sa.Integer),
)


def upgrade():
    op.create_table(
        "pair_range_blocks",
        sa.Column("pair", sa.String(length=5), nullable=False),
        sa.Column("level", sa.SmallInteger(), nullable=False),
        sa.Column("block", sa.Integer(), nullable=False),
        sa.Column("first_day", sa.Integer(), nullable=False),
        sa.Column("precision", sa.SmallInteger(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["seq"], ["events.seq"]),
        sa.PrimaryKeyConstraint("pair", "level", "block", "first_day", "precision", "seq"),
    )
    op.create_index("ix_pair_range_blocks_event", "pair_range_blocks", ["seq"])
    connection = op.get_bind()
    ranges = connection.execute(
        sa.text(
            "SELECT pair, first_day, precision, seq, last_day FROM pair_events "
            "WHERE span_class = :range"
        ),
        {"range": _RANGE},
    ).all()
    rows = []
    for pair, first_day, precision, seq, last_day in ranges:
        rows += [
            {
                "pair": pair,
                "level": level,
                "block": block,
                "first_day": first_day,
                "precision": precision,
                "seq": seq,
            }
            for level, block in blocks(first_day, last_day)
        ]
        if len(rows) >= _BATCH:
            connection.execute(_BLOCKS.insert(), rows)
            rows = []
    if rows:
        connection.execute(_BLOCKS.insert(), rows)
    if connection.dialect.name == "postgresql":
        # Planned with statistics from the start (SQLite's: migrations/env.py).
        op.execute("ANALYZE pair_range_blocks")


def downgrade():
    op.drop_index("ix_pair_range_blocks_event", table_name="pair_range_blocks")
    op.drop_table("pair_range_blocks")
