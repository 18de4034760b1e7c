"""Soak test: a served Timeline under mixed load for a few minutes, as an operator runs it.

It makes its own PostgreSQL database (next to --database-url), migrates it and
makes tokens with the CLI, serves the app with gunicorn as `make run` does, and
runs client threads that read timelines and events, create events (some citing
a shared new source), edit them with If-Match and review them, until the time is
up. It prints, per minute: requests, counts by status, p50 and p99 latency; the
totals; and the gunicorn workers' resident memory at the start and the end.
A 5xx answer, or an answer that is not JSON, counts as a server error: the run
exits non-zero if there was any.

    .venv/bin/python bench/soak.py --minutes 5
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import http.client
import json
import os
import random
import secrets
import select
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.served import served_app

API = "/api/v1"


@dataclass
class Recorder:
    started: float
    lock: threading.Lock = field(default_factory=threading.Lock)
    # minute -> list of (status, seconds)
    by_minute: dict[int, list[tuple[int, float]]] = field(
        default_factory=lambda: collections.defaultdict(list)
    )
    bad_type: int = 0
    # what the client saw when no answer came, by exception and message
    no_answer: collections.Counter[str] = field(default_factory=collections.Counter)

    def add(self, status: int, seconds: float, content_type: str, has_body: bool) -> None:
        minute = int((time.monotonic() - self.started) // 60)
        with self.lock:
            self.by_minute[minute].append((status, seconds))
            if has_body and "json" not in content_type:
                self.bad_type += 1


class Client:
    """One keep-alive connection; every answer is recorded."""

    def __init__(self, port: int, recorder: Recorder, token: str) -> None:
        self.port = port
        self.recorder = recorder
        self.token = token
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def _drop_if_closed_by_server(self) -> None:
        """Reconnect if the server closed this idle keep-alive connection (gunicorn
        does after `keepalive` seconds), as HTTP client libraries check before reuse."""
        sock = self.connection.sock
        if sock is not None and select.select([sock], [], [], 0)[0]:
            self.connection.close()

    def send(
        self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], Any]:
        all_headers = {"Authorization": f"Bearer {self.token}", **(headers or {})}
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            all_headers["Content-Type"] = "application/json"
        self._drop_if_closed_by_server()
        begun = time.monotonic()
        try:
            self.connection.request(method, path, body=payload, headers=all_headers)
            response = self.connection.getresponse()
            raw = response.read()
        except (OSError, http.client.HTTPException) as error:
            self.connection.close()
            with self.recorder.lock:
                self.recorder.no_answer[f"{method} {type(error).__name__}: {error}"] += 1
            self.recorder.add(599, time.monotonic() - begun, "", False)
            return 599, {}, None
        self.recorder.add(
            response.status,
            time.monotonic() - begun,
            response.getheader("Content-Type", ""),
            bool(raw),
        )
        if response.getheader("Connection", "").lower() == "close":
            self.connection.close()
        parsed = (
            json.loads(raw) if raw and "json" in response.getheader("Content-Type", "") else None
        )
        return response.status, dict(response.getheaders()), parsed


def _event_body(shared_url: str) -> dict[str, Any]:
    own = f"https://example.org/soak/{secrets.token_hex(6)}"
    return {
        "title": f"Soak event {secrets.token_hex(4)}",
        "summary": "Made by the soak test.",
        "date": f"20{random.randint(10, 25)}-{random.randint(1, 12):02d}",
        "countries": random.choice([["IN", "RU"], ["IN", "RU", "US"], ["FR", "IN"]]),
        "tags": [random.choice(["visit", "trade", "deal"])],
        "citations": [
            {
                "source": {"url": url, "title": "A report", "publisher": "ANI"},
                "quote": "A quoted sentence.",
                "stance": "supports",
            }
            for url in sorted({own, shared_url})
        ],
    }


def _work(port: int, tokens: dict[str, str], recorder: Recorder, until: float, seed: int) -> None:
    rng = random.Random(seed)
    editor = Client(port, recorder, tokens[rng.choice(["editor", "editor2"])])
    reviewer = Client(port, recorder, tokens["reviewer"])
    made: list[str] = []
    shared_url = f"https://example.org/shared/{secrets.token_hex(4)}"
    while time.monotonic() < until:
        roll = rng.random()
        if roll < 0.55 or not made:
            if roll < 0.05 or not made:
                status, _headers, body = editor.send(
                    "POST", f"{API}/events", _event_body(shared_url)
                )
                if status == 201:
                    made.append(body["id"])
                continue
            pair = rng.choice(["IN-RU", "IN-US", "FR-IN"])
            editor.send(
                "GET", f"{API}/timelines/{pair}?limit=20&order={rng.choice(['asc', 'desc'])}"
            )
            continue
        event_id = rng.choice(made)
        status, headers, body = editor.send("GET", f"{API}/events/{event_id}")
        if status != 200 or roll < 0.75:
            continue
        if_match = {"If-Match": headers.get("ETag", "")}
        if roll < 0.9:
            editor.send(
                "PATCH",
                f"{API}/events/{event_id}",
                {
                    "summary": f"Edited {secrets.token_hex(3)}",
                    "title": f"Edit {secrets.token_hex(3)}",
                },
                if_match,
            )
        else:
            target = (
                "verified" if body["claim_status"] in {"unverified", "in_review"} else "in_review"
            )
            reviewer.send(
                "POST",
                f"{API}/events/{event_id}/reviews",
                {"status": target, "note": "Soak."},
                if_match,
            )


def _worker_rss(port: int) -> dict[int, int]:
    """Resident memory (KiB) of each gunicorn worker serving ``port``."""
    bind = f"127.0.0.1:{port}"
    processes = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            if bind not in (entry / "cmdline").read_bytes().decode(errors="replace"):
                continue
            status = dict(
                line.split(":", 1)
                for line in (entry / "status").read_text().splitlines()
                if ":" in line
            )
            processes[int(entry.name)] = (int(status["PPid"]), int(status["VmRSS"].split()[0]))
    return {pid: rss for pid, (ppid, rss) in processes.items() if ppid in processes}


@contextlib.contextmanager
def _database(url: str) -> Iterator[str]:
    base = make_url(url)
    name = f"timeline_soak_{secrets.token_hex(4)}"
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
        ),
        help="a PostgreSQL server to make the soak database on",
    )
    args = parser.parse_args()
    with (
        _database(args.database_url) as url,
        tempfile.TemporaryDirectory() as log_dir,
        served_app(url, Path(log_dir)) as app,
    ):
        tokens = {
            name: app.create_token(name, role)
            for name, role in [
                ("editor", "editor"),
                ("editor2", "editor"),
                ("reviewer", "reviewer"),
            ]
        }
        rss_start = _worker_rss(app.port)
        recorder = Recorder(started=time.monotonic())
        until = recorder.started + args.minutes * 60
        threads = [
            threading.Thread(target=_work, args=(app.port, tokens, recorder, until, seed))
            for seed in range(args.clients)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(args.minutes * 60 + 60)
        rss_end = _worker_rss(app.port)

    print(f"soak: {args.clients} clients, {args.minutes:g} min, gunicorn as `make run` serves it")
    print(f"{'minute':>6} {'requests':>9} {'p50 ms':>8} {'p99 ms':>8}  statuses")
    totals: collections.Counter[int] = collections.Counter()
    for minute in sorted(recorder.by_minute):
        answers = recorder.by_minute[minute]
        statuses = collections.Counter(status for status, _ in answers)
        totals.update(statuses)
        seconds = [duration for _, duration in answers]
        print(
            f"{minute + 1:>6} {len(answers):>9} {statistics.median(seconds) * 1000:>8.1f} "
            f"{_percentile(seconds, 0.99) * 1000:>8.1f}  {dict(sorted(statuses.items()))}"
        )
    errors = sum(count for status, count in totals.items() if status >= 500)
    print(f"total {sum(totals.values())} requests: {dict(sorted(totals.items()))}")
    print(
        f"server errors (5xx or no answer): {errors}; "
        f"answers with a body that is not JSON: {recorder.bad_type}"
    )
    for what, count in recorder.no_answer.most_common():
        print(f"  no answer x{count}: {what}")
    print(
        f"worker RSS KiB at start {sorted(rss_start.values())}, at end {sorted(rss_end.values())}"
    )
    return 1 if errors or recorder.bad_type else 0


if __name__ == "__main__":
    sys.exit(main())
