"""Every migration runs on a database that holds data, both ways, on SQLite and PostgreSQL;
and the API refuses to serve until the schema is at the migrations' head.

The data is written with SQL at the first revision's schema, then the test walks
the revisions one step at a time up to head and back down to the first, checking
that no row was lost or changed and that every citation still points to its
source. A new migration is covered without touching this file.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory
from flask import Flask
from flask_migrate import downgrade, upgrade
from sqlalchemy.engine import Connection, make_url

from tests.conftest import BACKENDS, POSTGRES_URL
from timeline import MIGRATIONS, cli, create_app
from timeline.auth import create_token
from timeline.db import db
from timeline.domain.spans import blocks
from timeline.domain.urls import normalise_url
from timeline.domain.words import event_words
from timeline.schema_version import CheckedGroup

API = "/api/v1"
# Base to head.
REVISIONS = [script.revision for script in ScriptDirectory(MIGRATIONS).walk_revisions()][::-1]
FIRST, HEAD = REVISIONS[0], REVISIONS[-1]

EVENT_1, EVENT_2 = str(uuid.uuid4()), str(uuid.uuid4())
SOURCE_1, SOURCE_2 = str(uuid.uuid4()), str(uuid.uuid4())
WHEN = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
URL_1 = "https://www.aninews.in/news/national/general-news/india-russia-defence20191029/"
URL_2 = "https://example.org/Reports/2019?b=2&a=1"


def _table(name: str, *columns: tuple[str, sa.types.TypeEngine[Any]]) -> sa.TableClause:
    return sa.table(name, *(sa.column(column, type_) for column, type_ in columns))


# The tables of the first revision, with the columns that revision made (url_key
# aside: revision 0002 turned it into a hash).
_TIME = sa.DateTime(timezone=True)
TABLES = [
    _table(
        "api_tokens",
        ("id", sa.Integer()),
        ("name", sa.String()),
        ("role", sa.String()),
        ("token_hash", sa.String()),
        ("created_at", _TIME),
        ("revoked_at", _TIME),
    ),
    _table(
        "events",
        ("seq", sa.Integer()),
        ("id", sa.String()),
        ("title", sa.String()),
        ("summary", sa.Text()),
        ("date", sa.String()),
        ("end_date", sa.String()),
        ("approximate", sa.Boolean()),
        ("first_day", sa.Integer()),
        ("last_day", sa.Integer()),
        ("precision", sa.SmallInteger()),
        ("location_name", sa.String()),
        ("location_country", sa.String()),
        ("location_lat", sa.Float()),
        ("location_lon", sa.Float()),
        ("actors", sa.JSON()),
        ("claim_status", sa.String()),
        ("created_by", sa.String()),
        ("created_at", _TIME),
        ("updated_at", _TIME),
        ("deleted_at", _TIME),
        ("deleted_by", sa.String()),
        ("version", sa.Integer()),
        ("document", sa.Text()),
    ),
    _table(
        "sources",
        ("seq", sa.Integer()),
        ("id", sa.String()),
        ("url", sa.String()),
        ("title", sa.String()),
        ("publisher", sa.String()),
        ("published_on", sa.Date()),
        ("author", sa.String()),
        ("archive_url", sa.String()),
        ("created_by", sa.String()),
        ("created_at", _TIME),
        ("updated_at", _TIME),
    ),
    _table(
        "citations",
        ("seq", sa.Integer()),
        ("id", sa.String()),
        ("event_seq", sa.Integer()),
        ("source_seq", sa.Integer()),
        ("quote", sa.Text()),
        ("stance", sa.String()),
        ("created_by", sa.String()),
        ("created_at", _TIME),
    ),
    _table("event_countries", ("event_seq", sa.Integer()), ("code", sa.String())),
    _table(
        "event_tags", ("event_seq", sa.Integer()), ("tag", sa.String()), ("position", sa.Integer())
    ),
    _table(
        "event_revisions",
        ("id", sa.Integer()),
        ("event_seq", sa.Integer()),
        ("version", sa.Integer()),
        ("changed_by", sa.String()),
        ("changed_at", _TIME),
        ("changed_fields", sa.JSON()),
        ("document", sa.Text()),
    ),
    _table(
        "pair_events",
        ("pair", sa.String()),
        ("first_day", sa.Integer()),
        ("precision", sa.SmallInteger()),
        ("seq", sa.Integer()),
        ("last_day", sa.Integer()),
        ("year", sa.SmallInteger()),
        ("claim_status", sa.String()),
        ("document", sa.Text()),
    ),
    _table(
        "reviews",
        ("seq", sa.Integer()),
        ("id", sa.String()),
        ("event_seq", sa.Integer()),
        ("from_status", sa.String()),
        ("to_status", sa.String()),
        ("reviewer", sa.String()),
        ("note", sa.Text()),
        ("created_at", _TIME),
    ),
    _table(
        "idempotency_records",
        ("token_name", sa.String()),
        ("key", sa.String()),
        ("request_hash", sa.String()),
        ("status", sa.Integer()),
        ("body", sa.Text()),
        ("location", sa.String()),
        ("created_at", _TIME),
    ),
]
T = {table.name: table for table in TABLES}


def _source_json(source_id: str, url: str, title: str) -> dict[str, Any]:
    return {
        "url": url,
        "title": title,
        "publisher": "ANI",
        "published_on": "2019-10-29",
        "author": None,
        "archive_url": None,
        "id": source_id,
    }


EVENT_1_DOCUMENT = {
    "id": EVENT_1,
    "title": "Defence Minister visits Russia",
    "summary": "A visit with an industry delegation.",
    "date": "2019-11-05",
    "end_date": None,
    "approximate": False,
    "date_precision": "day",
    "date_label": "5 Nov 2019",
    "countries": [{"code": "IN", "name": "India"}, {"code": "RU", "name": "Russian Federation"}],
    "location": None,
    "actors": ["Rajnath Singh"],
    "tags": ["visit", "defence"],
    "claim_status": "in_review",
    "citations": [
        {
            "id": "c1",
            "quote": "The minister arrived.",
            "stance": "supports",
            "source": _source_json(SOURCE_1, URL_1, "India, Russia to push Make in India"),
        }
    ],
    "created_at": "2026-01-02T03:04:05+00:00",
    "updated_at": "2026-01-02T03:04:05+00:00",
    "version": 1,
}


EVENT_1_CHECKS = [
    {
        "code": "single-publisher",
        "severity": "warning",
        "message": "All 2 sources come from one publisher (ANI). Cite a report from another "
        "publisher.",
        "citation_id": None,
    },
    {
        "code": "reported-before-event",
        "severity": "warning",
        "message": "Every supporting source was published before the event's date (5 Nov "
        "2019; the latest on 2019-10-29): they report a plan or a schedule, not that it "
        "happened. Cite a report published on or after the date that confirms it took place.",
        "citation_id": None,
    },
]


def _event(seq: int, event_id: str, title: str, document: str) -> dict[str, Any]:
    return {
        "seq": seq,
        "id": event_id,
        "title": title,
        "summary": "A visit with an industry delegation.",
        "date": "2019-11-05",
        "end_date": None,
        "approximate": False,
        "first_day": 737368,
        "last_day": 737368,
        "precision": 3,
        "location_name": "Moscow" if seq == 2 else None,
        "location_country": "RU" if seq == 2 else None,
        "location_lat": 55.75 if seq == 2 else None,
        "location_lon": 37.62 if seq == 2 else None,
        "actors": ["Rajnath Singh"],
        "claim_status": "in_review" if seq == 1 else "unverified",
        "created_by": "editor",
        "created_at": WHEN,
        "updated_at": WHEN,
        "deleted_at": None,
        "deleted_by": None,
        "version": 1,
        "document": document,
    }


def _source(seq: int, source_id: str, url: str, title: str) -> dict[str, Any]:
    return {
        "seq": seq,
        "id": source_id,
        "url": url,
        "url_key": normalise_url(url),
        "title": title,
        "publisher": "ANI",
        "published_on": dt.date(2019, 10, 29),
        "author": None,
        "archive_url": None,
        "created_by": "editor",
        "created_at": WHEN,
        "updated_at": WHEN,
    }


def _citation(seq: int, event_seq: int, source_seq: int, stance: str) -> dict[str, Any]:
    return {
        "seq": seq,
        "id": str(uuid.uuid4()),
        "event_seq": event_seq,
        "source_seq": source_seq,
        "quote": f"Quote {seq}",
        "stance": stance,
        "created_by": "editor",
        "created_at": WHEN,
    }


def _seed_first_revision(connection: Connection) -> None:
    """Rows in every table, written with SQL at the first revision's schema."""
    rows: dict[str, list[dict[str, Any]]] = {
        "api_tokens": [
            {
                "id": 1,
                "name": "editor",
                "role": "editor",
                "token_hash": "0" * 64,
                "created_at": WHEN,
                "revoked_at": None,
            }
        ],
        "events": [
            _event(
                1,
                EVENT_1,
                "Defence Minister visits Russia",
                orjson.dumps(EVENT_1_DOCUMENT).decode(),
            ),
            _event(2, EVENT_2, "Talks in Moscow", "{}"),
        ],
        "sources": [
            _source(1, SOURCE_1, URL_1, "India, Russia to push Make in India"),
            _source(2, SOURCE_2, URL_2, "A report"),
        ],
        "citations": [
            _citation(1, 1, 1, "supports"),
            _citation(2, 1, 2, "context"),
            _citation(3, 2, 1, "disputes"),
        ],
        "event_countries": [
            {"event_seq": 1, "code": "IN"},
            {"event_seq": 1, "code": "RU"},
            {"event_seq": 2, "code": "RU"},
        ],
        "event_tags": [
            {"event_seq": 1, "tag": "visit", "position": 0},
            {"event_seq": 1, "tag": "defence", "position": 1},
            {"event_seq": 2, "tag": "talks", "position": 0},
        ],
        "event_revisions": [
            {
                "id": 1,
                "event_seq": 1,
                "version": 1,
                "changed_by": "editor",
                "changed_at": WHEN,
                "changed_fields": ["title"],
                "document": "{}",
            }
        ],
        "pair_events": [
            {
                "pair": "IN-RU",
                "first_day": 737368,
                "precision": 3,
                "seq": 1,
                "last_day": 737368,
                "year": 2019,
                "claim_status": "in_review",
                "document": orjson.dumps(EVENT_1_DOCUMENT).decode(),
            }
        ],
        "reviews": [
            {
                "seq": 1,
                "id": str(uuid.uuid4()),
                "event_seq": 1,
                "from_status": "unverified",
                "to_status": "in_review",
                "reviewer": "reviewer",
                "note": "Checking the sources.",
                "created_at": WHEN,
            }
        ],
        "idempotency_records": [
            {
                "token_name": "editor",
                "key": "k1",
                "request_hash": "1" * 64,
                "status": 201,
                "body": "{}",
                "location": None,
                "created_at": WHEN,
            }
        ],
    }
    for name, table_rows in rows.items():
        table = sa.table(
            name,
            *(sa.column(c.name, c.type) for c in T[name].columns),
            *([sa.column("url_key", sa.String())] if name == "sources" else []),
        )
        connection.execute(table.insert(), table_rows)


