"""Liveness and database readiness."""

from __future__ import annotations

import sqlite3
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from flask import Flask, current_app
from flask.views import MethodView
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from .. import schema_version
from ..db import db
from ..errors import DATABASE_RETRY_AFTER_SECONDS, RETRY_AFTER_HEADER
from ..schemas import HealthSchema
from . import ApiBlueprint

blp = ApiBlueprint("health", __name__, description="Whether the service can answer")

SchemaReport = dict[str, str | None]

# The health check answers within this, whatever the database does.
PROBE_SECONDS = 0.8
# One probe at a time per process: a probe still stuck on a dead database is not
# joined by more, and the checks that find it busy answer "unavailable" at once.
# (No thread starts before the first check, so gunicorn's fork is safe.)
_probes = ThreadPoolExecutor(max_workers=1, thread_name_prefix="health-probe")


def _probe(app: Flask) -> SchemaReport:
    """Everything the check asks the database: SELECT 1, then the schema revision."""
    with app.app_context():
        with db.engine.connect() as connection:
            if connection.dialect.name == "postgresql":
                timeout = int(PROBE_SECONDS * 1000)
                connection.execute(text(f"SET LOCAL statement_timeout = {timeout}"))
            connection.execute(text("SELECT 1"))
        return schema_version.report(database_answers=True)


def _schema_if_database_answers() -> SchemaReport | None:
    """The schema report, or None when the database did not answer in time."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    probe = _probes.submit(_probe, app)
    try:
        return probe.result(timeout=PROBE_SECONDS)
    except TimeoutError:
        probe.cancel()
        current_app.logger.warning("Health check: the database did not answer in time")
    except (SQLAlchemyError, sqlite3.Error) as error:
        current_app.logger.warning("Health check: %s", str(error).splitlines()[0])
    return None


@blp.route("/health")
class Health(MethodView):
    @blp.doc(operationId="getHealth", security=[])
    @blp.response(200, HealthSchema)
    @blp.alt_response(
        503,
        schema=HealthSchema,
        headers={"Retry-After": RETRY_AFTER_HEADER},
        description=(
            "The database does not answer within a second, or its schema needs 'flask db upgrade'"
        ),
    )
    def get(self) -> Any:
        """Check the service and its database (answers within a second)"""
        schema = _schema_if_database_answers()
        database = "ok" if schema is not None else "unavailable"
        if schema is None:
            schema = schema_version.report(database_answers=False)
        body = {
            "status": "ok" if schema["status"] == schema_version.CURRENT else "unavailable",
            "database": database,
            "schema": schema,
            "version": current_app.config["API_VERSION"],
        }
        if body["status"] == "ok":
            return body
        retry_after = (
            DATABASE_RETRY_AFTER_SECONDS if database != "ok" else schema_version.RETRY_AFTER_SECONDS
        )
        return body, 503, {"Retry-After": str(retry_after)}
