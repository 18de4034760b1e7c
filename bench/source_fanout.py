"""Benchmark of a source edit that many events cite: prints figures, asserts nothing.

    python bench/source_fanout.py [--events 2000 5000] [--database-url URL] [--inline]

For each N: imports N events that cite one source (half of them verified, so
that the edit reopens them), then edits the source's title with PATCH through
the app's WSGI client and measures

- the request: with more than SOURCE_RERENDER_INLINE_MAX (200) citing events it
  only commits the source and records the pending work;
- the background work, as a server's worker does it right after that commit
  (``rerender.refresh``, batches of SOURCE_RERENDER_BATCH events): its time, its
  rate, and its longest batch, the longest that any event's row is locked;
- so the time from the edit until every document is current.

With --inline it also measures the request as it was before: every citing event
rewritten inside it (SOURCE_RERENDER_INLINE_MAX above N).

With --database-url (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/bench) the
database must exist; it is emptied and migrated first. Without, a temporary
SQLite file is used.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import text, update

from timeline import create_app, rerender
from timeline.auth import create_token
from timeline.db import db
from timeline.imports import import_events
from timeline.models import Event

API = "/api/v1"
# Generous: a PostgreSQL statement over the app's own 10 s bound would be cut.
UNBOUNDED = {"DATABASE_STATEMENT_TIMEOUT": 600_000, "DATABASE_LOCK_TIMEOUT": 600_000}


def _empty(app: Flask) -> None:
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as connection:
                connection.execute(text("DROP SCHEMA public CASCADE"))
                connection.execute(text("CREATE SCHEMA public"))
        upgrade()


def _load(app: Flask, workdir: Path, total: int) -> tuple[str, str]:
    """A source cited by ``total`` new events, half of them verified; its id and a token."""
    client = app.test_client()
    with app.app_context():
        token = create_token(f"bench-{total}-{time.monotonic_ns()}", "editor")
    headers = {"Authorization": f"Bearer {token}"}
    body = {"url": f"https://example.org/report-{total}-{time.monotonic_ns()}", "title": "Report"}
    source = client.post(f"{API}/sources", json=body, headers=headers).get_json()
    rows = workdir / f"events-{total}.jsonl"
    with rows.open("w") as out:
        for n in range(total):
            event = {
                "title": f"Event {n}",
                "summary": "A meeting of the two countries' ministers. " * 5,
                "date": f"{2000 + n % 20}-0{1 + n % 9}-1{n % 10}",
                "countries": ["IN", "RU"],
                "actors": ["A minister"],
                "tags": ["visit"],
                "citations": [{"source_id": source["id"], "quote": "q", "stance": "supports"}],
            }
            out.write(json.dumps(event) + "\n")
    with app.app_context():
        import_events(rows, rejects_path=workdir / "rejects.jsonl", actor="bench")
        db.session.execute(update(Event).where(Event.seq % 2 == 0).values(claim_status="verified"))
        db.session.commit()
    return source["id"], token


def _edit(app: Flask, source_id: str, token: str) -> tuple[float, str | None]:
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    current = client.get(f"{API}/sources/{source_id}").headers["ETag"]
    started = time.perf_counter()
    response = client.patch(
        f"{API}/sources/{source_id}",
        json={"title": "Corrected report"},
        headers={**headers, "If-Match": current},
    )
    seconds = time.perf_counter() - started
    assert response.status_code == 200, response.get_data(as_text=True)
    return seconds, response.headers.get("Citing-Events-Pending")


def _drain(app: Flask) -> tuple[float, int, float]:
    """The background work's time, events and longest batch."""
    longest = 0.0
    size = app.config["SOURCE_RERENDER_BATCH"]
    done = 0
    started = time.perf_counter()
    with app.app_context():
        while True:
            batch_started = time.perf_counter()
            count = rerender.refresh_batch(size)
            if count is None:
                break
            longest = max(longest, time.perf_counter() - batch_started)
            done += count
    return time.perf_counter() - started, done, longest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, nargs="+", default=[2000, 5000])
    parser.add_argument("--database-url")
    parser.add_argument("--inline", action="store_true", help="also time the in-request edit")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="timeline-bench-"))
    url = args.database_url or f"sqlite:///{workdir / 'bench.db'}"
    config = {"SQLALCHEMY_DATABASE_URI": url, "SOURCE_RERENDER_WORKER": False, **UNBOUNDED}
    app = create_app(config)
    _empty(app)
    backend = app.config["SQLALCHEMY_DATABASE_URI"].split(":")[0]
    print(f"backend {backend}, batch {app.config['SOURCE_RERENDER_BATCH']} events")
    for total in args.events:
        source_id, token = _load(app, workdir, total)
        request, pending = _edit(app, source_id, token)
        drain, done, longest = _drain(app)
        print(
            f"{total:>6} citing events: request {request * 1000:7.0f} ms "
            f"(Citing-Events-Pending: {pending}); background {drain:6.2f} s "
            f"for {done} events ({done / drain:,.0f}/s, longest batch {longest * 1000:.0f} ms); "
            f"all current {request + drain:6.2f} s after the edit began"
        )
        if args.inline:
            inline = create_app({**config, "SOURCE_RERENDER_INLINE_MAX": total})
            source_id, token = _load(inline, workdir, total)
            request, pending = _edit(inline, source_id, token)
            print(f"{total:>6} citing events, all in the request: {request:6.2f} s")
            with inline.app_context():
                db.engine.dispose()
    with app.app_context():
        db.engine.dispose()


if __name__ == "__main__":
    main()
