"""A PostgreSQL cluster of one's own, to stop, start and lock without touching anyone else's.

It is made with ``initdb`` in a new temporary directory and listens on a free
loopback port (and a socket in its data directory). Run as root, the PostgreSQL
tools run as the ``postgres`` user, who owns the directory.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from tests.served import HOST, free_port

COMMAND_SECONDS = 60


def postgres_bin() -> Path | None:
    """The directory of initdb and pg_ctl: $PG_BIN, else the newest Debian
    install, else the PATH; None when there is none."""
    if "PG_BIN" in os.environ:
        return Path(os.environ["PG_BIN"])
    installed = sorted(
        Path("/usr/lib/postgresql").glob("*/bin"), key=lambda path: int(path.parent.name)
    )
    if installed:
        return installed[-1]
    pg_ctl = shutil.which("pg_ctl")
    return Path(pg_ctl).parent if pg_ctl else None


@dataclass(frozen=True)
class PgCluster:
    bin_dir: Path
    data_dir: Path
    port: int
    # Server settings beyond the defaults, such as wal_level=logical.
    settings: tuple[tuple[str, str], ...] = ()

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@{HOST}:{self.port}/postgres"

    def start(self) -> None:
        options = f"-p {self.port} -k {self.data_dir} -c listen_addresses={HOST} -c fsync=off"
        options += "".join(f" -c {name}={value}" for name, value in self.settings)
        log = self.data_dir / "server.log"
        self._pg_ctl("start", "-w", "-t", "30", "-l", str(log), "-o", options)

    def stop(self, mode: str = "fast") -> None:
        self._pg_ctl("stop", "-w", "-t", "30", "-m", mode)

    def _pg_ctl(self, *args: str) -> None:
        _run(self.bin_dir / "pg_ctl", "-D", str(self.data_dir), *args)


def _as_postgres() -> list[str]:
    return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


def _run(program: Path, *args: str) -> None:
    done = subprocess.run(
        [*_as_postgres(), str(program), *args],
        capture_output=True,
        text=True,
        timeout=COMMAND_SECONDS,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{program.name} {' '.join(args)} failed:\n{done.stdout}{done.stderr}")


@contextlib.contextmanager
def pg_cluster(bin_dir: Path, settings: Mapping[str, str] | None = None) -> Iterator[PgCluster]:
    """A new, started cluster (user postgres, trust on loopback) with ``settings``
    (postgresql.conf names and values), removed afterwards."""
    home = Path(tempfile.mkdtemp(prefix="timeline-pg-"))
    try:
        if os.geteuid() == 0:
            user = pwd.getpwnam("postgres")
            os.chown(home, user.pw_uid, user.pw_gid)
        cluster = PgCluster(bin_dir, home / "data", free_port(), tuple((settings or {}).items()))
        _run(
            bin_dir / "initdb",
            *("-D", str(cluster.data_dir), "-U", "postgres", "-A", "trust"),
            *("-E", "UTF8", "--locale=C", "--no-sync"),
        )
        cluster.start()
        try:
            yield cluster
        finally:
            with contextlib.suppress(RuntimeError):  # already stopped by the caller
                cluster.stop("immediate")
    finally:
        shutil.rmtree(home, ignore_errors=True)
