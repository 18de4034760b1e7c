"""A read replica (DATABASE_READ_URL): reads go there, a client's own writes stay visible.

- Settings: a DATABASE_READ_URL that cannot name a replica stops the app from starting,
  with the reason.
- Every committed write counts against its token; a refused one does not.
- In process, on two databases of the test server: the test plays replication,
  copying the primary's rows to the replica (``_catch_up``), so that the replica
  lags exactly until it does. Anonymous reads and other clients read the replica;
  a client that wrote reads the primary until the replica has its write; tokens
  are checked on the primary; the sync feed reads the primary for a cursor the
  replica has not reached; a replica that refuses connections sends reads to
  the primary.
- Served by gunicorn (two workers) on two PostgreSQL clusters of the tests' own,
  the replica fed by logical replication, which the tests pause and resume, and a
  replica cluster the tests stop and start.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import logging
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, insert, select, text
from sqlalchemy.engine import make_url

from tests.conftest import POSTGRES_URL, _migrate, _truncate_all
from tests.factories import create_event, event_body, source_body
from tests.pg_cluster import PgCluster, pg_cluster, postgres_bin
from tests.served import HOST, ServedApp, flask_command, free_port, served_app
from timeline import create_app, replica
from timeline.auth import create_token
from timeline.db import db
from timeline.models import WORD_INDEX, ApiToken, Base

API = "/api/v1"
POSTGRES_ONLY = pytest.mark.skipif(
    not POSTGRES_URL, reason="TEST_DATABASE_URL is not set: PostgreSQL tests skipped"
)
# Bounds of the served tests' waits for replication and for a replica's return.
CATCH_UP_SECONDS = 30.0
# The served workers' DATABASE_READ_RETRY_SECONDS.
RETRY_SECONDS = 1
POLL_SECONDS = 0.05


# --- settings -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("read_url", "message"),
    [
        ("replica.example.org", "DATABASE_READ_URL must be a PostgreSQL URL"),
        ("mysql://db.example.org/timeline", "DATABASE_READ_URL must be a PostgreSQL URL"),
        ("postgresql+psycopg://db.example.org", "DATABASE_READ_URL must be a PostgreSQL URL"),
        (
            "postgresql+nosuchdriver://db.example.org/timeline",
            "DATABASE_READ_URL names a database driver that is not installed",
        ),
    ],
)
def test_a_read_url_that_names_no_replica_stops_the_start(read_url: str, message: str) -> None:
    config = {
        "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://db.example.org/timeline",
        "DATABASE_READ_URL": read_url,
    }
    with pytest.raises(ValueError, match=message):
        create_app(config)


def test_a_read_url_without_a_postgresql_primary_stops_the_start(tmp_path: Path) -> None:
    config = {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'timeline.db'}",
        "DATABASE_READ_URL": "postgresql+psycopg://db.example.org/timeline",
    }
    with pytest.raises(ValueError, match="needs DATABASE_URL to be PostgreSQL too"):
        create_app(config)


def test_a_read_url_in_an_error_shows_no_password() -> None:
    config = {
        "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://db.example.org/timeline",
        "DATABASE_READ_URL": "postgresql+psycopg://timeline:s3cret@db.example.org",
    }
    with pytest.raises(ValueError, match="DATABASE_READ_URL must be") as raised:
        create_app(config)
    assert "s3cret" not in str(raised.value)


def test_pool_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_POOL_SIZE", "3")
    monkeypatch.setenv("DATABASE_MAX_OVERFLOW", "0")
    monkeypatch.setenv("DATABASE_READ_POOL_SIZE", "7")
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://db.example.org/timeline")
    monkeypatch.setenv("DATABASE_READ_URL", "postgresql+psycopg://replica.example.org/timeline")
    app = create_app()
    with app.app_context():
        assert (db.engine.pool.size(), db.engine.pool._max_overflow) == (3, 0)  # type: ignore[attr-defined]
    read_engine = app.extensions[replica._EXTENSION].engine
    # The replica's overflow is the primary's unless set on its own.
    assert (read_engine.pool.size(), read_engine.pool._max_overflow) == (7, 0)
    monkeypatch.setenv("DATABASE_POOL_SIZE", "none")
    with pytest.raises(ValueError, match="DATABASE_POOL_SIZE must be a whole number of at least 1"):
        create_app()


# --- every write counts against its token -----------------------------------------


def _writes(app: Flask, name: str) -> int:
    with app.app_context():
        return int(db.session.scalar(select(ApiToken.writes).where(ApiToken.name == name)) or 0)


def test_each_committed_write_counts_against_its_token_and_nothing_else_does(
    app: Flask, client: FlaskClient, tokens: Any
) -> None:
    event = create_event(client, tokens.editor)
    assert _writes(app, "editor") == 1
    refused = client.post(f"{API}/events", json={"title": ""}, headers=tokens.editor)
    assert refused.status_code == 422
    client.get(f"{API}/events/{event['id']}", headers=tokens.editor)
    deleted = client.delete(
        f"{API}/events/{event['id']}",
        headers={
            **tokens.editor,
            "If-Match": client.get(f"{API}/events/{event['id']}").headers["ETag"],
        },
    )
    assert deleted.status_code == 204, deleted.get_json()
    assert (_writes(app, "editor"), _writes(app, "editor2")) == (2, 0)


# --- two databases of the test server; the test plays replication -----------------


def _replica_url(primary: str) -> str:
    url = make_url(primary)
    return url.set(database=f"{url.database}_replica").render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def replica_migrated(postgres_migrated: str) -> str:
    """A second database on the test server, migrated like the first."""
    url = _replica_url(postgres_migrated)
    name = make_url(url).database
    server = create_engine(postgres_migrated, isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        if not connection.scalar(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
        ):
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    server.dispose()
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    _migrate(url)
    return url


def _catch_up(primary: str, replica_url: str) -> None:
    """Make the replica hold what the primary holds, in one transaction, as
    replication would."""
    tables = Base.metadata.sorted_tables
    source, target = create_engine(primary), create_engine(replica_url)
    try:
        with source.connect() as reading, target.begin() as writing:
            names = [table.name for table in tables] + [WORD_INDEX]
            writing.execute(text("TRUNCATE " + ", ".join(names)))
            for table in tables:
                rows = [dict(row._mapping) for row in reading.execute(select(table))]
                if rows:
                    writing.execute(insert(table), rows)
            # The word index is no model: its tsvectors go across as their text.
            words = reading.execute(text(f"SELECT seq, words::text AS words FROM {WORD_INDEX}"))
            rows = [dict(row._mapping) for row in words]
            if rows:
                writing.execute(
                    text(f"INSERT INTO {WORD_INDEX} VALUES (:seq, CAST(:words AS tsvector))"),
                    rows,
                )
    finally:
        source.dispose()
        target.dispose()


@dataclass
class Replicated:
    app: Flask
    client: FlaskClient
    primary: str
    replica: str
    editor: dict[str, str]
    editor2: dict[str, str]

    def catch_up(self) -> None:
        _catch_up(self.primary, self.replica)


def _bearer(app: Flask, name: str) -> dict[str, str]:
    with app.app_context():
        return {"Authorization": f"Bearer {create_token(name, 'editor')}"}


@pytest.fixture
def replicated(postgres_migrated: str, replica_migrated: str) -> Iterator[Replicated]:
    _truncate_all(postgres_migrated)
    _truncate_all(replica_migrated)
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": postgres_migrated,
            "DATABASE_READ_URL": replica_migrated,
            "TESTING": True,
        }
    )
    made = Replicated(
        app,
        app.test_client(),
        postgres_migrated,
        replica_migrated,
        _bearer(app, "editor"),
        _bearer(app, "editor2"),
    )
    made.catch_up()  # the tokens reach the replica, as they would
    yield made
    replica.dispose(app)
    with app.app_context():
        db.engine.dispose()


def _ids(client: FlaskClient, headers: dict[str, str] | None = None) -> list[str]:
    response = client.get(f"{API}/events", headers=headers or {})
    assert response.status_code == 200, response.get_json()
    return [item["id"] for item in response.get_json()["items"]]


@POSTGRES_ONLY
def test_reads_go_to_the_replica(replicated: Replicated) -> None:
    client = replicated.client
    event = create_event(client, replicated.editor)
    # The primary has the event; the replica, not yet caught up, does not.
    assert _ids(client) == []
    assert client.get(f"{API}/events/{event['id']}").status_code == 404
    assert client.head(f"{API}/events/{event['id']}").status_code == 404
    replicated.catch_up()
    assert _ids(client) == [event["id"]]
    assert client.get(f"{API}/events/{event['id']}").get_json() == event


@POSTGRES_ONLY
def test_a_client_reads_its_own_writes_while_the_replica_lags(replicated: Replicated) -> None:
    client, editor = replicated.client, replicated.editor
    event = create_event(client, editor)
    read = client.get(f"{API}/events/{event['id']}", headers=editor)
    assert (read.status_code, read.get_json()) == (200, event)
    edited = client.patch(
        f"{API}/events/{event['id']}",
        json={"title": "Edited while the replica lags"},
        headers={**editor, "If-Match": read.headers["ETag"]},
    )
    assert edited.status_code == 200, edited.get_json()
    again = client.get(f"{API}/events/{event['id']}", headers=editor)
    assert again.get_json()["title"] == "Edited while the replica lags"
    assert again.headers["ETag"] == edited.headers["ETag"]
    # Its ETag from the write is current: a 304, not the replica's older version.
    unchanged = client.get(
        f"{API}/events/{event['id']}", headers={**editor, "If-None-Match": edited.headers["ETag"]}
    )
    assert unchanged.status_code == 304
    assert _ids(client, editor) == [event["id"]]
    # Everyone else reads the replica, which has neither write yet.
    assert client.get(f"{API}/events/{event['id']}").status_code == 404
    assert client.get(f"{API}/events/{event['id']}", headers=replicated.editor2).status_code == 404

    replicated.catch_up()
    other = create_event(client, replicated.editor2)
    # Once the replica has all of its writes, the editor reads the replica again:
    # it does not see the other editor's event, which has not reached it.
    assert _ids(client, editor) == [event["id"]]
    assert sorted(_ids(client, replicated.editor2)) == sorted([other["id"], event["id"]])


@POSTGRES_ONLY
def test_a_client_reads_its_own_write_that_changed_no_event(replicated: Replicated) -> None:
    """A new source gives out no feed position: the token's count covers it all the same."""
    client = replicated.client
    created = client.post(f"{API}/sources", json=source_body(), headers=replicated.editor)
    assert created.status_code == 201, created.get_json()
    path = f"{API}/sources/{created.get_json()['id']}"
    mine = client.get(path, headers=replicated.editor)
    assert (mine.status_code, mine.get_json()) == (200, created.get_json())
    assert client.get(path).status_code == 404


