"""Source URL keys as SHA-256 of the normalised URL; tags up to 100 characters

A URL of at most 2048 characters can normalise to a longer one (percent-encoding
grows it), which the 2048-character url_key column refused on PostgreSQL; its
hash has a fixed length and keeps the unique index small. A tag is stored
lower-cased, which can double its length (U+0130 lower-cases to two characters).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 19:40:00

"""
import hashlib

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_sources = sa.table(
    "sources", sa.column("seq", sa.Integer()), sa.column("url_key", sa.String())
)


def _rehash(convert):
    connection = op.get_bind()
    rows = connection.execute(sa.select(_sources.c.seq, _sources.c.url_key)).all()
    for seq, key in rows:
        connection.execute(
            _sources.update().where(_sources.c.seq == seq).values(url_key=convert(key))
        )


def upgrade():
    _rehash(lambda key: hashlib.sha256(key.encode()).hexdigest())
    with op.batch_alter_table("sources", schema=None) as batch_op:
        batch_op.alter_column(
            "url_key", existing_type=sa.String(length=2048), type_=sa.String(length=64)
        )
    with op.batch_alter_table("event_tags", schema=None) as batch_op:
        batch_op.alter_column(
            "tag", existing_type=sa.String(length=50), type_=sa.String(length=100)
        )


def downgrade():
    with op.batch_alter_table("event_tags", schema=None) as batch_op:
        batch_op.alter_column(
            "tag", existing_type=sa.String(length=100), type_=sa.String(length=50)
        )
    with op.batch_alter_table("sources", schema=None) as batch_op:
        batch_op.alter_column(
            "url_key", existing_type=sa.String(length=64), type_=sa.String(length=2048)
        )
    # A hash cannot be turned back into the URL: recompute the keys from the URLs.
    from timeline.domain.urls import normalise_url

    connection = op.get_bind()
    rows = connection.execute(sa.text("SELECT seq, url FROM sources")).all()
    for seq, url in rows:
        connection.execute(
            _sources.update().where(_sources.c.seq == seq).values(url_key=normalise_url(url))
        )
