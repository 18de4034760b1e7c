"""Database trouble: a 503 with Retry-After to retry, never a 500 or a hung worker.

- Which driver errors are transient (a 503) and which stay a 500.
- In process, on each backend: a write waiting on a lock another connection
  holds is a 503 within the lock (busy) timeout, and the next request works;
  on PostgreSQL, connections the server dropped are replaced before use; the
  health check answers a 503 within a second while its probe hangs.
- Served by gunicorn on a PostgreSQL cluster of the tests' own, which they stop,
  restart and lock: 503s while it is down or locked, the health check within a
  second either way, and 200s as soon as it is back.
- Served on SQLite: a write waiting on another connection's write lock is a 503.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import shutil
import sqlite3
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import psycopg.errors
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from tests.conftest import POSTGRES_URL, Tokens
from tests.factories import event_body
from tests.pg_cluster import PgCluster, pg_cluster, postgres_bin
from tests.served import HOST, ServedApp, served_app
from timeline.api import health
from timeline.db import is_transient_failure

API = "/api/v1"
PROBLEM_JSON = "application/problem+json"
UNAVAILABLE = {
    "type": "urn:timeline:problem:database-unavailable",
    "title": "Service Unavailable",
    "status": 503,
    "detail": "The database is unavailable or busy for now; retry after the time in Retry-After.",
}
# Small bounds for the served app, so that the tests see them expire.
LOCK_TIMEOUT_MS = 500
BUSY_TIMEOUT_MS = 500
HEALTH_SECONDS = 1.0
# How long a request may take when the database is down or locked: the bound
# plus room for a loaded machine, far below gunicorn's 30 s worker timeout.
ANSWER_SECONDS = 5.0


# --- which errors are transient ------------------------------------------------


def _wrapped(error: Exception) -> DBAPIError:
    """``error`` as SQLAlchemy raises it."""
    return DBAPIError.instance("SELECT 1", {}, error, psycopg.Error)


def _sqlite_busy() -> sqlite3.OperationalError:
    """A real 'database is locked' from SQLite, on an in-memory shared database."""
    uri = "file:busy?mode=memory&cache=shared"
    holder = sqlite3.connect(uri, uri=True, isolation_level=None)
    waiter = sqlite3.connect(uri, uri=True, isolation_level=None, timeout=0)
    try:
        holder.execute("CREATE TABLE t (x)")
        holder.execute("BEGIN IMMEDIATE")
        holder.execute("INSERT INTO t VALUES (1)")
        with pytest.raises(sqlite3.OperationalError) as caught:
            waiter.execute("INSERT INTO t VALUES (2)")
        return caught.value
    finally:
        waiter.close()
        holder.close()


@pytest.mark.parametrize(
    "error",
    [
        _wrapped(psycopg.OperationalError("connection failed: Connection refused")),
        _wrapped(psycopg.errors.ConnectionFailure("connection lost")),  # 08006
        _wrapped(psycopg.errors.AdminShutdown("terminating connection")),  # 57P01
        _wrapped(psycopg.errors.CannotConnectNow("the database system is starting up")),
        _wrapped(psycopg.errors.LockNotAvailable("canceling statement: lock timeout")),
        _wrapped(psycopg.errors.QueryCanceled("canceling statement: statement timeout")),
        _wrapped(psycopg.errors.TooManyConnections("too many clients already")),
    ],
    ids=lambda error: type(error.orig).__name__,
)
def test_unreachable_or_busy_databases_are_transient(error: DBAPIError) -> None:
    assert is_transient_failure(error)


def test_waiting_too_long_for_a_pooled_connection_is_transient() -> None:
    assert is_transient_failure(PoolTimeout("QueuePool limit of size 5 overflow 10 reached"))


def test_sqlite_busy_is_transient_raw_or_wrapped() -> None:
    busy = _sqlite_busy()
    assert is_transient_failure(busy)
    assert is_transient_failure(DBAPIError.instance("INSERT", {}, busy, sqlite3.Error))


@pytest.mark.parametrize(
    "error",
    [
        _wrapped(psycopg.errors.UniqueViolation("duplicate key")),
        _wrapped(psycopg.errors.UndefinedTable("relation does not exist")),
        _wrapped(psycopg.errors.SerializationFailure("could not serialize")),
        sqlite3.OperationalError("no such table: events"),
        ValueError("not a database error"),
    ],
    ids=lambda error: type(getattr(error, "orig", error)).__name__,
)
def test_other_errors_are_not_transient(error: Exception) -> None:
    assert not is_transient_failure(error)


# --- in process, on each backend -------------------------------------------------


@pytest.fixture
def app_config() -> dict[str, Any]:
    return {"DATABASE_LOCK_TIMEOUT": LOCK_TIMEOUT_MS, "SQLITE_BUSY_TIMEOUT": BUSY_TIMEOUT_MS}


@contextlib.contextmanager
def _write_lock(database_url: str) -> Iterator[None]:
    """Another connection holding the lock that writes (and on PostgreSQL, reads of
    the events table) need, until the block ends."""
    if database_url.startswith("sqlite"):
        holder = sqlite3.connect(database_url.removeprefix("sqlite:///"), isolation_level=None)
        try:
            holder.execute("BEGIN IMMEDIATE")
            yield
        finally:
            holder.close()
        return
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            connection.execute(text("LOCK TABLE events IN ACCESS EXCLUSIVE MODE"))
            yield
            connection.rollback()
    finally:
        engine.dispose()


def _assert_unavailable(status: int, headers: Any, body: Any) -> None:
    assert (status, body) == (503, UNAVAILABLE)
    assert headers["Content-Type"] == PROBLEM_JSON
    assert headers["Retry-After"] == "5"


def test_a_write_that_waits_on_a_lock_is_a_503_then_the_next_one_works(
    client: FlaskClient, tokens: Tokens, database_url: str
) -> None:
    with _write_lock(database_url):
        started = time.monotonic()
        response = client.post(f"{API}/events", json=event_body(), headers=tokens.editor)
        assert time.monotonic() - started < ANSWER_SECONDS
        _assert_unavailable(response.status_code, response.headers, response.get_json())
        health = client.get(f"{API}/health")
        assert health.status_code == 200, health.get_json()
    response = client.post(f"{API}/events", json=event_body(), headers=tokens.editor)
    assert response.status_code == 201, response.get_json()
    assert len(client.get(f"{API}/events").get_json()["items"]) == 1


def _schema_report(database: str, expected: str) -> dict[str, Any]:
    """The schema part of the health check: unknown while the database does not answer."""
    if database == "ok":
        return {"status": "current", "revision": expected, "expected": expected}
    return {"status": "unknown", "revision": None, "expected": expected}


def test_health_answers_within_a_second_while_the_database_hangs(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    released = threading.Event()
    monkeypatch.setattr(health, "_probe", lambda _app: released.wait(ANSWER_SECONDS))
    try:
        for _ in range(2):  # the second finds the first probe still stuck
            started = time.monotonic()
            response = client.get(f"{API}/health")
            assert time.monotonic() - started < HEALTH_SECONDS
            body = response.get_json()
            assert (response.status_code, body) == (
                503,
                {
                    "status": "unavailable",
                    "database": "unavailable",
                    "schema": _schema_report("unavailable", body["schema"]["expected"]),
                    "version": app.config["API_VERSION"],
                },
            )
            assert response.headers["Retry-After"] == "5"
    finally:
        released.set()


@pytest.mark.skipif(not POSTGRES_URL, reason="TEST_DATABASE_URL is not set")
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_connections_the_server_dropped_are_replaced_before_use(
    client: FlaskClient, database_url: str
) -> None:
    assert client.get(f"{API}/events").status_code == 200  # a pooled connection now
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            dropped = connection.execute(
                # Each returns once its backend has ended (closed its connection), or
                # false after 5 s: the server has dropped them, not just been asked to.
                text(
                    "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid, 5000)) "
                    "FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            ).scalar_one()
    finally:
        engine.dispose()
    assert dropped >= 1
    response = client.get(f"{API}/events")
    assert response.status_code == 200, response.get_json()


# --- served on a PostgreSQL cluster of our own ------------------------------------


@dataclass(frozen=True)
class Answer:
    status: int
    headers: http.client.HTTPMessage
    body: Any
    seconds: float


def _send(app: ServedApp, method: str, path: str, *, token: str | None = None) -> Answer:
    """One request on its own connection; a POST creates an event."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    payload = None
    if method == "POST":
        payload = json.dumps(event_body()).encode()
        headers["Content-Type"] = "application/json"
    connection = http.client.HTTPConnection(HOST, app.port, timeout=ANSWER_SECONDS * 4)
    started = time.monotonic()
    try:
        connection.request(method, API + path, body=payload, headers=headers)
        response = connection.getresponse()
        raw = response.read()
    finally:
        connection.close()
    seconds = time.monotonic() - started
    return Answer(response.status, response.headers, json.loads(raw) if raw else None, seconds)


