"""Generated clients work: a Python and a TypeScript client, made from the committed
openapi.yaml, drive a served instance through a whole round trip.

The Python client comes from openapi-python-client (``--fail-on-warning``, into
build/clients/python), the TypeScript one from @hey-api/openapi-ts (into
clients/generated/ts, type-checked with ``tsc --noEmit``, then compiled to
clients/build). Both drivers (clients/python/roundtrip.py, clients/ts/roundtrip.ts)
run against gunicorn on a free loopback port, serving a fresh SQLite database
migrated by ``flask db upgrade``, with tokens made by ``flask tokens create``.

Generator versions are pinned: openapi-python-client in constraints.txt,
the npm packages in clients/package-lock.json. Nothing generated is committed.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.served import served_app

pytestmark = [pytest.mark.clients, pytest.mark.slow]

ROOT = Path(__file__).resolve().parent.parent
CLIENTS = ROOT / "clients"
SPEC = ROOT / "openapi.yaml"
BIN = Path(sys.executable).parent
PY_OUT = ROOT / "build" / "clients" / "python"
PY_PACKAGE = "timeline_api_client"
TS_OUT = CLIENTS / "generated" / "ts"
TS_BUILD = CLIENTS / "build"
LOCK_STAMP = CLIENTS / "node_modules" / ".timeline-package-lock.sha256"


def _run(args: list[str | Path], cwd: Path, timeout: float = 180, **kwargs: Any) -> str:
    """Run a command; fail the test with its output if it fails. Returns its output."""
    result = subprocess.run(
        [str(arg) for arg in args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        **kwargs,
    )
    output = result.stdout + result.stderr
    if result.returncode != 0:
        pytest.fail(f"{' '.join(map(str, args))} failed ({result.returncode}):\n{output}")
    return output


def _no_warnings(tool: str, output: str) -> None:
    warnings = [line for line in output.splitlines() if "warn" in line.lower()]
    assert not warnings, f"{tool} warned:\n" + "\n".join(warnings)


@contextlib.contextmanager
def _generation_lock() -> Iterator[None]:
    """One generation at a time: runs of the suite share the output folders."""
    path = ROOT / "build" / "clients.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


# --- the clients --------------------------------------------------------------


def _npm_ci_if_needed(npm: str) -> None:
    """``npm ci`` only when node_modules is missing or older than package-lock.json."""
    wanted = hashlib.sha256((CLIENTS / "package-lock.json").read_bytes()).hexdigest()
    if LOCK_STAMP.is_file() and LOCK_STAMP.read_text().strip() == wanted:
        return
    _run([npm, "ci", "--no-audit", "--no-fund"], CLIENTS, timeout=300)
    LOCK_STAMP.write_text(wanted + "\n")


def _generate_typescript(node: str, npm: str) -> Path:
    """Generate, type-check and compile the TypeScript client and its driver."""
    _npm_ci_if_needed(npm)
    bin_dir = CLIENTS / "node_modules" / ".bin"
    shutil.rmtree(TS_BUILD, ignore_errors=True)
    output = _run([bin_dir / "openapi-ts"], CLIENTS)
    _no_warnings("openapi-ts", output)
    assert (TS_OUT / "sdk.gen.ts").is_file(), f"openapi-ts wrote no SDK:\n{output}"
    _run([bin_dir / "tsc", "--noEmit"], CLIENTS)
    # Checked just above: emit the JavaScript that node runs without checking again.
    _run([bin_dir / "tsc", "--noEmit", "false", "--noCheck", "--outDir", TS_BUILD], CLIENTS)
    driver = TS_BUILD / "ts" / "roundtrip.js"
    assert driver.is_file(), "tsc did not compile clients/ts/roundtrip.ts"
    return driver


def _generate_python() -> None:
    """Generate the Python client (any generator warning fails it) and type-check the driver."""
    generator = BIN / "openapi-python-client"
    assert generator.is_file(), "openapi-python-client is missing: make install-dev"
    output = _run(
        [
            generator,
            "generate",
            "--path",
            SPEC,
            "--config",
            CLIENTS / "python-client.yaml",
            "--meta",
            "none",
            "--output-path",
            PY_OUT / PY_PACKAGE,
            "--overwrite",
            "--fail-on-warning",
        ],
        ROOT,
    )
    _no_warnings("openapi-python-client", output)
    # The Python counterpart of tsc --noEmit: the driver type-checks against the client.
    _run(
        [
            BIN / "mypy",
            "--strict",
            "--cache-dir",
            ROOT / "build" / "clients" / ".mypy_cache",
            CLIENTS / "python" / "roundtrip.py",
        ],
        ROOT,
        env={**os.environ, "MYPYPATH": str(PY_OUT)},
    )


def _python_roundtrip(base_url: str, editor: str, reviewer: str) -> dict[str, Any]:
    """Import the freshly generated client and run clients/python/roundtrip.py in process."""
    for name in [m for m in sys.modules if m == PY_PACKAGE or m.startswith(PY_PACKAGE + ".")]:
        del sys.modules[name]
    sys.path.insert(0, str(PY_OUT))
    try:
        spec = importlib.util.spec_from_file_location(
            "clients_python_roundtrip", CLIENTS / "python" / "roundtrip.py"
        )
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        summary: dict[str, Any] = module.roundtrip(base_url, editor, reviewer)
        return summary
    finally:
        sys.path.remove(str(PY_OUT))


# --- the served instance ------------------------------------------------------


@dataclass(frozen=True)
class Server:
    base_url: str
    editor_token: str
    reviewer_token: str


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    """gunicorn on a free 127.0.0.1 port, with a freshly migrated SQLite database."""
    with served_app(f"sqlite:///{tmp_path / 'timeline.db'}", tmp_path) as app:
        yield Server(
            app.base_url,
            app.create_token("editor-1", "editor"),
            app.create_token("reviewer-1", "reviewer"),
        )


# --- the test -----------------------------------------------------------------


def _check_summary(summary: dict[str, Any], client: str) -> None:
    assert summary["client"] == client
    assert summary["claim_status"] == "verified"
    assert summary["timeline_pages"] == 2
    assert len(summary["timeline_order"]) == 2
    assert summary["problem"]["status"] == 422
    assert summary["problem"]["errors"]["date"], summary["problem"]


@pytest.fixture
def node_and_npm() -> tuple[str, str]:
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.skip(
            "node and npm are needed to generate and run the TypeScript client "
            f"(node: {node or 'missing'}, npm: {npm or 'missing'}): generated clients NOT tested"
        )
    return node, npm


def test_generated_clients_drive_a_served_instance(
    node_and_npm: tuple[str, str], server: Server
) -> None:
    node, npm = node_and_npm
    with _generation_lock():
        _generate_python()
        ts_driver = _generate_typescript(node, npm)

        python = _python_roundtrip(server.base_url, server.editor_token, server.reviewer_token)
        _check_summary(python, "python")

        result = subprocess.run(
            [node, str(ts_driver)],
            cwd=CLIENTS,
            env={
                **os.environ,
                "TIMELINE_BASE_URL": server.base_url,
                "TIMELINE_EDITOR_TOKEN": server.editor_token,
                "TIMELINE_REVIEWER_TOKEN": server.reviewer_token,
            },
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert result.returncode == 0, f"TypeScript round trip failed:\n{result.stdout}{result.stderr}"
    typescript = json.loads(result.stdout.strip().splitlines()[-1])
    print("Python round trip:", json.dumps(python))
    print("TypeScript round trip:", json.dumps(typescript))
    _check_summary(typescript, "typescript")
    assert set(typescript["timeline_order"]).isdisjoint(python["timeline_order"])