@POSTGRES_ONLY
def test_tokens_are_checked_on_the_primary(replicated: Replicated) -> None:
    replicated.app.config["READS_REQUIRE_TOKEN"] = True
    runner = replicated.app.test_cli_runner()
    assert runner.invoke(args=["tokens", "revoke", "editor2"]).exit_code == 0
    # The replica still holds the token unrevoked; the primary's word counts.
    refused = replicated.client.get(f"{API}/events", headers=replicated.editor2)
    assert refused.status_code == 401
    assert replicated.client.get(f"{API}/events", headers=replicated.editor).status_code == 200


@POSTGRES_ONLY
def test_the_feed_reads_the_primary_for_a_cursor_the_replica_has_not_reached(
    replicated: Replicated,
) -> None:
    client = replicated.client
    first = create_event(client, replicated.editor)
    replicated.catch_up()
    second = create_event(client, replicated.editor)
    # The editor reads the feed on the primary, to its end.
    mine = client.get(f"{API}/changes", headers=replicated.editor).get_json()
    assert [item["event_id"] for item in mine["items"]] == [first["id"], second["id"]]
    # Others read the replica, one entry behind ...
    theirs = client.get(f"{API}/changes").get_json()
    assert [item["event_id"] for item in theirs["items"]] == [first["id"]]
    # ... except with a cursor it has not reached: that page reads the primary.
    after = client.get(f"{API}/changes", query_string={"since": mine["next_cursor"]})
    assert (after.status_code, after.get_json()) == (
        200,
        {"items": [], "next_cursor": mine["next_cursor"], "has_more": False},
    )


