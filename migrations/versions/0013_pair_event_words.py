"""A pair's timeline by word, so that q finds a rare word's page without its other matches

``pair_event_words`` holds one row per event, pair and word the ``q`` filter finds
the event by (``timeline.domain.words``), keyed in timeline order within each word.
A page of a pair's timeline that holds a word is then one range scan that stops at
the page's end. Until now the word index (FTS5, GIN) gave every match of the word
in all pairs, in no useful order, and each was looked up and sorted: a word held
by 0.1% of a million events cost 13 times its cost at 10,000 events. The words
compare by code point (collation "C" on PostgreSQL), so the words that begin with
a prefix are one range of the key.

The table is filled from the word index, which holds each event's words:
FTS5's stored text on SQLite, the tsvector's lexemes on PostgreSQL. Downgrade
drops it.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 07:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

_MAX_WORD = 60  # timeline.domain.words.MAX_WORD
_BATCH = 10_000

_WORDS = sa.table(
    "pair_event_words",
    sa.column("pair", sa.String),
    sa.column("word", sa.String),
    sa.column("first_day", sa.Integer),
    sa.column("precision", sa.SmallInteger),
    sa.column("seq", sa.Integer),
)


def upgrade():
    op.create_table(
        "pair_event_words",
        sa.Column("pair", sa.String(length=5), nullable=False),
        sa.Column(
            "word",
            sa.String(length=_MAX_WORD).with_variant(
                sa.String(length=_MAX_WORD, collation="C"), "postgresql"
            ),
            nullable=False,
        ),
        sa.Column("first_day", sa.Integer(), nullable=False),
        sa.Column("precision", sa.SmallInteger(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["seq"], ["events.seq"]),
        sa.PrimaryKeyConstraint("pair", "word", "first_day", "precision", "seq"),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_pair_event_words_event", "pair_event_words", ["seq"])
    connection = op.get_bind()
    if connection.dialect.name == "postgresql":
        op.execute(
            "INSERT INTO pair_event_words (pair, word, first_day, precision, seq) "
            "SELECT p.pair, w.word, p.first_day, p.precision, p.seq "
            "FROM pair_events p JOIN event_words e ON e.seq = p.seq "
            "CROSS JOIN unnest(tsvector_to_array(e.words)) AS w(word)"
        )
        # Planned with statistics from the start (SQLite's: migrations/env.py).
        op.execute("ANALYZE pair_event_words")
        return
    found = connection.execution_options(yield_per=_BATCH).execute(
        sa.text(
            "SELECT p.pair, p.first_day, p.precision, p.seq, e.words "
            "FROM pair_events p JOIN event_words e ON e.rowid = p.seq"
        )
    )
    rows = []
    for pair, first_day, precision, seq, words in found:
        rows += [
            {"pair": pair, "word": word, "first_day": first_day, "precision": precision, "seq": seq}
            for word in words.split(" ")
            if word
        ]
        if len(rows) >= _BATCH:
            connection.execute(_WORDS.insert(), rows)
            rows = []
    if rows:
        connection.execute(_WORDS.insert(), rows)


def downgrade():
    op.drop_index("ix_pair_event_words_event", table_name="pair_event_words")
    op.drop_table("pair_event_words")
