"""What a read replica's routing costs a request: prints figures, asserts nothing.

    python bench/replica_cost.py --database-url URL [--events 200] [--seconds 2]

The database (PostgreSQL, existing and empty) is migrated, given N events by the API,
and served in process twice: alone, and with DATABASE_READ_URL naming the same
database, so that the "replica" never lags and every difference is the routing
itself (a second pool, the token looked up on the primary, its write count on
the replica). It prints requests per second of an event by id and of a timeline
page for an anonymous client, a token that never wrote and a token that wrote,
and of a create with and without the count of the token's writes, measured in
alternate rounds, and the SQL statements each request sends to each database
(a figure that does not depend on the machine's load).
"""

from __future__ import annotations

import argparse
import functools
import statistics
import sys
from collections.abc import Callable
from pathlib import Path
from unittest import mock

from flask import Flask
from flask_migrate import upgrade
from read_path import PAGE, rate
from sqlalchemy import event

from timeline import create_app, replica
from timeline.auth import create_token
from timeline.db import db

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.factories import event_body

ROUNDS = 5


def _app(url: str, read_url: str | None) -> Flask:
    config = {"SQLALCHEMY_DATABASE_URI": url, "TESTING": True}
    if read_url:
        config["DATABASE_READ_URL"] = read_url
    return create_app(config)


def _paired_rates(
    first: Callable[[], object], second: Callable[[], object], seconds: float
) -> tuple[float, float]:
    """The median rates of two calls measured in alternate rounds, so that both see
    the same load on a shared machine."""
    rounds = [
        (rate(first, seconds / ROUNDS), rate(second, seconds / ROUNDS)) for _ in range(ROUNDS)
    ]
    return statistics.median(r[0] for r in rounds), statistics.median(r[1] for r in rounds)


def _row(label: str, figures: tuple[float, float], statements: str = "") -> None:
    ratio = figures[1] / figures[0]
    print(f"{label:42} {figures[0]:8.0f} {figures[1]:8.0f} {ratio:6.2f}  {statements}")


def _statements(app: Flask, call: Callable[[], object]) -> str:
    """The SQL statements one call sends: to the primary, and to the replica when
    there is one ("primary+replica")."""
    with app.app_context():
        engines = [db.engine]
    if replica._EXTENSION in app.extensions:
        engines.append(app.extensions[replica._EXTENSION].engine)
    counts = [0] * len(engines)

    def counter(index: int) -> Callable[..., None]:
        def count(*_args: object) -> None:
            counts[index] += 1

        return count

    listeners = [counter(index) for index in range(len(engines))]
    for engine, listener in zip(engines, listeners, strict=True):
        event.listen(engine, "before_cursor_execute", listener)
    try:
        call()
    finally:
        for engine, listener in zip(engines, listeners, strict=True):
            event.remove(engine, "before_cursor_execute", listener)
    return "+".join(str(count) for count in counts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=2.0)
    args = parser.parse_args()

    alone, routed = _app(args.database_url, None), _app(args.database_url, args.database_url)
    with alone.app_context():
        upgrade()
        loader = {"Authorization": f"Bearer {create_token('bench-loader', 'editor')}"}
        writer = {"Authorization": f"Bearer {create_token('bench-writer', 'editor')}"}
        reader = {"Authorization": f"Bearer {create_token('bench-reader', 'editor')}"}
    client = alone.test_client()
    for _ in range(args.events):
        client.post("/api/v1/events", json=event_body(), headers=loader)
    created = client.post("/api/v1/events", json=event_body(), headers=writer)
    assert created.status_code == 201, created.get_json()
    event_path = f"/api/v1/events/{created.get_json()['id']}"

    print(f"{args.events} events; requests/s, median of {ROUNDS}; 'routed': DATABASE_READ_URL set")
    print(f"{'request':42} {'alone':>8} {'routed':>8} {'ratio':>6}  statements alone | routed")
    page = f"/api/v1/timelines/IN-RU?limit={PAGE}"
    for path, name in ((event_path, "event by id"), (page, "timeline page")):
        for headers, who in (
            ({}, "anonymous"),
            (reader, "token, never wrote"),
            (writer, "token that wrote"),
        ):
            gets = [
                functools.partial(app.test_client().get, path, headers=headers)
                for app in (alone, routed)
            ]
            assert all(get().status_code == 200 for get in gets)
            statements = f"{_statements(alone, gets[0])} | {_statements(routed, gets[1])}"
            _row(f"GET {name}, {who}", _paired_rates(gets[0], gets[1], args.seconds), statements)

    def create() -> object:
        return client.post("/api/v1/events", json=event_body(), headers=writer)

    def create_uncounted() -> object:
        with mock.patch("timeline.writes.count_write"):
            return create()

    print(f"{'':42} {'without':>8} {'with':>8}")
    _row(
        "POST event, the count of the token's writes",
        _paired_rates(create_uncounted, create, args.seconds),
        f"{_statements(alone, create_uncounted)} | {_statements(alone, create)}",
    )
    replica.dispose(routed)
    for app in (alone, routed):
        with app.app_context():
            db.engine.dispose()


if __name__ == "__main__":
    main()
