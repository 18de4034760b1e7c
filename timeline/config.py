"""Settings, read from the environment so that one variable switches a deployment."""

from __future__ import annotations

import os
from importlib.metadata import version
from string import Formatter
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError


def _flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def public_base_url(value: str | None) -> str | None:
    """PUBLIC_BASE_URL without its final '/', checked: an http(s) URL with a host and
    no query or fragment (a path is allowed, for an API served under one)."""
    if not value or not value.strip():
        return None
    url = value.strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname or parts.query or parts.fragment:
        raise ValueError(
            f"PUBLIC_BASE_URL must be an http or https URL such as https://timeline.example.org, "
            f"with no query or fragment (got {value!r})."
        )
    return url


def claimreview_url_template(value: str | None) -> str | None:
    """CLAIMREVIEW_URL_TEMPLATE, checked: the http(s) URL of the publisher's fact-check
    page of an event, with ``{id}`` (the event id) as its one and only placeholder."""
    if not value or not value.strip():
        return None
    template = value.strip()
    try:
        fields = [field for field in Formatter().parse(template) if field[1] is not None]
    except ValueError:  # a lone "{" or "}"
        fields = []
    url = urlsplit(template.replace("{id}", "id"))
    if (
        not fields
        or any(field[1:] != ("id", "", None) for field in fields)
        or url.scheme not in {"http", "https"}
        or not url.hostname
    ):
        raise ValueError(
            "CLAIMREVIEW_URL_TEMPLATE must be an http or https URL with {id} (the event id) "
            "as its only placeholder, such as https://factcheck.example.org/claims/{id} "
            f"(got {value!r})."
        )
    return template


def cors_origins(value: str | None) -> str | list[str]:
    """CORS_ORIGINS: '*' (any origin: the API uses bearer tokens, never cookies), or a
    comma-separated list of origins such as https://dash.example.org, each a scheme
    and host with an optional port, compared without regard to case."""
    if value is None or value.strip() in {"", "*"}:
        return "*"
    origins = [origin.strip().rstrip("/") for origin in value.split(",") if origin.strip()]
    for origin in origins:
        parts = urlsplit(origin)
        if (
            parts.scheme not in {"http", "https"}
            or not parts.hostname
            or parts.path
            or parts.query
            or parts.fragment
            or "*" in origin
        ):
            raise ValueError(
                "CORS_ORIGINS must be '*' or origins separated by commas, such as "
                f"https://dash.example.org,http://localhost:3000 (got {origin!r})."
            )
    return origins


def database_read_url(value: str | None, primary_url: str) -> str | None:
    """DATABASE_READ_URL, checked: a PostgreSQL URL with a database name, given only
    when DATABASE_URL is PostgreSQL too (a replica of the system of record)."""
    if not value or not value.strip():
        return None
    example = "postgresql+psycopg://timeline@replica.example.org:5432/timeline"
    try:
        url = make_url(value.strip())
    except ArgumentError:
        url = None
    if url is None or url.get_backend_name() != "postgresql" or not url.database:
        raise ValueError(
            f"DATABASE_READ_URL must be a PostgreSQL URL with a database name, such as "
            f"{example} (got {_without_password(value)!r})."
        )
    if make_url(primary_url).get_backend_name() != "postgresql":
        raise ValueError(
            "DATABASE_READ_URL (a read replica) needs DATABASE_URL to be PostgreSQL too; "
            "unset DATABASE_READ_URL to serve everything from one database."
        )
    return value.strip()


def _without_password(value: str) -> str:
    """A database URL as it may be shown in an error: without its password."""
    try:
        return make_url(value.strip()).render_as_string(hide_password=True)
    except ArgumentError:
        return value.split("@")[-1] if "@" in value else value


def _whole_number(name: str, default: int = 0, minimum: int = 0) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    if not value.isdigit() or int(value) < minimum:
        raise ValueError(f"{name} must be a whole number of at least {minimum} (got {value!r}).")
    return int(value)


