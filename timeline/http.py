"""Request checks that apply to every API route."""

from __future__ import annotations

from flask import Flask, request

from .auth import require_token_for_reads
from .errors import UnsupportedMediaType

_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


def require_json_body() -> None:
    """A write with a body must say it is JSON; anything else is a 415."""
    if request.method not in _BODY_METHODS or request.routing_exception is not None:
        return
    # No body at all (no length, or zero, and not chunked) needs no Content-Type: the
    # schema says what is missing (a PATCH without one has nothing to change).
    no_body = not request.content_length and "Transfer-Encoding" not in request.headers
    if no_body and request.mimetype == "":
        return
    if not request.is_json:
        raise UnsupportedMediaType(
            f"The body must be JSON, sent with 'Content-Type: application/json' "
            f"(got '{request.mimetype or 'none'}').",
            headers={"Accept-Patch": "application/json"} if request.method == "PATCH" else None,
        )


def init_app(app: Flask) -> None:
    app.before_request(require_json_body)
    app.before_request(require_token_for_reads)
