"""Reads on a PostgreSQL replica, and a client's reads that must see its own writes.

With DATABASE_READ_URL set, the queries of GET and HEAD requests go to that
database (a streaming or logical replica of DATABASE_URL) through a pool of its
own; writes, and every query of a request that writes, go to the primary. The
database is chosen at a read request's first query (``read_engine``), once.

Read-your-writes. Every write request raises its token's ``writes`` count in its
own transaction (``count_write``, just before the commit). A replica applies the
primary's transactions whole and in commit order, so one whose copy of the
count has reached the primary's holds every write made with that token. A read
that carries a token looks the token up on the primary (every token lookup
does, so a revoked token is refused at once) and its count on the replica, one
small query each, and reads the primary while the replica is behind. The
decision needs nothing kept in a process: every worker on every host makes the
same one, however long the replica lags. Reads without a token, or by a token
that never wrote, read the replica at no extra cost.

The sync feed: a ``since`` cursor past the replica's head was given out by a
database further ahead (the primary, to a client reading its own writes); that
page reads the primary rather than be refused as past the end (``feed``).
Conditional reads (If-None-Match) compare with the database the read uses;
If-Match, on writes, always with the primary.

A replica that does not answer (down, restarting, refusing connections) costs a
read nothing but the failed connection attempt: the read goes to the primary,
and that worker reads the primary for DATABASE_READ_RETRY_SECONDS before it
tries the replica again. A replica that fails in the middle of a read makes it a
503, like the primary's faults (timeline/errors.py).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app, g, request
from sqlalchemy import create_engine, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, NoSuchModuleError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from .auth import valid_token
from .config import database_read_url
from .db import READ_ENGINE, db, engine_options, is_transient_failure, replace_dropped_connections
from .models import ApiToken

_EXTENSION = "timeline_read_replica"


@dataclass
class ReadReplica:
    """The replica's engine, and until when this process leaves it alone."""

    engine: Engine
    retry_seconds: float
    resting_until: float = 0.0

    def available(self) -> bool:
        return time.monotonic() >= self.resting_until

    def rest(self) -> None:
        self.resting_until = time.monotonic() + self.retry_seconds


def count_write() -> None:
    """Count the request's write against its token, in the write's transaction."""
    db.session.execute(
        update(ApiToken)
        .where(ApiToken.id == g.token.id)
        .values(writes=ApiToken.writes + 1)
        .execution_options(synchronize_session=False)
    )


def read_engine(mapper: Any = None) -> Engine | None:
    """The engine of this read request's query of ``mapper``: the replica's, or None
    for the primary's. Chosen at the first query, then kept for the whole request;
    tokens are always read on the primary."""
    if getattr(mapper, "class_", mapper) is ApiToken:
        return None
    if "read_engine" not in g:
        g.read_engine = None
        g.read_engine = _choose(current_app.extensions[_EXTENSION])
    engine: Engine | None = g.read_engine
    return engine


def read_primary_instead() -> bool:
    """Send this read request's further queries to the primary; False when it
    reads the primary already."""
    if g.get("read_engine") is None:
        return False
    g.read_engine = None
    return True


def _choose(replica: ReadReplica) -> Engine | None:
    if not replica.available():
        return None
    token = valid_token() if "Authorization" in request.headers else None
    try:
        if token is not None and token.writes:
            applied = db.session.scalar(
                select(ApiToken.writes).where(ApiToken.id == token.id),
                bind_arguments={"bind": replica.engine},
            )
            if applied is None or applied < token.writes:
                return None  # the replica has not applied this client's last write
        else:
            # Connect now, so that a replica that is down is noticed here.
            db.session.connection(bind_arguments={"bind": replica.engine})
    except (DBAPIError, PoolTimeout) as error:
        if not is_transient_failure(error):
            raise
        replica.rest()
        current_app.logger.warning(
            "Read replica unavailable, reading the primary for %s s: %s",
            replica.retry_seconds,
            str(error).splitlines()[0],
        )
        return None
    return replica.engine


def init_app(app: Flask) -> None:
    """Make the replica's engine when DATABASE_READ_URL is set; a URL that cannot
    name a replica stops the app from starting, with the reason."""
    url = database_read_url(
        app.config.get("DATABASE_READ_URL"), app.config["SQLALCHEMY_DATABASE_URI"]
    )
    if url is None:
        return
    try:
        engine = create_engine(
            url, **engine_options({**app.config, "DATABASE_READ_URL": url}, read=True)
        )
    except NoSuchModuleError as error:
        raise ValueError(
            f"DATABASE_READ_URL names a database driver that is not installed: {error}"
        ) from None
    if engine.dialect.name == "postgresql":
        replace_dropped_connections(engine)
    app.extensions[_EXTENSION] = ReadReplica(engine, app.config["DATABASE_READ_RETRY_SECONDS"])
    app.extensions[READ_ENGINE] = read_engine


def dispose(app: Flask) -> None:
    """Close the replica's pooled connections (tests, and a process shutting down)."""
    replica: ReadReplica | None = app.extensions.get(_EXTENSION)
    if replica is not None:
        replica.engine.dispose()
