"""pair_event_words without a foreign key to events, as the word index has none

``pair_event_words`` is derived from the events by the write path alone
(``timeline.read_model``), like the word index, which has no foreign key on
SQLite (an FTS5 table cannot have one). It gets about twenty rows per event and
pair, and the database checked each against ``events`` as it was written: on
PostgreSQL a locking lookup per row, half of the time the table's rows cost a
bulk import (150 of 315 ms for a batch of 1,000 events). ``flask read-model
rebuild`` writes the table again from the events. The rows are kept; SQLite
copies them into the table made again without the key, and downgrade does the
same with it.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 00:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

_MAX_WORD = 60  # timeline.domain.words.MAX_WORD
_TABLE = "pair_event_words"
_INDEX = "ix_pair_event_words_event"
# PostgreSQL's name for the key that revision 0013 made (it gave none).
_KEY = "pair_event_words_seq_fkey"
_COLUMNS = "pair, word, first_day, precision, seq"


def _remake_sqlite_table(with_key: bool) -> None:
    """SQLite cannot drop or add a foreign key: the table is made again, its rows
    copied over."""
    made = f"{_TABLE}_remade"
    op.create_table(
        made,
        sa.Column("pair", sa.String(length=5), nullable=False),
        sa.Column("word", sa.String(length=_MAX_WORD), nullable=False),
        sa.Column("first_day", sa.Integer(), nullable=False),
        sa.Column("precision", sa.SmallInteger(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        *([sa.ForeignKeyConstraint(["seq"], ["events.seq"])] if with_key else []),
        sa.PrimaryKeyConstraint("pair", "word", "first_day", "precision", "seq"),
        sqlite_with_rowid=False,
    )
    op.execute(f"INSERT INTO {made} ({_COLUMNS}) SELECT {_COLUMNS} FROM {_TABLE}")
    op.drop_index(_INDEX, table_name=_TABLE)
    op.drop_table(_TABLE)
    op.rename_table(made, _TABLE)
    op.create_index(_INDEX, _TABLE, ["seq"])


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint(_KEY, _TABLE, type_="foreignkey")
    else:
        _remake_sqlite_table(with_key=False)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.create_foreign_key(_KEY, _TABLE, "events", ["seq"], ["seq"])
    else:
        _remake_sqlite_table(with_key=True)