@POSTGRES_ONLY
def test_a_replica_that_refuses_connections_sends_reads_to_the_primary(
    postgres_migrated: str, caplog: pytest.LogCaptureFixture
) -> None:
    _truncate_all(postgres_migrated)
    nowhere = f"postgresql+psycopg://postgres@{HOST}:{free_port()}/timeline"
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": postgres_migrated,
            "DATABASE_READ_URL": nowhere,
            "TESTING": True,
        }
    )
    client = app.test_client()
    editor = _bearer(app, "editor")
    try:
        event = create_event(client, editor)
        with caplog.at_level(logging.WARNING):
            assert _ids(client) == [event["id"]]
            assert _ids(client, editor) == [event["id"]]
            assert client.get(f"{API}/events/{event['id']}").get_json() == event
        # Tried once, then left alone for DATABASE_READ_RETRY_SECONDS.
        warnings = [r.getMessage() for r in caplog.records if "Read replica" in r.getMessage()]
        assert len(warnings) == 1, warnings
        assert warnings[0].startswith("Read replica unavailable, reading the primary for 5 s")
    finally:
        replica.dispose(app)
        with app.app_context():
            db.engine.dispose()


# --- served, on two clusters of our own with logical replication -------------------

SUBSCRIPTION = "timeline_replica"


