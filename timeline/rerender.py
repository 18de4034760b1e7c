"""Work on the read model outside requests: pending source edits, and rebuilds.

An edit of a source that many events cite commits the source at once and leaves
a ``SourceRerender`` row (``changes``). The citing events are then brought up to
date here, in event order, ``SOURCE_RERENDER_BATCH`` at a time: each batch is one
short transaction that goes through ``changes`` with the editor as actor, so each
event gets its revision, reopened claim, checks, document, timeline rows and
feed entry exactly as a small edit gives them in its request. The batch's
events are locked while it runs, so an edit of one of them meanwhile either
waits for the batch or fails its If-Match (412), and is never lost.

Who does the work:

- each server process's worker, a background thread woken as soon as a request
  that left work commits, and every ``SOURCE_RERENDER_POLL_SECONDS`` otherwise
  (work left by a process that stopped); it starts with the process's first
  request;
- ``flask read-model refresh``, which finishes all pending work.

Several processes share the work safely: on PostgreSQL a batch claims its
source's row with ``FOR UPDATE SKIP LOCKED``, so workers take different sources;
on SQLite a batch takes the database's one write lock as it begins.

``rebuild`` renders every event's document again (a deleted one keeps its last)
and rewrites its timeline rows,
for when the schema or the country names change: no revision, version or feed
entry, since no event changed.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app
from sqlalchemy import Table, bindparam, func, select, update
from sqlalchemy import event as sa_event
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from .changes import acting_as, apply_source_edit, deferred_work
from .db import db, writing
from .models import Citation, Event, Source, SourceRerender
from .pair_counts import recount
from .read_model import rendered, write_timeline_rows

log = logging.getLogger(__name__)

# The most a worker drains before it waits again (other work of the process runs
# between its batches all the same).
_DRAIN_SECONDS = 60.0


def _citing(pending: SourceRerender) -> Any:
    """The events the pending edit still has to reach, in event order. Citations
    made after the edit showed the source as it is already."""
    cited = select(Citation.event_seq).where(
        Citation.source_seq == pending.source_seq,
        Citation.created_at <= pending.requested_at,
    )
    return (
        select(Event)
        .where(
            Event.seq > pending.after_event_seq,
            Event.deleted_at.is_(None),
            Event.seq.in_(cited),
        )
        .order_by(Event.seq)
    )


def pending_events() -> int:
    """How many event documents still wait for a source edit (an event citing two
    pending sources counts twice)."""
    total = 0
    for pending in db.session.scalars(select(SourceRerender)):
        citing = _citing(pending).with_only_columns(func.count()).order_by(None)
        total += db.session.execute(citing).scalar_one()
    db.session.rollback()
    return total


def refresh_batch(size: int) -> int | None:
    """Apply one pending source edit to up to ``size`` of its events, in one
    transaction; the number of events, or None when nothing is pending."""
    with writing():
        pending = db.session.scalar(
            select(SourceRerender)
            .order_by(SourceRerender.requested_at)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        if pending is None:
            db.session.rollback()
            return None
        events = list(db.session.scalars(_citing(pending).limit(size).with_for_update(of=Event)))
        source = db.session.get_one(Source, pending.source_seq)
        with acting_as(pending.changed_by):
            apply_source_edit(source, pending.changed_fields, events)
            if len(events) < size:
                db.session.delete(pending)
            else:
                pending.after_event_seq = events[-1].seq
            db.session.commit()
        db.session.expunge_all()
        return len(events)


def refresh(
    size: int, seconds: float, progress: Callable[[int], None] | None = None
) -> tuple[int, bool]:
    """Work off pending source edits, a batch at a time, for at most ``seconds``;
    the events brought up to date and whether all the work is done."""
    done = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        count = refresh_batch(size)
        if count is None:
            return done, True
        done += count
        if progress is not None:
            progress(count)
        time.sleep(0)  # under gevent, let the process's requests run between batches
    return done, False


@dataclass
class RebuildSummary:
    events: int = 0
    # Events whose stored document differed from a fresh render.
    changed: int = 0


def rebuild(size: int, progress: Callable[[int], None] | None = None) -> RebuildSummary:
    """Render every event's document again and rewrite its timeline rows, in
    batches of ``size`` events, each in its own transaction; then count every pair
    again (``pair_counts.recount``)."""
    summary = RebuildSummary()
    events = Event.__table__
    assert isinstance(events, Table)
    # A plain table update: the ORM's events (changes) do not see it.
    store = (
        update(events)
        .where(events.c.seq == bindparam("b_seq"))
        .values(document=bindparam("b_document"))
    )
    with writing():
        last = db.session.scalar(select(func.max(Event.seq))) or 0
        after = 0
        # Each batch moves ``after`` on by at least one seq: at most ``last`` batches.
        for _ in range(last):
            batch = list(
                db.session.scalars(
                    select(Event)
                    .where(Event.seq > after, Event.seq <= last)
                    .order_by(Event.seq)
                    .limit(size)
                    .with_for_update(of=Event)
                )
            )
            if not batch:
                break
            connection = db.session.connection()
            changed = []
            for event in batch:
                # A deleted event is served no more and keeps its last document.
                document = event.document if event.deleted_at is not None else rendered(event)
                if document != event.document:
                    changed.append({"b_seq": event.seq, "b_document": document})
                    # Not a change to the event: no flush, no revision, no feed entry.
                    set_committed_value(event, "document", document)
            # The counts are taken again once all rows are written (below).
            write_timeline_rows(connection, batch, None)
            if changed:
                connection.execute(store, changed)
            after = batch[-1].seq
            db.session.commit()
            db.session.expunge_all()
            summary.events += len(batch)
            summary.changed += len(changed)
            if progress is not None:
                progress(len(batch))
        recount(db.session.connection())
        db.session.commit()
    return summary


class Worker:
    """A server process's background thread that works off pending source edits."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.wake = threading.Event()
        self.stop = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._pid = 0

    def ensure_started(self) -> None:
        """Start the thread in this process (once; again in a forked child)."""
        if self._pid == os.getpid():
            return
        with self._lock:
            if self._pid != os.getpid():
                self._thread = threading.Thread(
                    target=self._run, name="timeline-rerender", daemon=True
                )
                self._thread.start()
                self._pid = os.getpid()

    def _run(self) -> None:
        poll = self.app.config["SOURCE_RERENDER_POLL_SECONDS"]
        while not self.stop.is_set():
            self.wake.clear()
            self._drain()
            self.wake.wait(poll)

    def _drain(self) -> None:
        with self.app.app_context():
            try:
                done, _finished = refresh(self.app.config["SOURCE_RERENDER_BATCH"], _DRAIN_SECONDS)
                if done:
                    log.info("Brought %d events up to date with their edited sources.", done)
            # SQLite's lock refused as a transaction begins comes as the driver's own
            # error: SQLAlchemy's begin event does not wrap it.
            except (DBAPIError, StaleDataError, sqlite3.OperationalError) as error:
                # A lock wait, a deadlock or the database away: the batch rolled back,
                # the next wake retries it. Expected in operation: no traceback.
                log.warning(
                    "A re-render batch failed; it will be retried: %s",
                    str(error).splitlines()[0],
                )
            except Exception:
                log.exception("A re-render batch failed; it will be retried.")
            finally:
                db.session.rollback()
                db.session.remove()


def _wake_worker(session: Session) -> None:
    # A savepoint's release is not the commit: the work is not visible yet.
    if deferred_work(session) and not session.in_nested_transaction():
        worker: Worker | None = current_app.extensions.get("rerender")
        if worker is not None:
            worker.ensure_started()
            worker.wake.set()


def init_app(app: Flask) -> None:
    if not app.config["SOURCE_RERENDER_WORKER"]:
        return
    worker = Worker(app)
    app.extensions["rerender"] = worker
    app.before_request(worker.ensure_started)


sa_event.listen(db.session, "after_commit", _wake_worker)
