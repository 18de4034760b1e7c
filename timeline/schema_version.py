"""Refuse to serve the API on a database schema that the code does not match.

The code expects the schema at the head of its migrations (computed once, from
the migration scripts). Until the database's alembic_version says so, every API
request gets a 503 telling the operator to run ``flask db upgrade`` and health
says why. Once seen at head, that is remembered, so a healthy server pays nothing
per request; a database that is behind is looked at again on every request, so
that an upgrade made while the app runs takes effect without a restart (the
check is one small query, and such a server answers nothing else anyway).
Health always reads the revision, so a database moved back under a running
server is noticed at the next health check, not never.
The CLI does not go through requests: ``flask db ...`` works on any schema, and the
app's own commands (``CheckedGroup``) refuse to run, saying what to do, until it is
at head.
"""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import click
from alembic.script import ScriptDirectory
from flask import Flask, current_app, request
from flask.cli import AppGroup
from sqlalchemy import inspect, text
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from .db import db, failure_reason, reading
from .errors import ServiceUnavailable

# Health reports the schema itself; the spec comes from the code, not the database.
_OPEN_PATHS = frozenset({"/api/v1/health", "/api/v1/openapi.json"})
RETRY_AFTER_SECONDS = 30

CURRENT = "current"
OUTDATED = "outdated"
UNKNOWN = "unknown"


@dataclass
class _SchemaState:
    expected: tuple[str, ...]
    at_head: bool = False


def _state() -> _SchemaState:
    state: _SchemaState = current_app.extensions["schema_version"]
    return state


# Alembic's default, which migrations/env.py keeps.
_VERSION_TABLE = "alembic_version"


def _current_revisions() -> tuple[str, ...]:
    """The revisions stored in the database (none before the first migration).
    A read, whatever the request: it must not queue for SQLite's write lock.

    Read as alembic's MigrationContext.get_current_heads does, but without making one,
    which logs two INFO lines each time (every health check, every command)."""
    with reading(), db.engine.connect() as connection:
        if not inspect(connection).has_table(_VERSION_TABLE):
            return ()
        revisions = connection.execute(text(f"SELECT version_num FROM {_VERSION_TABLE}"))
        return tuple(revisions.scalars())


def _joined(revisions: tuple[str, ...]) -> str | None:
    return ",".join(sorted(revisions)) or None


def _check(*, fresh: bool = False) -> tuple[str, ...] | None:
    """None when the schema is at head; otherwise the revisions the database is at.
    Without ``fresh``, a schema once seen at head is not read again."""
    state = _state()
    if state.at_head and not fresh:
        return None
    current = _current_revisions()
    state.at_head = set(current) == set(state.expected)
    return None if state.at_head else current


def refuse_outdated_schema() -> None:
    """A before-request hook: 503 for every API request until the schema is at head."""
    if not request.path.startswith("/api/") or request.path in _OPEN_PATHS:
        return
    current = _check()
    if current is None:
        return
    expected = _joined(_state().expected)
    raise ServiceUnavailable(
        f"The database schema is at revision {_joined(current) or 'none'}, but this "
        f"version of the service needs {expected}. The operator must run "
        "'flask db upgrade'; the service answers again once it has.",
        problem_type="schema-outdated",
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


def require_current_schema() -> None:
    """For a command of the app: refuse to run on a schema the code does not match,
    or when the database cannot be reached, with what to do instead of a traceback."""
    try:
        current = _check()
    except SQLAlchemyError as error:
        raise click.ClickException(
            f"The database cannot be reached: {failure_reason(error)}"
        ) from None
    if current is not None:
        raise click.ClickException(
            f"The database schema is at revision {_joined(current) or 'none'}, but this "
            f"version of Timeline needs {_joined(_state().expected)}. "
            "Run 'flask db upgrade' first."
        )


class CheckedGroup(AppGroup):
    """A group of the app's commands: each runs ``require_current_schema`` first, in
    the app context (``AppGroup`` gives every command one), and a failure of the
    database while it runs (the server gone, a lock timeout) ends it with what the
    database said rather than a traceback that lists the statement's parameters."""

    # As AppGroup.command: only the decorator-factory form, not click's bare one.
    def command(  # type: ignore[override]
        self, *args: Any, **kwargs: Any
    ) -> Callable[[Callable[..., Any]], click.Command]:
        register = super().command(*args, **kwargs)

        def decorator(command: Callable[..., Any]) -> click.Command:
            @functools.wraps(command)
            def checked(*call_args: Any, **call_kwargs: Any) -> Any:
                require_current_schema()
                try:
                    return command(*call_args, **call_kwargs)
                # SQLite's busy error comes unwrapped from the begin event (timeline.db).
                except (DBAPIError, sqlite3.Error) as error:
                    raise click.ClickException(
                        f"The database failed: {failure_reason(error)}."
                    ) from None

            return register(checked)

        return decorator


def report(database_answers: bool) -> dict[str, str | None]:
    """The schema's part of the health check."""
    expected = _joined(_state().expected)
    if not database_answers:
        return {"status": UNKNOWN, "revision": None, "expected": expected}
    try:
        current = _check(fresh=True)
    except SQLAlchemyError:
        current_app.logger.exception("Health check: the schema revision cannot be read")
        return {"status": UNKNOWN, "revision": None, "expected": expected}
    if current is None:
        return {"status": CURRENT, "revision": expected, "expected": expected}
    return {"status": OUTDATED, "revision": _joined(current), "expected": expected}


def init_app(app: Flask) -> None:
    """Register before any hook that reads the database (auth reads tokens)."""
    script = ScriptDirectory(app.extensions["migrate"].directory)
    app.extensions["schema_version"] = _SchemaState(expected=tuple(script.get_heads()))
    app.before_request(refuse_outdated_schema)
