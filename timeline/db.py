"""The SQLAlchemy extension, the engine settings each database needs, and what a
failing database means for a request."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, cast

from flask import Flask, has_request_context, request
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import Delete, event
from sqlalchemy.dialects.postgresql import Insert as PostgresqlInsert
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import Insert as SqliteInsert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import CursorResult, Dialect, Engine, make_url
from sqlalchemy.exc import DBAPIError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from .models import Base

db = SQLAlchemy(model_class=Base)

_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# PostgreSQL errors that say the database is down, restarting or busy, not that
# the request is wrong: class 08 (connection exceptions) and these.
_TRANSIENT_SQLSTATES = frozenset(
    {
        "53300",  # too_many_connections
        "55P03",  # lock_not_available: lock_timeout expired
        "57014",  # query_canceled: statement_timeout expired
        "57P01",  # admin_shutdown
        "57P02",  # crash_shutdown
        "57P03",  # cannot_connect_now: starting up or shutting down
    }
)
_SQLITE_BUSY_CODES = frozenset({sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED})


def engine_options(config: Mapping[str, Any]) -> dict[str, Any]:
    """SQLAlchemy engine options for the configured database.

    PostgreSQL: a dead pooled connection (after a restart) is replaced before use,
    and connecting, waiting for a lock and running a statement are each bounded.
    """
    if make_url(config["SQLALCHEMY_DATABASE_URI"]).get_backend_name() != "postgresql":
        return {}
    bounds = (
        f"-c lock_timeout={config['DATABASE_LOCK_TIMEOUT']} "
        f"-c statement_timeout={config['DATABASE_STATEMENT_TIMEOUT']}"
    )
    return {
        "pool_pre_ping": True,
        # Waiting for a pooled connection (all in use by requests that wait on a lock)
        # is bounded like waiting for a new one.
        "pool_timeout": config["DATABASE_CONNECT_TIMEOUT"],
        "connect_args": {"connect_timeout": config["DATABASE_CONNECT_TIMEOUT"], "options": bounds},
    }


def delete_rows(statement: Delete) -> int:
    """Run a DELETE in the session's transaction; the number of rows it removed."""
    return cast(CursorResult[Any], db.session.execute(statement)).rowcount


def upsert(model: type[Base]) -> PostgresqlInsert | SqliteInsert:
    """An INSERT into the model's table that takes ON CONFLICT clauses, in the
    dialect of the session's database (both databases write them alike)."""
    dialect = db.session.get_bind().dialect.name
    return (postgresql_insert if dialect == "postgresql" else sqlite_insert)(model)


def _is_write_request() -> bool:
    return has_request_context() and request.method not in _READ_METHODS


def configure_sqlite(engine: Engine, busy_timeout: int) -> None:
    """Make SQLite safe for several workers: WAL, a busy timeout, foreign keys,
    and write transactions that take the write lock when they begin, so that two
    writers queue instead of failing halfway (pysqlite's own BEGIN comes too late).
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout)}")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # On the driver's connection: this runs once per request, and the
        # Connection's execute machinery costs more than the statement itself.
        connection.connection.driver_connection.execute(
            "BEGIN IMMEDIATE" if _is_write_request() else "BEGIN"
        )


def is_transient_failure(error: BaseException) -> bool:
    """Whether ``error`` says the database is unreachable or busy for now, so that
    the same request may succeed later (a 503), rather than that it failed (a 500).
    """
    if isinstance(error, PoolTimeout):
        return True  # every pooled connection is in use: the database is slow or locked
    driver_error = error.orig if isinstance(error, DBAPIError) else error
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return True
    if isinstance(driver_error, sqlite3.Error):
        # The lock others hold outlasted the busy timeout. The begin event
        # raises the driver's own error, unwrapped.
        return (getattr(driver_error, "sqlite_errorcode", 0) & 0xFF) in _SQLITE_BUSY_CODES
    sqlstate = getattr(driver_error, "sqlstate", None)
    if sqlstate is not None:
        return sqlstate.startswith("08") or sqlstate in _TRANSIENT_SQLSTATES
    # A driver's OperationalError with no SQLSTATE: the server never answered
    # (connection refused, closed, or timed out).
    return isinstance(error, OperationalError)


@dataclass(frozen=True)
class ReadConnection:
    """A connection to run one read statement on with the driver's own cursor."""

    dbapi: Any  # the pool's proxy of the driver's connection: cursor(), dbapi_connection
    dialect: Dialect
    invalidate: Callable[[BaseException], None]  # a connection the database dropped


@contextmanager
def read_connection() -> Iterator[ReadConnection]:
    """The connection for one read statement of a request.

    Within the session's transaction (the request has already used the session,
    e.g. to check a token) it is the session's connection, so that the read sees
    what the transaction sees. Otherwise the statement does not need a session:
    it runs on a connection of its own from the pool, with the driver in
    autocommit mode (one SELECT is its own consistent snapshot). That spares a
    request the Session and its transaction, made and torn down for one statement,
    and on PostgreSQL the BEGIN and ROLLBACK round trips. The pool still pings a
    PostgreSQL connection before handing it out.
    """
    if db.session.registry.has() and db.session().in_transaction():
        connection = db.session.connection()
        yield ReadConnection(connection.connection, connection.dialect, connection.invalidate)
        return
    # A Connection, not the pool's raw one: failing to connect is then SQLAlchemy's
    # error like any other (a 503, not a 500), and a dropped connection is invalidated.
    with db.engine.connect() as connection:
        # SQLite's driver connections are in autocommit mode already (configure_sqlite).
        driver: Any = None
        if connection.dialect.name == "postgresql":
            driver = connection.connection.driver_connection
            driver.autocommit = True
        try:
            yield ReadConnection(connection.connection, connection.dialect, connection.invalidate)
        finally:
            if driver is not None and not connection.invalidated:
                driver.autocommit = False


def release_session(_error: BaseException | None = None) -> None:
    """End the request's session; a connection the database dropped is discarded
    rather than rolled back, so that teardown cannot fail a response. A request
    that never used the session has none to end (and gets none made for this)."""
    if not db.session.registry.has():
        return
    try:
        db.session.close()
    except SQLAlchemyError:
        db.session().invalidate()


def init_database(app: Flask) -> None:
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", engine_options(app.config))
    db.init_app(app)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            configure_sqlite(db.engine, app.config["SQLITE_BUSY_TIMEOUT"])
    # Registered after Flask-SQLAlchemy's, so it runs before that one's session.remove().
    app.teardown_appcontext(release_session)
