"""Benchmark of ``flask events import``: prints figures, asserts nothing.

    python bench/import_rate.py [--events 100000] [--batch-size 1000] [--workers N] [--seed 1]
                                [--database-url URL] [--keep DIR]

Generates N synthetic events, seeded, into a JSON Lines file (bench/dataset.py:
skewed pairs, mixed date precisions, 1 to 4 citations each from a shared pool of
sources, rare tags and words). Then it times ``flask events import`` on that file into
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
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from dataset import Shape, generate
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
FLASK = str(Path(sys.executable).with_name("flask"))


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


@dataclass(frozen=True)
class Imported:
    """A timed run of ``flask events import``: wall and CPU seconds of the whole
    command, and its last line of output (the summary, or the error)."""

    seconds: float
    cpu: float
    line: str
    ok: bool


def _last_words(output: str) -> str:
    """The line of a command's output that says what happened: its last, but for
    SQLAlchemy's link to its error page."""
    lines = [line for line in output.strip().splitlines() if not line.startswith("(Background")]
    return lines[-1] if lines else "(no output)"


def timed_import(url: str, data: Path, batch_size: int, workers: int | None = None) -> Imported:
    """Migrate the database, then import the file with the CLI, timed."""
    migrated = _flask(url, "db", "upgrade")
    if migrated.returncode:
        return Imported(0.0, 0.0, _last_words(migrated.stderr), ok=False)
    started, cpu_before = time.perf_counter(), _children_cpu()
    options = ["--batch-size", str(batch_size)]
    if workers is not None:
        options += ["--workers", str(workers)]
    result = _flask(url, "events", "import", str(data), *options)
    seconds, cpu = time.perf_counter() - started, _children_cpu() - cpu_before
    return Imported(
        seconds, cpu, _last_words(result.stdout or result.stderr), ok=not result.returncode
    )


def measure(
    label: str, url: str, data: Path, events: int, batch_size: int, workers: int | None
) -> None:
    imported = timed_import(url, data, batch_size, workers)
    if not imported.ok:
        sys.exit(f"{label}: the import failed: {imported.line}")
    print(
        f"{label}: {events / imported.seconds:,.0f} events/s ({events:,} events in "
        f"{imported.seconds:.1f} s); {events / imported.cpu:,.0f} events per CPU second of "
        f"the import process ({imported.cpu:.1f} s)"
    )
    print(f"  {imported.line}")


def empty_postgres(url: str) -> None:
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
    parser.add_argument(
        "--workers", type=int, help="validating processes (default: the command's own)"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database-url", help="a PostgreSQL database to measure too")
    parser.add_argument("--keep", type=Path, help="keep the generated file and SQLite here")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as temporary:
        where = args.keep or Path(temporary)
        where.mkdir(parents=True, exist_ok=True)
        data = where / "events.jsonl"
        started = time.perf_counter()
        generate(data, Shape(args.events, seed=args.seed, sources=args.sources))
        print(
            f"{args.events:,} events over a pool of {args.sources:,} sources, "
            f"{data.stat().st_size / 1e6:,.0f} MB, made in {time.perf_counter() - started:.1f} s"
        )
        database = where / "import.db"
        database.unlink(missing_ok=True)
        measure("SQLite", f"sqlite:///{database}", data, args.events, args.batch_size, args.workers)
        if args.database_url:
            empty_postgres(args.database_url)
            measure(
                "PostgreSQL", args.database_url, data, args.events, args.batch_size, args.workers
            )


if __name__ == "__main__":
    main()
