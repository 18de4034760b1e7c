"""Indexes for the timeline filters: tags, words and date spans

``pair_event_tags`` holds one row per timeline row and tag, keyed in timeline
order within the pair and tag, so a page of a tag is one range scan.

``event_words`` indexes the words of each event that is not deleted
(``timeline.domain.words``): an FTS5 table on SQLite (its rowid is the event's seq), a table with a ``tsvector`` and
its GIN index on PostgreSQL. It is not a model: ``timeline.models`` keeps it out
of autogenerate's comparison.

``pair_events.span_class`` says how far an event's dates run: the precision
(0 year, 1 month, 2 day) of a date without an end, 3 for one with an end date.
``ix_pair_events_span_class`` keeps each class's rows in timeline order, so that
``from`` reads each class from the first day that one of its events overlapping
``from`` can start on. ``ix_pair_events_span`` and ``ix_events_span`` index the
span of the dates (last day - first day): the longest span of a pair's ranges (or
of all events) is one index probe. SQLAlchemy cannot reflect these expression
indexes on SQLite: a migration that rebuilds these tables there (a batch
operation) must create them again.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05 23:59:00

"""

import sqlalchemy as sa
from alembic import op

from timeline.domain.words import event_words

# revision identifiers, used by Alembic.
revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

# Tokens are split only at whitespace: the words are made in Python, the same
# for both databases (see timeline.domain.words), and must stay whole.
_SQLITE_WORDS = (
    "CREATE VIRTUAL TABLE event_words USING fts5(words, detail=none, "
    "tokenize=\"unicode61 remove_diacritics 0 categories 'L* N* M* P* S* C*'\")"
)
_POSTGRESQL_WORDS = [
    "CREATE TABLE event_words (seq integer PRIMARY KEY REFERENCES events (seq), "
    "words tsvector NOT NULL)",
    "CREATE INDEX ix_event_words_words ON event_words USING gin (words)",
]
_BATCH = 1000

_events = sa.table(
    "events",
    sa.column("seq", sa.Integer()),
    sa.column("title", sa.String()),
    sa.column("summary", sa.Text()),
    sa.column("actors", sa.JSON()),
    sa.column("deleted_at", sa.DateTime(timezone=True)),
)
_pair_events = sa.table("pair_events", sa.column("seq", sa.Integer()))


def _backfill_words(connection):
    """Index the words of every event that has timeline rows (none once deleted)."""
    if connection.dialect.name == "sqlite":
        insert = sa.text("INSERT INTO event_words (rowid, words) VALUES (:seq, :words)")
    else:
        insert = sa.text(
            "INSERT INTO event_words (seq, words) "
            "VALUES (:seq, array_to_tsvector(CAST(:lexemes AS text[])))"
        )
    shown = set(connection.execute(sa.select(_pair_events.c.seq)).scalars())
    rows = connection.execute(
        sa.select(_events.c.seq, _events.c.title, _events.c.summary, _events.c.actors)
        .where(_events.c.deleted_at.is_(None))
        .order_by(_events.c.seq)
    )
    batch = []
    for seq, title, summary, actors in rows:
        if seq not in shown:
            continue
        lexemes = event_words(title, summary, actors)
        batch.append({"seq": seq, "words": " ".join(lexemes), "lexemes": lexemes})
        if len(batch) == _BATCH:
            connection.execute(insert, batch)
            batch = []
    if batch:
        connection.execute(insert, batch)


def upgrade():
    op.create_table(
        "pair_event_tags",
        sa.Column("pair", sa.String(length=5), nullable=False),
        sa.Column("tag", sa.String(length=100), nullable=False),
        sa.Column("first_day", sa.Integer(), nullable=False),
        sa.Column("precision", sa.SmallInteger(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["seq"], ["events.seq"]),
        sa.PrimaryKeyConstraint("pair", "tag", "first_day", "precision", "seq"),
    )
    op.create_index("ix_pair_event_tags_event", "pair_event_tags", ["seq"])
    op.execute(
        "INSERT INTO pair_event_tags (pair, tag, first_day, precision, seq) "
        "SELECT pair_events.pair, event_tags.tag, pair_events.first_day, "
        "pair_events.precision, pair_events.seq "
        "FROM pair_events JOIN event_tags ON event_tags.event_seq = pair_events.seq"
    )
    op.add_column(
        "pair_events",
        sa.Column("span_class", sa.SmallInteger(), server_default=sa.text("0"), nullable=False),
    )
    op.execute(
        "UPDATE pair_events SET span_class = (SELECT CASE WHEN events.end_date IS NULL "
        "THEN events.precision ELSE 3 END FROM events WHERE events.seq = pair_events.seq)"
    )
    op.create_index(
        "ix_pair_events_span_class",
        "pair_events",
        ["pair", "span_class", "first_day", "precision", "seq"],
    )
    op.create_index(
        "ix_pair_events_span",
        "pair_events",
        ["pair", "span_class", sa.text("(last_day - first_day)")],
    )
    op.create_index("ix_events_span", "events", [sa.text("(last_day - first_day)")])
    connection = op.get_bind()
    if connection.dialect.name == "sqlite":
        op.execute(_SQLITE_WORDS)
    else:
        for statement in _POSTGRESQL_WORDS:
            op.execute(statement)
    _backfill_words(connection)


def downgrade():
    op.execute("DROP TABLE event_words")
    op.drop_index("ix_events_span", table_name="events")
    op.drop_index("ix_pair_events_span", table_name="pair_events")
    op.drop_index("ix_pair_events_span_class", table_name="pair_events")
    with op.batch_alter_table("pair_events", schema=None) as batch_op:
        batch_op.drop_column("span_class")
    op.drop_index("ix_pair_event_tags_event", table_name="pair_event_tags")
    op.drop_table("pair_event_tags")
