"""HTTP caching: each read declares a cache policy, and one hook applies it.

A read says how it may be cached with ``cached(PUBLIC)`` or ``cached(PRIVATE)``
on its view method; the hook then gives every answer under /api/ its headers:

- ``PUBLIC``, a read that needs no role: an ETag (the view's own, or a hash of the
  body) and a 304 with no body when If-None-Match names it; ``Cache-Control:
  public, no-cache`` (a cache keeps it and asks again before each use), or
  ``public, max-age=N, must-revalidate`` with CACHE_MAX_AGE=N. When reads need a
  token (READS_REQUIRE_TOKEN) it is ``private`` instead, with ``Vary:
  Authorization``. A streamed export has no ETag (its body is never whole in
  memory), only the Cache-Control.
- ``PRIVATE``, a read for a role (the review queue): ``private, no-store``.
- anything else (writes, the health check) and every 4xx or 5xx answer: ``no-store``.

ETags are strong: an event's or a source's names its stored version
(``writes.etag_of``), which a view reads before loading it (``not_modified``); a
read of timelines (a page, a summary, the pair list, a search) names the sync
feed's last position for what it shows (``conditional``), also read first; any
other read's is a hash of its exact body. If-None-Match is compared weakly
(RFC 9110 13.1.2), so the ``W/"..."`` that a compressing proxy makes of an ETag
still gets a 304.

Each process also keeps the last answer of each timeline read by URL
(``ResponseCache``): a URL asked again reads the position, as for a 304, and
gets the kept answer while its ETag is the one it was served under, before its
view runs (``answer_from_kept``). On SQLite it need not even read the position
while the database's change count shows no commit since (``change_counts``).
"""

from __future__ import annotations

import functools
import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import StrEnum
from importlib import metadata
from typing import Any, TypeVar

from flask import Flask, Response, current_app, request
from flask_smorest import Blueprint
from werkzeug.http import http_date

from .change_counts import Count, SqliteDataVersion, change_count
from .domain.countries import CountryPair
from .feed import last_position, position_read
from .http import view_method
from .models import Event, Source
from .read_model import Page, PositionRead
from .services import stored_etag

F = TypeVar("F", bound=Callable[..., Any])


class CachePolicy(StrEnum):
    PUBLIC = "public"
    PRIVATE = "private"


PUBLIC = CachePolicy.PUBLIC
PRIVATE = CachePolicy.PRIVATE
NO_STORE = "no-store"

_STRING = {"type": "string"}
# The headers of cached reads, as openapi.yaml's components/headers document them
# (timeline/openapi.py registers them).
HEADER_COMPONENTS: dict[str, dict[str, Any]] = {
    "ETag": {
        "description": (
            "This representation's ETag (strong); send it in If-None-Match to get a 304 "
            "while it is unchanged"
        ),
        "schema": _STRING,
    },
    "PublicCacheControl": {
        "description": (
            "`public, no-cache`: a cache may keep the answer but asks again (If-None-Match) "
            "before each use. With the setting CACHE_MAX_AGE=N, `public, max-age=N, "
            "must-revalidate`. `private` instead of `public` when reads need a token "
            "(READS_REQUIRE_TOKEN)"
        ),
        "schema": {**_STRING, "example": "public, no-cache"},
    },
    "PrivateCacheControl": {
        "description": "`private, no-store`: an answer for one token, kept by no cache",
        "schema": {**_STRING, "example": "private, no-store"},
    },
    "NoStoreCacheControl": {
        "description": "`no-store`: an error, a write's answer or the health check is never cached",
        "schema": {**_STRING, "example": NO_STORE},
    },
    "Vary": {
        "description": (
            "`Authorization` when the answer depends on the token (a read that needs a "
            "role, or every read when READS_REQUIRE_TOKEN is set); `Origin` when "
            "CORS_ORIGINS lists origins"
        ),
        "schema": _STRING,
    },
}


def header_refs(**headers: str) -> dict[str, dict[str, str]]:
    """Response headers documented by the components above: header name -> component."""
    return {name: {"$ref": f"#/components/headers/{ref}"} for name, ref in headers.items()}


def cached(policy: CachePolicy, *, etag: bool = True) -> Callable[[F], F]:
    """Declare how a read's answers may be cached, and document their headers
    (``etag=False`` for a streamed answer, which has none)."""
    if policy is PRIVATE:
        headers = header_refs(**{"Cache-Control": "PrivateCacheControl", "Vary": "Vary"})
    else:
        headers = header_refs(**{"Cache-Control": "PublicCacheControl", "Vary": "Vary"})
        if etag:
            headers.update(header_refs(ETag="ETag"))

    def decorator(view: F) -> F:
        # An int key, as flask-smorest's own response docs use, so that the two merge.
        documented: F = Blueprint.doc(responses={200: {"headers": headers}})(view)
        documented.cache_policy = policy  # type: ignore[attr-defined]
        return documented

    return decorator


