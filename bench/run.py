"""The benchmark (`make bench`): Timeline at several sizes on SQLite and PostgreSQL.

    python bench/run.py [--sizes 10000,100000,1000000] [--seed 1]
                        [--postgres-url URL | --postgres-url ''] [--no-sqlite] [--workers 2]
                        [--samples 200] [--seconds-per-query 5]
                        [--wrk-seconds 10] [--wrk-connections 16] [--wrk-threads 2]
                        [--work-dir build/bench] [--results bench/RESULTS.md]

For each size it generates the seeded data set of bench/dataset.py (skewed pairs,
mixed date precisions, 1 to 4 citations per event from shared sources, rare
statuses, a rare tag and a rare word) and, for each database (a SQLite file in
the size's work directory; on the server of --postgres-url, when it answers, the
database named as its database with the size, bench_10000 say, created when
missing and emptied):

1. imports it with ``flask events import`` (timed, start-up included), then posts
   the reviews that give the rare statuses;
2. times each query on the largest pair in process (the app's WSGI test client),
   with the response cache off (RESPONSE_CACHE_BYTES=0), so that each request reads
   and renders its rows:
   the first page, a page 10,000 rows deep (by a cursor made from the row before
   it, in the format of timeline/cursors.py; less deep when the pair is smaller),
   ``status=false``, a rare ``tag``, a rare word in ``q``, ``from``/``to`` on one
   month late in the timeline in both orders, the pair's summary, ``/pairs``, and
   ``/health``, and a trivial endpoint of the same app (bench/trivial.py); the
   first and deep pages hold 50 items, the filtered ones 25, which the smallest
   size's rare filters fill too, so that every size does the same work;
3. times the floor of the page queries: the same page read from a plain
   denormalised copy of the timeline rows with the driver alone, encoded with
   orjson;
4. serves the app with gunicorn (gunicorn.conf.py, ``--workers``) and times each
   query over HTTP with one keep-alive connection, then measures requests per
   second with wrk for the first page and for the trivial endpoint;
5. times the first page once more, with the response cache on, as a dashboard that
   asks for it again and again gets it: the kept answer, before the view runs (on
   SQLite on the word of its commit count, on PostgreSQL after one index seek;
   timeline/caching.py).

Once per size, Datasette serves a SQLite file holding the same timeline rows
(ordered and indexed for the page), and its equivalent of the first page is
measured the same way over HTTP and with wrk.

After the last size it adds, per database, each query's p50 at every size, then
times each query again at the smallest and the largest size in turns (10 rounds,
each a share of --samples on one database, then the other), and gives the
largest's ÷ the smallest's of those (the flatness the issue asks for: at most
1.5×): measured side by side, the ratio is not the machine's drift between two
sizes' runs. Each size's databases are kept for this (and stay after the run).
The results file is rewritten after each section, so a run stopped part way keeps
what it measured.

Figures are p50 and p99 of up to --samples requests per query (fewer when a query
takes longer than --seconds-per-query in all). A query that fails shows its error
in its cell; wrk or Datasette missing leaves their cells saying so. The tables
are printed and written, with the machine and versions, to --results.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import http.client
import math
import os
import platform
import re
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, TypeVar

import orjson
from dataset import Shape, generate, post_reviews
from flask import Flask
from flask.testing import FlaskClient
from import_rate import empty_postgres, timed_import
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import pytest  # noqa: E402  (served_app fails with pytest's exception)
from trivial import TRIVIAL_PATH, with_trivial_endpoint  # noqa: E402

from tests.served import HOST, free_port, served_app, server_process  # noqa: E402
from timeline import create_app  # noqa: E402
from timeline.cursors import encode_cursor  # noqa: E402
from timeline.db import db  # noqa: E402

API = "/api/v1"
PAGE = 50
# The filtered pages ask for fewer items: the smallest size's rare filters fill a
# page of 25, so every size's row reads and sends the same number of items.
FILTER_PAGE = 25
KEPT_PAGE = "first page, kept answer"
# Every query but the kept page: each request reads and renders its rows.
NO_RESPONSE_CACHE = {"RESPONSE_CACHE_BYTES": "0"}
DEPTH = 10_000
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/bench"
PACKAGES = [
    *("flask", "flask-smorest", "marshmallow", "sqlalchemy", "psycopg", "orjson"),
    *("gunicorn", "gevent", "datasette"),
]
# What a failed measurement is caught as: anything but a stop asked for by the user.
FAILURES = (Exception, pytest.fail.Exception)


# --- measuring ------------------------------------------------------------------


@dataclass(frozen=True)
class Timing:
    """Percentiles of a query's durations, in seconds."""

    p50: float
    p99: float
    samples: int

    @classmethod
    def of(cls, durations: Sequence[float]) -> Timing:
        ordered = sorted(durations)
        return cls(rank(ordered, 0.50), rank(ordered, 0.99), len(ordered))


def rank(ordered: Sequence[float], quantile: float) -> float:
    """The nearest-rank percentile."""
    return ordered[max(0, math.ceil(quantile * len(ordered)) - 1)]


