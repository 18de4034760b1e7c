"""What every write shares: one transaction, preconditions and idempotent creates.

A write view never commits itself. ``write_operation`` commits once the
response is built, or rolls everything back, so a failed request leaves
nothing half-written. With ``Idempotency-Key`` a create's response is stored in
the same transaction as what it created, and a retry gets that response back.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
from collections.abc import Callable
from typing import Any, TypeVar, cast

from flask import Response, current_app, g, request
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from .apidoc import document
from .auth import authenticate
from .db import db
from .errors import (
    BadRequest,
    Conflict,
    PreconditionFailed,
    PreconditionRequired,
    UnprocessableEntity,
)
from .models import Event, IdempotencyRecord, utcnow

F = TypeVar("F", bound=Callable[..., Any])

IDEMPOTENCY_HEADER = "Idempotency-Key"
MAX_IDEMPOTENCY_KEY = 200


def etag_of(event: Event) -> str:
    """A strong ETag (unquoted) that changes with every change to the event."""
    return f"{event.id}.v{event.version}"


def check_if_match(event: Event) -> None:
    """428 without If-Match, 412 (with the current ETag) when it is stale."""
    g.precondition_event = event.id
    current = etag_of(event)
    if "If-Match" not in request.headers:
        raise PreconditionRequired(
            "This change needs 'If-Match' with the event's ETag (from GET of the event), "
            "so that it cannot overwrite a change you have not seen.",
            problem_type="if-match-required",
        )
    if not request.if_match.contains(current) and not request.if_match.star_tag:
        raise _stale(current)


def _stale(current: str) -> PreconditionFailed:
    return PreconditionFailed(
        "The event has changed since you read it. GET it again, check the changes, "
        "and retry with its new ETag.",
        headers={"ETag": f'"{current}"'},
        problem_type="stale-etag",
        current_etag=f'"{current}"',
    )


def write_operation(*, idempotent: bool = False) -> Callable[[F], F]:
    """Run a write view in one transaction; for creates, honour Idempotency-Key."""

    def decorator(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            key = request.headers.get(IDEMPOTENCY_HEADER) if idempotent else None
            if key is not None:
                replay = _replay_or_reserve(key)
                if replay is not None:
                    return replay
            try:
                response = view(*args, **kwargs)
                if key is not None:
                    _store_response(key, response)
                db.session.commit()
            except StaleDataError:
                db.session.rollback()
                raise _stale(_current_etag()) from None
            except IntegrityError:
                db.session.rollback()
                raise Conflict(
                    "The change conflicts with data stored meanwhile; read it again and retry.",
                    problem_type="conflict",
                ) from None
            return response

        # Any write can meet data stored meanwhile (an IntegrityError): a 409.
        if not idempotent:
            return document(responses={"409": "CONFLICT"})(cast(F, wrapper))
        return document(
            responses={"409": "CONFLICT", "422": "UNPROCESSABLE_ENTITY"},
            parameters=[
                {
                    "name": IDEMPOTENCY_HEADER,
                    "in": "header",
                    "required": False,
                    "description": (
                        "Makes a retried create safe: a retry with the same key and "
                        "body returns the first response and creates nothing; the "
                        "same key with another body is a 422. Keys are kept 24 hours, "
                        "per token."
                    ),
                    "schema": {"type": "string", "minLength": 1, "maxLength": 200},
                }
            ],
        )(cast(F, wrapper))

    return decorator


def _current_etag() -> str:
    event = db.session.scalar(select(Event).where(Event.id == g.get("precondition_event")))
    return etag_of(event) if event is not None else "gone"


def _request_fingerprint() -> str:
    digest = hashlib.sha256(f"{request.method} {request.path}\n".encode())
    digest.update(request.get_data())
    return digest.hexdigest()


def _replay_or_reserve(key: str) -> Response | None:
    """The stored response for this key, or None once the key is reserved for us."""
    if not 1 <= len(key) <= MAX_IDEMPOTENCY_KEY:
        raise BadRequest(
            f"{IDEMPOTENCY_HEADER} must be 1 to {MAX_IDEMPOTENCY_KEY} characters.",
            errors={IDEMPOTENCY_HEADER: ["Not a valid key."]},
        )
    owner = authenticate().name
    fingerprint = _request_fingerprint()
    ttl = dt.timedelta(hours=current_app.config["IDEMPOTENCY_KEY_TTL_HOURS"])
    db.session.execute(
        delete(IdempotencyRecord).where(
            IdempotencyRecord.token_name == owner, IdempotencyRecord.created_at < utcnow() - ttl
        )
    )
    record = db.session.get(IdempotencyRecord, (owner, key))
    if record is None:
        db.session.add(
            IdempotencyRecord(
                token_name=owner, key=key, request_hash=fingerprint, status=0, body=""
            )
        )
        try:
            # On PostgreSQL a concurrent request with the same key waits here
            # until ours commits or rolls back.
            db.session.flush()
            return None
        except IntegrityError:
            db.session.rollback()
            record = db.session.get(IdempotencyRecord, (owner, key))
            if record is None:  # the other request failed and rolled back: start over
                return _replay_or_reserve(key)
    if record.request_hash != fingerprint:
        raise UnprocessableEntity(
            f"The {IDEMPOTENCY_HEADER} '{key}' was used for a different request; "
            "use a new key for a new request.",
            errors={IDEMPOTENCY_HEADER: ["Already used with another body."]},
            problem_type="idempotency-key-reused",
        )
    if record.status == 0:
        raise Conflict(
            f"A request with {IDEMPOTENCY_HEADER} '{key}' is still being processed; "
            "retry in a moment.",
            problem_type="idempotency-key-in-progress",
        )
    headers = {"Idempotent-Replayed": "true"}
    if record.location:
        headers["Location"] = record.location
    return Response(record.body, status=record.status, headers=headers, mimetype="application/json")


def _store_response(key: str, response: Response) -> None:
    record = db.session.get(IdempotencyRecord, (g.token.name, key))
    assert record is not None
    record.status = response.status_code
    record.body = response.get_data(as_text=True)
    record.location = response.headers.get("Location")
