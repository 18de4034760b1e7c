"""Benchmark of API writes while ``flask events import`` runs: prints figures, asserts nothing.

    python bench/writes_during_import.py [--events 20000] [--batch-size 1000] [--seed 1]
                                         [--database-url URL] [--busy-loops 0]

Generates N synthetic events (bench/dataset.py) and makes a new SQLite database (or,
with --database-url, drops and remakes the schema of that PostgreSQL database), serves
it with gunicorn on a free loopback port, starts the import, and posts one event after
another through the API until the import ends. --busy-loops adds that many processes
that only burn CPU, as other work on a shared machine would.

Prints the import's time and the API writes' count, statuses and latency (p50, p99,
largest): on SQLite an API write should wait at most for the batch in progress
(timeline.write_turns), not for the import.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from dataset import Shape, generate
from import_rate import empty_postgres
from run import rank

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.served import ServedApp, served_app  # noqa: E402


@dataclass(frozen=True)
class Write:
    """One API write: its status, its latency and when it was sent into the import."""

    status: int
    seconds: float
    sent: float


def _post(url: str, token: str, title: str, import_started: float) -> Write:
    body = {"title": title, "date": "2019-11-05", "countries": ["IN", "RU"]}
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
    )
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            status: int = response.status
    except urllib.error.HTTPError as error:
        status = error.code
        if status != 503:
            sys.exit(f"the API refused a write: {status} {error.read().decode()}")
    return Write(status, time.perf_counter() - started, started - import_started)


def _measured(
    served: ServedApp, data: Path, args: argparse.Namespace
) -> tuple[float, str, list[Write]]:
    """The import's seconds and summary line, and the API writes made while it ran."""
    token = served.create_token("bench", "editor")
    loops = [
        subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(args.busy_loops)
    ]
    try:
        command = ["events", "import", str(data), "--batch-size", str(args.batch_size)]
        importing = subprocess.Popen(
            [sys.executable, "-m", "flask", *command],
            cwd=ROOT,
            env=served.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        started = time.perf_counter()
        writes: list[Write] = []
        url = f"{served.base_url}/api/v1/events"
        while importing.poll() is None:
            writes.append(_post(url, token, f"Write {len(writes)}", started))
        seconds = time.perf_counter() - started
        summary = (importing.communicate()[0].decode().strip().splitlines() or [""])[-1]
    finally:
        for loop in loops:
            loop.kill()
            loop.wait()
    return seconds, summary, writes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--batch-size", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database-url")
    parser.add_argument("--busy-loops", type=int, default=0)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="writes-during-import-") as workdir:
        data = Path(workdir) / "events.jsonl"
        generate(data, Shape(args.events, seed=args.seed))
        if args.database_url:
            empty_postgres(args.database_url)
        url = args.database_url or f"sqlite:///{Path(workdir) / 'timeline.db'}"
        with served_app(url, Path(workdir)) as served:
            seconds, summary, writes = _measured(served, data, args)

    database = "PostgreSQL" if args.database_url else "SQLite"
    print(f"{database}: {args.events:,} events, batches of {args.batch_size:,}")
    print(f"  import: {seconds:.1f} s ({summary})")
    if not writes:
        print("  API writes: none (the import ended first)")
        return
    statuses = Counter(write.status for write in writes)
    latencies = sorted(write.seconds for write in writes)
    slowest = max(writes, key=lambda write: write.seconds)
    print(f"  API writes during the import: {len(writes)}, statuses {dict(statuses)}")
    print(
        f"  latency ms: p50 {statistics.median(latencies) * 1000:.0f}, "
        f"p99 {rank(latencies, 0.99) * 1000:.0f}, largest {slowest.seconds * 1000:.0f} "
        f"(sent {slowest.sent:.1f} s into the import)"
    )


if __name__ == "__main__":
    main()