@dataclass(frozen=True)
class Send:
    app: ServedApp

    def __call__(
        self, method: str, path: str, token: str | None = None, body: Any = None
    ) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        connection = http.client.HTTPConnection(HOST, self.app.port, timeout=20)
        try:
            connection.request(method, API + path, body=payload, headers=headers)
            response = connection.getresponse()
            raw = response.read()
        finally:
            connection.close()
        return response.status, json.loads(raw) if raw else None


@dataclass(frozen=True)
class ReplicatedServer:
    primary: PgCluster
    replica: PgCluster
    send: Send
    editor: str
    reader: str


def _sql(url: str, *statements: str) -> None:
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            for statement in statements:
                connection.execute(text(statement))
    finally:
        engine.dispose()


def _until(condition: Any, what: str) -> None:
    """Poll ``condition`` until it holds, for at most CATCH_UP_SECONDS."""
    deadline = time.monotonic() + CATCH_UP_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"{what} did not happen within {CATCH_UP_SECONDS} s")
        time.sleep(POLL_SECONDS)  # the interval between polls


def _subscription_running(replica_url: str) -> bool:
    engine = create_engine(replica_url)
    try:
        with engine.connect() as connection:
            pid = connection.scalar(
                text("SELECT pid FROM pg_stat_subscription WHERE subname = :name"),
                {"name": SUBSCRIPTION},
            )
    finally:
        engine.dispose()
    return pid is not None


@contextlib.contextmanager
def _replication_paused(server: ReplicatedServer) -> Iterator[None]:
    """The replica applies nothing from the primary inside the block."""
    _sql(server.replica.url, f"ALTER SUBSCRIPTION {SUBSCRIPTION} DISABLE")
    _until(lambda: not _subscription_running(server.replica.url), "the subscription stopping")
    try:
        yield
    finally:
        _sql(server.replica.url, f"ALTER SUBSCRIPTION {SUBSCRIPTION} ENABLE")


