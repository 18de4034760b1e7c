"""Sources carry their text; events and reviews carry the claim checks

``sources.text`` is the document's text as the editor submitted it.
``events.checks`` holds the checks computed from the event and its sources
(``timeline.domain.checks``), and ``reviews.checks`` the checks an event had when
it was reviewed. ``reviews`` is append-only through triggers: its column is
added and dropped with plain ALTER TABLE, which SQLite does without rebuilding
the table, so the triggers stay.

Every event's checks are computed here (no source has text yet, so the rules that
read texts say nothing), and added to its rendered document, after its citations,
as the event schema dumps it; the downgrade takes them out again. Reviews made
before this revision have no checks (null). Revisions keep their documents as
they were.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 12:00:00

"""
import orjson
import sqlalchemy as sa
from alembic import op

from timeline.domain.checks import CitationFacts, EventFacts, SourceFacts, run_checks
from timeline.domain.claims import Stance
from timeline.domain.dates import PartialDate

# revision identifiers, used by Alembic.
revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


_events = sa.table(
    "events",
    sa.column("seq", sa.Integer()),
    sa.column("date", sa.String()),
    sa.column("document", sa.Text()),
    sa.column("checks", sa.JSON()),
)
_pair_events = sa.table(
    "pair_events", sa.column("seq", sa.Integer()), sa.column("document", sa.Text())
)
_citations = sa.table(
    "citations",
    sa.column("seq", sa.Integer()),
    sa.column("id", sa.String()),
    sa.column("event_seq", sa.Integer()),
    sa.column("source_seq", sa.Integer()),
    sa.column("quote", sa.Text()),
    sa.column("stance", sa.String()),
)
_sources = sa.table(
    "sources",
    sa.column("seq", sa.Integer()),
    sa.column("id", sa.String()),
    sa.column("publisher", sa.String()),
    sa.column("published_on", sa.Date()),
    sa.column("text", sa.Text()),
)


def _with_checks(document, checks):
    """The document with its checks after its citations (or without them: None)."""
    try:
        fields = orjson.loads(document)
    except orjson.JSONDecodeError:
        return document
    if not isinstance(fields, dict) or "citations" not in fields:
        return document
    rendered = {}
    for name, value in fields.items():
        if name != "checks":
            rendered[name] = value
        if name == "citations" and checks is not None:
            rendered["checks"] = checks
    return orjson.dumps(rendered).decode()


def _rewrite_documents(checks_of):
    """Rewrite every event's document, and its timeline rows, with checks_of(seq)."""
    connection = op.get_bind()
    for table in (_events, _pair_events):
        for seq, document in connection.execute(sa.select(table.c.seq, table.c.document)).all():
            connection.execute(
                table.update()
                .where(table.c.seq == seq)
                .values(document=_with_checks(document, checks_of(seq)))
            )


def _compute_checks():
    """Every event's checks, by its seq; stored in events.checks."""
    connection = op.get_bind()
    cited = connection.execute(
        sa.select(
            _citations.c.event_seq,
            _citations.c.id,
            _citations.c.quote,
            _citations.c.stance,
            _sources.c.id,
            _sources.c.publisher,
            _sources.c.published_on,
            _sources.c.text,
        )
        .join_from(_citations, _sources, _citations.c.source_seq == _sources.c.seq)
        .order_by(_citations.c.seq)
    ).all()
    checks = {}
    for seq, date in connection.execute(sa.select(_events.c.seq, _events.c.date)).all():
        facts = EventFacts(
            PartialDate.parse(date),
            [
                CitationFacts(row[1], row[2], Stance(row[3]), SourceFacts(*row[4:]))
                for row in cited
                if row[0] == seq
            ],
        )
        checks[seq] = [check.as_json() for check in run_checks(facts)]
        connection.execute(
            _events.update().where(_events.c.seq == seq).values(checks=checks[seq])
        )
    return checks


def upgrade():
    with op.batch_alter_table("sources", schema=None) as batch_op:
        batch_op.add_column(sa.Column("text", sa.Text(), nullable=True))
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("checks", sa.JSON(), nullable=False, server_default=sa.text("'[]'"))
        )
    op.add_column("reviews", sa.Column("checks", sa.JSON(), nullable=True))
    checks = _compute_checks()
    _rewrite_documents(checks.get)


def downgrade():
    _rewrite_documents(lambda _seq: None)
    op.drop_column("reviews", "checks")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_column("checks")
    with op.batch_alter_table("sources", schema=None) as batch_op:
        batch_op.drop_column("text")
