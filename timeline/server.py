"""The gunicorn worker that serves Timeline (named in gunicorn.conf.py).

It is gunicorn's gevent worker: every connection gets a greenlet and socket
reads yield, so a client that sends its request slowly holds a greenlet, not
the worker. The request head must arrive within the keep-alive time, and a
client that sends or reads nothing for ``timeout`` seconds mid-request is cut
off (the body read answers 408).
psycopg 3 (3.1.14 on) waits cooperatively once gevent has patched ``select``,
which the worker does before it loads the app.

The requests gunicorn refuses itself, before the app sees them (a request line
or headers over the limits, malformed framing), are answered here as problem
documents with the app's security headers, instead of gunicorn's HTML page.
"""

from __future__ import annotations

import contextlib
import socket
from email.utils import formatdate
from http import HTTPStatus
from typing import Any

import orjson
from gunicorn.http.errors import (
    ChunkMissingTerminator,
    ConfigurationProblem,
    ExpectationFailed,
    ForbiddenProxyRequest,
    InvalidChunkExtension,
    InvalidChunkSize,
    InvalidResponseHeader,
    InvalidResponseHeaderName,
    LimitRequestHeaders,
    LimitRequestLine,
    ParseException,
    UnsupportedTransferCoding,
)
from gunicorn.workers.base_async import AsyncWorker
from gunicorn.workers.ggevent import GeventWorker

from .caching import NO_STORE
from .errors import PROBLEM_JSON, problem_body
from .security import SECURITY_HEADERS

# gunicorn's messages quote what the client sent; a detail needs only the start.
_QUOTED = 200
_UNEXPECTED = "The server failed to answer this request; it has been logged."
# The app reads every body it uses (timeline/http.py), so gunicorn meets a broken
# chunk only while skipping a body the app left unread: after the answer was sent.
_BROKEN_UNREAD_BODY = (InvalidChunkSize, ChunkMissingTerminator, InvalidChunkExtension)


def refusal(error: BaseException, cfg: Any) -> tuple[int, str] | None:
    """The status and detail for a request gunicorn could not accept, or None
    when the fault is not the client's."""
    if not isinstance(error, ParseException) or isinstance(
        error, (InvalidResponseHeader, InvalidResponseHeaderName, ConfigurationProblem)
    ):
        return None
    if isinstance(error, LimitRequestLine):
        return 414, (
            f"The request line (method, path and query) is longer than the limit of "
            f"{cfg.limit_request_line:,} bytes."
        )
    if isinstance(error, LimitRequestHeaders):
        return 431, (
            f"The request headers are over the limits: at most {cfg.limit_request_fields} "
            f"fields, each at most {cfg.limit_request_field_size:,} bytes."
        )
    if isinstance(error, UnsupportedTransferCoding):
        return 501, f"{error}; only 'chunked' is supported."
    if isinstance(error, ExpectationFailed):
        return 417, f"{error}; only 'Expect: 100-continue' is supported."
    if isinstance(error, ForbiddenProxyRequest):
        return 403, "Requests from this address may not use the PROXY protocol."
    return 400, f"The request is malformed: {str(error)[:_QUOTED]}"


def problem_message(status: int, detail: str) -> bytes:
    """A whole HTTP/1.1 answer carrying a problem document; it closes the connection."""
    body = orjson.dumps(problem_body(status, detail))
    head = [
        f"HTTP/1.1 {status} {HTTPStatus(status).phrase}",
        f"Date: {formatdate(usegmt=True)}",
        "Connection: close",
        f"Content-Type: {PROBLEM_JSON}",
        f"Content-Length: {len(body)}",
        f"Cache-Control: {NO_STORE}",
        *(f"{name}: {value}" for name, value in SECURITY_HEADERS.items()),
    ]
    return "\r\n".join(head).encode("latin-1") + b"\r\n\r\n" + body


class ProblemGeventWorker(GeventWorker):
    def handle(self, listener: Any, client: socket.socket, addr: Any) -> None:
        # gevent's worker leaves the socket without a timeout, so a client that
        # stalls mid-body, or stops reading the answer, would keep its greenlet
        # (and buffer) forever; this replaces only that step of its handle().
        client.settimeout(self.cfg.timeout or None)
        AsyncWorker.handle(self, listener, client, addr)

    def handle_error(self, req: Any, client: socket.socket, addr: Any, exc: BaseException) -> None:
        if isinstance(exc, _BROKEN_UNREAD_BODY):
            # A second answer would be one the client never asked for: just close.
            self.log.warning("Closing after a malformed unread body from %s: %s", addr, exc)
            return
        answer = refusal(exc, self.cfg)
        if answer is None:
            self.log.exception("Error handling request", exc_info=exc)
            answer = 500, _UNEXPECTED
        else:
            self.log.warning("Invalid request from %s: %s", (addr or ("",))[0], exc)
        with contextlib.suppress(OSError):
            client.sendall(problem_message(*answer))