def _without_checks(document: str) -> str:
    """A rendered document as it was before revision 0004 added the event's checks to it
    (on purpose: the event schema dumps them); the rest of it must not change."""
    fields = orjson.loads(document)
    fields.pop("checks", None)
    return orjson.dumps(fields).decode()


def _row(table: sa.TableClause, row: sa.Row[Any]) -> tuple[Any, ...]:
    if table.name not in ("events", "pair_events"):
        return tuple(row)
    fields = row._asdict()
    fields["document"] = _without_checks(fields["document"])
    return tuple(fields.values())


def _snapshot(connection: Connection) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the first revision's columns, and which source each citation cites."""
    found = {
        table.name: sorted(_row(table, row) for row in connection.execute(sa.select(table)))
        for table in TABLES
    }
    citations, sources = T["citations"], T["sources"]
    found["citation -> source"] = sorted(
        tuple(row)
        for row in connection.execute(
            sa.select(citations.c.id, sources.c.id).join_from(
                citations, sources, citations.c.source_seq == sources.c.seq
            )
        )
    )
    return found


_TRIGGERS = {
    "sqlite": "SELECT tbl_name, name FROM sqlite_master WHERE type = 'trigger'",
    "postgresql": ("SELECT tgrelid::regclass::text, tgname FROM pg_trigger WHERE NOT tgisinternal"),
}


