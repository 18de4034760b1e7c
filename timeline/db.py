"""The SQLAlchemy extension, the engine settings each database needs, which
database a request's queries go to, and what a failing database means for a request."""

from __future__ import annotations

import contextlib
import contextvars
import functools
import operator
import select
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar, cast

from flask import Flask, current_app, g, has_app_context, has_request_context, request
from flask_sqlalchemy import SQLAlchemy
from flask_sqlalchemy.session import Session
from sqlalchemy import (
    ColumnElement,
    Delete,
    LargeBinary,
    Table,
    any_,
    bindparam,
    event,
    insert,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import Insert as PostgresqlInsert
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import Insert as SqliteInsert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import URL, Connection, CursorResult, Dialect, Engine, make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ClauseElement
from sqlalchemy.sql.functions import FunctionElement

from .models import Base
from .write_turns import WriteTurns

T = TypeVar("T")

_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# app.extensions key of the function that gives the engine of a read request's
# query of a mapper (or of none), or None for the primary's (timeline/replica.py).
READ_ENGINE = "timeline_read_engine"


class RoutingSession(Session):
    """The request's session: a read request's queries go where the app's read
    router says (a replica), everything else to the primary (DATABASE_URL)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._read_engine: Callable[[Any], Engine | None] | None = (
            current_app.extensions.get(READ_ENGINE) if has_app_context() else None
        )

    def get_bind(
        self,
        mapper: Any | None = None,
        clause: Any | None = None,
        bind: Engine | Connection | None = None,
        **kwargs: Any,
    ) -> Engine | Connection:
        if bind is None and self._read_engine is not None and _is_read_request():
            engine = self._read_engine(mapper)
            if engine is not None:
                return engine
        return super().get_bind(mapper, clause, bind, **kwargs)


db = SQLAlchemy(model_class=Base, session_options={"class_": RoutingSession})

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


def engine_options(config: Mapping[str, Any], *, read: bool = False) -> dict[str, Any]:
    """SQLAlchemy engine options for the configured database, or with ``read`` for
    the read replica (DATABASE_READ_URL), which has a pool of its own.

    PostgreSQL: connecting, waiting for a lock and running a statement are each
    bounded, and the pool holds the configured number of connections per process
    (a connection the server dropped is replaced: ``replace_dropped_connections``).
    """
    url = config["DATABASE_READ_URL"] if read else config["SQLALCHEMY_DATABASE_URI"]
    if make_url(url).get_backend_name() != "postgresql":
        return {}
    prefix = "DATABASE_READ_" if read else "DATABASE_"
    bounds = (
        f"-c lock_timeout={config['DATABASE_LOCK_TIMEOUT']} "
        f"-c statement_timeout={config['DATABASE_STATEMENT_TIMEOUT']}"
    )
    return {
        "pool_size": config[prefix + "POOL_SIZE"],
        "max_overflow": config[prefix + "MAX_OVERFLOW"],
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


# Rows from which they go to the driver directly (below), rather than through
# SQLAlchemy's executemany.
_BULK_FROM = 50


def insert_rows(connection: Connection, model: type[Base], rows: Sequence[dict[str, Any]]) -> None:
    """Insert rows (dicts with the same keys) into the model's table.

    Many rows go to the driver directly, each value converted as SQLAlchemy's
    INSERT converts it (its column type's bind processor): SQLAlchemy's own
    executemany works out every row's parameters anew, which costs more than
    SQLite's work. On PostgreSQL they go in by COPY: the server parses and plans
    no statement per row, which is most of what an INSERT per row costs it. Driver
    errors are raised as SQLAlchemy's, as ``execute`` raises them. Rows that leave
    out a column with a Python-side default take the INSERT, which fills it in.
    """
    if not rows:
        return
    dialect = connection.dialect
    table = model.__table__
    names = list(rows[0])
    defaulted = any(c.default is not None and c.key not in names for c in table.columns)
    if len(rows) < _BULK_FROM or defaulted:
        connection.execute(insert(model), rows)
        return
    values = _row_values(rows, names, dialect, table)
    quote = dialect.identifier_preparer.quote
    columns = ", ".join(quote(name) for name in names)
    table_name = dialect.identifier_preparer.format_table(table)
    if dialect.name != "postgresql":
        placeholders = ", ".join("?" for _name in names)
        connection.exec_driver_sql(
            f"INSERT INTO {table_name} ({columns}) VALUES ({placeholders})", list(values)
        )
        return
    copy_rows(connection, table_name, columns, values)


def copy_rows(
    connection: Connection, table_name: str, columns: str, values: Iterable[Sequence[Any]]
) -> None:
    """PostgreSQL: COPY the rows' values, in the driver's types, into the table's
    columns (quoted, joined by commas). Driver errors are raised as SQLAlchemy's."""
    dialect = connection.dialect
    statement = f"COPY {table_name} ({columns}) FROM STDIN"
    driver = connection.connection.driver_connection
    assert driver is not None
    try:
        with driver.cursor() as cursor, cursor.copy(statement) as copy:
            for row_values in values:
                copy.write_row(row_values)
    except dialect.loaded_dbapi.Error as error:
        raise DBAPIError.instance(
            statement, None, error, dialect.loaded_dbapi.Error, dialect=dialect
        ) from error


def new_keys(connection: Connection, model: type[Base], count: int) -> list[int]:
    """Integer primary keys for ``count`` new rows of the model's table, ascending,
    for rows inserted with their keys by ``insert_rows`` (which returns none).

    PostgreSQL: from the key's sequence, as its INSERT would take them. SQLite: the
    ones after the largest key, as SQLite would pick them itself; they are free while
    the transaction holds the write lock (BEGIN IMMEDIATE: ``writing``). Without it,
    another writer may take them first, and the INSERT fails on the primary key
    rather than storing anything twice.
    """
    model_table = cast(Table, model.__table__)
    (key,) = model_table.primary_key.columns
    table = connection.dialect.identifier_preparer.format_table(model_table)
    if connection.dialect.name == "postgresql":
        # One round trip: the sequence is looked up once, then drawn from.
        keys = connection.exec_driver_sql(
            "WITH s AS MATERIALIZED "
            "(SELECT pg_get_serial_sequence(%(table)s, %(column)s) AS sequence) "
            "SELECT nextval(s.sequence) FROM s, generate_series(1, %(count)s)",
            {"table": model_table.name, "column": key.name, "count": count},
        ).scalars()
        return sorted(keys)
    largest = connection.exec_driver_sql(f"SELECT max({key.name}) FROM {table}").scalar()
    start = (largest or 0) + 1
    return list(range(start, start + count))


def _row_values(
    rows: Sequence[dict[str, Any]], names: list[str], dialect: Dialect, table: Any
) -> Iterator[tuple[Any, ...]]:
    """Each row's values in the order of ``names``, converted by their columns' bind
    processors: picked all at once (itemgetter), then converted where a column's type
    converts (most convert nothing)."""
    pick = operator.itemgetter(*names) if len(names) > 1 else lambda row: (row[names[0]],)
    converting = [
        (index, convert)
        for index, name in enumerate(names)
        if (convert := table.c[name].type.dialect_impl(dialect).bind_processor(dialect))
    ]
    if not converting:
        yield from map(pick, rows)
        return
    for row in rows:
        row_values = list(pick(row))
        for index, convert in converting:
            row_values[index] = convert(row_values[index])
        yield tuple(row_values)


# Whether the transactions begun in a block write, where the request's method does
# not say: True for work outside any request that writes (timeline.rerender, imports),
# which on SQLite then takes the write lock as it begins, as a write request does;
# False for a read inside a write request, which then takes no write lock.
_BLOCK_WRITES: contextvars.ContextVar[bool | None] = contextvars.ContextVar(
    "timeline_block_writes", default=None
)


@contextlib.contextmanager
def _transactions_writing(writes: bool) -> Iterator[None]:
    token = _BLOCK_WRITES.set(writes)
    try:
        yield
    finally:
        _BLOCK_WRITES.reset(token)


def writing() -> contextlib.AbstractContextManager[None]:
    """Mark the transactions begun inside the block, outside a request, as writes."""
    return _transactions_writing(True)


def reading() -> contextlib.AbstractContextManager[None]:
    """Mark the transactions begun inside the block as reads, in any request."""
    return _transactions_writing(False)


def _is_write_request() -> bool:
    writes = _BLOCK_WRITES.get()
    if writes is not None:
        return writes
    return has_request_context() and request.method not in _READ_METHODS


def _is_read_request() -> bool:
    return has_request_context() and request.method in _READ_METHODS


def sqlite_file(url: URL) -> str | None:
    """The path of the SQLite database file the URL names; None for another database,
    one in memory, or a URI filename."""
    database = url.database
    if url.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return None
    return None if database.startswith("file:") else database


def configure_sqlite(engine: Engine, busy_timeout: int) -> None:
    """Make SQLite safe for several workers: WAL, a busy timeout, foreign keys,
    and write transactions that take the write lock when they begin, so that two
    writers queue instead of failing halfway (pysqlite's own BEGIN comes too late);
    in a database file, bulk work gives way to the writes of requests between its
    transactions (timeline.write_turns).
    """
    database = sqlite_file(engine.url)
    turns_path = WriteTurns.path_for(database) if database is not None else None

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout)}")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()
        if turns_path is not None:
            record.info[_TURNS] = WriteTurns(turns_path, busy_timeout / 1000)

    @event.listens_for(engine, "close")
    def _on_close(_dbapi_connection: Any, record: Any) -> None:
        turns = record.info.pop(_TURNS, None)
        if turns is not None:
            turns.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        # On the driver's connection: this runs once per request, and the
        # Connection's execute machinery costs more than the statement itself.
        driver = connection.connection.driver_connection
        assert driver is not None
        if not _is_write_request():
            driver.execute("BEGIN")
            return
        turns: WriteTurns | None = connection.info.get(_TURNS)
        if turns is not None:
            if _BLOCK_WRITES.get():  # bulk work, outside requests
                turns.give_way()
            else:
                turns.announce()
        try:
            driver.execute("BEGIN IMMEDIATE")
        except BaseException:
            if turns is not None:
                turns.end()
            raise

    @event.listens_for(engine, "commit")
    @event.listens_for(engine, "rollback")
    def _on_end(connection: Connection) -> None:
        _end_turn(connection.info)

    @event.listens_for(engine, "reset")
    def _on_reset(_dbapi_connection: Any, record: Any, _state: Any) -> None:
        # Back in the pool, a connection announces nothing, however its last
        # transaction ended: an announcement left behind would hold up bulk work.
        _end_turn(record.info)


