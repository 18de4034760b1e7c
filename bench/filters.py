"""Benchmark of the timeline filters at two sizes: prints figures, asserts nothing.

    python bench/filters.py [--small 10000] [--large 200000] [--database-url URL]
        [--repeats 30]

Loads ``--small`` events into the pair IN-US and ``--large`` into IN-RU, in one
database, through the read model's bulk path (``read_model.insert_timeline_rows``,
as ``flask events import`` stores them), and times each filter's page in both
pairs (the median of ``--repeats`` requests, in process, with Flask's test
client, the two pairs' requests taking turns, so that the machine's load falls
on both alike), then prints the large pair's cost over the small one's. The
events: 40 years of dates, 80% days, 10% months, 5% years, 5% ranges of 1 to 60
days; 1% of claims false; two of 40 common tags, and one event in a thousand
tagged "rare"; a few words of a 2,000-word
vocabulary, "defence" in a third of the titles, "zanzibar" in one in a thousand;
a 1.2 kB rendered document.

With --database-url (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/bench) the
database must exist and be empty; it is migrated first, and analysed after each
load. Without, a temporary SQLite file is used.
"""

from __future__ import annotations

import argparse
import calendar
import datetime as dt
import random
import statistics
import time
import uuid
from types import SimpleNamespace

from flask.testing import FlaskClient
from read_path import bench_app
from sqlalchemy import insert, select, text

from timeline.cursors import encode_cursor
from timeline.db import db
from timeline.models import Event, EventCountry, EventTag, PairEvent
from timeline.pair_counts import CountChanges, apply
from timeline.read_model import insert_timeline_rows

FIRST_DAY = dt.date(1986, 1, 1).toordinal()
DAYS = 40 * 365
TAGS = [f"tag{i:02}" for i in range(40)]
VOCABULARY = [f"word{i:04}" for i in range(2000)]
ACTORS = [f"Actor Number{i}" for i in range(50)]
DOCUMENT = '{"summary": "' + "x" * 1200 + '"}'
BATCH = 5000


def _dates(rng: random.Random) -> tuple[str, str | None, int, int, int]:
    """date, end_date, first day, last day, precision"""
    day = dt.date.fromordinal(FIRST_DAY + rng.randrange(DAYS))
    kind = rng.random()
    if kind < 0.05:
        first, last = day.replace(month=1, day=1), day.replace(month=12, day=31)
        return str(day.year), None, first.toordinal(), last.toordinal(), 0
    if kind < 0.15:
        first = day.replace(day=1)
        last = day.replace(day=calendar.monthrange(day.year, day.month)[1])
        return first.isoformat()[:7], None, first.toordinal(), last.toordinal(), 1
    if kind < 0.20:
        end = day + dt.timedelta(days=rng.randint(1, 60))
        return day.isoformat(), end.isoformat(), day.toordinal(), end.toordinal(), 2
    return day.isoformat(), None, day.toordinal(), day.toordinal(), 2


def load(app, pair: str, start: int, stop: int) -> float:
    """Add events ``start + 1`` to ``stop`` to the pair; the events per second."""
    rng = random.Random(start)
    now = dt.datetime.now(dt.UTC)
    started = time.perf_counter()
    with app.app_context():
        connection = db.session.connection()
        for first in range(start + 1, stop + 1, BATCH):
            events = []
            for seq in range(first, min(first + BATCH, stop + 1)):
                date, end_date, first_day, last_day, precision = _dates(rng)
                title = ["Event", str(seq), *rng.sample(VOCABULARY, 2)]
                if seq % 3 == 0:
                    title.append("defence")
                if seq % 1000 == 7:
                    title.append("Zanzibar")
                tags = rng.sample(TAGS, 2) + (["rare"] if seq % 1000 == 11 else [])
                events.append(
                    SimpleNamespace(
                        seq=seq,
                        id=str(uuid.uuid4()),
                        title=" ".join(title),
                        summary=" ".join(rng.sample(VOCABULARY, 8)),
                        date=date,
                        end_date=end_date,
                        approximate=False,
                        first_day=first_day,
                        last_day=last_day,
                        precision=precision,
                        actors=[rng.choice(ACTORS)],
                        claim_status="false" if rng.random() < 0.01 else "unverified",
                        created_by="bench",
                        created_at=now,
                        updated_at=now,
                        deleted_at=None,
                        version=1,
                        document=DOCUMENT,
                        checks=[],
                        country_codes=pair.split("-"),
                        tag_names=tags,
                    )
                )
            columns = [c.key for c in Event.__table__.columns if hasattr(events[0], c.key)]
            connection.execute(
                insert(Event), [{name: getattr(e, name) for name in columns} for e in events]
            )
            connection.execute(
                insert(EventCountry),
                [{"event_seq": e.seq, "code": code} for e in events for code in e.country_codes],
            )
            connection.execute(
                insert(EventTag),
                [
                    {"event_seq": e.seq, "tag": tag, "position": position}
                    for e in events
                    for position, tag in enumerate(e.tag_names)
                ],
            )
            # What an import stores for each event: its timeline rows, tags and words,
            # and the pair counts they add to.
            counts = CountChanges()
            insert_timeline_rows(connection, events, counts)  # type: ignore[arg-type]
            apply(connection, counts)
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            db.session.execute(text("ANALYZE"))
            db.session.commit()
    return (stop - start) / (time.perf_counter() - started)


