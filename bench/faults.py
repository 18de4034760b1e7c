"""Database faults under light load, as an operator runs it: what clients get, how soon it recovers.

It starts a PostgreSQL cluster of its own (initdb/pg_ctl; as user postgres when
run as root), loads the demo data, serves the app with gunicorn as `make run`
does (default settings), and runs a few client threads doing reads (the events
list, a timeline, the health check) and creates. Meanwhile:

  1. PostgreSQL is stopped for --outage seconds, then started again;
  2. another session holds an ACCESS EXCLUSIVE lock on the events table for
     --lock seconds, then releases it.

It prints, per phase, the counts by status and the max latency (health checks
apart), the 5xx answers other than 503 (there must be none), 503s without
Retry-After, and the recovery time: from the restart (or unlock) to the first 200
of a request sent after it. The run exits non-zero on any 5xx other than 503.

    .venv/bin/python bench/faults.py
"""

from __future__ import annotations

import argparse
import collections
import http.client
import json
import secrets
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.pg_cluster import pg_cluster, postgres_bin
from tests.served import HOST, served_app

API = "/api/v1"
CLIENT_TIMEOUT = 60.0


@dataclass(frozen=True)
class Result:
    phase: str
    path: str
    sent: float
    seconds: float
    status: int
    retry_after: bool


@dataclass
class Recorder:
    phase: str = "before"
    results: list[Result] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    stop: threading.Event = field(default_factory=threading.Event)

    def send(self, port: int, method: str, path: str, token: str) -> None:
        headers = {"Authorization": f"Bearer {token}"}
        body = None
        if method == "POST":
            body = json.dumps(_event_body()).encode()
            headers["Content-Type"] = "application/json"
        phase, sent = self.phase, time.monotonic()
        connection = http.client.HTTPConnection(HOST, port, timeout=CLIENT_TIMEOUT)
        try:
            connection.request(method, API + path, body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            status, retry_after = response.status, response.getheader("Retry-After") is not None
        except (OSError, http.client.HTTPException):
            status, retry_after = 599, False  # no answer at all
        finally:
            connection.close()
        result = Result(phase, path, sent, time.monotonic() - sent, status, retry_after)
        with self.lock:
            self.results.append(result)


def _event_body() -> dict[str, object]:
    return {
        "title": f"Fault bench event {secrets.token_hex(4)}",
        "summary": "Made by the fault bench.",
        "date": "2024-05",
        "countries": ["IN", "RU"],
    }


REQUESTS = [
    ("GET", "/events?limit=20"),
    ("GET", "/timelines/IN-RU"),
    ("POST", "/events"),
    ("GET", "/health"),
]


def _client(recorder: Recorder, port: int, token: str, offset: int) -> None:
    turn = offset
    while not recorder.stop.is_set():
        method, path = REQUESTS[turn % len(REQUESTS)]
        recorder.send(port, method, path, token)
        turn += 1
        recorder.stop.wait(0.05)  # light load: a short pause between requests


def _phase(recorder: Recorder, name: str, seconds: float) -> None:
    recorder.phase = name
    time.sleep(seconds)  # the load runs meanwhile


def _recovery(recorder: Recorder, since: float) -> float | None:
    firsts = [r.sent + r.seconds for r in recorder.results if r.sent >= since and r.status < 300]
    return min(firsts) - since if firsts else None


def _report(recorder: Recorder, phases: list[str], recovered: dict[str, float | None]) -> int:
    print(f"{'phase':<14} {'requests':>8} {'max s':>7} {'health max s':>12}  statuses")
    bad_total = 0
    for phase in phases:
        results = [r for r in recorder.results if r.phase == phase]
        statuses = collections.Counter(r.status for r in results)
        health = [r.seconds for r in results if r.path == "/health"]
        others = [r.seconds for r in results if r.path != "/health"]
        bad = sum(count for status, count in statuses.items() if status >= 500 and status != 503)
        bad_total += bad
        no_retry_after = sum(1 for r in results if r.status == 503 and not r.retry_after)
        print(
            f"{phase:<14} {len(results):>8} {max(others, default=0):>7.2f} "
            f"{max(health, default=0):>12.2f}  {dict(sorted(statuses.items()))}"
            f"  5xx other than 503: {bad}, 503 without Retry-After: {no_retry_after}"
        )
    for event, seconds in recovered.items():
        figure = f"{seconds:.2f} s" if seconds is not None else "no 200 at all"
        print(f"recovery after {event}: first 200 {figure} later")
    return 1 if bad_total else 0


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--steady", type=float, default=10.0, help="seconds before each fault")
    parser.add_argument("--outage", type=float, default=15.0)
    parser.add_argument("--lock", type=float, default=30.0)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (as make run)")
    args = parser.parse_args()
    bin_dir = postgres_bin()
    if bin_dir is None:
        print("the PostgreSQL server binaries (initdb, pg_ctl) are not installed")
        return 2
    with (
        pg_cluster(bin_dir) as cluster,
        tempfile.TemporaryDirectory() as log_dir,
        served_app(cluster.url, Path(log_dir), workers=args.workers) as app,
    ):
        app.flask("demo", "load")
        token = app.create_token("bench", "editor")
        recorder = Recorder()
        clients = [
            threading.Thread(target=_client, args=(recorder, app.port, token, offset))
            for offset in range(args.clients)
        ]
        for thread in clients:
            thread.start()
        recovered: dict[str, float | None] = {}
        locker = create_engine(cluster.url)

        def run(
            fault: str, begin: Callable[[], object], end: Callable[[], object], secs: float
        ) -> None:
            _phase(recorder, f"before {fault}", args.steady)
            recorder.phase = fault  # from the moment the fault begins until it has ended
            begin()
            time.sleep(secs)  # the load runs meanwhile
            end()
            since = time.monotonic()
            _phase(recorder, f"after {fault}", args.steady)
            recovered[fault] = _recovery(recorder, since)

        try:
            run("stopped", cluster.stop, cluster.start, args.outage)
            with locker.connect() as connection:
                run(
                    "locked",
                    lambda: connection.execute(text("LOCK TABLE events IN ACCESS EXCLUSIVE MODE")),
                    connection.rollback,
                    args.lock,
                )
        finally:
            recorder.stop.set()
            for thread in clients:
                thread.join(CLIENT_TIMEOUT + 5)
            locker.dispose()
    print(
        f"faults: {args.clients} clients against gunicorn ({args.workers} workers, "
        "gunicorn.conf.py) on its own PostgreSQL, default settings"
    )
    phases = [p for f in ("stopped", "locked") for p in (f"before {f}", f, f"after {f}")]
    return _report(recorder, phases, recovered)


if __name__ == "__main__":
    sys.exit(main())