def _end_turn(info: dict[Any, Any]) -> None:
    """End the announced write of the connection whose record's info this is, if any."""
    turns: WriteTurns | None = info.get(_TURNS)
    if turns is not None:
        turns.end()


# The connection record's key of its WriteTurns.
_TURNS = "timeline_write_turns"


def failure_reason(error: SQLAlchemyError | sqlite3.Error) -> str:
    """What the database or its driver said went wrong, on one line, without the
    statement and parameters that SQLAlchemy's message adds."""
    said = error.orig if isinstance(error, DBAPIError) and error.orig is not None else error
    lines = str(said).strip().splitlines()
    return lines[0] if lines else type(said).__name__


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


@contextmanager
def read_connection() -> Iterator[Connection]:
    """The connection for a read statement of a request.

    Within the session's transaction (the request has already used the session,
    e.g. to check a token) it is the session's connection, so that the read sees
    what the transaction sees. Otherwise reads do not need a session: they run on
    a connection of the pool held for the rest of the request (``g``), with the
    driver in autocommit mode, each SELECT its own consistent snapshot. That spares
    a request the Session and its transaction, made and torn down for a statement
    or two, and on PostgreSQL the BEGIN and ROLLBACK round trips; the connection is
    checked out once however many statements read it.
    With a read replica (DATABASE_READ_URL) it is always the session's, which
    chooses the database.
    """
    in_transaction = db.session.registry.has() and db.session().in_transaction()
    if in_transaction or current_app.config["DATABASE_READ_URL"]:
        yield db.session.connection()
        return
    held: Connection | None = g.get(_HELD_READ_CONNECTION)
    if held is None or held.invalidated:
        # A Connection, not the pool's raw one: failing to connect is then SQLAlchemy's
        # error like any other (a 503, not a 500), and a dropped connection is invalidated.
        held = db.engine.connect()
        # SQLite's driver connections are in autocommit mode already (configure_sqlite).
        if held.dialect.name == "postgresql":
            held.connection.driver_connection.autocommit = True  # type: ignore[union-attr]
        setattr(g, _HELD_READ_CONNECTION, held)
    yield held