T = TypeVar("T")
# A cell: a figure, or why there is none.
Cell = Timing | float | str | None


class QueryFailed(Exception):
    pass


def _error(error: BaseException) -> str:
    message = str(error).strip().splitlines()
    return f"error: {type(error).__name__}" + (f": {message[0][:80]}" if message else "")


def attempt(measure: Callable[[], T]) -> T | str:
    """The measurement, or its error as the cell's text."""
    try:
        return measure()
    except FAILURES as error:
        return _error(error)


@dataclass(frozen=True)
class Limits:
    samples: int
    seconds: float


def sample(call: Callable[[], object], limits: Limits) -> Timing:
    """Durations of up to ``limits.samples`` calls, stopping early once they have
    taken ``limits.seconds``; a few calls first, untimed (``warm_up``)."""
    warm_up(call, limits)
    return Timing.of(timed_calls(call, limits))


# Untimed calls before a query is timed: its statement compiled, its pages cached.
WARM_UP_CALLS = 3


def warm_up(call: Callable[[], object], limits: Limits) -> None:
    for _ in range(min(WARM_UP_CALLS, limits.samples)):
        call()


def timed_calls(call: Callable[[], object], limits: Limits) -> list[float]:
    """The durations of up to ``limits.samples`` calls, fewer once they have taken
    ``limits.seconds``."""
    durations: list[float] = []
    deadline = time.perf_counter() + limits.seconds
    for _ in range(limits.samples):
        started = time.perf_counter()
        call()
        durations.append(time.perf_counter() - started)
        if started > deadline:
            break
    return durations


def items_in(fetch: Callable[[], bytes]) -> int | None:
    """How many items (or rows, for Datasette) the page that ``fetch`` gets holds."""
    document = orjson.loads(fetch())
    for key in ("items", "rows"):
        if isinstance(document, dict) and isinstance(document.get(key), list):
            return len(document[key])
    return None


