"""Per-pair counts kept by the write path, for the summary and the pair list

``pair_counts`` holds each pair's number of events and the span of their dates,
``pair_year_counts`` its events by year and claim status, ``pair_tag_counts``
by tag (``timeline.changes`` keeps them in step with ``pair_events``), so that
neither the summary nor the pair list counts a timeline on each request. The
index on ``pair_events (pair, last_day)`` finds a pair's last day in one seek.
All three start from the timeline rows as they are.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05 09:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_SORTED = ("event_count", "first_day", "last_day")


def upgrade():
    op.create_index("ix_pair_events_last_day", "pair_events", ["pair", "last_day"])
    op.create_table(
        "pair_counts",
        sa.Column("pair", sa.String(length=5), nullable=False),
        sa.Column("event_count", sa.Integer(), nullable=False),
        sa.Column("first_day", sa.Integer(), nullable=False),
        sa.Column("last_day", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("pair"),
    )
    for column in _SORTED:
        op.create_index(f"ix_pair_counts_{column}", "pair_counts", [column, "pair"])
        op.create_index(
            f"ix_pair_counts_{column}_desc", "pair_counts", [sa.text(f"{column} DESC"), "pair"]
        )
    op.create_table(
        "pair_year_counts",
        sa.Column("pair", sa.String(length=5), nullable=False),
        sa.Column("year", sa.SmallInteger(), nullable=False),
        sa.Column("claim_status", sa.String(length=16), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("pair", "year", "claim_status"),
    )
    op.create_table(
        "pair_tag_counts",
        sa.Column("pair", sa.String(length=5), nullable=False),
        sa.Column("tag", sa.String(length=100), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("pair", "tag"),
    )
    op.execute(
        "INSERT INTO pair_counts (pair, event_count, first_day, last_day) "
        "SELECT pair, count(*), min(first_day), max(last_day) FROM pair_events GROUP BY pair"
    )
    op.execute(
        "INSERT INTO pair_year_counts (pair, year, claim_status, count) "
        "SELECT pair, year, claim_status, count(*) FROM pair_events "
        "GROUP BY pair, year, claim_status"
    )
    op.execute(
        "INSERT INTO pair_tag_counts (pair, tag, count) "
        "SELECT pair_events.pair, event_tags.tag, count(*) FROM pair_events "
        "JOIN event_tags ON event_tags.event_seq = pair_events.seq "
        "GROUP BY pair_events.pair, event_tags.tag"
    )


def downgrade():
    op.drop_table("pair_tag_counts")
    op.drop_table("pair_year_counts")
    op.drop_table("pair_counts")
    op.drop_index("ix_pair_events_last_day", table_name="pair_events")
