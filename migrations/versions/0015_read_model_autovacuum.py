"""PostgreSQL vacuums the read model's tables after 2% of their rows change, not 20%

Each write to an event replaces its ``pair_events`` rows (and, when its tags, dates or
words change, their rows in the tables derived with them), leaving dead rows behind.
Until a vacuum comes, an index-only scan visits the table page of each such row,
and autovacuum's default waits until a fifth of a table has changed: at a million
events the 49,714 reviews of the benchmark stayed under it, and a timeline page
took 2.20 ms instead of the 1.43 ms it took after a VACUUM. The same for rows
added (an import's, the API's): the visibility map is set, and the planner's
statistics brought up to date, after 2% new rows. SQLite has no vacuum of this
kind: nothing changes there.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 13:20:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

_TABLES = ("pair_events", "pair_event_tags", "pair_range_blocks", "pair_event_words", "event_words")
_OPTIONS = (
    "autovacuum_vacuum_scale_factor",
    "autovacuum_vacuum_insert_scale_factor",
    "autovacuum_analyze_scale_factor",
)
_SHARE = 0.02


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    options = ", ".join(f"{option} = {_SHARE}" for option in _OPTIONS)
    for table in _TABLES:
        op.execute(f"ALTER TABLE {table} SET ({options})")


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in _TABLES:
        op.execute(f"ALTER TABLE {table} RESET ({', '.join(_OPTIONS)})")
