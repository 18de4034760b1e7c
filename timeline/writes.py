"""What every write shares: one transaction, preconditions and idempotent creates.

A write view never commits itself. ``write_operation`` commits once the
response is built (counting the write against its token, for read replicas),
or rolls everything back, so a failed request leaves nothing half-written; a
transaction that PostgreSQL aborts to break a deadlock is run again. With
``Idempotency-Key`` a create's response is stored in the same transaction as
what it created, and a retry gets that response back.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
from collections.abc import Callable
from typing import Any, TypeVar, cast

from flask import Response, current_app, g, request
from sqlalchemy import delete, select
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from . import json_body
from .apidoc import document
from .auth import authenticate, current_actor
from .changes import acting_as
from .db import db, delete_rows
from .errors import (
    BadRequest,
    Conflict,
    PreconditionFailed,
    PreconditionRequired,
    UnprocessableEntity,
)
from .limits import WRITES, rate_limited
from .models import Event, IdempotencyRecord, Source, utcnow
from .replica import count_write

F = TypeVar("F", bound=Callable[..., Any])

IDEMPOTENCY_HEADER = "Idempotency-Key"
IDEMPOTENCY_REPLAYED_HEADER = "Idempotent-Replayed"
# A write that PostgreSQL aborted to break a deadlock (40P01) or for a
# serialization failure (40001) is run again, this many times in all.
MAX_ATTEMPTS = 3
RETRYABLE_SQLSTATES = frozenset({"40001", "40P01"})
MAX_IDEMPOTENCY_KEY = 200


Versioned = Event | Source


def version_etag(resource_id: str, version: int) -> str:
    """The strong ETag (unquoted) of one version of an event or source."""
    return f"{resource_id}.v{version}"


def etag_of(resource: Versioned) -> str:
    """A strong ETag (unquoted) that changes with every change to the event or source.

    The session is flushed first: ``timeline.changes`` gives a changed resource
    its new version when the session flushes.
    """
    if resource in db.session.dirty or resource in db.session.new:
        db.session.flush()
    return version_etag(resource.id, resource.version)


def _noun(resource: Versioned | type[Versioned]) -> str:
    kind = resource if isinstance(resource, type) else type(resource)
    return kind.__name__.lower()


def check_if_match(resource: Versioned) -> None:
    """428 unless If-Match names an ETag, 412 (with the current ETag) when it is stale.

    ``If-Match: *`` (any version) and an empty If-Match name none, so they are a 428
    like a missing one: they would let a change overwrite one the client has not seen.
    """
    g.precondition = (type(resource), resource.id)
    current = etag_of(resource)
    if request.if_match.star_tag or not request.if_match:
        noun = _noun(resource)
        given = "If-Match" in request.headers
        raise PreconditionRequired(
            (
                "'If-Match: *' or an empty If-Match does not say which version you read; "
                f"send the {noun}'s ETag (from GET of the {noun})"
                if given
                else f"This change needs 'If-Match' with the {noun}'s ETag (from GET of the {noun})"
            )
            + ", so that it cannot overwrite a change you have not seen.",
            problem_type="if-match-required",
        )
    if not request.if_match.contains(current):
        raise _stale(_noun(resource), current)


def _stale(noun: str, current: str) -> PreconditionFailed:
    return PreconditionFailed(
        f"The {noun} has changed since you read it. GET it again, check the changes, "
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
            attempt = 1
            while True:
                try:
                    return _run_once(view, idempotent, *args, **kwargs)
                except DBAPIError as error:
                    db.session.rollback()
                    if attempt == MAX_ATTEMPTS or not _worth_retrying(error):
                        raise
                    attempt += 1

        # Any write can meet data stored meanwhile (an IntegrityError): a 409.
        limited = rate_limited(WRITES)(cast(F, wrapper))
        if not idempotent:
            return document(responses={"409": "CONFLICT"})(limited)
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
        )(limited)

    return decorator


def _run_once(view: Callable[..., Any], idempotent: bool, *args: Any, **kwargs: Any) -> Any:
    """The view in one transaction, committed once its response is built."""
    key = request.headers.get(IDEMPOTENCY_HEADER) if idempotent else None
    if key is not None:
        replay = _replay_or_reserve(key)
        if replay is not None:
            return replay
    try:
        with acting_as(current_actor()):
            response = view(*args, **kwargs)
            if key is not None:
                _store_response(key, response)
            count_write()  # late: the token's row stays locked only until the commit
            db.session.commit()
    except StaleDataError:
        db.session.rollback()
        raise _stale_now() from None
    except IntegrityError:
        db.session.rollback()
        raise Conflict(
            "The change conflicts with data stored meanwhile; read it again and retry.",
            problem_type="conflict",
        ) from None
    return response


def _worth_retrying(error: DBAPIError) -> bool:
    """PostgreSQL gave up on the transaction to break a deadlock or keep it
    serializable: run it again from the start, which then succeeds or fails on its own."""
    return getattr(error.orig, "sqlstate", None) in RETRYABLE_SQLSTATES


def _stale_now() -> PreconditionFailed:
    """412 for a resource that a concurrent request changed after our If-Match check."""
    model, resource_id = g.precondition
    resource = db.session.scalar(select(model).where(model.id == resource_id))
    return _stale(_noun(model), etag_of(resource) if resource is not None else "gone")


def _request_fingerprint() -> str:
    """The request as a retry must repeat it: the same JSON value, in any key order or spacing."""
    digest = hashlib.sha256(f"{request.method} {request.path}\n".encode())
    digest.update(json_body.canonical(request.get_data(cache=True)))
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
    purge_expired_keys(owner)
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
    headers = {IDEMPOTENCY_REPLAYED_HEADER: "true"}
    if record.location:
        headers["Location"] = record.location
    return Response(record.body, status=record.status, headers=headers, mimetype="application/json")


def purge_expired_keys(token_name: str | None = None) -> int:
    """Delete the Idempotency-Key records older than the TTL, of one token or of all;
    the number deleted. The caller commits."""
    ttl = dt.timedelta(hours=current_app.config["IDEMPOTENCY_KEY_TTL_HOURS"])
    expired = delete(IdempotencyRecord).where(IdempotencyRecord.created_at < utcnow() - ttl)
    if token_name is not None:
        expired = expired.where(IdempotencyRecord.token_name == token_name)
    return delete_rows(expired)


def _store_response(key: str, response: Response) -> None:
    record = db.session.get(IdempotencyRecord, (g.token.name, key))
    assert record is not None
    record.status = response.status_code
    record.body = response.get_data(as_text=True)
    record.location = response.headers.get("Location")