def _schema(connection: Connection) -> dict[str, Any]:
    """What the schema is made of, to compare a revision reached going up with the
    same revision reached coming back down."""
    inspector = sa.inspect(connection)
    tables = {}
    for name in sorted(inspector.get_table_names()):
        tables[name] = {
            "columns": [
                (c["name"], str(c["type"]), c["nullable"], str(c.get("default")))
                for c in inspector.get_columns(name)
            ],
            "primary key": inspector.get_pk_constraint(name)["constrained_columns"],
            "foreign keys": sorted(
                (tuple(fk["constrained_columns"]), fk["referred_table"])
                for fk in inspector.get_foreign_keys(name)
            ),
            "indexes": sorted(
                (i["name"], tuple(i["column_names"]), bool(i["unique"]))
                for i in inspector.get_indexes(name)
            ),
            "unique": sorted(
                tuple(u["column_names"]) for u in inspector.get_unique_constraints(name)
            ),
            "checks": sorted(c["name"] or "" for c in inspector.get_check_constraints(name)),
        }
    triggers = sorted(
        tuple(row) for row in connection.exec_driver_sql(_TRIGGERS[connection.dialect.name])
    )
    return {"tables": tables, "triggers": triggers, "storage options": _storage_options(connection)}


def _storage_options(connection: Connection) -> list[tuple[str, list[str]]]:
    """PostgreSQL's storage options of the tables and indexes that have any (none on
    SQLite)."""
    if connection.dialect.name != "postgresql":
        return []
    rows = connection.exec_driver_sql(
        "SELECT relname, reloptions FROM pg_class "
        "WHERE relkind IN ('r', 'i') AND reloptions IS NOT NULL ORDER BY relname"
    )
    return [(name, list(options)) for name, options in rows]