@dataclass(frozen=True)
class ClusterApp:
    cluster: PgCluster
    app: ServedApp
    token: str

    def send(self, method: str, path: str) -> Answer:
        return _send(self.app, method, path, token=self.token)


@pytest.fixture(scope="module")
def cluster_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ClusterApp]:
    bin_dir = postgres_bin()
    if bin_dir is None or not (bin_dir / "initdb").exists():
        pytest.skip("the PostgreSQL server binaries (initdb, pg_ctl) are not installed")
    settings = {
        "DATABASE_CONNECT_TIMEOUT": "2",
        "DATABASE_LOCK_TIMEOUT": str(LOCK_TIMEOUT_MS),
        "DATABASE_STATEMENT_TIMEOUT": "2000",
    }
    log_dir = tmp_path_factory.mktemp("gunicorn")
    with (
        pg_cluster(bin_dir) as cluster,
        served_app(cluster.url, log_dir, workers=2, settings=settings) as app,
    ):
        yield ClusterApp(cluster, app, app.create_token("faults", "editor"))


def _assert_answers_503(answer: Answer) -> None:
    _assert_unavailable(answer.status, answer.headers, answer.body)
    assert answer.seconds < ANSWER_SECONDS


def _assert_health(served: ClusterApp, status: int) -> None:
    answer = served.send("GET", "/health")
    assert answer.seconds < HEALTH_SECONDS
    database = "ok" if status == 200 else "unavailable"
    version, expected = answer.body["version"], answer.body["schema"]["expected"]
    assert (answer.status, answer.body) == (
        status,
        {
            "status": database,
            "database": database,
            "schema": _schema_report(database, expected),
            "version": version,
        },
    )
    if status == 503:
        assert answer.headers["Retry-After"] == "5"


