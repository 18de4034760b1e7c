"""Whether the database changed since a moment, known without a query per request.

A kept answer (timeline/caching.py) stays current while nothing it shows has
changed. Asking the database costs a pooled connection and a statement per read;
on SQLite, ``PRAGMA data_version``, read on a connection of the process's own that
never writes, says it for the price of reading the database's header: it changes
whenever any other connection, in any process, commits, and it has changed by the
time the writer's COMMIT returns, so a read after a write, in any worker, sees it.

PostgreSQL has no such count. LISTEN/NOTIFY comes close, but a notification
reaches a listener only after the writer's COMMIT has returned: a read sent to
another worker right after a write could get the old answer, where every worker
must show a write in its next read (tests/test_concurrency.py). There a kept
answer costs one seek of the feed's position.

A count is a pair (which connection, its data version), equal to an earlier one
only if no commit was made in between; None when the database does not answer, so
that nothing is served on its word. One per server process, opened at its first
use (in each forked worker); a connection that fails is opened again, with a new
first number, so counts from before never match.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from urllib.parse import quote

from flask import Flask

from .db import db, sqlite_file

Count = tuple[int, int]


class SqliteDataVersion:
    def __init__(self, path: str) -> None:
        self.uri = f"file:{quote(path)}?mode=rw"  # never create a missing file
        self._connection: sqlite3.Connection | None = None
        self._opened = 0  # connections opened: each counts from a number of its own
        self._pid = 0
        self._lock = threading.Lock()

    def read(self) -> Count | None:
        with self._lock:
            try:
                if self._connection is None or self._pid != os.getpid():
                    # One inherited through fork is the parent's: left alone, not closed.
                    self._connection = sqlite3.connect(
                        self.uri,
                        uri=True,
                        timeout=0,
                        isolation_level=None,
                        check_same_thread=False,
                    )
                    self._pid = os.getpid()
                    self._opened += 1
                (version,) = self._connection.execute("PRAGMA data_version").fetchone()
            except sqlite3.Error:
                self._close()
                return None
            return (self._opened, int(version))

    def _close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(sqlite3.Error):
                connection.close()


def change_count(app: Flask) -> SqliteDataVersion | None:
    """The count for the app's database when it is a SQLite file."""
    with app.app_context():
        path = sqlite_file(db.engine.url)
    return SqliteDataVersion(path) if path is not None else None
