"""Slow clients against a served Timeline, as an operator checks it.

It serves the app as `make run` does (tests/served.py, same gunicorn settings),
opens --sockets connections that each send a request's headers one byte per
second (a "slowloris"), and times a few /health requests while they trickle.
It prints each /health time; the run exits non-zero if one took longer than
--limit seconds or failed.

    .venv/bin/python bench/slow_clients.py --sockets 16
"""

from __future__ import annotations

import argparse
import contextlib
import socket
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.served import HOST, served_app

# What a slow client sends, one byte a second; it never gets to the blank line.
SLOW_HEADERS = b"GET /api/v1/health HTTP/1.1\r\nHost: localhost\r\nX-Slow: " + b"a" * 200


def trickle(port: int, stop: threading.Event, opened: threading.Barrier) -> None:
    with socket.create_connection((HOST, port), timeout=5) as sock:
        opened.wait(timeout=10)
        for byte in SLOW_HEADERS:
            try:
                sock.sendall(bytes([byte]))
            except OSError:  # the server gave up on this client: fine
                return
            if stop.wait(1.0):
                return


def time_health(base_url: str, timeout: float) -> float:
    started = time.monotonic()
    with urllib.request.urlopen(f"{base_url}/api/v1/health", timeout=timeout) as answer:
        answer.read()
        assert answer.status == 200, answer.status
    return time.monotonic() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sockets", type=int, default=4, help="slow clients (default 4)")
    parser.add_argument("--probes", type=int, default=5, help="/health requests timed")
    parser.add_argument("--limit", type=float, default=2.0, help="seconds a probe may take")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds before a probe fails")
    parser.add_argument("--database-url", help="default: a fresh SQLite file")
    args = parser.parse_args()

    failed = False
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'slow.db'}"
        with served_app(url, Path(tmp)) as app:
            print(f"baseline /health: {time_health(app.base_url, args.timeout):.3f} s")
            stop = threading.Event()
            opened = threading.Barrier(args.sockets + 1)
            clients = [
                threading.Thread(target=trickle, args=(app.port, stop, opened), daemon=True)
                for _ in range(args.sockets)
            ]
            for client in clients:
                client.start()
            opened.wait(timeout=10)
            try:
                stop.wait(2.0)  # let every slow client get its first bytes in
                for probe in range(args.probes):
                    started = time.monotonic()
                    try:
                        seconds = time_health(app.base_url, args.timeout)
                    except OSError as error:
                        seconds = time.monotonic() - started
                        print(f"probe {probe + 1}: failed after {seconds:.1f} s: {error}")
                        failed = True
                        continue
                    print(f"probe {probe + 1} with {args.sockets} slow clients: {seconds:.3f} s")
                    failed = failed or seconds > args.limit
            finally:
                stop.set()
                for client in clients:
                    client.join(timeout=10)
            with contextlib.suppress(OSError):
                print(f"after: {time_health(app.base_url, args.timeout):.3f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
