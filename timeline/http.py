"""Request checks that apply to every API route."""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, request

from .auth import require_token_for_reads
from .errors import BadRequest, UnsupportedMediaType

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


def require_host() -> None:
    """Absolute URLs come from the Host header unless PUBLIC_BASE_URL is set: without
    it, a request with no usable Host (werkzeug reads an invalid one as '') is a 400,
    as HTTP/1.1 asks, rather than answered with links to 'http:///'."""
    if not request.host and not current_app.config["PUBLIC_BASE_URL"]:
        raise BadRequest(
            "The request has no valid Host header.",
            problem_type="invalid-host",
        )


def public_url(path: str) -> str:
    """The absolute URL of ``path``, a path of this app (as ``request.path`` gives it):
    under PUBLIC_BASE_URL when set, else under the request's own scheme and host
    (which come from X-Forwarded-* only when TRUSTED_PROXIES says to believe them)."""
    base = current_app.config["PUBLIC_BASE_URL"] or request.root_url.rstrip("/")
    return base + path


def public_url_for(endpoint: str, **values: Any) -> str:
    """``url_for(endpoint, **values)`` as an absolute URL, like ``public_url``."""
    return public_url(current_app.url_map.bind("").build(endpoint, values))


def init_app(app: Flask) -> None:
    app.before_request(require_host)
    app.before_request(require_json_body)
    app.before_request(require_token_for_reads)