class KeepAlive:
    """One HTTP/1.1 connection, reused from request to request."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.connection = http.client.HTTPConnection(HOST, port, timeout=60)

    def get(self, path: str) -> bytes:
        for tries_left in (1, 0):
            try:
                self.connection.request("GET", path)
                response = self.connection.getresponse()
                body = response.read()
            except (http.client.RemoteDisconnected, ConnectionError):
                # The server closed an idle connection (gunicorn's keepalive): once more.
                self.connection.close()
                self.connection = http.client.HTTPConnection(HOST, self.port, timeout=60)
                if not tries_left:
                    raise
                continue
            if response.status != 200:
                raise QueryFailed(f"HTTP {response.status}: {body[:120]!r}")
            return body
        raise AssertionError("unreachable")

    def close(self) -> None:
        self.connection.close()


@dataclass(frozen=True)
class Wrk:
    seconds: float
    connections: int
    threads: int

    @property
    def path(self) -> str | None:
        return shutil.which("wrk")

    def settings(self) -> str:
        return f"{self.threads} threads, {self.connections} connections, {self.seconds:g} s"

    def rate(self, url: str) -> Cell:
        """Requests per second that wrk gets from ``url``."""
        if self.seconds <= 0:
            return "wrk off"
        if self.path is None:
            return "no wrk"
        command = [self.path, f"-t{self.threads}", f"-c{self.connections}"]
        command += [f"-d{self.seconds:g}s", "--timeout", "30s", url]
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=self.seconds + 60, check=False
        )
        if done.returncode:
            return f"error: wrk: {(done.stderr or done.stdout).strip()[:80]}"
        failed = re.search(r"Non-2xx or 3xx responses: (\d+)", done.stdout)
        errors = re.search(r"Socket errors: .*", done.stdout)
        if failed:
            return f"error: {failed.group(1)} non-2xx answers"
        match = re.search(r"Requests/sec:\s+([\d.]+)", done.stdout)
        if match is None:
            return f"error: wrk said {done.stdout.strip()[:80]!r}"
        if errors and re.search(r"(connect|read|write|timeout) [1-9]", errors.group(0)):
            return f"error: wrk {errors.group(0)}"
        return float(match.group(1))


# --- the queries ----------------------------------------------------------------


# A page's floor: a condition (with ? for each value) besides the pair's, its values,
# and the order.
Floor = tuple[str, tuple[Any, ...], str]


@dataclass
class Query:
    label: str
    path: str
    # The same page's floor on the denormalised copy; None where there is no plain
    # equivalent.
    floor: Floor | None = None
    wrk: bool = False
    # The page's size, for the floor.
    limit: int = PAGE
    # Asked again with the server's response cache on (timeline/caching.py), which
    # answers it from the position alone; every other query is measured with
    # RESPONSE_CACHE_BYTES=0, so that it reads and renders its rows each time.
    kept: bool = False


@dataclass
class Row:
    label: str
    path: str
    # Asked with the response cache on (Query.kept).
    kept: bool = False
    items: int | str | None = None
    in_process: Cell = None
    http: Cell = None
    floor: Cell = None
    rate: Cell = None


def timeline_queries(url: str, shape: Shape) -> tuple[list[Query], int]:
    """The queries on the largest pair, and how many events that pair has."""
    pair = shape.largest_pair_id
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            count = connection.execute(
                text("SELECT count(*) FROM pair_events WHERE pair = :pair"), {"pair": pair}
            ).scalar_one()
            depth = max(0, min(DEPTH, count - PAGE))
            key = connection.execute(
                text(
                    "SELECT first_day, precision, seq FROM pair_events WHERE pair = :pair "
                    "ORDER BY first_day, precision, seq LIMIT 1 OFFSET :offset"
                ),
                {"pair": pair, "offset": depth - 1},
            ).one_or_none()
    finally:
        engine.dispose()
    month = f"{shape.last_year - 1}-06"
    first, last = dt.date.fromisoformat(f"{month}-01"), dt.date.fromisoformat(f"{month}-30")
    # The floor of a month reads the events that start in it: a plain index range
    # scan, and a lower bound of the app's page (which also holds longer events
    # that start earlier and overlap the month).
    in_month = ("first_day >= ? AND first_day <= ?", (first.toordinal(), last.toordinal()))
    status_floor = ("claim_status = ?", ("false",), "asc")

    def page(
        label: str,
        filters: str,
        floor: Floor | None,
        limit: int = FILTER_PAGE,
        wrk: bool = False,
        kept: bool = False,
    ) -> Query:
        """A page of the pair's timeline: its path and its floor ask for ``limit`` items."""
        path = f"{API}/timelines/{pair}?limit={limit}{filters}"
        return Query(label, path, floor, wrk=wrk, limit=limit, kept=kept)

    deep = ""
    deep_floor: Floor = ("", (), "asc")
    if key is not None and depth:
        deep = f"&cursor={encode_cursor(*key)}"
        deep_floor = ("(first_day, precision, seq) > (?, ?, ?)", tuple(key), "asc")
    queries = [
        page("first page", "", ("", (), "asc"), PAGE, wrk=True),
        page(KEPT_PAGE, "", ("", (), "asc"), PAGE, wrk=True, kept=True),
        page(f"page {depth:,} deep", deep, deep_floor, PAGE),
        page("status=false", "&status=false", status_floor),
        page(f"tag={shape.rare_tag} (rare)", f"&tag={shape.rare_tag}", None),
        page(f"q={shape.rare_word} (rare)", f"&q={shape.rare_word}", None),
        page(f"from/to {month}, asc", f"&from={month}&to={month}", (*in_month, "asc")),
        page(
            f"from/to {month}, desc",
            f"&from={month}&to={month}&order=desc",
            (*in_month, "desc"),
        ),
        Query("summary", f"{API}/timelines/{pair}/summary"),
        Query("/pairs", f"{API}/pairs"),
        Query("trivial endpoint", TRIVIAL_PATH, wrk=True),
        Query("/health (asks the database)", f"{API}/health"),
    ]
    return queries, count


# --- the floor ------------------------------------------------------------------

FLOOR_TABLE = "bench_floor"
FLOOR_COLUMNS = "pair, first_day, precision, seq, last_day, claim_status, document"


def make_floor_table(url: str) -> None:
    """A plain denormalised copy of the timeline rows, indexed for each page."""
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(text(f"DROP TABLE IF EXISTS {FLOOR_TABLE}"))
            connection.execute(
                text(f"CREATE TABLE {FLOOR_TABLE} AS SELECT {FLOOR_COLUMNS} FROM pair_events")
            )
            connection.execute(
                text(
                    f"CREATE INDEX {FLOOR_TABLE}_order ON {FLOOR_TABLE} "
                    "(pair, first_day, precision, seq)"
                )
            )
            connection.execute(
                text(
                    f"CREATE INDEX {FLOOR_TABLE}_status ON {FLOOR_TABLE} "
                    "(pair, claim_status, first_day, precision, seq)"
                )
            )
        with engine.connect() as connection:
            if engine.dialect.name == "postgresql":
                connection.execute(text(f"ANALYZE {FLOOR_TABLE}"))
            else:
                connection.execute(text("ANALYZE"))
            connection.commit()
    finally:
        engine.dispose()