def settings(instance_path: str) -> dict[str, Any]:
    """The configuration of an app whose instance folder is ``instance_path``."""
    default_database = "sqlite:///" + os.path.join(instance_path, "timeline.db")
    return {
        "SQLALCHEMY_DATABASE_URI": os.environ.get("DATABASE_URL", default_database),
        # Bounds on waiting for the database (connecting in seconds, the others in
        # milliseconds): well inside gunicorn's 30 s worker timeout, so that a request
        # ends as a 503 the client can retry, not as a killed worker (timeline/db.py).
        "DATABASE_CONNECT_TIMEOUT": _whole_number("DATABASE_CONNECT_TIMEOUT", 3, minimum=1),
        "DATABASE_LOCK_TIMEOUT": _whole_number("DATABASE_LOCK_TIMEOUT", 3000, minimum=1),
        "DATABASE_STATEMENT_TIMEOUT": _whole_number("DATABASE_STATEMENT_TIMEOUT", 10000, minimum=1),
        "SQLITE_BUSY_TIMEOUT": _whole_number("SQLITE_BUSY_TIMEOUT", 5000, minimum=1),
        # PostgreSQL connections each worker process keeps open (the pool), and how many
        # more it may open at busy times; a request that finds all of them in use waits
        # up to DATABASE_CONNECT_TIMEOUT, then is a 503. A server's total is workers x
        # (size + overflow), which every host's total must keep under max_connections.
        "DATABASE_POOL_SIZE": _whole_number("DATABASE_POOL_SIZE", 5, minimum=1),
        "DATABASE_MAX_OVERFLOW": _whole_number("DATABASE_MAX_OVERFLOW", 10),
        # A PostgreSQL read replica (timeline/replica.py): GET and HEAD requests read
        # there, except a client's reads until the replica has its last write, which
        # read the primary (DATABASE_URL) like every write. Unset: one database.
        "DATABASE_READ_URL": os.environ.get("DATABASE_READ_URL"),
        # The replica's own pool, per worker process; unset, the primary's sizes.
        "DATABASE_READ_POOL_SIZE": _whole_number(
            "DATABASE_READ_POOL_SIZE", _whole_number("DATABASE_POOL_SIZE", 5, minimum=1), minimum=1
        ),
        "DATABASE_READ_MAX_OVERFLOW": _whole_number(
            "DATABASE_READ_MAX_OVERFLOW", _whole_number("DATABASE_MAX_OVERFLOW", 10)
        ),
        # When the replica does not answer, a worker reads the primary for this many
        # seconds before it tries the replica again.
        "DATABASE_READ_RETRY_SECONDS": _whole_number("DATABASE_READ_RETRY_SECONDS", 5, minimum=1),
        # Reads are public unless the operator turns that off.
        "READS_REQUIRE_TOKEN": _flag("READS_REQUIRE_TOKEN"),
        # Four eyes: a reviewer may not review their own event unless this is set.
        "ALLOW_SELF_REVIEW": _flag("ALLOW_SELF_REVIEW"),
        "CORS_ORIGINS": cors_origins(os.environ.get("CORS_ORIGINS")),
        # How long a browser may reuse a CORS preflight answer (Chromium caps it at 7200).
        "CORS_MAX_AGE": _whole_number("CORS_MAX_AGE", 600),
        # How long a cache (a browser, a CDN) may reuse a public read without asking
        # again. 0: it revalidates every time, and gets a bodiless 304 while unchanged.
        "CACHE_MAX_AGE": _whole_number("CACHE_MAX_AGE", 0),
        # Each server process keeps the last answer of timeline reads it served, by URL,
        # up to this many bytes (0: none), and answers from it while the feed position
        # the answer's ETag names is still the last (timeline/caching.py); an answer
        # is read afresh after RESPONSE_CACHE_SECONDS in any case.
        "RESPONSE_CACHE_BYTES": _whole_number("RESPONSE_CACHE_BYTES", 32 * 1024 * 1024),
        "RESPONSE_CACHE_SECONDS": _whole_number("RESPONSE_CACHE_SECONDS", 60, minimum=1),
        # Named as the author of published ClaimReviews.
        "PUBLISHER_NAME": os.environ.get("PUBLISHER_NAME", "Timeline"),
        # The publisher's own page of an event's fact check, the ClaimReview url:
        # "https://factcheck.example.org/claims/{id}". Unset: no ClaimReview is served,
        # since one without the page it describes is no use to a search engine.
        "CLAIMREVIEW_URL_TEMPLATE": claimreview_url_template(
            os.environ.get("CLAIMREVIEW_URL_TEMPLATE")
        ),
        # Rate limits (timeline/limits.py), per token, or per address without one.
        # Writes: an editor at work or an import script at one a second stays under it.
        "RATELIMIT_WRITES": os.environ.get("RATELIMIT_WRITES", "60 per minute"),
        # Searches by words, exports and summaries: two a second is far above a reader
        # and slows a scraper. Other reads are cheap, cached (ETags) and not limited.
        "RATELIMIT_EXPENSIVE_READS": os.environ.get("RATELIMIT_EXPENSIVE_READS", "120 per minute"),
        "RATELIMIT_ENABLED": _flag("RATELIMIT_ENABLED", True),
        # memory:// counts per process; redis://host:6379/0 shares counts between workers.
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_KEY_PREFIX": os.environ.get("RATELIMIT_KEY_PREFIX", "timeline"),
        "RATELIMIT_STRATEGY": "moving-window",
        "RATELIMIT_HEADERS_ENABLED": True,
        # When Redis does not answer, count in memory rather than fail the request.
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        # The scheme, host and path prefix of every absolute URL the API writes (Link
        # headers). Unset: the request's own, from its Host header.
        "PUBLIC_BASE_URL": public_base_url(os.environ.get("PUBLIC_BASE_URL")),
        # How many reverse proxies in front of the app to believe about the client's
        # scheme, host, port, prefix and address (X-Forwarded-*). 0: none are believed.
        "TRUSTED_PROXIES": _whole_number("TRUSTED_PROXIES"),
        "MAX_CONTENT_LENGTH": 1024 * 1024,
        "IDEMPOTENCY_KEY_TTL_HOURS": 24,
        # A source edit rewrites its citing events in the request when at most this
        # many cite it; more are brought up to date in the background (timeline/rerender.py).
        "SOURCE_RERENDER_INLINE_MAX": _whole_number("SOURCE_RERENDER_INLINE_MAX", 200),
        # Events per background transaction: each holds their row locks this long.
        "SOURCE_RERENDER_BATCH": _whole_number("SOURCE_RERENDER_BATCH", 100, minimum=1),
        # Each server process runs a background worker (off in tests, which drain
        # the work themselves); idle, it looks for work left by others this often.
        "SOURCE_RERENDER_WORKER": _flag("SOURCE_RERENDER_WORKER", True),
        "SOURCE_RERENDER_POLL_SECONDS": _whole_number(
            "SOURCE_RERENDER_POLL_SECONDS", 30, minimum=1
        ),
        "API_TITLE": "Timeline API",
        "API_VERSION": version("timeline"),
        "OPENAPI_VERSION": "3.1.0",
        "OPENAPI_URL_PREFIX": "/",
        "OPENAPI_JSON_PATH": "api/v1/openapi.json",
        # The interactive reference at /docs: Swagger UI, its assets served by
        # timeline/docs.py from the flask-swagger-ui package (no CDN).
        "OPENAPI_SWAGGER_UI_PATH": "docs",
        "OPENAPI_SWAGGER_UI_URL": "/docs/assets/",
        "OPENAPI_SWAGGER_UI_CONFIG": {
            "deepLinking": True,
            "displayOperationId": True,
            "validatorUrl": None,
        },
    }