# The attribute of ``g`` that holds a request's read connection (``read_connection``).
_HELD_READ_CONNECTION = "timeline_read_connection"


def _release_read_connection() -> None:
    held: Connection | None = g.pop(_HELD_READ_CONNECTION, None)
    if held is None:
        return
    if not held.invalidated and held.dialect.name == "postgresql":
        with contextlib.suppress(Exception):  # a connection the server dropped meanwhile
            held.connection.driver_connection.autocommit = False  # type: ignore[union-attr]
    with contextlib.suppress(SQLAlchemyError):
        held.close()


# Values bound in one IN list at most: within what SQLite and psycopg accept.
IN_CHUNK = 5_000


def in_chunks(values: Sequence[T]) -> Iterator[Sequence[T]]:
    """The values in slices of at most ``IN_CHUNK``, one IN list each."""
    for start in range(0, len(values), IN_CHUNK):
        yield values[start : start + IN_CHUNK]


def among(
    column: ColumnElement[Any] | InstrumentedAttribute[Any], values: Sequence[Any]
) -> ColumnElement[bool]:
    """``column IN (values)``; on PostgreSQL as ``column = ANY(array)``, one parameter,
    which the server plans alike: psycopg turns each placeholder of a query into the
    server's syntax in Python, and for an IN list of a thousand values that costs more
    than the query."""
    if db.session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))
    return column.in_(values)