def floor_timings(url: str, pair: str, queries: Sequence[Query], limits: Limits) -> dict[str, Cell]:
    """Each page query's floor: the driver alone on the plain copy, then orjson."""
    engine = create_engine(url)
    raw = engine.raw_connection()
    placeholder = "?"
    if engine.dialect.name == "postgresql":
        placeholder = "%s"
        # Planned for each pair's own statistics: psycopg's prepared statements get a
        # generic plan after a few runs, which for a big pair is a bitmap scan and a
        # sort of all its rows (tens of ms), not the index range scan the floor is.
        raw.driver_connection.prepare_threshold = None  # type: ignore[union-attr]
    cells: dict[str, Cell] = {}
    try:
        cursor = raw.cursor()
        for query in queries:
            if query.floor is None:
                continue
            condition, values, order = query.floor
            limit = query.limit
            where = "pair = ?" + (f" AND {condition}" if condition else "")
            where = where.replace("?", placeholder)
            sql = (
                f"SELECT document, first_day, precision, seq FROM {FLOOR_TABLE} WHERE {where} "
                f"ORDER BY first_day {order}, precision {order}, seq {order} LIMIT {limit + 1}"
            )
            parameters = (pair, *values)

            def page(
                sql: str = sql, parameters: tuple[Any, ...] = parameters, limit: int = limit
            ) -> bytes:
                cursor.execute(sql, parameters)
                rows = cursor.fetchall()
                more = len(rows) > limit
                return orjson.dumps(
                    {
                        "items": [orjson.Fragment(row[0]) for row in rows[:limit]],
                        "next_cursor": ".".join(map(str, rows[limit - 1][1:])) if more else None,
                    }
                )

            cells[query.label] = attempt(functools.partial(sample, page, limits))
        raw.rollback()
    finally:
        raw.close()
        engine.dispose()
    return cells


# --- Datasette ------------------------------------------------------------------


def datasette_file(sqlite_database: Path, path: Path) -> None:
    """A SQLite file with the timeline rows, in timeline order (the rowid), indexed
    by pair: Datasette's page of a pair is then one index range scan too."""
    path.unlink(missing_ok=True)
    connection = sqlite3.connect(path)
    try:
        connection.execute("ATTACH DATABASE ? AS app", (str(sqlite_database),))
        connection.execute(
            "CREATE TABLE timeline (pair TEXT, first_day INTEGER, precision INTEGER, "
            "seq INTEGER, last_day INTEGER, claim_status TEXT, document TEXT)"
        )
        connection.execute(
            f"INSERT INTO timeline SELECT {FLOOR_COLUMNS} FROM app.pair_events "
            "ORDER BY pair, first_day, precision, seq"
        )
        connection.execute("CREATE INDEX timeline_pair ON timeline (pair)")
        connection.commit()
        connection.execute("DETACH DATABASE app")
        connection.execute("ANALYZE")
        connection.commit()
    finally:
        connection.close()


def datasette_row(sqlite_database: Path, work: Path, pair: str, limits: Limits, wrk: Wrk) -> Row:
    """Datasette's first page of the pair, over HTTP and under wrk."""
    path = f"/timeline/timeline.json?pair={pair}&_size={PAGE}&_nocount=1&_nofacet=1"
    row = Row("Datasette: first page", path)
    executable = Path(sys.executable).with_name("datasette")
    if not executable.exists():
        row.http = row.rate = "no datasette (pip install -e '.[bench]')"
        return row
    try:
        (work / "datasette").mkdir(exist_ok=True)
        database = work / "datasette" / "timeline.db"
        datasette_file(sqlite_database, database)
        port = free_port()
        command = [str(executable), "serve", "--immutable", str(database)]
        command += ["-h", HOST, "-p", str(port)]
        base = f"http://{HOST}:{port}"
        with server_process(
            command, dict(os.environ), f"{base}/-/versions.json", work / "datasette.log"
        ):
            over_http(row, port, limits)
            row.rate = attempt(lambda: wrk.rate(base + path))
    except FAILURES as error:
        row.http = row.http or _error(error)
    return row


def over_http(row: Row, port: int, limits: Limits) -> None:
    client = KeepAlive(port)
    try:
        row.items = attempt(functools.partial(items_in, functools.partial(client.get, row.path)))
        row.http = attempt(lambda: sample(lambda: client.get(row.path), limits))
    finally:
        client.close()


# --- one database at one size ---------------------------------------------------


