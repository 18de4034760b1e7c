"""Request checks that apply to every API route."""

from __future__ import annotations

import functools
import io
from collections.abc import Callable
from typing import IO, Any

from flask import Flask, current_app, request
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.sansio.utils import get_current_url
from werkzeug.wsgi import get_content_length

from .auth import require_token_for_reads
from .errors import BadRequest, RequestTimeout, UnsupportedMediaType

_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
_READ_SIZE = 64 * 1024


def _read_at_most(stream: IO[bytes], size: int) -> bytes:
    """Up to ``size`` bytes, fewer only if the body ends first."""
    chunks: list[bytes] = []
    remaining = size
    while remaining > 0:
        chunk = stream.read(min(remaining, _READ_SIZE))
        if not chunk:
            break
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def buffer_body() -> None:
    """Read a write's whole body first, and refuse it if it is over the limit.

    However it is framed (Content-Length or chunked), at most the limit plus one
    byte is read: one byte more is a 413. werkzeug's own stream stops quietly at
    the limit, so a longer chunked body would be cut and the rest ignored. The
    body is then handed on from memory, so nothing after this (the token check,
    the database) waits on a slow client.
    """
    if request.method not in _BODY_METHODS or request.routing_exception is not None:
        return
    environ = request.environ
    limit: int = current_app.config["MAX_CONTENT_LENGTH"]
    declared = get_content_length(environ)
    if declared is not None and declared > limit:
        raise RequestEntityTooLarge()
    if declared is None and not environ.get("wsgi.input_terminated"):
        return  # no length and a server that does not end the stream: werkzeug reads nothing
    try:
        body = _read_at_most(environ["wsgi.input"], limit + 1 if declared is None else declared)
    except TimeoutError as error:  # the server's socket timeout (gunicorn.conf.py)
        raise RequestTimeout("The request body stopped arriving before it was complete.") from error
    except Exception as error:  # the server's stream raises its own framing errors
        raise BadRequest(f"The request body could not be read: {error}") from error
    if len(body) > limit:
        raise RequestEntityTooLarge()
    if declared is not None and len(body) < declared:
        raise BadRequest(
            f"The request body ended after {len(body)} of its {declared} bytes (Content-Length)."
        )
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    environ.pop("HTTP_TRANSFER_ENCODING", None)


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


def view_method() -> Callable[..., Any] | None:
    """The method of the MethodView class that answers this request (its ``get`` for
    a HEAD, as MethodView answers one without a ``head``), where the hooks read what
    the method declares (its query schema, cache policy, rate limit); None for a view
    of another kind, or a request that matched no route."""
    view = current_app.view_functions.get(request.endpoint or "")
    return None if view is None else _method_of(view, request.method)


@functools.lru_cache(maxsize=1024)
def _method_of(view: Callable[..., Any], method: str) -> Callable[..., Any] | None:
    view_class = getattr(view, "view_class", None)
    if view_class is None:
        return None
    found = getattr(view_class, method.lower(), None)
    if found is None and method == "HEAD":
        found = getattr(view_class, "get", None)
    return found


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
    base = current_app.config["PUBLIC_BASE_URL"] or _root_url(
        request.scheme, request.host, request.root_path
    )
    return base + path


@functools.lru_cache(maxsize=64)
def _root_url(scheme: str, host: str, root_path: str) -> str:
    """``request.root_url`` without its trailing slash, built (and IRI-decoded)
    once per scheme, host and root path rather than for each page's Link header."""
    return get_current_url(scheme, host, root_path).rstrip("/")


def init_app(app: Flask) -> None:
    app.before_request(require_host)
    app.before_request(buffer_body)
    app.before_request(require_json_body)
    app.before_request(require_token_for_reads)
