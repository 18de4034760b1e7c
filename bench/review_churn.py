"""Benchmark of what reviews cost the read model: prints figures, asserts nothing.

    python bench/review_churn.py [--events 20000] [--seed 1] [--database-url URL]
                                 [--wait-for-autovacuum SECONDS]

Generates N synthetic events (bench/dataset.py), imports them with ``flask events
import`` into a new SQLite database, or with --database-url into that PostgreSQL
database (its schema dropped and made again by the migrations), and posts the
data set's reviews (about 5% of the events) through the write path of
``POST /events/{id}/reviews``. Prints the reviews per second and, on PostgreSQL, the
dead rows they left in each read-model table (``pgstattuple``, which reads the
tables whole): until a vacuum comes, index-only scans must visit the pages that
hold them. With --wait-for-autovacuum it first waits, up to that long, for
autovacuum to have been at every read-model table that the reviews left dead rows
in, and prints when it came to each.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from dataset import Shape, generate, post_reviews
from import_rate import empty_postgres, timed_import
from sqlalchemy import bindparam, create_engine, text

from timeline import create_app
from timeline.db import db

READ_MODEL = ("pair_events", "pair_event_tags", "pair_range_blocks", "pair_event_words")
WORD_INDEX = "event_words"


def _dead_rows(url: str) -> dict[str, int]:
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("CREATE EXTENSION IF NOT EXISTS pgstattuple"))
        dead = {
            table: connection.execute(
                text("SELECT dead_tuple_count FROM pgstattuple(:table)"), {"table": table}
            ).scalar_one()
            for table in (*READ_MODEL, WORD_INDEX)
        }
    engine.dispose()
    return dead


def _autovacuumed(url: str, since: float, wait: float) -> dict[str, float | None]:
    """Seconds from ``since`` (a time.time()) until autovacuum last finished with each
    read-model table holding dead rows, waiting up to ``wait`` seconds for all of them;
    None for those it did not come to."""
    engine = create_engine(url)
    deadline = time.monotonic() + wait
    came: dict[str, float | None] = {}
    with engine.connect() as connection:
        while True:
            rows = connection.execute(
                text(
                    "SELECT relname, extract(epoch FROM last_autovacuum) "
                    "FROM pg_stat_user_tables WHERE relname IN :tables"
                ).bindparams(bindparam("tables", expanding=True)),
                {"tables": list(READ_MODEL)},
            ).all()
            connection.rollback()  # statistics are read afresh in each transaction
            came = {
                name: float(at) - since if at is not None and float(at) > since else None
                for name, at in rows
            }
            dead = _dead_rows(url)
            waiting = [name for name, at in came.items() if at is None and dead[name]]
            if not waiting or time.monotonic() > deadline:
                break
            time.sleep(1)  # autovacuum wakes every autovacuum_naptime (1 min)
    engine.dispose()
    return came


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database-url", help="a PostgreSQL database (else a new SQLite one)")
    parser.add_argument("--wait-for-autovacuum", type=float, default=0, metavar="SECONDS")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as temporary:
        data = Path(temporary) / "events.jsonl"
        reviews = generate(data, Shape(args.events, seed=args.seed))
        url = args.database_url or f"sqlite:///{Path(temporary) / 'reviews.db'}"
        if args.database_url:
            empty_postgres(url)
        imported = timed_import(url, data, batch_size=1000)
        if not imported.ok:
            raise SystemExit(f"the import failed: {imported.line}")
        app = create_app({"SQLALCHEMY_DATABASE_URI": url})
        with app.app_context():
            started = time.perf_counter()
            posted = post_reviews(reviews)
            seconds = time.perf_counter() - started
            db.engine.dispose()
        reviewed = time.time()

    database = "PostgreSQL" if args.database_url else "SQLite"
    print(f"{database}: {args.events:,} events imported, {posted:,} reviews posted")
    print(f"  reviews: {posted / seconds:,.0f}/s ({seconds:.1f} s)")
    if args.database_url and args.wait_for_autovacuum:
        came = _autovacuumed(url, reviewed, args.wait_for_autovacuum)
        print(
            "  autovacuum came to: "
            + ", ".join(
                f"{table} after {at:.0f} s" if at is not None else f"{table} not in time"
                for table, at in sorted(came.items())
            )
        )
    if args.database_url:
        dead = _dead_rows(url)
        print("  dead rows left: " + ", ".join(f"{t} {n:,}" for t, n in dead.items()))


if __name__ == "__main__":
    main()