@dataclass
class Report:
    database: str
    size: int
    pair: str
    url: str = ""
    pair_events: int | None = None
    imported: str = ""
    import_rate: float | None = None  # events/s, for the flatness table
    reviews: str = ""
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def measure_database(
    name: str,
    url: str,
    data: Path,
    shape: Shape,
    reviews: dict[str, str],
    args: argparse.Namespace,
    work: Path,
) -> Report:
    limits = Limits(args.samples, args.seconds_per_query)
    report = Report(name, shape.events, shape.largest_pair_id, url)
    with _announced(f"{name}: import"):
        imported = timed_import(url, data, args.batch_size)
    if not imported.seconds:
        report.imported = f"error: {imported.line}"
        return report
    report.import_rate = shape.events / imported.seconds
    rate = f"{report.import_rate:,.0f} events/s ({imported.seconds:.1f} s)"
    report.imported = rate if imported.ok else f"{rate}; error: {imported.line}"
    with _announced(f"{name}: reviews"):
        report.reviews = str(attempt(lambda: _post_reviews(url, reviews)))
    try:
        queries, report.pair_events = timeline_queries(url, shape)
    except FAILURES as error:
        report.notes.append(f"The queries could not be prepared: {_error(error)}")
        return report
    report.rows = [Row(query.label, query.path, query.kept) for query in queries]
    with _announced(f"{name}: in process"):
        _in_process(url, queries, report.rows, limits)
    with _announced(f"{name}: floor"):
        floors = attempt(lambda: _floors(url, shape.largest_pair_id, queries, limits, report))
        if isinstance(floors, str):
            report.notes.append(f"No floor: {floors}")
    with _announced(f"{name}: over HTTP"):
        wrk = Wrk(args.wrk_seconds, args.wrk_connections, args.wrk_threads)
        for kept in (False, True):
            try:
                with served_app(
                    url,
                    work,
                    workers=args.workers,
                    settings={"RATELIMIT_ENABLED": "0", **({} if kept else NO_RESPONSE_CACHE)},
                    app="bench.trivial:app",
                    migrate=False,
                ) as served:
                    for query, row in zip(queries, report.rows, strict=True):
                        if query.kept != kept:
                            continue
                        over_http(row, served.port, limits)
                        if query.wrk:
                            row.rate = attempt(
                                functools.partial(wrk.rate, served.base_url + query.path)
                            )
            except FAILURES as error:
                report.notes.append(f"Serving with gunicorn failed: {_error(error)}")
    return report


def _in_process(url: str, queries: Sequence[Query], rows: Sequence[Row], limits: Limits) -> None:
    """Time each query with the app's WSGI test client."""
    for kept in (False, True):
        app = _bench_app(url, kept)
        client = app.test_client()
        try:
            for query, row in zip(queries, rows, strict=True):
                if query.kept == kept:
                    call = functools.partial(_get, client, row.path)
                    row.items = attempt(functools.partial(items_in, call))
                    row.in_process = attempt(functools.partial(sample, call, limits))
        finally:
            _close(app)


def _bench_app(url: str, kept: bool) -> Flask:
    """The app on the database, with the trivial endpoint, and with the response
    cache on only for the kept page."""
    config: dict[str, Any] = {"SQLALCHEMY_DATABASE_URI": url, "RATELIMIT_ENABLED": False}
    if not kept:
        config["RESPONSE_CACHE_BYTES"] = 0
    return with_trivial_endpoint(create_app(config))


def _get(client: FlaskClient, path: str) -> bytes:
    response = client.get(path)
    if response.status_code != 200:
        raise QueryFailed(f"HTTP {response.status_code}: {response.data[:120]!r}")
    return response.data


# Rounds in which the flatness measurement times the smallest and the largest size in
# turn (``in_turns``).
ROUNDS = 10


def in_turns(smallest: Report, largest: Report, limits: Limits) -> list[tuple[Cell, Cell]]:
    """Each query's timing in process at the smallest and at the largest size, taken
    in turns: ROUNDS rounds, each timing a share of the samples on one database and
    then the other (first one, then the other, by turns), so that both sizes meet the
    same moments of a noisy machine and their ratio is measured in one run. Rows
    pair up by position, as in ``flatness``."""
    apps = [
        (report, kept, _bench_app(report.url, kept))
        for report in (smallest, largest)
        for kept in (False, True)
    ]
    clients = {(report.size, kept): app.test_client() for report, kept, app in apps}
    share = Limits(max(1, limits.samples // ROUNDS), limits.seconds / ROUNDS / 2)
    timings: list[tuple[Cell, Cell]] = []
    try:
        for small_row, large_row in zip(smallest.rows, largest.rows, strict=True):
            calls = [
                functools.partial(_get, clients[report.size, row.kept], row.path)
                for report, row in ((smallest, small_row), (largest, large_row))
            ]
            measured = attempt(functools.partial(_timed_in_turns, calls, share))
            timings.append(measured if isinstance(measured, tuple) else (measured, measured))
    finally:
        for _report, _kept, app in apps:
            _close(app)
    return timings


def _timed_in_turns(calls: Sequence[Callable[[], object]], share: Limits) -> tuple[Cell, Cell]:
    durations: list[list[float]] = [[] for _call in calls]
    for call in calls:
        warm_up(call, share)
    for round_ in range(ROUNDS):
        order = range(len(calls)) if round_ % 2 == 0 else reversed(range(len(calls)))
        for index in order:
            durations[index] += timed_calls(calls[index], share)
    small, large = (Timing.of(measured) for measured in durations)
    return small, large


def _close(app: Flask) -> None:
    """Stop the app's source re-render thread (it would go on polling a database the
    next size empties) and close its connections."""
    worker = app.extensions.get("rerender")
    if worker is not None:
        worker.stop.set()
        worker.wake.set()
    with app.app_context():
        db.engine.dispose()


def _floors(url: str, pair: str, queries: Sequence[Query], limits: Limits, report: Report) -> None:
    make_floor_table(url)
    rows = {row.label: row for row in report.rows}
    for label, cell in floor_timings(url, pair, queries, limits).items():
        rows[label].floor = cell


def _post_reviews(url: str, reviews: dict[str, str]) -> str:
    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        started = time.perf_counter()
        posted = post_reviews(reviews)
        seconds = time.perf_counter() - started
    _close(app)
    return f"{posted:,} reviews in {seconds:.1f} s"


def sized_database(url: str, size: int) -> str:
    """The PostgreSQL database of one size: the URL's database name with the size
    (bench_10000). Each size keeps its own, for the flatness measured in turns."""
    target = make_url(url)
    return target.set(database=f"{target.database}_{size}").render_as_string(hide_password=False)


def prepare_postgres(url: str) -> str | None:
    """Create the database when missing and empty it; why not, if it cannot be used."""
    target = make_url(url)
    server = create_engine(
        target.set(database="postgres"),
        isolation_level="AUTOCOMMIT",
        connect_args={"connect_timeout": 3},
    )
    try:
        with server.connect() as connection:
            exists = connection.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": target.database}
            ).first()
            if not exists:
                connection.execute(text(f'CREATE DATABASE "{target.database}"'))
    except SQLAlchemyError as error:
        return f"PostgreSQL at {target.host}:{target.port or 5432} is not usable: {_error(error)}"
    finally:
        server.dispose()
    empty_postgres(url)
    return None


# --- the tables -----------------------------------------------------------------


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f}" if seconds < 0.1 else f"{seconds * 1000:,.0f}"


