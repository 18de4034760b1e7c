"""One error path: every 4xx and 5xx is an RFC 9457 ``application/problem+json``.

Views raise a subclass of ``ApiProblem`` (one per status); werkzeug's own HTTP
errors (unknown route, wrong method, body too large) and flask-smorest's input
validation errors pass through the same handler, a database that is down or
busy is a 503 with Retry-After, and anything unexpected becomes a bare 500 with
no traceback.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

import orjson
from flask import Flask, Response, current_app
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException, InternalServerError, RequestEntityTooLarge

from .db import is_transient_failure, release_session

PROBLEM_JSON = "application/problem+json"
PROBLEM_TYPE_BASE = "urn:timeline:problem:"

FieldErrors = dict[str, list[str]]


class ApiProblem(HTTPException):
    """An error answered as a problem document; subclasses fix the status."""

    code = 500
    problem_type = "about:blank"

    def __init__(
        self,
        detail: str,
        *,
        errors: FieldErrors | None = None,
        problem_type: str | None = None,
        headers: Mapping[str, str] | None = None,
        **extensions: Any,
    ) -> None:
        super().__init__(detail)
        self.errors = errors
        if problem_type is not None:
            self.problem_type = PROBLEM_TYPE_BASE + problem_type
        self.extra_headers = dict(headers or {})
        self.extensions = extensions


class BadRequest(ApiProblem):
    code = 400


class Unauthorized(ApiProblem):
    code = 401


class Forbidden(ApiProblem):
    code = 403


class NotFound(ApiProblem):
    code = 404


class RequestTimeout(ApiProblem):
    code = 408


class Conflict(ApiProblem):
    code = 409


class Gone(ApiProblem):
    code = 410


class PreconditionFailed(ApiProblem):
    code = 412


class UnsupportedMediaType(ApiProblem):
    code = 415


class UnprocessableEntity(ApiProblem):
    code = 422


class PreconditionRequired(ApiProblem):
    code = 428


class TooManyRequests(ApiProblem):
    code = 429


class ServiceUnavailable(ApiProblem):
    code = 503


# A database that is down or busy: how long a client should wait before retrying.
DATABASE_RETRY_AFTER_SECONDS = 5
# The OpenAPI description of the Retry-After header that every 503 carries.
RETRY_AFTER_HEADER = {
    "description": (
        "Seconds to wait before retrying: the database is down or busy, or its schema "
        "awaits 'flask db upgrade'."
    ),
    "schema": {"type": "integer", "minimum": 1},
}


def invalid_field(field: str, message: str) -> UnprocessableEntity:
    """A 422 for one bad input field, shaped like schema validation errors."""
    return invalid_input({field: [message]})


def invalid_input(errors: FieldErrors) -> UnprocessableEntity:
    """A 422 for bad input fields, shaped like schema validation errors."""
    return UnprocessableEntity(
        _validation_detail(errors), errors=errors, problem_type="invalid-input"
    )


def flatten_errors(messages: Any, prefix: str = "") -> FieldErrors:
    """marshmallow's nested messages as one map of dotted field paths to messages.

    The request location (json, query, headers) that webargs puts on top is dropped.
    """
    flat: FieldErrors = {}
    if isinstance(messages, Mapping):
        for key, value in messages.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            if not prefix and key in {"json", "query", "headers", "view_args", "form"}:
                name = ""
            flat.update(flatten_errors(value, name))
    elif isinstance(messages, list) and all(isinstance(item, str) for item in messages):
        flat.setdefault(prefix or "_schema", []).extend(messages)
    elif isinstance(messages, list):
        for item in messages:
            flat.update(flatten_errors(item, prefix))
    else:
        flat.setdefault(prefix or "_schema", []).append(str(messages))
    return flat


def _validation_detail(errors: FieldErrors) -> str:
    fields = ", ".join(sorted(errors))
    return f"The request has invalid input in: {fields}. See 'errors' for each field."


def problem_body(status: int, detail: str | None) -> dict[str, Any]:
    """The members every problem document has; ``type`` is refined by the caller."""
    return {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail or HTTPStatus(status).description,
    }


def problem_response(error: HTTPException) -> Response:
    status = error.code or 500
    body = problem_body(status, error.description)
    headers: dict[str, str] = {}
    if isinstance(error, ApiProblem):
        body["type"] = error.problem_type
        if error.errors:
            body["errors"] = error.errors
        body.update(error.extensions)
        headers.update(error.extra_headers)
    else:
        data = getattr(error, "data", None) or {}
        if "messages" in data:  # webargs / flask-smorest input validation
            errors = flatten_errors(data["messages"])
            body["type"] = PROBLEM_TYPE_BASE + "invalid-input"
            body["detail"] = _validation_detail(errors)
            body["errors"] = errors
        headers.update(data.get("headers") or {})
        # werkzeug adds Allow to 405 and similar protocol headers.
        headers.update(
            (name, value)
            for name, value in error.get_headers()
            if name.lower() not in {"content-type", "content-length"}
        )
    return Response(orjson.dumps(body), status=status, headers=headers, mimetype=PROBLEM_JSON)


def _body_too_large(error: RequestEntityTooLarge) -> Response:
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    return problem_response(
        RequestEntityTooLarge(f"The request body is larger than the limit of {limit:,} bytes.")
    )


def _database_error(error: Exception) -> Response:
    """A database that is unreachable or busy is a 503 to retry; any other
    database error is unexpected."""
    if not is_transient_failure(error):
        return _unexpected_error(error)
    # The transaction is lost either way; the next request starts afresh.
    release_session()
    current_app.logger.warning("Database unavailable: %s", str(error).splitlines()[0])
    return problem_response(
        ServiceUnavailable(
            "The database is unavailable or busy for now; retry after the time in Retry-After.",
            problem_type="database-unavailable",
            headers={"Retry-After": str(DATABASE_RETRY_AFTER_SECONDS)},
        )
    )


def _unexpected_error(error: Exception) -> Response:
    current_app.logger.exception("Unhandled error", exc_info=error)
    return problem_response(
        InternalServerError("The server failed to answer this request; it has been logged.")
    )


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, problem_response)
    app.register_error_handler(RequestEntityTooLarge, _body_too_large)
    app.register_error_handler(DBAPIError, _database_error)
    app.register_error_handler(PoolTimeout, _database_error)
    app.register_error_handler(sqlite3.Error, _database_error)
    app.register_error_handler(Exception, _unexpected_error)
