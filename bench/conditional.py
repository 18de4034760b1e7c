"""Benchmark of conditional reads: 200 against 304 per read; prints figures, asserts nothing.

    python bench/conditional.py [--events 20000] [--database-url URL] [--seconds 2]

Loads N events into the pair IN-RU (as bench/read_path.py does), plus one event
that cites a source with a long text, then measures with the in-process WSGI
client, for each read, a plain GET (200) and a GET with the current ETag in
If-None-Match (304):

- the event and the source by id, whose 304 is one query on the stored version;
- a timeline page, the pair's summary and the list of pairs, whose ETag is a
  hash of the body, so a 304 saves sending it, not computing it.

With --database-url the database must exist and be empty; it is migrated first.
Without, a temporary SQLite file is used.
"""

from __future__ import annotations

import argparse
import statistics
from collections.abc import Callable

from read_path import PAGE, bench_app, load, rate

from timeline.auth import create_token
from timeline.db import db

API = "/api/v1"


def cited_event(client, editor: dict[str, str]) -> tuple[str, str]:
    """An event citing a source with a long text: its id and the source's."""
    source = client.post(
        f"{API}/sources",
        json={
            "url": "https://news.example.org/india-russia-defence",
            "title": "India, Russia to push Make in India in defence",
            "publisher": "ANI",
            "published_on": "2019-10-29",
            "text": "Rajnath Singh will visit Russia on 5 November 2019. " * 400,
        },
        headers=editor,
    ).get_json()
    event = client.post(
        f"{API}/events",
        json={
            "title": "Defence Minister visits Russia",
            "date": "2019-11-05",
            "countries": ["IN", "RU"],
        },
        headers=editor,
    )
    cited = client.post(
        f"{API}/events/{event.get_json()['id']}/citations",
        json={
            "source_id": source["id"],
            "quote": "Rajnath Singh will visit Russia",
            "stance": "supports",
        },
        headers={**editor, "If-Match": event.headers["ETag"]},
    )
    assert cited.status_code == 201, cited.get_json()
    return event.get_json()["id"], source["id"]


ROUNDS = 5


def median_rate(call: Callable[[], object], seconds: float) -> float:
    return statistics.median(rate(call, seconds / ROUNDS)[0] for _ in range(ROUNDS))


def interleaved(
    first: Callable[[], object], second: Callable[[], object], seconds: float
) -> tuple[float, float]:
    """The median rates of two calls measured in alternating rounds, so that a load
    that comes and goes on the machine weighs on both alike."""
    rates: tuple[list[float], list[float]] = ([], [])
    for _ in range(ROUNDS):
        rates[0].append(rate(first, seconds / ROUNDS)[0])
        rates[1].append(rate(second, seconds / ROUNDS)[0])
    return statistics.median(rates[0]), statistics.median(rates[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--database-url")
    parser.add_argument("--seconds", type=float, default=2.0)
    args = parser.parse_args()

    app = bench_app(args.database_url, RATELIMIT_ENABLED=False)
    with app.app_context():
        dialect = db.engine.dialect.name
        editor = {"Authorization": f"Bearer {create_token('bench-editor', 'editor')}"}
    print(f"database: {dialect}, {args.events:,} events in the pair IN-RU")
    client = app.test_client()
    # Before the bulk load, which inserts rows with explicit keys past the sequences.
    event_id, source_id = cited_event(client, editor)
    load(app, args.events)

    reads = {
        "event by id": f"{API}/events/{event_id}",
        "source by id (long text)": f"{API}/sources/{source_id}",
        f"timeline page (limit {PAGE})": f"{API}/timelines/IN-RU?limit={PAGE}",
        "pair summary": f"{API}/timelines/IN-RU/summary",
        "list of pairs": f"{API}/pairs",
    }
    floor = median_rate(lambda: client.get(f"{API}/health"), args.seconds)
    print(f"trivial endpoint (GET /health): {floor:,.0f} /s")
    print(f"{'read':30} {'200 /s':>10} {'304 /s':>10} {'304/200':>8} {'body bytes':>11}")
    for name, path in reads.items():
        full = client.get(path)
        assert full.status_code == 200, (path, full.status_code)
        cached = {"If-None-Match": full.headers["ETag"]}
        assert client.get(path, headers=cached).status_code == 304
        ok, not_modified = interleaved(
            lambda path=path: client.get(path),
            lambda path=path, cached=cached: client.get(path, headers=cached),
            args.seconds,
        )
        print(
            f"{name:30} {ok:10,.0f} {not_modified:10,.0f} {not_modified / ok:8.2f} "
            f"{len(full.data):11,}"
        )
    with app.app_context():
        db.engine.dispose()


if __name__ == "__main__":
    main()
