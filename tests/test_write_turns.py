"""Writes of requests get a turn between the transactions of bulk work on SQLite.

SQLite only: PostgreSQL queues the waiters of a lock in order, and these tests are
about the file of announcements that SQLite's unfair lock needs beside it.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select, text

from tests.factories import event_body
from timeline import create_app, schema_version
from timeline.db import db, writing
from timeline.models import Event
from timeline.write_turns import WriteTurns

API = "/api/v1"
_WAIT_SECONDS = 10


@pytest.fixture
def database_path(sqlite_template: Path, tmp_path: Path) -> Path:
    path = tmp_path / "timeline.db"
    shutil.copyfile(sqlite_template, path)
    return path


@pytest.fixture
def app(database_path: Path) -> Any:
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database_path}",
            "TESTING": True,
            "RATELIMIT_ENABLED": False,
        }
    )
    yield app
    with app.app_context():
        db.engine.dispose()


def _observer(database_path: Path) -> WriteTurns:
    return WriteTurns(WriteTurns.path_for(str(database_path)), wait_seconds=0)


def _wait_until_announced(observer: WriteTurns) -> None:
    deadline = time.monotonic() + _WAIT_SECONDS
    while not observer.any_announced():
        assert time.monotonic() < deadline, "the request's write never announced itself"
        time.sleep(0.001)


def _event_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Event)) or 0


class TestBulkWorkBetweenItsTransactions:
    def test_a_request_write_waiting_for_the_lock_goes_before_the_next_batch(
        self, app: Flask, database_path: Path, tokens
    ):
        """Without the turn, bulk work takes the lock again within a millisecond of
        its commit, while the waiting write sleeps in SQLite's busy handler."""
        statuses: list[int] = []

        def post() -> None:
            response = app.test_client().post(
                f"{API}/events", json=event_body(title="Between batches"), headers=tokens.editor
            )
            statuses.append(response.status_code)

        observer = _observer(database_path)
        with app.app_context(), writing():
            db.session.execute(text("SELECT 1"))  # batch 1 holds the write lock
            request_thread = threading.Thread(target=post)
            request_thread.start()
            try:
                _wait_until_announced(observer)
                db.session.commit()
                seen_by_batch_2 = _event_count()  # batch 2 begins
                db.session.commit()
            finally:
                request_thread.join(timeout=_WAIT_SECONDS)
        observer.close()

        assert not request_thread.is_alive()
        assert statuses == [201]
        assert seen_by_batch_2 == 1

    def test_no_announcement_outlives_the_writes_of_requests(
        self, app: Flask, database_path: Path, tokens
    ):
        """A write that commits, one refused by validation and one refused by the
        database leave nothing behind that would hold up the next batch."""
        client = app.test_client()
        created = client.post(f"{API}/events", json=event_body(), headers=tokens.editor)
        invalid = client.post(f"{API}/events", json={"title": ""}, headers=tokens.editor)
        missing = client.patch(f"{API}/events/999999", json={"title": "x"}, headers=tokens.editor)
        observer = _observer(database_path)

        assert (created.status_code, invalid.status_code, missing.status_code) == (
            201,
            422,
            404,
        )
        assert not observer.any_announced()
        observer.close()


class TestReadsInWriteRequests:
    def test_the_look_at_the_schema_takes_no_write_lock(self, database_path: Path):
        """A write request's first look at the schema revision is a read: it does not
        queue for the lock behind bulk work, and a request needs one turn, not two."""
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database_path}",
                "TESTING": True,
                "SQLITE_BUSY_TIMEOUT": 50,
            }
        )
        with app.app_context(), writing():
            db.session.execute(text("SELECT 1"))  # bulk work holds the write lock
            with app.test_request_context(f"{API}/events", method="POST"):
                refused = schema_version.refuse_outdated_schema()
            db.session.commit()
            db.engine.dispose()

        assert refused is None  # served: neither a 503 nor "database is locked"


class TestWriteTurns:
    def test_an_announcement_lasts_until_its_transaction_ends(self, tmp_path: Path):
        path = str(tmp_path / "db-writers")
        request_write, bulk = WriteTurns(path, 1), WriteTurns(path, 1)

        request_write.announce()
        announced = bulk.any_announced()
        request_write.end()

        assert (announced, bulk.any_announced()) == (True, False)
        request_write.close()
        bulk.close()

    def test_bulk_work_waits_no_longer_than_the_busy_timeout(self, tmp_path: Path):
        """An announced write that has waited longer than the busy timeout has failed
        anyway: bulk work goes on."""
        path = str(tmp_path / "db-writers")
        stuck, bulk = WriteTurns(path, 1), WriteTurns(path, 0.05)
        stuck.announce()

        done = threading.Event()
        waiter = threading.Thread(target=lambda: (bulk.give_way(), done.set()))
        waiter.start()
        waiter.join(timeout=_WAIT_SECONDS)

        assert done.is_set()
        assert bulk.any_announced()  # it went on while the write was still announced
        stuck.close()
        bulk.close()

    def test_the_announcement_of_a_killed_process_is_gone(self, tmp_path: Path):
        path = str(tmp_path / "db-writers")
        announcer = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "import sys; from timeline.write_turns import WriteTurns; "
                f"turns = WriteTurns({path!r}, 1); turns.announce(); "
                "print('announced', flush=True); "
                "sys.stdin.read()",
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        observer = WriteTurns(path, 0)
        try:
            assert announcer.stdout is not None
            assert announcer.stdout.readline() == b"announced\n"
            announced = observer.any_announced()
        finally:
            announcer.kill()
            announcer.wait(timeout=_WAIT_SECONDS)

        assert (announced, observer.any_announced()) == (True, False)
        observer.close()
