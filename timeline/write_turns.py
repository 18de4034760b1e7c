"""Fair turns at SQLite's write lock: bulk work gives way to the writes of requests.

SQLite has one writer at a time. A writer that finds the lock taken sleeps and
tries again until its busy timeout, at intervals that grow to 100 ms. Bulk work (an
import, a re-render of many events) commits a batch and begins the next well
within a millisecond, so a request waiting to write can sleep through every gap,
wait for the whole import, and then fail. PostgreSQL queues its lock waiters in
order, so it needs none of this.

So each write of a request *announces* itself before it waits for the lock, with a
shared lock on a file beside the database, held until its transaction ends; and bulk
work, before each of its transactions, waits until no write is announced. A request's
write then waits at most for the batch in progress. Bulk work waits at most the busy
timeout: an announced write that has waited longer has failed anyway.

``flock``, not ``fcntl`` record locks: its locks belong to the open file, so two
connections of one process (a request and a re-render under gevent) exclude each
other too. Each connection opens the file itself, and the kernel drops its lock when
the process dies.
"""

from __future__ import annotations

import fcntl
import time
from typing import BinaryIO

# The longest bulk work sleeps between looks at the announcements: short beside
# the 100 ms a waiting write may sleep, so that the two overlap little.
_MOST_SLEEP_SECONDS = 0.01


class WriteTurns:
    """One connection's handle on the announcements of writes to one database."""

    def __init__(self, path: str, wait_seconds: float) -> None:
        self._file: BinaryIO = open(path, "ab")  # noqa: SIM115 - closed by close()
        self._wait_seconds = wait_seconds
        self._announced = False

    @staticmethod
    def path_for(database: str) -> str:
        return database + "-writers"

    def announce(self) -> None:
        """Say that this connection's transaction is a request's write, about to wait
        for the lock. Bulk work holds the file exclusively only for an instant."""
        fcntl.flock(self._file, fcntl.LOCK_SH)
        self._announced = True

    def end(self) -> None:
        """The transaction has ended: it waits for nothing and writes no more."""
        if self._announced:
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._announced = False

    def any_announced(self) -> bool:
        """Whether another connection has announced a write that has not ended."""
        # flock would turn this handle's own shared lock into the exclusive one.
        assert not self._announced, "only a connection that announced nothing asks"
        try:
            fcntl.flock(self._file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(self._file, fcntl.LOCK_UN)
        return False

    def give_way(self) -> None:
        """Wait, at most the busy timeout, until no write is announced: bulk work's
        turn comes after the requests that are already waiting."""
        if not self.any_announced():
            return
        deadline = time.monotonic() + self._wait_seconds
        sleep = 0.001
        while time.monotonic() < deadline:
            # A sleep, not a blocking flock: under gevent the writes that bulk work
            # waits for may be other greenlets of this very process.
            time.sleep(sleep)
            if not self.any_announced():
                return
            sleep = min(sleep * 2, _MOST_SLEEP_SECONDS)

    def close(self) -> None:
        self._file.close()