def _publish(primary: PgCluster, replica: PgCluster) -> None:
    """Every table but alembic_version (each database migrates its own schema) is
    published by the primary and subscribed to by the replica."""
    tables = ", ".join([table.name for table in Base.metadata.sorted_tables] + [WORD_INDEX])
    _sql(primary.url, f"CREATE PUBLICATION timeline FOR TABLE {tables}")
    source = f"host={HOST} port={primary.port} dbname=postgres user=postgres"
    _sql(
        replica.url,
        f"CREATE SUBSCRIPTION {SUBSCRIPTION} CONNECTION '{source}' PUBLICATION timeline",
    )


@pytest.fixture(scope="module")
def replicated_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ReplicatedServer]:
    bin_dir = postgres_bin()
    if bin_dir is None or not (bin_dir / "initdb").exists():
        pytest.skip("the PostgreSQL server binaries (initdb, pg_ctl) are not installed")
    log_dir = tmp_path_factory.mktemp("gunicorn")
    with (
        pg_cluster(bin_dir, {"wal_level": "logical"}) as primary,
        pg_cluster(bin_dir) as replica_cluster,
    ):
        for cluster in (primary, replica_cluster):
            flask_command({**_served_env(), "DATABASE_URL": cluster.url}, "db", "upgrade")
        _publish(primary, replica_cluster)
        settings = {
            "DATABASE_READ_URL": replica_cluster.url,
            "DATABASE_READ_RETRY_SECONDS": str(RETRY_SECONDS),
            "DATABASE_CONNECT_TIMEOUT": "2",
        }
        with served_app(primary.url, log_dir, workers=2, settings=settings) as app:
            editor = app.create_token("editor", "editor")
            reader = app.create_token("reader", "editor")
            server = ReplicatedServer(primary, replica_cluster, Send(app), editor, reader)
            _until(
                lambda: server.send("GET", "/events", reader)[0] == 200, "the tokens' replication"
            )
            yield server


def _served_env() -> dict[str, str]:
    return {**os.environ, "FLASK_APP": "app.py"}


def _sees(server: ReplicatedServer, event_id: str, token: str | None = None) -> bool:
    status, _ = server.send("GET", f"/events/{event_id}", token)
    assert status in {200, 404}
    return status == 200


# Several requests each time, so that both workers are likely to answer some (the
# kernel picks the worker); every check holds whichever worker answers.
ROUNDS = 6


def test_served_a_writer_reads_its_write_on_every_worker_while_replication_is_paused(
    replicated_server: ReplicatedServer,
) -> None:
    server = replicated_server
    with _replication_paused(server):
        status, event = server.send("POST", "/events", server.editor, event_body())
        assert status == 201, event
        for _ in range(ROUNDS):
            assert _sees(server, event["id"], server.editor)
            assert not _sees(server, event["id"])
            assert not _sees(server, event["id"], server.reader)
    _until(lambda: _sees(server, event["id"]), "the event's replication")
    assert _sees(server, event["id"], server.reader)


def test_served_a_replica_that_is_down_sends_reads_to_the_primary(
    replicated_server: ReplicatedServer,
) -> None:
    server = replicated_server
    server.replica.stop()
    try:
        status, event = server.send("POST", "/events", server.editor, event_body())
        assert status == 201, event
        for _ in range(ROUNDS):
            assert _sees(server, event["id"])
            assert _sees(server, event["id"], server.reader)
        status, health = server.send("GET", "/health")
        assert (status, health["database"]) == (200, "ok")
    finally:
        server.replica.start()
    back = time.monotonic()
    _until(lambda: _subscription_running(server.replica.url), "the subscription restarting")
    # Back: the workers read the replica again after their retry interval, as an
    # event it has not been sent shows.
    with _replication_paused(server):
        status, unseen = server.send("POST", "/events", server.editor, event_body())
        assert status == 201, unseen
        # A worker that found the replica down reads the primary for RETRY_SECONDS from
        # then, which was before the replica came back. Whichever worker the kernel
        # hands a request to, none may still be resting after that.
        time.sleep(max(0.0, back + RETRY_SECONDS - time.monotonic()))  # the documented rest
        for _ in range(ROUNDS):
            assert not _sees(server, unseen["id"])