def _cell(cell: Cell, part: str | None = None) -> str:
    if cell is None:
        return "–"
    if isinstance(cell, str):
        return cell.replace("|", "\\|")
    if isinstance(cell, Timing):
        return _ms(cell.p50 if part == "p50" else cell.p99)
    return f"{cell:,.0f}"


HEADER = (
    "| query | items | in process p50 ms | p99 ms | HTTP p50 ms | p99 ms "
    "| floor p50 ms | p50 ÷ floor | req/s (wrk) |"
)


def table(report: Report, datasette: Row | None, args: argparse.Namespace) -> str:
    title = f"### {report.database}, {report.size:,} events"
    lines = [title, ""]
    pair_events = f"{report.pair_events:,}" if report.pair_events is not None else "?"
    lines.append(f"- largest pair {report.pair}: {pair_events} events")
    lines.append(f"- import (`flask events import`, batch {args.batch_size}): {report.imported}")
    if report.reviews:
        lines.append(f"- statuses posted as reviews: {report.reviews}")
    lines += [f"- {note}" for note in report.notes]
    lines += ["", HEADER, "|" + " --- |" * 9]
    rows = [*report.rows, *([datasette] if datasette else [])]
    for row in rows:
        ratio = "–"
        if isinstance(row.in_process, Timing) and isinstance(row.floor, Timing):
            ratio = f"{row.in_process.p50 / row.floor.p50:.1f}"
        cells = [
            row.label,
            _cell(row.items),
            _cell(row.in_process, "p50"),
            _cell(row.in_process, "p99"),
            _cell(row.http, "p50"),
            _cell(row.http, "p99"),
            _cell(row.floor, "p50"),
            ratio,
            _cell(row.rate),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", *ratios(report, datasette), ""]
    return "\n".join(lines)


def ratios(report: Report, datasette: Row | None) -> list[str]:
    by_label = {row.label: row for row in report.rows}
    trivial = by_label.get("trivial endpoint")
    lines = []
    for label in ("first page", KEPT_PAGE):
        page = by_label.get(label)
        if page is None or not isinstance(page.rate, float):
            continue
        if trivial and isinstance(trivial.rate, float):
            lines.append(
                f"- {label} ÷ trivial endpoint, req/s: {page.rate / trivial.rate:.2f} "
                "(target ≥ 0.90)"
            )
        if datasette and isinstance(datasette.rate, float):
            lines.append(
                f"- {label} ÷ Datasette's, req/s: {page.rate / datasette.rate:.1f} (target ≥ 10)"
            )
    return lines


EXEMPT = ("trivial endpoint", "/health (asks the database)")
FLAT = 1.5  # the target: a query at the largest size costs at most 1.5× the smallest


@dataclass(frozen=True)
class SizesCompared:
    """One database's reports, smallest size first, and each query's timings at the
    smallest and the largest size taken in turns (``in_turns``)."""

    database: str
    reports: Sequence[Report]
    turns: Sequence[tuple[Cell, Cell]]


def timed_in_turns(reports: Sequence[Report], limits: Limits) -> list[SizesCompared]:
    """Per database measured at two sizes or more, its smallest and largest size
    timed in turns."""
    by_database: dict[str, list[Report]] = {}
    for report in reports:
        if report.rows:
            by_database.setdefault(report.database, []).append(report)
    timed: list[SizesCompared] = []
    for database, measured in by_database.items():
        if len(measured) < 2:
            continue
        smallest, largest = measured[0], measured[-1]
        with _announced(f"{database}: {smallest.size:,} and {largest.size:,} in turns"):
            timed.append(SizesCompared(database, measured, in_turns(smallest, largest, limits)))
    return timed


def flatness(timed: Sequence[SizesCompared]) -> str:
    """Per database: each query's p50 in process at every size (each measured in its
    size's run), then at the smallest and the largest size timed in turns, their
    ratio, and whether it meets the target ('' with no database at two sizes). Rows
    pair up by position: a deep page's label names its depth, which differs from
    size to size."""
    lines: list[str] = []
    for compared in timed:
        database, measured, turns = compared.database, compared.reports, compared.turns
        smallest, largest = measured[0], measured[-1]
        sizes = " / ".join(f"{report.size:,}" for report in measured)
        ends = f"{smallest.size:,} / {largest.size:,}"
        lines += [f"#### {database}", ""]
        lines.append(
            f"| query | items at {sizes} | p50 ms at {sizes}, each in its run "
            f"| p50 ms at {ends}, in turns | {largest.size:,} ÷ {smallest.size:,} "
            f"| ≤ {FLAT:g}× |"
        )
        lines.append("|" + " --- |" * 6)
        for index, (row, (first, last)) in enumerate(zip(largest.rows, turns, strict=True)):
            column = [report.rows[index] for report in measured]
            items = " / ".join(_cell(cell.items) for cell in column)
            p50s = " / ".join(_cell(cell.in_process, "p50") for cell in column)
            in_turns_p50s = f"{_cell(first, 'p50')} / {_cell(last, 'p50')}"
            ratio, verdict = "–", "–"
            if isinstance(first, Timing) and isinstance(last, Timing):
                ratio = f"{last.p50 / first.p50:.2f}"
                if row.label not in EXEMPT:
                    verdict = "met" if last.p50 <= FLAT * first.p50 else "missed"
            lines.append(
                f"| {row.label} | {items} | {p50s} | {in_turns_p50s} | {ratio} | {verdict} |"
            )
        imports = " / ".join(_cell(report.import_rate) for report in measured)
        lines += ["", f"- import at {sizes}, events/s: {imports}", ""]
    if not lines:
        return ""
    heading = [
        "## Flatness",
        "",
        "Each query's p50 in process on the largest pair at every size, as each size's "
        "run measured it (minutes apart, so the machine's noise is between them too); "
        "then the smallest and the largest size timed again in turns after the last "
        f"size ({ROUNDS} rounds, each a share of the samples on one database and then the "
        "other), so that both meet the same moments of the machine. The ratio and the "
        f"verdict (target ≤ {FLAT:g}×) are those of the timings in turns.",
        "",
    ]
    return "\n".join([*heading, *lines])


# --- the machine ----------------------------------------------------------------


def _first_line(path: str, prefix: str) -> str | None:
    try:
        with open(path, encoding="utf-8") as lines:
            for line in lines:
                if line.startswith(prefix):
                    return line.split("=", 1)[-1].split(":", 1)[-1].strip().strip('"')
    except OSError:
        return None
    return None


def _load() -> str:
    return ", ".join(f"{load:.1f}" for load in os.getloadavg())


def _package(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"


def _postgres_version(url: str) -> str:
    """The server's version, and whether autovacuum runs: without it, the dead rows
    that writes leave stay until a VACUUM (a test server may turn it off)."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            version = connection.execute(text("SHOW server_version")).scalar_one()
            autovacuum = connection.execute(text("SHOW autovacuum")).scalar_one()
            return f"{version}, autovacuum {autovacuum}"
    except SQLAlchemyError as error:
        return _error(error)
    finally:
        engine.dispose()


def environment(
    postgres: str | None, wrk: Wrk, args: argparse.Namespace, load_at_start: str
) -> list[str]:
    memory = _first_line("/proc/meminfo", "MemTotal")  # "16318448 kB"
    if memory and memory.endswith(" kB") and memory[:-3].isdigit():
        memory = f"{int(memory[:-3]) / 1024**2:.1f} GiB RAM"
    wrk_version = "not installed"
    if wrk.path:
        said = subprocess.run([wrk.path, "-v"], capture_output=True, text=True, check=False)
        wrk_version = (said.stdout or said.stderr).split("\n", 1)[0].strip()
    packages = ", ".join(f"{name} {_package(name)}" for name in PACKAGES)
    return [
        f"- date: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC",
        f"- command: `{args.command}`",
        f"- machine: {_first_line('/proc/cpuinfo', 'model name') or platform.processor()}, "
        f"{os.cpu_count()} cores, {memory or '? RAM'}",
        f"- OS: {_first_line('/etc/os-release', 'PRETTY_NAME') or platform.platform()} "
        f"({platform.release()})",
        f"- load average (1, 5, 15 min): {load_at_start} at the start, {_load()} at the end "
        "(other work on the machine slows every figure)",
        f"- Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
        f"PostgreSQL {postgres or 'not measured'}",
        f"- {packages}; {wrk_version}",
        f"- gunicorn: gunicorn.conf.py, {args.workers} workers; Datasette: one process, "
        "`datasette serve --immutable`",
        f"- wrk: {wrk.settings()}; p50/p99 of up to {args.samples} requests per query "
        f"(fewer past {args.seconds_per_query:g} s); HTTP ones on one keep-alive connection",
        f"- data: seed {args.seed}, bench/dataset.py defaults",
    ]


# --- the run --------------------------------------------------------------------


@contextmanager
def _announced(what: str) -> Iterator[None]:
    started = time.perf_counter()
    try:
        yield
    finally:
        print(f"{what}: {time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)


def _sizes(text_: str) -> list[int]:
    try:
        sizes = [int(part.replace("_", "")) for part in text_.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"sizes are whole numbers joined by ',' (got {text_!r})"
        ) from None
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError(f"sizes must be at least 1 (got {text_!r})")
    return sizes


def _positive(text_: str) -> int:
    if not text_.strip().isdigit() or int(text_) < 1:
        raise argparse.ArgumentTypeError(f"a whole number of at least 1 (got {text_!r})")
    return int(text_)


def parse_arguments(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", type=_sizes, default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--postgres-url",
        default=DEFAULT_POSTGRES,
        help="a PostgreSQL database; each size uses its name with the size appended "
        "(created when missing, and emptied); '' for SQLite only",
    )
    parser.add_argument(
        "--no-sqlite",
        dest="sqlite",
        action="store_false",
        help="PostgreSQL only (no SQLite, so no Datasette either)",
    )
    parser.add_argument("--workers", type=_positive, default=2, help="gunicorn workers")
    parser.add_argument("--batch-size", type=_positive, default=1000, help="the import's batch")
    parser.add_argument("--samples", type=_positive, default=200)
    parser.add_argument("--seconds-per-query", type=float, default=5.0)
    parser.add_argument("--wrk-seconds", type=float, default=10.0, help="0: no wrk")
    parser.add_argument("--wrk-connections", type=_positive, default=16)
    parser.add_argument("--wrk-threads", type=_positive, default=2)
    parser.add_argument("--work-dir", type=Path, default=ROOT / "build" / "bench")
    parser.add_argument("--results", type=Path, default=ROOT / "bench" / "RESULTS.md")
    args = parser.parse_args(argv)
    # Flask-SQLAlchemy reads a relative SQLite path from the app's instance folder.
    args.work_dir = args.work_dir.resolve()
    args.command = "python bench/run.py " + " ".join(sys.argv[1:] if argv is None else argv)
    return args


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_arguments(argv)
    load_at_start = _load()
    wrk = Wrk(args.wrk_seconds, args.wrk_connections, args.wrk_threads)
    if wrk.path is None:
        print(
            "wrk is not installed (Debian: apt-get install wrk): no req/s column.", file=sys.stderr
        )
    limits = Limits(args.samples, args.seconds_per_query)
    postgres_version: str | None = None
    sections: list[str] = []
    reports: list[Report] = []

    def header() -> list[str]:
        return [
            "# Benchmark results",
            "",
            "Written by `make bench` (bench/run.py); times in milliseconds, p50 and p99.",
            "",
            *environment(postgres_version, wrk, args, load_at_start),
            "",
        ]

    for size in args.sizes:
        work = args.work_dir / str(size)
        work.mkdir(parents=True, exist_ok=True)
        shape = Shape(size, seed=args.seed)
        data = work / "events.jsonl"
        with _announced(f"generating {size:,} events"):
            reviews = generate(data, shape)
        sqlite_file = work / "timeline.db"
        sqlite_file.unlink(missing_ok=True)
        databases = [("SQLite", f"sqlite:///{sqlite_file}")] if args.sqlite else []
        if args.postgres_url:
            postgres_url = sized_database(args.postgres_url, size)
            unusable = prepare_postgres(postgres_url)
            if unusable:
                print(unusable, file=sys.stderr)
                sections.append(f"PostgreSQL skipped at {size:,} events: {unusable}\n")
            else:
                databases.append(("PostgreSQL", postgres_url))
                postgres_version = _postgres_version(postgres_url)
        datasette: Row | None = None
        for name, url in databases:
            report = measure_database(name, url, data, shape, reviews, args, work)
            if name == "SQLite" and report.rows:
                with _announced("Datasette"):
                    datasette = datasette_row(sqlite_file, work, shape.largest_pair_id, limits, wrk)
            section = table(report, datasette, args)
            print(section, flush=True)
            sections.append(section)
            reports.append(report)
            # Written after each section, so that a long run stopped part way keeps
            # what it measured.
            write_results(args, [*header(), *sections])
    flat = flatness(timed_in_turns(reports, limits))
    if flat:
        print(flat, flush=True)
    write_results(args, [*header(), *sections, flat])
    print(f"Written to {args.results}", file=sys.stderr)


def write_results(args: argparse.Namespace, parts: Sequence[str]) -> None:
    args.results.parent.mkdir(parents=True, exist_ok=True)
    args.results.write_text("\n".join(parts), encoding="utf-8")


if __name__ == "__main__":
    main()