@pytest.fixture(params=BACKENDS)
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database, never migrated: a SQLite file or a new PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    assert POSTGRES_URL
    server = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    url = make_url(POSTGRES_URL)
    name = f"{url.database}_{uuid.uuid4().hex[:12]}"
    with server.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with server.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        server.dispose()


@pytest.fixture
def fresh_app(fresh_url: str) -> Iterator[Flask]:
    app = create_app({"SQLALCHEMY_DATABASE_URI": fresh_url, "TESTING": True})
    yield app
    with app.app_context():
        db.engine.dispose()


def _seed_at_first_revision() -> None:
    """Migrate the app's empty database to the first revision and write its rows."""
    upgrade(revision=FIRST)
    with db.engine.begin() as connection:
        _seed_first_revision(connection)


def _revision(app: Flask) -> list[str]:
    with app.app_context(), db.engine.connect() as connection:
        return list(
            connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalars()
        )


class TestMigrationsKeepData:
    def test_every_step_up_and_down_keeps_every_row(self, fresh_app):
        with fresh_app.app_context():
            _seed_at_first_revision()
            with db.engine.connect() as connection:
                seeded = _snapshot(connection)
            assert len(seeded["citation -> source"]) == 3

            schemas: dict[str, dict[str, Any]] = {}

            def check(revision: str) -> None:
                assert _revision(fresh_app) == [revision]
                with db.engine.connect() as connection:
                    assert _snapshot(connection) == seeded, f"at revision {revision}"
                    schema = schemas.setdefault(revision, _schema(connection))
                    assert _schema(connection) == schema, f"at revision {revision}"

            check(FIRST)
            for revision in REVISIONS[1:]:
                upgrade(revision=revision)
                check(revision)
            for revision in reversed(REVISIONS[:-1]):
                downgrade(revision=revision)
                check(revision)
            upgrade()
            check(HEAD)
            # No revision loses the append-only triggers of reviews (a SQLite rebuild would).
            assert schemas[HEAD]["triggers"] == schemas[FIRST]["triggers"] != []
            # Revision 0011: PostgreSQL's word index has no pending list for searches to
            # read. Revision 0015: the read model's tables are vacuumed after 2% change.
            if db.engine.dialect.name == "postgresql":
                sooner = [
                    "autovacuum_vacuum_scale_factor=0.02",
                    "autovacuum_vacuum_insert_scale_factor=0.02",
                    "autovacuum_analyze_scale_factor=0.02",
                ]
                read_model = ["pair_events", "pair_event_tags", "pair_range_blocks"]
                read_model += ["pair_event_words", "event_words"]
                assert schemas[HEAD]["storage options"] == sorted(
                    [("ix_event_words_words", ["fastupdate=off"])]
                    + [(table, sooner) for table in read_model]
                )
                assert schemas["0014"]["storage options"] == [
                    ("ix_event_words_words", ["fastupdate=off"])
                ]
                assert schemas["0010"]["storage options"] == []

        client = fresh_app.test_client()
        event = client.get(f"{API}/events/{EVENT_1}")
        assert event.status_code == 200
        # Revision 0004 computed its checks: its two sources are ANI's, and the one that
        # supports it was published before the visit. No source has text yet.
        assert event.get_json() == {**EVENT_1_DOCUMENT, "checks": EVENT_1_CHECKS}
        stored = client.get(f"{API}/timelines/IN-RU").get_json()["items"]
        assert stored == [{**EVENT_1_DOCUMENT, "checks": EVENT_1_CHECKS}]
        assert event.headers["ETag"] == f'"{EVENT_1}.v1"'
        source = client.get(f"{API}/sources/{SOURCE_1}")
        assert source.status_code == 200
        assert source.get_json() == {
            **_source_json(SOURCE_1, URL_1, "India, Russia to push Make in India"),
            "text": None,
        }
        reviews = client.get(f"{API}/events/{EVENT_1}/reviews").get_json()["items"]
        assert [(r["from_status"], r["to_status"]) for r in reviews] == [
            ("unverified", "in_review")
        ]
        # Revision 0005 started the sync feed with each event, as it is, and gave the
        # timeline rows their event's updated_at.
        feed = client.get(f"{API}/changes").get_json()
        assert [
            (item["cursor"], item["event_id"], item["kind"], item["version"], item["pairs"])
            for item in feed["items"]
        ] == [("1", EVENT_1, "created", 1, ["IN-RU"]), ("2", EVENT_2, "created", 1, [])]
        assert feed["items"][0]["event"] == {**EVENT_1_DOCUMENT, "checks": EVENT_1_CHECKS}
        assert (feed["next_cursor"], feed["has_more"]) == ("2", False)
        # Revision 0007 counted the pairs' timelines.
        pairs = client.get(f"{API}/pairs").get_json()["items"]
        assert [(p["id"], p["event_count"], p["first_date"], p["last_date"]) for p in pairs] == [
            ("IN-RU", 1, EVENT_1_DOCUMENT["date"], EVENT_1_DOCUMENT["date"])
        ]
        summary = client.get(f"{API}/timelines/IN-RU/summary").get_json()
        assert (summary["total"], summary["by_status"]["in_review"]) == (1, 1)
        assert summary["by_tag"] == [
            {"tag": t, "count": 1} for t in sorted(EVENT_1_DOCUMENT["tags"])
        ]
        for since, found in [("2026-01-02T03:04:05Z", [EVENT_1]), ("2026-01-02T03:04:06Z", [])]:
            timeline = client.get(f"{API}/timelines/IN-RU", query_string={"updated_since": since})
            assert [item["id"] for item in timeline.get_json()["items"]] == found
        # Revision 0008 filled the tag table, the word index and the span classes.
        for query, found in [
            ({"q": "RAJ sing"}, [EVENT_1]),
            ({"q": "moscow talks"}, []),
            ({"tag": "defence"}, [EVENT_1]),
            ({"tag": "talks"}, []),
            ({"from": "2019-11-05", "to": "2019-11"}, [EVENT_1]),
            ({"from": "2019-11-06"}, []),
        ]:
            timeline = client.get(f"{API}/timelines/IN-RU", query_string=query)
            assert [item["id"] for item in timeline.get_json()["items"]] == found, query

    def test_0012_gives_each_stored_range_its_blocks_of_days(self, fresh_app):
        first_day = 737368  # EVENT_1's date, 5 Nov 2019
        with fresh_app.app_context():
            _seed_at_first_revision()
            upgrade(revision="0011")
            with db.engine.begin() as connection:
                # The event becomes a range of 100 days in its timeline.
                connection.execute(
                    sa.text("UPDATE pair_events SET last_day = first_day + 100, span_class = 3")
                )
                sqlite = connection.dialect.name == "sqlite"
                if sqlite:
                    connection.execute(sa.text("ANALYZE"))  # a database planned with statistics
            upgrade(revision="0012")
            if sqlite:
                # The new table's index has its statistics too: the planner does not guess.
                with db.engine.connect() as connection:
                    analysed = connection.execute(
                        sa.text("SELECT idx FROM sqlite_stat1 WHERE tbl = 'pair_range_blocks'")
                    )
                    assert "ix_pair_range_blocks_event" in analysed.scalars().all()
            with db.engine.connect() as connection:
                stored = connection.execute(
                    sa.text("SELECT pair, level, block, first_day, seq FROM pair_range_blocks")
                ).all()
            assert sorted(stored) == sorted(
                ("IN-RU", level, block, first_day, 1)
                for level, block in blocks(first_day, first_day + 100)
            )
            upgrade()  # the app serves a database at head only
        client = fresh_app.test_client()
        after_it_began = dt.date.fromordinal(first_day + 60).isoformat()
        found = client.get(f"{API}/timelines/IN-RU", query_string={"from": after_it_began})
        assert [item["id"] for item in found.get_json()["items"]] == [EVENT_1]
        with fresh_app.app_context():
            downgrade(revision="0011")
            assert "pair_range_blocks" not in sa.inspect(db.engine).get_table_names()

    def test_0013_files_each_event_under_its_words_in_its_pairs(self, fresh_app):
        with fresh_app.app_context():
            _seed_at_first_revision()
            upgrade(revision="0013")
            with db.engine.connect() as connection:
                stored = connection.execute(
                    sa.text("SELECT pair, word, first_day, precision, seq FROM pair_event_words")
                ).all()
                (row,) = connection.execute(
                    sa.text("SELECT pair, first_day, precision, seq FROM pair_events")
                ).all()
        held = event_words(
            EVENT_1_DOCUMENT["title"], EVENT_1_DOCUMENT["summary"], EVENT_1_DOCUMENT["actors"]
        )
        assert "rajnath" in held
        # EVENT_1's row in IN-RU, under each of its words; EVENT_2 is in no pair.
        assert row[0] == "IN-RU"
        assert sorted(stored) == sorted((row[0], word, *row[1:]) for word in held)
        with fresh_app.app_context():
            upgrade()  # the app serves a schema at its head only
        client = fresh_app.test_client()
        for query, found in [("raj sing", [EVENT_1]), ("defen visit", [EVENT_1]), ("rajs", [])]:
            timeline = client.get(f"{API}/timelines/IN-RU", query_string={"q": query})
            assert [item["id"] for item in timeline.get_json()["items"]] == found, query
        with fresh_app.app_context():
            downgrade(revision="0012")
            assert "pair_event_words" not in sa.inspect(db.engine).get_table_names()

    def test_0014_drops_the_words_foreign_key_and_keeps_their_rows(self, fresh_app):
        def keys_and_rows() -> tuple[list[str], list[Any]]:
            with db.engine.connect() as connection:
                keys = sa.inspect(connection).get_foreign_keys("pair_event_words")
                rows = connection.execute(
                    sa.text("SELECT * FROM pair_event_words ORDER BY word")
                ).all()
            return [key["referred_table"] for key in keys], rows

        with fresh_app.app_context():
            _seed_at_first_revision()
            upgrade(revision="0013")
            referred, filed = keys_and_rows()
            assert (referred, len(filed)) == (["events"], len(set(filed)))
            assert filed
            upgrade(revision="0014")
            assert keys_and_rows() == ([], filed)
            downgrade(revision="0013")
            assert keys_and_rows() == (["events"], filed)

    def test_a_dangling_reference_fails_the_sqlite_migration_and_changes_nothing(self, tmp_path):
        path = tmp_path / "dangling.db"
        app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "TESTING": True})
        with app.app_context():
            upgrade(revision=FIRST)
            with db.engine.begin() as connection:
                _seed_first_revision(connection)
            db.engine.dispose()
        # Foreign keys off, as an older tool might have left the file.
        raw = sqlite3.connect(path)
        raw.execute("UPDATE citations SET source_seq = 99 WHERE seq = 3")
        raw.commit()
        raw.close()

        result = app.test_cli_runner().invoke(args=["db", "upgrade"])

        assert result.exit_code == 1
        assert (
            "Error: The migration left 1 rows whose foreign keys point nowhere "
            "(citations rowid 3 -> sources); nothing was changed." in result.output
        )
        assert _revision(app) == [FIRST]
        with app.app_context(), db.engine.connect() as connection:
            assert connection.execute(
                sa.text("SELECT url_key FROM sources ORDER BY seq")
            ).all() == [
                (normalise_url(URL_1),),
                (normalise_url(URL_2),),
            ]


