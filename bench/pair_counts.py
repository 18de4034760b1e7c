"""Benchmark of the counts for charts: prints figures, asserts nothing.

    python bench/pair_counts.py [--events 100000] [--database-url URL] [--seconds 3]

Loads N events, each between two of 20 countries (190 pairs, the pair IN-RU
about 1/190 of them plus one event in ten added to it), spread over 35 years,
the five claim statuses and 40 tags, two tags an event, each row with a
document of 1.2 kB; then measures, with the
same in-process WSGI client:

- a trivial endpoint of the same app (GET /api/v1/health),
- GET /api/v1/timelines/IN-RU/summary (by status, year and status, tag),
- GET /api/v1/pairs?sort=event_count&order=desc&limit=50, its first page and
  the page after it.

With --database-url (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/bench) the
database must exist and be empty; it is migrated first. Without, a temporary
SQLite file is used.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import random
import time
import uuid

from read_path import bench_app, rate
from sqlalchemy import insert

from timeline.db import db
from timeline.domain.claims import ClaimStatus
from timeline.domain.countries import pair_ids
from timeline.models import Event, EventCountry, EventTag, PairEvent
from timeline.pair_counts import recount

COUNTRIES = ["BR", "CN", "DE", "EG", "FR", "GB", "ID", "IN", "IR", "JP"]
COUNTRIES += ["KR", "MX", "NG", "PK", "RU", "SA", "TR", "UA", "US", "ZA"]
TAGS = [f"tag{i:02}" for i in range(40)]
STATUSES = [status.value for status in ClaimStatus]
FIRST_DAY = dt.date(1990, 1, 1).toordinal()
DAYS = 35 * 365
# The size of a rendered event with a summary of a few sentences: the counts never
# read it, but it is what a scan of the rows would have to step over.
DOCUMENT = '{"summary": "' + "x" * 1200 + '"}'


def load(app, total: int) -> float:
    """Insert ``total`` events; the events per second."""
    rng = random.Random(1)
    pairs = list(itertools.combinations(COUNTRIES, 2))
    now = dt.datetime.now(dt.UTC)
    started = time.perf_counter()
    with app.app_context():
        batch = 10_000
        for start in range(0, total, batch):
            events, countries, tags, rows = [], [], [], []
            for seq in range(start + 1, min(start + batch, total) + 1):
                codes = ("IN", "RU") if seq % 10 == 0 else rng.choice(pairs)
                first_day = FIRST_DAY + rng.randrange(DAYS)
                status = rng.choice(STATUSES)
                events.append(
                    {
                        "seq": seq,
                        "id": str(uuid.uuid4()),
                        "title": f"Event {seq}",
                        "summary": "",
                        "date": dt.date.fromordinal(first_day).isoformat(),
                        "approximate": False,
                        "first_day": first_day,
                        "last_day": first_day,
                        "precision": 2,
                        "actors": [],
                        "claim_status": status,
                        "created_by": "bench",
                        "created_at": now,
                        "updated_at": now,
                        "version": 1,
                        "document": DOCUMENT,
                    }
                )
                countries += [{"event_seq": seq, "code": code} for code in codes]
                tags += [
                    {"event_seq": seq, "tag": tag, "position": position}
                    for position, tag in enumerate(rng.sample(TAGS, 2))
                ]
                rows += [
                    {
                        "pair": pair,
                        "first_day": first_day,
                        "precision": 2,
                        "seq": seq,
                        "last_day": first_day,
                        "year": dt.date.fromordinal(first_day).year,
                        "claim_status": status,
                        "updated_at": now,
                        "document": DOCUMENT,
                    }
                    for pair in pair_ids(codes)
                ]
            for model, values in (
                (Event, events),
                (EventCountry, countries),
                (EventTag, tags),
                (PairEvent, rows),
            ):
                db.session.execute(insert(model), values)
            db.session.commit()
        # The rows went in around the write path, which keeps the counts.
        recount(db.session.connection())
        db.session.commit()
    return total / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--database-url")
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()

    # The summary spends the expensive-reads budget: this measures the reads, not the limit.
    app = bench_app(args.database_url, RATELIMIT_ENABLED=False)
    with app.app_context():
        dialect = db.engine.dialect.name
    print(f"database: {dialect}, {args.events:,} events in 190 pairs")
    print(f"load: {load(app, args.events):,.0f} events/s (bulk insert)")

    client = app.test_client()
    summary = client.get("/api/v1/timelines/IN-RU/summary").get_json()
    print(f"IN-RU: {summary['total']:,} events, {len(summary['by_year'])} years")
    pairs_url = "/api/v1/pairs?sort=event_count&order=desc&limit=50"
    cursor = client.get(pairs_url).get_json()["next_cursor"]
    figures = {
        "trivial endpoint (GET /health)": lambda: client.get("/api/v1/health"),
        "summary of IN-RU": lambda: client.get("/api/v1/timelines/IN-RU/summary"),
        "pairs by event count, page 1": lambda: client.get(pairs_url),
        "pairs by event count, page 2": lambda: client.get(f"{pairs_url}&cursor={cursor}"),
    }
    for name, call in figures.items():
        assert call().status_code == 200
        print(f"{name:34} {rate(call, args.seconds)[0]:10,.0f} /s")
    with app.app_context():
        db.engine.dispose()


if __name__ == "__main__":
    main()
