"""The benchmark (`make bench`) runs end to end at toy size, so that it cannot rot.

It runs as `make bench` does, on SQLite, and with TEST_DATABASE_URL on PostgreSQL
too (in a database of its own beside the test database), and must print a row of
figures for every query.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
POSTGRES_URL = os.environ.get("TEST_DATABASE_URL")

pytestmark = pytest.mark.slow

SIZES = (200, 300)

QUERIES = [
    "first page",
    "first page, kept answer",
    re.compile(r"page [\d,]+ deep"),
    "status=false",
    "tag=ceasefire (rare)",
    "q=zeppelin (rare)",
    re.compile(r"from/to \d{4}-\d\d, asc"),
    re.compile(r"from/to \d{4}-\d\d, desc"),
    "summary",
    "/pairs",
    "trivial endpoint",
    "/health (asks the database)",
]
# Columns of the table: query, items, in process p50, p99, HTTP p50, p99, floor p50,
# p50 ÷ floor, req/s.
TIMINGS = slice(2, 6)
NUMBER = re.compile(r"^\d[\d,]*(\.\d+)?$")


@pytest.fixture
def bench_postgres() -> Iterator[str]:
    """The benchmark's database name on the test server ('' without one); it makes one
    database per size, named with the size, which are dropped afterwards."""
    if not POSTGRES_URL:
        yield ""
        return
    url = make_url(POSTGRES_URL)
    name = f"{url.database}_bench"
    yield url.set(database=name).render_as_string(hide_password=False)
    server = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        for size in SIZES:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}_{size}" WITH (FORCE)'))
    server.dispose()


def tables(markdown: str, heading: str = "### ") -> dict[str, dict[str, list[str]]]:
    """The rows of each table under a heading of that level, by its title and query."""
    found: dict[str, dict[str, list[str]]] = {}
    rows: dict[str, list[str]] = {}
    for line in markdown.splitlines():
        if line.startswith(heading):
            rows = found.setdefault(line[len(heading) :], {})
        elif line.startswith("#"):
            rows = {}
        elif line.startswith("| ") and not line.startswith("| query"):
            cells = [cell.strip() for cell in line.strip("|").split(" | ")]
            rows[cells[0]] = cells
    return found


def row_of(rows: dict[str, list[str]], query: str | re.Pattern[str]) -> list[str]:
    matching = [
        cells
        for label, cells in rows.items()
        if (query.fullmatch(label) if isinstance(query, re.Pattern) else label == query)
    ]
    assert len(matching) == 1, (query, list(rows))
    return matching[0]


def test_the_benchmark_prints_figures_for_every_query(tmp_path: Path, bench_postgres: str) -> None:
    results = tmp_path / "RESULTS.md"
    command = [sys.executable, "bench/run.py", "--sizes", ",".join(map(str, SIZES))]
    command += ["--samples", "10"]
    command += ["--seconds-per-query", "1", "--wrk-seconds", "1", "--workers", "1"]
    command += ["--work-dir", str(tmp_path / "work"), "--results", str(results)]
    command += ["--postgres-url", bench_postgres]
    done = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr

    written = results.read_text(encoding="utf-8")
    for line in ("- date: ", "- machine: ", "- Python ", "- command: "):
        assert f"\n{line}" in written
    sections = tables(written)
    assert tables(done.stdout) == sections
    databases = ["SQLite"] + (["PostgreSQL"] if bench_postgres else [])
    assert list(sections) == [f"{name}, {size} events" for size in SIZES for name in databases]
    for rows in sections.values():
        for query in QUERIES:
            cells = row_of(rows, query)
            assert all(NUMBER.match(cell) for cell in cells[TIMINGS]), cells
        first_page = row_of(rows, "first page")
        assert first_page[1] == "50"
        assert NUMBER.match(first_page[6]), first_page  # the floor
        for query in ("first page", "first page, kept answer", "trivial endpoint"):
            rate = row_of(rows, query)[8]
            assert NUMBER.match(rate) or rate == "no wrk", (query, rate)
        datasette = row_of(rows, "Datasette: first page")
        assert datasette[1] == "50"
        assert all(NUMBER.match(cell) for cell in datasette[4:6]), datasette
        assert NUMBER.match(datasette[8]) or datasette[8] == "no wrk", datasette

    # Each query's cost at 300 events ÷ at 200, per database, timed in turns, and
    # whether it met 1.5×; with each size's own run's p50 beside it.
    flatness = tables(written.split("\n## Flatness\n", 1)[1], heading="#### ")
    assert list(flatness) == databases
    for rows in flatness.values():
        for query in QUERIES:
            cells = row_of(rows, query)
            in_its_run = cells[2].split(" / ")
            assert len(in_its_run) == len(SIZES), cells
            assert all(map(NUMBER.match, in_its_run)), cells
            assert NUMBER.match(cells[4]), cells
            verdict = cells[5]
            exempt = query in ("trivial endpoint", "/health (asks the database)")
            assert verdict == "–" if exempt else verdict in ("met", "missed"), cells
            # The ratio of the p50s in turns shown, within their rounding to 0.01 ms.
            smaller, larger = (float(p50) for p50 in cells[3].split(" / "))
            assert float(cells[4]) == pytest.approx(larger / smaller, rel=0.05), cells


# The benchmark's other scripts, each at toy size on SQLite, with a line it must print.
SCRIPTS = {
    "read_path.py": (
        ["--events", "300", "--seconds", "0.3", "--rounds", "1"],
        "kept page 1 / trivial",
    ),
    "conditional.py": (["--events", "300", "--seconds", "0.2"], "timeline page (limit 50)"),
    "filters.py": (["--small", "200", "--large", "400", "--repeats", "2"], "events?pair from/to"),
    "pair_counts.py": (["--events", "300", "--seconds", "0.2"], "pairs by event count, page 2"),
    "import_rate.py": (["--events", "200"], "SQLite: "),
    "import_stages.py": (["--events", "200"], "  events inserted with their rows"),
    "source_fanout.py": (["--events", "50"], "50"),
    "review_churn.py": (["--events", "200"], "reviews posted"),
    "writes_during_import.py": (["--events", "200", "--batch-size", "20"], "SQLite: 200 events"),
    "drafts_eval.py": ([], "| seed article |"),
}


@pytest.mark.parametrize("script", sorted(SCRIPTS))
def test_every_benchmark_script_runs_at_toy_size(script: str, tmp_path: Path) -> None:
    arguments, expected = SCRIPTS[script]
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / script), *arguments],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert expected in result.stdout, result.stdout
