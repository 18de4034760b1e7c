"""The app served for real: migrated by the CLI, run by gunicorn on a free loopback port.

Tests that need real processes (races, generated clients, a browser) share this.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
START_SECONDS = 30.0


@dataclass(frozen=True)
class ServedApp:
    base_url: str
    port: int
    env: dict[str, str]
    log: Path

    def flask(self, *args: str) -> str:
        """Run a flask CLI command against the served app's database; its output."""
        return flask_command(self.env, *args)

    def create_token(self, name: str, role: str) -> str:
        """A new token, read from the last line of 'flask tokens create'."""
        return self.flask("tokens", "create", "--name", name, "--role", role).splitlines()[-1]


def flask_command(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "flask", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, f"flask {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout.strip()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


class ServerDidNotStart(RuntimeError):
    pass


def wait_until_ready(ready_url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    """Poll ``ready_url`` until it answers 200; fail early if the server dies."""
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ServerDidNotStart(
                f"The server exited with {process.returncode}:\n{log.read_text()}"
            )
        with (
            contextlib.suppress(OSError, urllib.error.URLError),
            urllib.request.urlopen(ready_url, timeout=2) as answer,
        ):
            if answer.status == 200:
                return
        time.sleep(0.05)  # the interval between polls, not a wait standing in for readiness
    raise ServerDidNotStart(f"The server did not answer in {START_SECONDS} s:\n{log.read_text()}")


@contextlib.contextmanager
def server_process(
    command: list[str], env: Mapping[str, str], ready_url: str, log: Path
) -> Iterator[subprocess.Popen[bytes]]:
    """Run ``command`` (its output in ``log``) until the block ends, once ``ready_url``
    answers; stop it afterwards, whatever happened."""
    with log.open("wb") as log_file:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=log_file, stderr=subprocess.STDOUT
        )
    try:
        wait_until_ready(ready_url, process, log)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextlib.contextmanager
def served_app(
    database_url: str,
    log_dir: Path,
    *,
    workers: int = 2,
    settings: Mapping[str, str] | None = None,
    app: str = "app:app",
    migrate: bool = True,
) -> Iterator[ServedApp]:
    """Migrate the database, serve the app on it as `make run` does (gunicorn.conf.py)
    with ``settings`` as extra environment variables, and stop the server afterwards.
    ``app`` is the WSGI app gunicorn serves (module:name); ``migrate=False`` serves a
    database that is migrated already.

    The server must not have logged a traceback by the time the block ends.
    """
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "FLASK_APP": "app.py",
        "READS_REQUIRE_TOKEN": "0",
        "ALLOW_SELF_REVIEW": "0",
        # Served tests and the soak drive far more requests than a client's budget.
        "RATELIMIT_ENABLED": "0",
        **(settings or {}),
    }
    if migrate:
        flask_command(env, "db", "upgrade")
    port = free_port()
    log = log_dir / "gunicorn.log"
    command = [sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py"]
    command += ["--bind", f"{HOST}:{port}", "--workers", str(workers), app]
    base_url = f"http://{HOST}:{port}"
    try:
        with server_process(command, env, f"{base_url}/api/v1/health", log):
            yield ServedApp(base_url, port, env, log)
            assert "Traceback" not in log.read_text(), log.read_text()
    except ServerDidNotStart as error:
        pytest.fail(str(error))