def read_dialect() -> Dialect:
    """The dialect of the database that reads go to (a replica is of the primary's
    kind): asking the session (``get_bind``) would make one for a request that
    reads without it (``read_connection``)."""
    return db.engine.dialect


@functools.lru_cache(maxsize=256)
def compiled_statement(stmt: ClauseElement, dialect: Dialect) -> SQLCompiler:
    compiled = stmt.compile(dialect=dialect)
    assert isinstance(compiled, SQLCompiler)
    return compiled


class utf8_bytes(FunctionElement[bytes]):
    """A text column's value as its UTF-8 bytes, which ``fetch_rows`` hands over as
    the database sends them: a page joins stored JSON documents into its body with
    no decoding into str and encoding back (for a page of 50 documents with a
    character past Latin-1 in one, that was about 0.3 ms of joining and encoding)."""

    type = LargeBinary()
    name = "utf8_bytes"
    inherit_cache = True


@compiles(utf8_bytes, "sqlite")
def _utf8_bytes_sqlite(element: utf8_bytes, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST({compiler.process(element.clauses, **kw)} AS BLOB)"


@compiles(utf8_bytes, "postgresql")
def _utf8_bytes_postgresql(element: utf8_bytes, compiler: SQLCompiler, **kw: Any) -> str:
    # bytea, which fetch_rows reads in binary: as text it would come hex-encoded.
    return f"convert_to({compiler.process(element.clauses, **kw)}, 'UTF8')"


def fetch_rows(stmt: ClauseElement, params: Mapping[str, Any]) -> Sequence[Any]:
    """The rows of a read statement whose values are all bound by name, read with
    the driver's cursor on the request's ``read_connection``.

    SQLAlchemy's execution (cache key, context, Row objects) costs more than the
    query itself for a page of plain text and integer columns: the statement is
    compiled once per statement object and dialect (build each statement once, with
    ``bindparam``) and run directly. Its columns' types must convert nothing on the
    way in or out. Driver errors are still raised as SQLAlchemy's DBAPIError.
    PostgreSQL's rows come in binary: bytea as it is stored, integers unparsed.
    """
    with read_connection() as connection:
        dialect = connection.dialect
        compiled = compiled_statement(stmt, dialect)
        values: Any = compiled.construct_params(params)
        if compiled.positional:
            values = [values[name] for name in compiled.positiontup or ()]
        binary = {"binary": True} if dialect.name == "postgresql" else {}
        cursor = connection.connection.cursor(**binary)
        try:
            # As SQLAlchemy's own execution does, for whoever listens (tracing, tests).
            connection.dispatch.before_cursor_execute(
                connection, cursor, compiled.string, values, None, False
            )
            cursor.execute(compiled.string, values)
            return cursor.fetchall()
        except dialect.loaded_dbapi.Error as error:
            # As SQLAlchemy's own execution does: a connection the database dropped
            # is invalidated, so that neither teardown nor the pool uses it again.
            lost = dialect.is_disconnect(error, connection.connection.dbapi_connection, cursor)
            if lost:
                connection.invalidate(error)
            raise DBAPIError.instance(
                compiled.string,
                values,
                error,
                dialect.loaded_dbapi.Error,
                connection_invalidated=lost,
                dialect=dialect,
            ) from error
        finally:
            cursor.close()


def release_session(_error: BaseException | None = None) -> None:
    """End the request's session; a connection the database dropped is discarded
    rather than rolled back, so that teardown cannot fail a response. A request
    that never used the session has none to end (and gets none made for this)."""
    _release_read_connection()
    if not db.session.registry.has():
        return
    try:
        db.session.close()
    except SQLAlchemyError:
        db.session().invalidate()


def refresh_statistics(connection: Connection) -> None:
    """Gather the query planner's statistics again (ANALYZE): on PostgreSQL always,
    on SQLite only when the database has any. SQLite plans without them until
    ANALYZE has run once; after that, an index or rows that came since have none,
    and the planner may prefer what only looks better (a tag's page planned through
    an index made later read a whole timeline: 650 ms instead of 0.3 ms at a
    million events). About 3 s at a million events."""
    if (
        connection.dialect.name == "sqlite"
        and not connection.exec_driver_sql(
            "SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'"
        ).first()
    ):
        return
    connection.exec_driver_sql("ANALYZE")


def replace_dropped_connections(engine: Engine) -> None:
    """PostgreSQL: a pooled connection the server has dropped (it restarted, or ended
    the session) is replaced as it is checked out, so that no request fails on it.

    An idle connection has nothing to read: the server sends its last words (a
    FATAL "terminating connection") and closes the socket when it ends a session.
    So a socket with something to read, or a connection the driver knows is broken,
    is discarded and the pool connects anew (SQLAlchemy's DisconnectionError). That
    costs a poll of the socket, where pool_pre_ping costs a round trip to the server
    (a SELECT 1) for every request. What no poll sees, a server gone without a word,
    fails the one statement that finds it (a 503), and the pool is renewed.
    """

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        if dbapi_connection.closed or dbapi_connection.broken or _has_input(dbapi_connection):
            raise DisconnectionError("The server ended this pooled connection.")


def _has_input(dbapi_connection: Any) -> bool:
    poller = select.poll()
    try:
        poller.register(dbapi_connection.fileno(), select.POLLIN | select.POLLPRI)
    except (OSError, ValueError):
        return True  # no socket left
    return bool(poller.poll(0))


def init_database(app: Flask) -> None:
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", engine_options(app.config))
    db.init_app(app)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            configure_sqlite(db.engine, app.config["SQLITE_BUSY_TIMEOUT"])
        elif db.engine.dialect.name == "postgresql":
            replace_dropped_connections(db.engine)
    # Registered after Flask-SQLAlchemy's, so it runs before that one's session.remove().
    app.teardown_appcontext(release_session)
