"""Benchmark of ``flask events import``: prints figures, asserts nothing.

    python bench/import_rate.py [--events 100000] [--batch-size 1000] [--seed 1]
                                [--workers N] [--database-url URL] [--keep DIR]

Generates N synthetic events, seeded, into a JSON Lines file: several country
pairs (and some events among three countries), dates of year, month and day
precision (some ranges, some approximate), some locations, actors and tags, and 1
to 4 citations each whose sources come inline from a shared pool (so most of them
are found, not created). Then it times ``flask events import`` on that file into
a new SQLite database, and with --database-url (e.g.
postgresql+psycopg://postgres@127.0.0.1:5432/bench; the database must exist, and
its schema is dropped and made again by the migrations) into PostgreSQL too.

Prints, per database, the events per second of the whole command (start-up
included), in wall time and in CPU time of the import process (the database
server's own work is not in the latter: PostgreSQL runs apart), and the
import's own summary line.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
FLASK = str(Path(sys.executable).with_name("flask"))

COUNTRIES = ["IN", "RU", "CN", "US", "FR", "PK", "JP", "DE"]
PUBLISHERS = ["ANI", "PTI", "Reuters", "TASS", "AFP", "Xinhua", None]
STANCES = ["supports", "supports", "context", "disputes"]
WORDS = [
    *("defence", "minister", "visit", "talks", "trade", "deal", "rifles", "joint"),
    *("venture", "summit", "border", "agreement", "delegation", "missile", "aircraft"),
    *("navy", "exercise", "energy", "pipeline", "sanctions"),
]


def _date(rng: random.Random) -> dict[str, Any]:
    year = rng.randint(1950, 2025)
    precision = rng.choice(["year", "month", "day", "day"])
    if precision == "year":
        start = f"{year}"
        end = f"{year + rng.randint(1, 3)}" if rng.random() < 0.1 else None
    elif precision == "month":
        start = f"{year}-{rng.randint(1, 12):02}"
        end = None
    else:
        month, day = rng.randint(1, 12), rng.randint(1, 28)
        start = f"{year}-{month:02}-{day:02}"
        end = (
            f"{year}-{month:02}-{min(28, day + rng.randint(1, 5)):02}"
            if rng.random() < 0.15
            else None
        )
    return {"date": start, "end_date": end, "approximate": rng.random() < 0.1}


def _day(rng: random.Random) -> str:
    return f"{rng.randint(1950, 2025)}-{rng.randint(1, 12):02}-{rng.randint(1, 28):02}"


def _source(n: int, rng: random.Random) -> dict[str, Any]:
    return {
        "url": f"https://news.example.org/{n // 100}/report-{n}",
        "title": f"Report {n}: " + " ".join(rng.sample(WORDS, 4)),
        "publisher": rng.choice(PUBLISHERS),
        "published_on": _day(rng),
    }


def generate(path: Path, events: int, sources: int, seed: int) -> None:
    rng = random.Random(seed)
    pool = [_source(n, rng) for n in range(sources)]
    with path.open("wb") as out:
        for i in range(events):
            countries = rng.sample(COUNTRIES, 3 if rng.random() < 0.05 else 2)
            event: dict[str, Any] = {
                "external_id": f"bench-{seed}-{i}",
                "title": " ".join(rng.sample(WORDS, 5)).capitalize(),
                "summary": " ".join(rng.choices(WORDS, k=rng.randint(5, 30))),
                **_date(rng),
                "countries": countries,
                "actors": rng.sample(["Rajnath Singh", "Sergei Shoigu", "Ajay Kumar"], 2),
                "tags": rng.sample(WORDS, rng.randint(0, 3)),
                "citations": [
                    {
                        "source": rng.choice(pool),
                        "quote": " ".join(rng.choices(WORDS, k=8)),
                        "stance": rng.choice(STANCES),
                    }
                    for _ in range(rng.randint(1, 4))
                ],
            }
            if rng.random() < 0.2:
                event["location"] = {"name": "Moscow", "country": "RU", "lat": 55.75, "lon": 37.62}
            out.write(orjson.dumps(event) + b"\n")


def _flask(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": url, "FLASK_APP": "app.py"}
    return subprocess.run(
        [FLASK, *args], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )


def _children_cpu() -> float:
    """CPU seconds used by finished child processes: on a busy machine the wall time
    says more about the other processes than about the import."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure(
    label: str, url: str, data: Path, events: int, batch_size: int, workers: int | None
) -> None:
    migrated = _flask(url, "db", "upgrade")
    if migrated.returncode:
        sys.exit(migrated.stderr)
    options = ["--batch-size", str(batch_size)]
    if workers is not None:
        options += ["--workers", str(workers)]
    started, cpu_before = time.perf_counter(), _children_cpu()
    result = _flask(url, "events", "import", str(data), *options)
    seconds, cpu = time.perf_counter() - started, _children_cpu() - cpu_before
    print(
        f"{label}: {events / seconds:,.0f} events/s ({events:,} events in {seconds:.1f} s); "
        f"{events / cpu:,.0f} events per CPU second of the import (its processes: {cpu:.1f} s)"
    )
    print(f"  {result.stdout.strip() or result.stderr.strip()}")


def _empty_postgres(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--sources", type=int, default=5_000, help="the shared source pool")
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--workers", type=int, help="validating processes (default: the command's own)"
    )
    parser.add_argument("--database-url", help="a PostgreSQL database to measure too")
    parser.add_argument("--keep", type=Path, help="keep the generated file and SQLite here")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as temporary:
        where = args.keep or Path(temporary)
        where.mkdir(parents=True, exist_ok=True)
        data = where / "events.jsonl"
        started = time.perf_counter()
        generate(data, args.events, args.sources, args.seed)
        print(
            f"{args.events:,} events over a pool of {args.sources:,} sources, "
            f"{data.stat().st_size / 1e6:,.0f} MB, made in {time.perf_counter() - started:.1f} s"
        )
        database = where / "import.db"
        database.unlink(missing_ok=True)
        measure("SQLite", f"sqlite:///{database}", data, args.events, args.batch_size, args.workers)
        if args.database_url:
            _empty_postgres(args.database_url)
            measure(
                "PostgreSQL", args.database_url, data, args.events, args.batch_size, args.workers
            )


if __name__ == "__main__":
    main()