def queries(app, pair: str) -> dict[str, str]:
    """The pages to time in a pair, by name."""
    with app.app_context():
        in_pair = PairEvent.pair == pair
        total = db.session.execute(select(db.func.count()).where(in_pair)).scalar_one()
        deep = db.session.execute(
            select(PairEvent.first_day, PairEvent.precision, PairEvent.seq)
            .where(in_pair)
            .order_by(PairEvent.first_day, PairEvent.precision, PairEvent.seq)
            .offset(min(10_000, total - 60))
            .limit(1)
        ).one()
    month = dt.date.fromordinal(FIRST_DAY + DAYS * 9 // 10).isoformat()[:7]
    base = f"/api/v1/timelines/{pair}"
    events = f"/api/v1/events?pair={pair}"
    return {
        "first page": base,
        "page 10,000 deep": f"{base}?cursor={encode_cursor(*deep)}",
        "status=false": f"{base}?status=false",
        "tag=rare": f"{base}?tag=rare",
        "q=zanzibar (rare)": f"{base}?q=zanzibar",
        "q=zanz (rare prefix)": f"{base}?q=zanz",
        "q=word0001 (0.5%)": f"{base}?q=word0001",
        "q=defence (a third)": f"{base}?q=defence",
        f"from/to {month} asc": f"{base}?from={month}&to={month}",
        f"from/to {month} desc": f"{base}?from={month}&to={month}&order=desc",
        "events?pair status=false": f"{events}&status=false",
        "events?pair tag=rare": f"{events}&tag=rare",
        "events?pair q=zanzibar": f"{events}&q=zanzibar",
        "events?pair from/to": f"{events}&from={month}&to={month}",
    }


def medians_ms(client: FlaskClient, urls: list[str], repeats: int) -> list[float]:
    """Each URL's median time, the URLs requested in turn."""
    times: list[list[float]] = [[] for _ in urls]
    for url in urls:
        assert client.get(url).status_code == 200, url
    for _ in range(repeats):
        for url, spent in zip(urls, times, strict=True):
            started = time.perf_counter()
            client.get(url)
            spent.append(time.perf_counter() - started)
    return [statistics.median(spent) * 1000 for spent in times]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=200_000)
    parser.add_argument("--database-url")
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args()

    app = bench_app(args.database_url, RATELIMIT_ENABLED=False)
    with app.app_context():
        print(f"database: {db.engine.dialect.name}")
    rate = load(app, "IN-US", 0, args.small)
    print(f"IN-US: {args.small:,} events loaded, {rate:,.0f} events/s")
    rate = load(app, "IN-RU", args.small, args.small + args.large)
    print(f"IN-RU: {args.large:,} events loaded, {rate:,.0f} events/s")
    client = app.test_client()
    small, large = queries(app, "IN-US"), queries(app, "IN-RU")
    print(f"{'median ms per page':28} {args.small:>10,} {args.large:>10,}   ratio")
    for name in small:
        at_small, at_large = medians_ms(client, [small[name], large[name]], args.repeats)
        print(f"{name:28} {at_small:10.2f} {at_large:10.2f}   {at_large / at_small:5.2f}")
    with app.app_context():
        db.engine.dispose()


if __name__ == "__main__":
    main()