def not_modified(model: type[Event] | type[Source], resource_id: str) -> Response | None:
    """A 304 when If-None-Match names the stored version of this event or source,
    found with one small query before anything is loaded or rendered; else None."""
    if not request.if_none_match:
        return None
    return _not_modified(stored_etag(model, resource_id))


def _not_modified(etag: str | None) -> Response | None:
    if etag is None or not request.if_none_match.contains_weak(etag):
        return None
    return Response(status=304, headers={"ETag": f'"{etag}"'})


# What else than the stored events a timeline read's body depends on: the code
# that renders it and the country names it shows.
_RENDERING = f"{metadata.version('timeline')}/{metadata.version('pycountry')}"


def feed_etag(url: str, pair: str | None) -> str:
    """The ETag of a read that shows only events (a timeline page, its summary, the
    pair list, a search): a hash of the request's URL (``_request_key``), the code
    that renders it, and the sync feed's last position that changed the timeline of
    the pair with this id (any timeline without a pair). Every change to an event takes a position
    (``feed``), so the ETag changes whenever the answer can. The position is read
    before the data it validates, so an answer is never older than its ETag says."""
    return _etag_at(url, last_position(pair))


def _request_key() -> str:
    """What, beside the feed's position, a timeline read's answer depends on: the URL
    as the client sent it (request.url would decode and re-encode it), with the
    scheme and host, as Link headers and the page's links name them."""
    environ = request.environ
    return (
        f"{request.scheme}://{request.host}{environ.get('SCRIPT_NAME', '')}"
        f"{environ.get('PATH_INFO', '')}?{environ.get('QUERY_STRING', '')}"
    )


def _etag_at(url: str, position: int) -> str:
    key = f"{url}\n{_RENDERING}\n{position}"
    return hashlib.blake2b(key.encode(), digest_size=16).hexdigest()


@dataclass(frozen=True, slots=True)
class _Kept:
    etag: str
    body: bytes
    headers: list[tuple[str, str]]
    until: float
    # The pair whose feed position the ETag names (None: any timeline's).
    pair: str | None
    # The change count read before the answer was last found current, if any.
    changes: Count | None

    def response(self) -> Response:
        return Response(self.body, headers=self.headers)


class ResponseCache:
    """The last answer of each timeline read (a page, a summary, the pair list, a
    search) by URL, with the ETag it was served under: a read whose ETag is still
    that one is answered from here, without reading or rendering its rows again
    (``answer_from_kept``).

    The ETag names the sync feed's position for what the read shows, so it changes
    whenever the answer can (``feed_etag``). An entry is also dropped after
    RESPONSE_CACHE_SECONDS, which bounds how long a change that takes no feed
    position (``flask read-model rebuild``) can go unseen. Bounded in bytes (the
    least recently used go first); one per server process.
    """

    def __init__(
        self, max_bytes: int, seconds: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.max_bytes = max_bytes
        self.seconds = seconds
        self.clock = clock
        self._entries: OrderedDict[str, _Kept] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, url: str) -> _Kept | None:
        """The answer kept for the URL, unless it has expired."""
        with self._lock:
            kept = self._entries.get(url)
            if kept is None or kept.until < self.clock():
                return None
            self._entries.move_to_end(url)
        return kept

    def confirm(self, url: str, kept: _Kept, changes: Count | None) -> None:
        """Note that ``kept`` was found current after the change count ``changes``."""
        with self._lock:
            if self._entries.get(url) is kept:
                self._entries[url] = replace(kept, changes=changes)

    def put(
        self,
        url: str,
        etag: str,
        response: Response,
        pair: str | None = None,
        changes: Count | None = None,
    ) -> None:
        if response.status_code != 200 or response.is_streamed:
            return
        body = response.get_data()
        # One answer may take an eighth of the room at most: a few huge ones would
        # otherwise push out all the others.
        if len(body) > self.max_bytes // 8:
            return
        until = self.clock() + self.seconds
        kept = _Kept(etag, body, list(response.headers), until, pair, changes)
        with self._lock:
            self._drop(url)
            self._entries[url] = kept
            self._bytes += len(body)
            while self._bytes > self.max_bytes:
                self._drop(next(iter(self._entries)))

    def drop(self, url: str) -> None:
        with self._lock:
            self._drop(url)

    def _drop(self, url: str) -> None:
        kept = self._entries.pop(url, None)
        if kept is not None:
            self._bytes -= len(kept.body)


def _response_cache() -> ResponseCache | None:
    cache: ResponseCache | None = current_app.extensions.get("response_cache")
    return cache


def _changes() -> Count | None:
    """The database's change count now, where it has one (``change_counts``)."""
    count: SqliteDataVersion | None = current_app.extensions.get("change_count")
    return count.read() if count is not None else None