class TestOutdatedSchema:
    @pytest.mark.parametrize("behind", ["one revision behind", "never migrated"])
    def test_refuses_to_serve_until_flask_db_upgrade(self, fresh_app, behind):
        if behind == "one revision behind":
            with fresh_app.app_context():
                upgrade(revision=REVISIONS[-2])
            stored = REVISIONS[-2]
        else:
            stored = None
        client = fresh_app.test_client()

        for method, path in [("GET", "/timelines"), ("GET", "/events"), ("POST", "/events")]:
            response = client.open(f"{API}{path}", method=method, json={})
            assert response.status_code == 503
            assert response.content_type == "application/problem+json"
            assert response.headers["Retry-After"] == "30"
            assert response.get_json() == {
                "type": "urn:timeline:problem:schema-outdated",
                "title": "Service Unavailable",
                "status": 503,
                "detail": (
                    f"The database schema is at revision {stored or 'none'}, but this version "
                    f"of the service needs {HEAD}. The operator must run 'flask db upgrade'; "
                    "the service answers again once it has."
                ),
            }
        health = client.get(f"{API}/health")
        assert health.status_code == 503
        assert health.get_json() == {
            "status": "unavailable",
            "database": "ok",
            "schema": {"status": "outdated", "revision": stored, "expected": HEAD},
            "version": fresh_app.config["API_VERSION"],
        }

        result = fresh_app.test_cli_runner().invoke(args=["db", "upgrade"])
        assert result.exit_code == 0, result.output

        assert client.get(f"{API}/events").status_code == 200
        health = client.get(f"{API}/health")
        assert health.status_code == 200
        assert health.get_json() == {
            "status": "ok",
            "database": "ok",
            "schema": {"status": "current", "revision": HEAD, "expected": HEAD},
            "version": fresh_app.config["API_VERSION"],
        }

    @pytest.mark.parametrize("behind", ["one revision behind", "never migrated"])
    def test_the_apps_commands_refuse_until_flask_db_upgrade(self, fresh_app, behind, tmp_path):
        """Every command of the app's own groups says what to do, and changes nothing,
        where it would otherwise fail with a traceback or write to an old schema."""
        if behind == "one revision behind":
            with fresh_app.app_context():
                upgrade(revision=REVISIONS[-2])
        stored = REVISIONS[-2] if behind == "one revision behind" else "none"
        empty = tmp_path / "empty.jsonl"
        empty.write_text("")
        # The arguments each command needs to get as far as running.
        arguments = {
            ("tokens", "create"): ["--name", "ci", "--role", "editor"],
            ("tokens", "list"): [],
            ("tokens", "revoke"): ["ci"],
            ("demo", "load"): [],
            ("events", "import"): [str(empty)],
            ("idempotency", "purge"): [],
            ("sources", "drafts"): [str(uuid.uuid4())],
            ("read-model", "refresh"): [],
            ("read-model", "rebuild"): [],
        }
        commands = {
            (group_name, name)
            for group_name, group in fresh_app.cli.commands.items()
            if isinstance(group, CheckedGroup)
            for name in group.commands
        }
        assert commands == set(arguments)
        runner = fresh_app.test_cli_runner()

        for (group_name, name), args in arguments.items():
            result = runner.invoke(args=[group_name, name, *args])
            assert result.exit_code == 1, (group_name, name, result.output)
            assert result.output == (
                f"Error: The database schema is at revision {stored}, but this version of "
                f"Timeline needs {HEAD}. Run 'flask db upgrade' first.\n"
            )
        if behind == "never migrated":
            with fresh_app.app_context():
                assert sa.inspect(db.engine).get_table_names() == []
        else:
            assert _revision(fresh_app) == [REVISIONS[-2]]

        assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
        created = runner.invoke(args=["tokens", "create", "--name", "ci", "--role", "editor"])
        assert created.exit_code == 0, created.output

    def test_a_database_failure_ends_any_of_the_apps_commands_with_what_it_said(
        self, app, monkeypatch
    ):
        def failing_load() -> int:
            db.session.execute(sa.text("INSERT INTO gone VALUES (1)"))
            return 0

        monkeypatch.setattr(cli, "load_demo", failing_load)

        result = app.test_cli_runner().invoke(args=["demo", "load"])

        assert result.exit_code == 1
        assert result.output.startswith("Error: The database failed: ")
        assert "gone" in result.output
        assert "INSERT" not in result.output  # no statement, no parameters

    def test_the_apps_commands_say_when_the_database_cannot_be_reached(self):
        app = create_app(
            {"SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://postgres@127.0.0.1:1/timeline"}
        )

        result = app.test_cli_runner().invoke(args=["tokens", "list"])

        assert result.exit_code == 1
        assert result.output.startswith("Error: The database cannot be reached: ")
        assert "Connection refused" in result.output

    def test_a_schema_seen_at_head_is_not_read_again_until_a_health_check(self, app, client):
        assert client.get(f"{API}/events").status_code == 200
        with app.app_context():
            db.session.execute(
                sa.text("UPDATE alembic_version SET version_num = :old"), {"old": REVISIONS[-2]}
            )
            db.session.commit()

        assert client.get(f"{API}/events").status_code == 200
        health = client.get(f"{API}/health")
        assert health.status_code == 503
        assert health.get_json()["schema"] == {
            "status": "outdated",
            "revision": REVISIONS[-2],
            "expected": HEAD,
        }
        assert client.get(f"{API}/events").status_code == 503

        with app.app_context():
            db.session.execute(
                sa.text("UPDATE alembic_version SET version_num = :head"), {"head": HEAD}
            )
            db.session.commit()
        assert client.get(f"{API}/events").status_code == 200


