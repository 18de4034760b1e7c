"""The SQLAlchemy extension and the engine settings each database needs."""

from __future__ import annotations

from typing import Any, cast

from flask import has_request_context, request
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import Delete, event
from sqlalchemy.engine import CursorResult, Engine

from .models import Base

db = SQLAlchemy(model_class=Base)

_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def delete_rows(statement: Delete) -> int:
    """Run a DELETE in the session's transaction; the number of rows it removed."""
    return cast(CursorResult[Any], db.session.execute(statement)).rowcount


def _is_write_request() -> bool:
    return has_request_context() and request.method not in _READ_METHODS


def configure_sqlite(engine: Engine) -> None:
    """Make SQLite safe for several workers: WAL, a busy timeout, foreign keys,
    and write transactions that take the write lock when they begin, so that two
    writers queue instead of failing halfway (pysqlite's own BEGIN comes too late).
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=15000")
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
