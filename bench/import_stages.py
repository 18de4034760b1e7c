"""Where the time of ``flask events import`` goes: prints figures, asserts nothing.

    python bench/import_stages.py [FILE | --events 60000 --seed 1] [--database-url URL]
                                  [--workers N] [--batch-size N]

Imports FILE (JSON Lines or CSV), or else a seeded file of --events synthetic events
(bench/dataset.py, as bench/import_rate.py makes), in this process, into a new
SQLite database in a temporary folder, or into the PostgreSQL database of
--database-url (its schema dropped and made again by the migrations). The stages
of storing are timed with a wall clock in the importing process, by wrapping the
functions that do them, and printed in microseconds per row of the file. They
nest, as indented: a batch holds the making, inserting and committing of its
events; inserting holds rendering and the rows of each table.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from dataset import Shape, generate
from flask_migrate import upgrade
from import_rate import empty_postgres
from sqlalchemy.orm import Session

from timeline import changes, create_app, feed, imports, read_model, services
from timeline.imports import default_workers, import_events

STAGES: defaultdict[str, float] = defaultdict(float)
TABLES: defaultdict[str, float] = defaultdict(float)


def timed(
    owner: Any, name: str, stage: str | Callable[..., str], into: defaultdict[str, float] = STAGES
) -> None:
    """Replace ``owner.name`` by the same function that adds its wall time to
    ``into[stage]`` (or to the stage named by ``stage(*args)``)."""
    function = getattr(owner, name)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            label = stage if isinstance(stage, str) else stage(*args)
            into[label] += time.perf_counter() - started

    setattr(owner, name, wrapper)


def _table(_connection: Any, model: Any, _rows: Any) -> str:
    return str(model.__tablename__)


STAGES_IN_ORDER = [
    "waiting for validated rows (with --workers), unpickling",
    "a batch in all (store, commit)",
    "  events made, sources found or stored",
    "  events inserted with their rows",
    "    rendering",
    "    timeline rows, in all",
    "    the word index",
    "  commit: the feed, pair counts, the database's own",
]


def instrument() -> None:
    (waiting, batch, made, inserting, rendering, timeline_rows, words, commit) = STAGES_IN_ORDER
    timed(imports, "_commit_batch", batch)
    timed(services, "new_events", made)
    timed(changes, "insert_new_events", inserting)
    timed(changes, "render", rendering)
    timed(changes, "insert_timeline_rows", timeline_rows)
    # insert_rows, as each module that inserts rows imported it.
    for module in (changes, read_model, feed):
        timed(module, "insert_rows", _table, TABLES)
    timed(read_model, "_insert_words", words)
    timed(Session, "commit", commit)
    timed(Connection, "recv", waiting)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", type=Path, nargs="?", help="default: a file of --events")
    parser.add_argument("--events", type=int, default=60_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database-url", help="a PostgreSQL database (default: a new SQLite)")
    parser.add_argument("--workers", type=int, help="validating processes (default: the command's)")
    parser.add_argument("--batch-size", type=int, default=imports.DEFAULT_BATCH_SIZE)
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="timeline-import-stages-"))
    rejects = folder / "rejects.jsonl"
    if args.file is None:
        args.file = folder / "events.jsonl"
        generate(args.file, Shape(args.events, seed=args.seed))
    url = args.database_url or f"sqlite:///{folder / 'import.db'}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    workers = args.workers
    if workers is None:
        workers = default_workers(imports.content_bytes(args.file), args.batch_size)
    with app.app_context():
        if args.database_url:
            empty_postgres(url)
        upgrade()
        instrument()
        started = time.perf_counter()
        summary = import_events(
            args.file,
            rejects_path=rejects,
            batch_size=args.batch_size,
            workers=workers,
            actor="import",
        )
        seconds = time.perf_counter() - started
    print(f"{url.split(':')[0]}, {workers} validating processes: {summary.line(rejects)}")
    rows = max(summary.rows, 1)
    print(f"{'the import in all':58} {seconds / rows * 1e6:8,.0f} µs per row")
    for stage in STAGES_IN_ORDER:
        if stage in STAGES:
            print(f"{stage:58} {STAGES[stage] / rows * 1e6:8,.0f}")
    print("rows of each table, within the stages above:")
    for table in sorted(TABLES, key=lambda table: -TABLES[table]):
        print(f"  {table:56} {TABLES[table] / rows * 1e6:8,.0f}")


if __name__ == "__main__":
    main()