def _assert_all_ok(served: ClusterApp) -> None:
    """Enough reads that both workers answer some, a create, and a healthy check."""
    for _ in range(6):
        answer = served.send("GET", "/events")
        assert answer.status == 200, answer.body
    answer = served.send("POST", "/events")
    assert answer.status == 201, answer.body
    _assert_health(served, 200)


def test_a_stopped_database_is_a_503_and_the_first_request_after_its_restart_works(
    cluster_app: ClusterApp,
) -> None:
    _assert_all_ok(cluster_app)
    cluster_app.cluster.stop()
    try:
        _assert_answers_503(cluster_app.send("GET", "/events"))
        _assert_answers_503(cluster_app.send("POST", "/events"))
        _assert_health(cluster_app, 503)
    finally:
        cluster_app.cluster.start()
    first = cluster_app.send("GET", "/events")
    assert first.status == 200, first.body
    _assert_all_ok(cluster_app)


def test_a_restart_the_app_did_not_see_costs_no_request(cluster_app: ClusterApp) -> None:
    _assert_all_ok(cluster_app)  # every worker holds a pooled connection
    cluster_app.cluster.stop()
    cluster_app.cluster.start()
    _assert_all_ok(cluster_app)


def test_a_locked_table_is_a_503_within_the_lock_timeout_and_health_still_answers(
    cluster_app: ClusterApp,
) -> None:
    _assert_all_ok(cluster_app)
    with _write_lock(cluster_app.cluster.url):
        _assert_answers_503(cluster_app.send("GET", "/events"))
        _assert_answers_503(cluster_app.send("POST", "/events"))
        _assert_health(cluster_app, 200)
    _assert_all_ok(cluster_app)


# --- served on SQLite -------------------------------------------------------------


def test_sqlite_a_write_that_waits_on_the_write_lock_is_a_503(
    tmp_path: Path, sqlite_template: Path
) -> None:
    path = tmp_path / "timeline.db"
    shutil.copyfile(sqlite_template, path)
    url = f"sqlite:///{path}"
    settings = {"SQLITE_BUSY_TIMEOUT": str(BUSY_TIMEOUT_MS)}
    with served_app(url, tmp_path, workers=2, settings=settings) as app:
        token = app.create_token("faults", "editor")
        with _write_lock(url):
            _assert_answers_503(_send(app, "POST", "/events", token=token))
            reads = _send(app, "GET", "/events")  # WAL: readers do not wait for writers
            assert reads.status == 200, reads.body
        created = _send(app, "POST", "/events", token=token)
        assert created.status == 201, created.body