def answer_from_kept() -> Response | None:
    """The answer kept for a timeline read's URL while its ETag holds, before the
    view runs: the feed position read (not even that while the database's change
    count is the one read when the answer was last found current), no parameter
    parsed, no row read or rendered. A 304 when If-None-Match names the ETag. An
    answer no longer current is dropped, and the view reads afresh.

    Registered as the app's last before-request hook, so every check of the
    request (its host, its token, the rate limits, the schema) has passed."""
    cache = _response_cache()
    if cache is None or request.method not in ("GET", "HEAD"):
        return None
    url = _request_key()
    kept = cache.get(url)
    if kept is None:
        return None
    changes = _changes()  # before the position, which the answer is current as of
    if changes is None or changes != kept.changes:
        if feed_etag(url, kept.pair) != kept.etag:
            cache.drop(url)
            return None
        cache.confirm(url, kept, changes)
    if request.if_none_match and (unchanged := _not_modified(kept.etag)) is not None:
        return unchanged
    return kept.response()


def _served(
    url: str, etag: str, pair: str | None, response: Response, changes: Count | None
) -> Response:
    """A read's answer with its ETag, kept for its URL as current at ``changes``."""
    response.set_etag(etag)
    cache = _response_cache()
    if cache is not None:
        cache.put(url, etag, response, pair, changes)
    return response


def conditional(pair: CountryPair | None, read: Callable[[], Response]) -> Response:
    """A read validated by ``feed_etag``: a 304 when If-None-Match names it, from one
    index seek and nothing else; else ``read()``'s answer with that ETag, kept for
    its URL (``ResponseCache``)."""
    pair_id = pair.id if pair is not None else None
    url = _request_key()
    changes = _changes()
    etag = feed_etag(url, pair_id)
    if request.if_none_match and (unchanged := _not_modified(etag)) is not None:
        return unchanged
    return _served(url, etag, pair_id, read(), changes)


def conditional_page(
    pair: CountryPair | None,
    page: Callable[[PositionRead | None], Page],
    respond: Callable[[Page], Response],
) -> Response:
    """``conditional`` for a page of a timeline or a search (``read_model.keyset_page``).
    A request that has no use for the position before the page (no If-None-Match)
    has the page read it with its rows: one statement instead of two."""
    if request.if_none_match:
        return conditional(pair, lambda: respond(page(None)))
    pair_id = pair.id if pair is not None else None
    url = _request_key()
    changes = _changes()
    found = page(position_read(pair_id))
    assert found.position is not None
    return _served(url, _etag_at(url, found.position), pair_id, respond(found), changes)


def public_cache_control(config: dict[str, Any]) -> str:
    scope = "private" if config["READS_REQUIRE_TOKEN"] else "public"
    max_age = config["CACHE_MAX_AGE"]
    return f"{scope}, max-age={max_age}, must-revalidate" if max_age else f"{scope}, no-cache"


def _declared_policy() -> CachePolicy | None:
    return getattr(view_method(), "cache_policy", None)


@functools.lru_cache(maxsize=2)
def _http_date(second: int) -> str:
    """The Date header for a second since the epoch, formatted once per second."""
    return http_date(second)


# Request headers that can make a GET's answer a 304, 412 or 206 (make_conditional).
_CONDITIONAL_HEADERS = frozenset(
    {
        "HTTP_IF_NONE_MATCH",
        "HTTP_IF_MODIFIED_SINCE",
        "HTTP_IF_MATCH",
        "HTTP_IF_UNMODIFIED_SINCE",
        "HTTP_RANGE",
    }
)


def apply_cache_policy(response: Response) -> Response:
    if not request.path.startswith("/api/") or request.method == "OPTIONS":
        return response
    policy = _declared_policy() if response.status_code < 400 else None
    config = current_app.config
    if policy is PUBLIC:
        if response.status_code == 200 and not response.is_streamed:
            response.add_etag()  # unless the view gave its own
            if "Date" not in response.headers:  # make_conditional would format it anew
                response.headers["Date"] = _http_date(int(time.time()))
            if not _CONDITIONAL_HEADERS.isdisjoint(request.environ):
                response.make_conditional(request)
        response.headers["Cache-Control"] = public_cache_control(config)
        if config["READS_REQUIRE_TOKEN"]:
            response.vary.add("Authorization")
    elif policy is PRIVATE:
        response.headers["Cache-Control"] = f"private, {NO_STORE}"
        response.vary.add("Authorization")
    else:
        response.headers["Cache-Control"] = NO_STORE
    return response


def init_app(app: Flask) -> None:
    """Call after every extension with a before-request hook: ``answer_from_kept``
    must come last."""
    if app.config["RESPONSE_CACHE_BYTES"]:
        app.extensions["response_cache"] = ResponseCache(
            app.config["RESPONSE_CACHE_BYTES"], app.config["RESPONSE_CACHE_SECONDS"]
        )
        app.extensions["change_count"] = change_count(app)
        app.before_request(answer_from_kept)
    app.after_request(apply_cache_policy)
