"""Liveness and database readiness."""

from __future__ import annotations

import sqlite3
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from flask import current_app
from flask.views import MethodView
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from ..db import db
from ..errors import RETRY_AFTER_HEADER, RETRY_AFTER_SECONDS
from ..schemas import HealthSchema
from . import ApiBlueprint

blp = ApiBlueprint("health", __name__, description="Whether the service can answer")

# The health check answers within this, whatever the database does.
PROBE_SECONDS = 0.8
# One probe at a time per process: a probe still stuck on a dead database is not
# joined by more, and the checks that find it busy answer "unavailable" at once.
# (No thread starts before the first check, so gunicorn's fork is safe.)
_probes = ThreadPoolExecutor(max_workers=1, thread_name_prefix="health-probe")


def _probe(engine: Engine) -> None:
    with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            timeout = int(PROBE_SECONDS * 1000)
            connection.execute(text(f"SET LOCAL statement_timeout = {timeout}"))
        connection.execute(text("SELECT 1"))


def _database_answers() -> bool:
    probe = _probes.submit(_probe, db.engine)
    try:
        probe.result(timeout=PROBE_SECONDS)
    except TimeoutError:
        probe.cancel()
        current_app.logger.warning("Health check: the database did not answer in time")
        return False
    except (SQLAlchemyError, sqlite3.Error) as error:
        current_app.logger.warning("Health check: %s", str(error).splitlines()[0])
        return False
    return True


@blp.route("/health")
class Health(MethodView):
    @blp.doc(operationId="getHealth", security=[])
    @blp.response(200, HealthSchema)
    @blp.alt_response(
        503,
        schema=HealthSchema,
        headers={"Retry-After": RETRY_AFTER_HEADER},
        description="The database does not answer within a second",
    )
    def get(self) -> Any:
        """Check the service and its database (answers within a second)"""
        database = "ok" if _database_answers() else "unavailable"
        body = {
            "status": database,
            "database": database,
            "version": current_app.config["API_VERSION"],
        }
        if database == "ok":
            return body
        return body, 503, {"Retry-After": str(RETRY_AFTER_SECONDS)}
