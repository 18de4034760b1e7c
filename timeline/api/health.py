"""Liveness and database readiness."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask.views import MethodView
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from .. import schema_version
from ..db import db
from ..schemas import HealthSchema
from . import ApiBlueprint

blp = ApiBlueprint("health", __name__, description="Whether the service can answer")


@blp.route("/health")
class Health(MethodView):
    @blp.doc(operationId="getHealth", security=[])
    @blp.response(200, HealthSchema)
    @blp.alt_response(
        503,
        schema=HealthSchema,
        description="The database does not answer, or its schema needs 'flask db upgrade'",
    )
    def get(self) -> Any:
        """Check the service and its database"""
        try:
            db.session.execute(text("SELECT 1"))
            database = "ok"
        except SQLAlchemyError:
            current_app.logger.exception("Health check: the database does not answer")
            db.session.rollback()
            database = "unavailable"
        schema = schema_version.report(database_answers=database == "ok")
        healthy = database == "ok" and schema["status"] == schema_version.CURRENT
        body = {
            "status": "ok" if healthy else "unavailable",
            "database": database,
            "schema": schema,
            "version": current_app.config["API_VERSION"],
        }
        return body, 200 if healthy else 503
