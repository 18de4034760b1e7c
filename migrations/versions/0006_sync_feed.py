"""The sync feed, and the time of each timeline row's last change

``feed_entries`` holds one entry per change to an event, at positions handed out
in commit order from the one row of ``feed_head`` (``timeline.feed``);
``feed_entry_pairs`` says which pairs' timelines each entry changes.
``pair_events.updated_at`` copies its event's, and both are indexed for the
``updated_since`` filter.

The feed starts with one ``created`` entry for each event that is not deleted,
as it now is, in creation order, so that a mirror that reads the feed from its
start gets every event. Deleted events have none: no mirror has seen them.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 08:30:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


_events = sa.table(
    "events",
    sa.column("seq", sa.Integer()),
    sa.column("version", sa.Integer()),
    sa.column("updated_at", sa.DateTime(timezone=True)),
    sa.column("deleted_at", sa.DateTime(timezone=True)),
    sa.column("first_day", sa.Integer()),
    sa.column("precision", sa.SmallInteger()),
    sa.column("document", sa.Text()),
)
_pair_events = sa.table(
    "pair_events",
    sa.column("pair", sa.String()),
    sa.column("seq", sa.Integer()),
    sa.column("updated_at", sa.DateTime(timezone=True)),
)
_feed_entries = sa.table(
    "feed_entries",
    sa.column("position", sa.Integer()),
    sa.column("event_seq", sa.Integer()),
    sa.column("kind", sa.String()),
    sa.column("version", sa.Integer()),
    sa.column("at", sa.DateTime(timezone=True)),
    sa.column("pairs", sa.JSON()),
    sa.column("first_day", sa.Integer()),
    sa.column("precision", sa.SmallInteger()),
    sa.column("document", sa.Text()),
)
_feed_entry_pairs = sa.table(
    "feed_entry_pairs", sa.column("pair", sa.String()), sa.column("position", sa.Integer())
)
_feed_head = sa.table(
    "feed_head", sa.column("id", sa.Integer()), sa.column("position", sa.Integer())
)


def _backfill_feed():
    """A 'created' entry for each event not deleted; its pairs are its timeline rows."""
    connection = op.get_bind()
    pairs = {}
    for pair, seq in connection.execute(
        sa.select(_pair_events.c.pair, _pair_events.c.seq).order_by(_pair_events.c.pair)
    ):
        pairs.setdefault(seq, []).append(pair)
    events = connection.execute(
        sa.select(_events).where(_events.c.deleted_at.is_(None)).order_by(_events.c.seq)
    ).all()
    entries, entry_pairs = [], []
    for position, event in enumerate(events, 1):
        entries.append(
            {
                "position": position,
                "event_seq": event.seq,
                "kind": "created",
                "version": event.version,
                "at": event.updated_at,
                "pairs": pairs.get(event.seq, []),
                "first_day": event.first_day,
                "precision": event.precision,
                "document": event.document,
            }
        )
        entry_pairs += [{"pair": pair, "position": position} for pair in pairs.get(event.seq, [])]
    if entries:
        connection.execute(_feed_entries.insert(), entries)
        connection.execute(_feed_head.insert(), {"id": 1, "position": len(entries)})
    if entry_pairs:
        connection.execute(_feed_entry_pairs.insert(), entry_pairs)


def upgrade():
    op.create_table(
        "feed_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.CheckConstraint("id = 1", name="ck_feed_head_one_row"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "feed_entries",
        sa.Column("position", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("event_seq", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("pairs", sa.JSON(), nullable=False),
        sa.Column("first_day", sa.Integer(), nullable=False),
        sa.Column("precision", sa.SmallInteger(), nullable=False),
        sa.Column("document", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "kind IN ('created', 'changed', 'reviewed', 'deleted')", name="ck_feed_entries_kind"
        ),
        sa.ForeignKeyConstraint(["event_seq"], ["events.seq"]),
        sa.PrimaryKeyConstraint("position"),
    )
    op.create_index("ix_feed_entries_event", "feed_entries", ["event_seq", "position"])
    op.create_table(
        "feed_entry_pairs",
        sa.Column("pair", sa.String(length=5), nullable=False),
        sa.Column("position", sa.Integer(), autoincrement=False, nullable=False),
        sa.ForeignKeyConstraint(["position"], ["feed_entries.position"]),
        sa.PrimaryKeyConstraint("pair", "position"),
    )
    op.create_index("ix_events_updated_at", "events", ["updated_at"])
    op.add_column("pair_events", sa.Column("updated_at", sa.DateTime(timezone=True)))
    op.execute(
        _pair_events.update().values(
            updated_at=sa.select(_events.c.updated_at)
            .where(_events.c.seq == _pair_events.c.seq)
            .scalar_subquery()
        )
    )
    with op.batch_alter_table("pair_events", schema=None) as batch_op:
        batch_op.alter_column(
            "updated_at", existing_type=sa.DateTime(timezone=True), nullable=False
        )
        batch_op.create_index("ix_pair_events_updated_at", ["pair", "updated_at"])
    _backfill_feed()


def downgrade():
    with op.batch_alter_table("pair_events", schema=None) as batch_op:
        batch_op.drop_index("ix_pair_events_updated_at")
        batch_op.drop_column("updated_at")
    op.drop_index("ix_events_updated_at", table_name="events")
    op.drop_table("feed_entry_pairs")
    op.drop_index("ix_feed_entries_event", table_name="feed_entries")
    op.drop_table("feed_entries")
    op.drop_table("feed_head")