class TestPendingSourceEdits:
    """Revision 0009's table holds work the older code cannot finish: a downgrade
    waits until it is done, and keeps every row."""

    def test_a_downgrade_refuses_while_work_is_pending(self, fresh_app, capsys):
        below = ScriptDirectory(MIGRATIONS).get_revision("0009").down_revision
        assert isinstance(below, str)
        with fresh_app.app_context():
            upgrade()
        client = fresh_app.test_client()
        with fresh_app.app_context():
            headers = {"Authorization": f"Bearer {create_token('editor', 'editor')}"}
        source = client.post(
            f"{API}/sources", json={"url": URL_1, "title": "Report"}, headers=headers
        ).get_json()
        citation = {"source_id": source["id"], "quote": "q", "stance": "supports"}
        for n in range(2):
            body = {"title": f"Event {n}", "date": "2019-11-05", "countries": ["IN", "RU"]}
            created = client.post(
                f"{API}/events", json={**body, "citations": [citation]}, headers=headers
            )
            assert created.status_code == 201, created.get_json()
        fresh_app.config["SOURCE_RERENDER_INLINE_MAX"] = 1
        edited = client.patch(
            f"{API}/sources/{source['id']}",
            json={"title": "Corrected"},
            headers={**headers, "If-Match": f'"{source["id"]}.v1"'},
        )
        assert edited.headers["Citing-Events-Pending"] == "2"

        with fresh_app.app_context():
            downgrade(revision="0009")
            with db.engine.connect() as connection:
                before = _snapshot(connection)
            capsys.readouterr()
            with pytest.raises(SystemExit):
                downgrade(revision=below)
            assert (
                "Edited sources with events still to bring up to date: 1. "
                "Run 'flask read-model refresh' before downgrading."
            ) in capsys.readouterr().err
            assert _revision(fresh_app) == ["0009"]
            with db.engine.connect() as connection:
                assert _snapshot(connection) == before
                pending = connection.execute(sa.text("SELECT source_seq FROM source_rerenders"))
                assert len(pending.all()) == 1

        # The refresh runs on the schema the code is for, as the message means.
        with fresh_app.app_context():
            upgrade()
        result = fresh_app.test_cli_runner().invoke(args=["read-model", "refresh"])
        assert result.output == "Brought 2 events up to date with their sources.\n"
        with fresh_app.app_context():
            downgrade(revision=below)
            assert _revision(fresh_app) == [below]
            with db.engine.connect() as connection:
                titles = connection.execute(sa.text("SELECT document FROM events ORDER BY seq"))
                for (document,) in titles:
                    assert orjson.loads(document)["citations"][0]["source"]["title"] == "Corrected"
            upgrade()
        assert client.get(f"{API}/events/{created.get_json()['id']}").status_code == 200
