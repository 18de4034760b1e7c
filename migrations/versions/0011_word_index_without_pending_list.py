"""PostgreSQL's word index without a pending list: every search was reading it whole

``ix_event_words_words`` (GIN, revision 0008) was made with GIN's default
``fastupdate``: new entries go to a pending list, and every search reads that
whole list until a vacuum moves it into the index. A timeline's ``q`` paid for
it on each request: with the list near its limit (4 MB), after an import of
20,000 events, a rare word took 4 ms instead of 0.2 ms. Without the list each
write puts its words in the index at once; the list this revision finds is moved
in now. SQLite's FTS5 table has no such list: nothing changes there.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 03:40:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_INDEX = "ix_event_words_words"


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"ALTER INDEX {_INDEX} SET (fastupdate = off)")
    op.execute(f"SELECT gin_clean_pending_list('{_INDEX}')")


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"ALTER INDEX {_INDEX} RESET (fastupdate)")
