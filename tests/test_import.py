"""flask events import: JSON Lines and CSV, rejects, batches, resuming by external_id."""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import json
import os
import pty
import select as select_module
import shutil
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path
from typing import Any

import orjson
import pytest
from marshmallow import ValidationError
from sqlalchemy import func, select

from tests.conftest import _truncate_all
from tests.factories import cite, create_event, event_body, source_body
from timeline import changes, create_app, imports
from timeline.db import db
from timeline.imports import ImportedEventSchema
from timeline.models import (
    Citation,
    Event,
    EventCountry,
    EventTag,
    FeedEntry,
    PairEvent,
    Source,
)
from timeline.schemas import EventCreateSchema, EventSchema

API = "/api/v1"
ROOT = Path(__file__).resolve().parent.parent
FLASK = str(Path(sys.executable).with_name("flask"))


def _jsonl(path: Path, rows: list[Any]) -> Path:
    path.write_text("".join(r if isinstance(r, str) else json.dumps(r) + "\n" for r in rows))
    return path


def _import(runner, path: Path, *options: str):
    return runner.invoke(args=["events", "import", str(path), *options])


def _rejecting_import(runner, path: Path, *options: str) -> tuple[str, list[dict[str, Any]]]:
    """Run an import that rejects rows: what it printed, and the rejects it wrote, each
    a line of strict JSON."""
    rejects = path.with_name("rejects.jsonl")
    result = _import(runner, path, "--rejects", str(rejects), *options)
    assert result.exit_code == 1, result.output
    return result.stdout, [
        json.loads(line, parse_constant=_not_json) for line in rejects.read_text().splitlines()
    ]


def _not_json(constant: str) -> None:
    raise AssertionError(f"{constant} is not JSON")


def _comparable(document: dict[str, Any]) -> dict[str, Any]:
    """An event without what differs between two events made from one input: ids,
    times, and the citation ids its checks name (as positions instead)."""
    positions = {c["id"]: n for n, c in enumerate(document["citations"])}
    return {
        **{k: v for k, v in document.items() if k not in ("id", "created_at", "updated_at")},
        "citations": [{k: v for k, v in c.items() if k != "id"} for c in document["citations"]],
        "checks": [
            {**check, "citation_id": positions.get(check["citation_id"])}
            for check in document["checks"]
        ],
    }


def _all_events(client) -> list[dict[str, Any]]:
    response = client.get(f"{API}/events?limit=200")
    assert response.status_code == 200
    items: list[dict[str, Any]] = response.get_json()["items"]
    return items


def _titles(client) -> list[str]:
    return sorted(event["title"] for event in _all_events(client))


def _summary(imported: int, skipped: int, rejected: int, rows: int) -> str:
    return (
        f"Imported {imported:,}, skipped {skipped:,} (already in), "
        f"rejected {rejected:,} of {rows:,} rows in "
    )


class TestJsonLines:
    def test_imported_events_read_exactly_as_if_posted(self, client, runner, tokens, tmp_path):
        stored = client.post(
            f"{API}/sources",
            json=source_body(url="https://example.org/known", text="They met in Moscow."),
            headers=tokens.editor,
        ).get_json()
        body = event_body(
            title="Talks in Moscow",
            date="2019-11",
            end_date="2019-12",
            approximate=True,
            countries=["ind", "RU", "CN"],
            location={"name": "Moscow", "country": "ru", "lat": 55.75, "lon": 37.62},
            actors=[" Rajnath Singh", "Rajnath Singh "],
            tags=["Visit", "visit", "Defence"],
            citations=[
                {"source_id": stored["id"].upper(), "quote": "They met.", "stance": "supports"},
                {"source": source_body(), "quote": "A visit.", "stance": "context"},
                {
                    "source": source_body(url="https://example.org/new", publisher="PTI"),
                    "quote": "No visit.",
                    "stance": "disputes",
                },
            ],
        )
        posted = client.post(f"{API}/events", json=body, headers=tokens.editor)
        assert posted.status_code == 201

        result = _import(runner, _jsonl(tmp_path / "events.jsonl", [{**body, "external_id": "x"}]))

        assert result.exit_code == 0, result.output
        assert result.stdout.startswith(_summary(1, 0, 0, 1))
        assert not (tmp_path / "events.jsonl.rejects.jsonl").exists()
        imported = [e for e in _all_events(client) if e["id"] != posted.get_json()["id"]]
        assert len(imported) == 1
        expected = _comparable(posted.get_json())
        got = client.get(f"{API}/events/{imported[0]['id']}")
        assert got.headers["ETag"] == f'"{imported[0]["id"]}.v1"'
        assert _comparable(got.get_json()) == expected
        # The sources cited inline were found, not made again.
        assert [c["source"]["id"] for c in got.get_json()["citations"]] == [
            c["source"]["id"] for c in posted.get_json()["citations"]
        ]
        assert len(client.get(f"{API}/sources").get_json()["items"]) == 3
        # In the timeline of every pair among its countries, and in the review queue.
        for pair in ("IN-RU", "CN-IN", "CN-RU"):
            items = client.get(f"{API}/timelines/{pair}").get_json()["items"]
            assert [_comparable(item) for item in items] == [expected, expected]
        queue = client.get(f"{API}/review-queue", headers=tokens.reviewer).get_json()["items"]
        assert len(queue) == 2
        revisions = client.get(f"{API}/events/{imported[0]['id']}/revisions").get_json()
        assert revisions == {"items": []}

    def test_rejected_rows_are_written_with_line_and_reasons_and_good_rows_go_in(
        self, client, runner, tmp_path
    ):
        path = _jsonl(
            tmp_path / "events.jsonl",
            [
                event_body(title="First"),
                "{not json\n",
                "\n",
                "[1, 2]\n",
                event_body(title="Bad country", countries=["IN", "XX"]),
                event_body(title="Status", claim_status="verified"),
                event_body(
                    title="Unknown source",
                    citations=[
                        {"source": source_body(), "quote": "Q", "stance": "supports"},
                        {
                            "source_id": "6f1c1a52-3b0a-4a43-9a55-0d2f0d1c2e11",
                            "quote": "Q",
                            "stance": "supports",
                        },
                    ],
                ),
                event_body(title="Long id", external_id="x" * 201),
                event_body(title="Last"),
            ],
        )
        rejects = tmp_path / "out" / "rejected.jsonl"
        rejects.parent.mkdir()

        result = _import(runner, path, "--batch-size", "3", "--rejects", str(rejects))

        assert result.exit_code == 1
        assert result.stdout.startswith(_summary(2, 0, 6, 8))
        assert result.stdout.rstrip().endswith(f"rows/s). Rejected rows: {rejects}")
        assert _titles(client) == ["First", "Last"]
        # The refused row's inline source was not stored.
        assert client.get(f"{API}/sources").get_json()["items"] == []
        written = [json.loads(line) for line in rejects.read_text().splitlines()]
        assert [(r["line"], r["errors"]) for r in written] == [
            (
                2,
                {
                    "_schema": [
                        "The line is not valid JSON: Expecting property name enclosed "
                        "in double quotes at line 1, column 2."
                    ]
                },
            ),
            (4, {"_schema": ["A line must hold one JSON object: an event."]}),
            (5, {"countries.1": ["'XX' is not an ISO 3166-1 alpha-2 or alpha-3 country code."]}),
            (
                6,
                {
                    "claim_status": [
                        "The claim status changes only through a review: "
                        "POST /api/v1/events/{id}/reviews with a status and a note."
                    ]
                },
            ),
            (
                7,
                {
                    "citations.1.source_id": [
                        "No source has the id '6f1c1a52-3b0a-4a43-9a55-0d2f0d1c2e11'."
                    ]
                },
            ),
            (8, {"external_id": ["Length must be between 1 and 200."]}),
        ]
        assert written[0]["row"] == "{not json"
        assert written[2]["row"]["title"] == "Bad country"

    def test_a_second_run_skips_what_is_in_by_external_id(self, client, runner, tmp_path):
        rows = [event_body(title=f"E{i}", external_id=f"e{i}") for i in range(5)]
        path = _jsonl(
            tmp_path / "events.jsonl", [*rows, event_body(title="Again", external_id="e1")]
        )

        first = _import(runner, path, "--batch-size", "2")
        assert first.exit_code == 0, first.output
        assert first.stdout.startswith(_summary(5, 1, 0, 6))

        more = _jsonl(tmp_path / "more.jsonl", [*rows, event_body(title="E5", external_id="e5")])
        second = _import(runner, more, "--batch-size", "2")
        assert second.exit_code == 0, second.output
        assert second.stdout.startswith(_summary(1, 5, 0, 6))
        assert _titles(client) == ["E0", "E1", "E2", "E3", "E4", "E5"]

    def test_a_byte_order_mark_before_the_first_line_is_ignored_and_elsewhere_refused(
        self, client, runner, tmp_path
    ):
        first, second = (
            json.dumps(event_body(title=title)).encode() for title in ("First", "Second")
        )
        path = tmp_path / "events.jsonl"
        path.write_bytes(codecs.BOM_UTF8 + first + b"\n" + codecs.BOM_UTF8 + second + b"\n")

        printed, (written,) = _rejecting_import(runner, path)

        assert printed.startswith(_summary(1, 0, 1, 2))
        assert _titles(client) == ["First"]
        assert written["line"] == 2
        (reason,) = written["errors"]["_schema"]
        assert reason.startswith("The line is not valid JSON: Unexpected UTF-8 BOM")

    def test_a_line_that_gives_a_key_twice_is_refused(self, client, runner, tmp_path):
        path = tmp_path / "events.jsonl"
        first = json.dumps(event_body(title="First"))
        path.write_text(f'{first}\n{first[:-1]}, "title": "Twice"}}\n')

        printed, (written,) = _rejecting_import(runner, path)

        assert printed.startswith(_summary(1, 0, 1, 2))
        assert _titles(client) == ["First"]
        assert written["line"] == 2
        assert written["errors"] == {
            "_schema": ['The line is not valid JSON: the key "title" is given twice in one object.']
        }

    def test_a_line_longer_than_a_request_body_is_a_reject_read_no_further(
        self, app, client, runner, tmp_path
    ):
        longest = app.config["MAX_CONTENT_LENGTH"]
        unpadded = len(json.dumps({**event_body(title="Fits"), "padding": ""}))
        fits = json.dumps({**event_body(title="Fits"), "padding": " " * (longest - unpadded)})
        assert len(fits) == longest  # the longest line taken, which the schema checks
        path = tmp_path / "events.jsonl"
        with path.open("wb") as file:
            file.write(json.dumps(event_body(title="First")).encode() + b"\n")
            file.write(b'{"title": "' + b"x" * (3 * longest) + b'"}\n')
            file.write(fits.encode() + b"\n")
            file.write(json.dumps(event_body(title="Last")).encode())

        printed, written = _rejecting_import(runner, path)

        assert printed.startswith(_summary(2, 0, 2, 4))
        assert _titles(client) == ["First", "Last"]
        assert [(reject["line"], reject["errors"]) for reject in written] == [
            (
                2,
                {
                    "_schema": [
                        f"The line is longer than {longest:,} bytes, the most a request "
                        "body may be."
                    ]
                },
            ),
            (3, {"padding": ["Unknown field."]}),
        ]
        assert written[0]["row"] == '{"title": "' + "x" * 189 + "\u2026"

    def test_rejects_are_strict_json_whatever_their_rows_held(self, client, runner, tmp_path):
        """A number too large for a float and a lone surrogate are refused by the schema,
        and the rejects file still holds a line of strict JSON for each."""
        path = tmp_path / "events.jsonl"
        path.write_text(
            '{"title": "Far", "date": "2019", "countries": ["IN", "RU"], '
            '"location": {"name": "Sea", "lat": 1e999, "lon": 0}}\n'
            '{"title": "Half \\ud800", "date": "2019", "countries": ["IN", "RU"]}\n'
            + json.dumps(event_body(title="Fine"))
            + "\n"
        )

        printed, (far, half) = _rejecting_import(runner, path)

        assert printed.startswith(_summary(1, 0, 2, 3))
        assert _titles(client) == ["Fine"]
        assert far["row"]["location"] == {"name": "Sea", "lat": "inf", "lon": 0}
        assert far["errors"] == {
            "location.lat": ["Special numeric values (nan or infinity) are not permitted."]
        }
        assert (half["line"], half["row"]["title"]) == (2, "Half \ud800")
        assert list(half["errors"]) == ["title"]

    def test_the_planner_has_statistics_for_what_an_import_stored(self, app, runner, tmp_path):
        with app.app_context():
            connection = db.session.connection()
            sqlite = connection.dialect.name == "sqlite"
            if sqlite:
                connection.exec_driver_sql("ANALYZE")  # a database planned with statistics
            db.session.commit()
        rows = [event_body(title=f"E{i}", external_id=f"e{i}") for i in range(7)]
        assert _import(runner, _jsonl(tmp_path / "e.jsonl", rows)).exit_code == 0
        with app.app_context():
            connection = db.session.connection()
            if sqlite:
                stat = "SELECT stat FROM sqlite_stat1 WHERE idx = 'sqlite_autoindex_pair_events_1'"
            else:
                stat = "SELECT reltuples::int FROM pg_class WHERE relname = 'pair_events'"
            (counted,) = connection.exec_driver_sql(stat).one()
            assert int(str(counted).split()[0]) == 7
            if not sqlite:
                # Vacuumed: an index-only scan need not read the table to see its rows.
                visible = "SELECT relallvisible FROM pg_class WHERE relname = 'pair_events'"
                assert connection.exec_driver_sql(visible).scalar_one() > 0

    def test_imported_events_are_in_the_sync_feed_as_created(self, client, runner, tmp_path):
        rows = [event_body(title=f"E{i}", external_id=f"e{i}") for i in range(3)]
        assert (
            _import(runner, _jsonl(tmp_path / "e.jsonl", rows), "--batch-size", "2").exit_code == 0
        )
        feed = client.get(f"{API}/changes?pair=IN-RU").get_json()
        assert [(item["kind"], item["version"]) for item in feed["items"]] == [("created", 1)] * 3
        assert [item["event"] for item in feed["items"]] == _all_events(client)

    @pytest.mark.parametrize("workers", ["0", "2"])
    def test_spellings_of_one_url_are_one_source_as_for_the_api(
        self, client, runner, tokens, tmp_path, workers
    ):
        """URLs are keyed (normalised) where rows are validated, in other processes with
        workers: the sources are still found by the key that the API gives them."""
        posted = client.post(
            f"{API}/sources",
            json=source_body(url="https://example.org/report?id=7"),
            headers=tokens.editor,
        ).get_json()
        spellings = [
            "https://example.org/report?id=7",
            "HTTPS://Example.org/report/?utm_source=feed&id=7",
            "https://example.org:443/report?id=7#top",
            "https://example.org/other",
            "https://EXAMPLE.org/other/?fbclid=1",
        ]
        rows = [
            event_body(
                title=f"E{n}",
                citations=[{"source": source_body(url=url), "quote": "Q", "stance": "supports"}],
            )
            for n, url in enumerate(spellings * 3)  # two batches
        ]
        path = _jsonl(tmp_path / "events.jsonl", rows)

        result = _import(runner, path, "--batch-size", "10", "--workers", workers)

        assert result.exit_code == 0, result.output
        cited = [
            client.get(f"{API}/events/{item['id']}").get_json()["citations"][0]["source"]["id"]
            for item in client.get(f"{API}/events?limit=100").get_json()["items"]
        ]
        (other,) = {id_ for id_ in cited if id_ != posted["id"]}
        assert (cited.count(posted["id"]), cited.count(other)) == (9, 6)
        sources = client.get(f"{API}/sources?limit=100").get_json()["items"]
        # As first given, though the batch gives the other spelling too.
        assert sorted(source["url"] for source in sources) == [
            "https://example.org/other",
            "https://example.org/report?id=7",
        ]

    def test_the_external_id_is_not_part_of_the_api(self, client, runner, tokens, tmp_path):
        _import(runner, _jsonl(tmp_path / "e.jsonl", [event_body(external_id="mine")]))
        (event,) = _all_events(client)
        assert "external_id" not in event
        response = client.post(
            f"{API}/events", json=event_body(external_id="mine"), headers=tokens.editor
        )
        assert response.status_code == 422
        assert response.get_json()["errors"] == {"external_id": ["Unknown field."]}


def _counts(app) -> dict[str, int]:
    with app.app_context():
        return {
            model.__name__: db.session.scalar(select(func.count()).select_from(model)) or 0
            for model in (Event, EventCountry, EventTag, Citation, Source, PairEvent)
        }


def _cited_rows(n: int) -> list[dict[str, Any]]:
    return [
        event_body(
            title=f"E{i}",
            external_id=f"e{i}",
            citations=[
                {
                    "source": source_body(url=f"https://example.org/{i}"),
                    "quote": "Q",
                    "stance": "supports",
                }
            ],
        )
        for i in range(n)
    ]


# Whole batches of _cited_rows: per event a country pair, a tag, a citation, a source
# of its own and a timeline row.
def _whole_batches(events: int) -> dict[str, int]:
    return {
        "Event": events,
        "EventCountry": 2 * events,
        "EventTag": events,
        "Citation": events,
        "Source": events,
        "PairEvent": events,
    }


def _fail_the_second_batch(patch: pytest.MonkeyPatch) -> None:
    """The import's second batch fails in the database, once its events and citations
    are written: a statement on a table that is not there."""
    real = changes.insert_timeline_rows
    calls = []

    def failing(connection, events, *rest):
        calls.append(len(events))
        if len(calls) == 2:
            connection.exec_driver_sql("INSERT INTO gone VALUES (1)")
        real(connection, events, *rest)

    patch.setattr(changes, "insert_timeline_rows", failing)


def _run_again_completes(app, client, runner, path: Path) -> None:
    """The same import again: the two events of the first batch are skipped."""
    rerun = _import(runner, path, "--batch-size", "2")
    assert rerun.exit_code == 0, rerun.output
    assert rerun.stdout.startswith(_summary(3, 2, 0, 5))
    assert _counts(app) == _whole_batches(5)
    assert _titles(client) == ["E0", "E1", "E2", "E3", "E4"]


class TestCheckOnly:
    def test_check_says_what_an_import_would_do_and_stores_nothing(
        self, app, client, runner, tmp_path
    ):
        _import(
            runner, _jsonl(tmp_path / "first.jsonl", [event_body(title="In", external_id="in")])
        )
        before = _counts(app)
        rows = [
            event_body(title="In again", external_id="in"),
            *_cited_rows(2),
            {**event_body(title="Bad date"), "date": "2019-02-30"},
            event_body(
                title="Unknown source",
                citations=[{"source_id": str(uuid.uuid4()), "quote": "Q", "stance": "supports"}],
            ),
        ]
        path = _jsonl(tmp_path / "events.jsonl", rows)

        printed, checked = _rejecting_import(runner, path, "--check", "--batch-size", "2")

        assert printed.startswith("Checked 5 rows in ")
        assert ", storing nothing: 2 would be imported, 1 skipped (already in), 2 rejected." in (
            printed
        )
        assert _counts(app) == before  # no event, no source of the rows' own
        assert _titles(client) == ["In"]

        printed, imported = _rejecting_import(runner, path, "--batch-size", "2")

        assert printed.startswith(_summary(2, 1, 2, 5))
        assert [(r["line"], r["errors"]) for r in checked] == [
            (r["line"], r["errors"]) for r in imported
        ]
        assert [r["line"] for r in checked] == [4, 5]
        assert _titles(client) == ["E0", "E1", "In"]


class TestGzip:
    def test_compressed_files_import_as_their_content(self, client, runner, tmp_path):
        rows = [event_body(title=f"E{i}", external_id=f"e{i}") for i in range(5)]
        plain = _jsonl(tmp_path / "events.jsonl", rows)
        compressed = tmp_path / "archive.jsonl.gz"
        compressed.write_bytes(gzip.compress(plain.read_bytes()))
        table = tmp_path / "more.csv.gz"  # CSV by the name under .gz
        table.write_bytes(gzip.compress(b"title,date,countries\r\nFrom CSV,2019,IN;RU\r\n"))

        for path, imported, skipped in ((compressed, 5, 0), (compressed, 0, 5), (table, 1, 0)):
            result = _import(runner, path)
            assert result.exit_code == 0, result.output
            assert result.stdout.startswith(_summary(imported, skipped, 0, imported + skipped))
        assert _titles(client) == ["E0", "E1", "E2", "E3", "E4", "From CSV"]
        # What decides how many checkers to start: the rows' bytes, not the file's.
        assert imports.content_bytes(compressed) == plain.stat().st_size
        assert imports.content_bytes(plain) == plain.stat().st_size

    def test_a_damaged_file_keeps_the_rows_before_the_damage(self, client, runner, tmp_path):
        rows = [
            event_body(title=f"E{i}", summary="x" * 200, external_id=f"e{i}") for i in range(60)
        ]
        content = "".join(json.dumps(row) + "\n" for row in rows).encode()
        whole = gzip.compress(content, compresslevel=0)  # stored: bytes in, bytes out
        path = tmp_path / "cut.jsonl.gz"
        path.write_bytes(whole[: len(whole) // 2])

        printed, (reject,) = _rejecting_import(runner, path)

        readable = gzip.GzipFile(fileobj=io.BytesIO(path.read_bytes()))
        lines = []
        with pytest.raises(EOFError):
            lines.extend(readable)
        whole_lines = [line for line in lines if line.endswith(b"\n")]
        assert 0 < len(whole_lines) < len(rows)
        assert printed.startswith(_summary(len(whole_lines), 0, 1, len(whole_lines) + 1))
        assert _titles(client) == sorted(f"E{i}" for i in range(len(whole_lines)))
        assert reject == {
            "line": len(whole_lines) + 1,
            "errors": {
                "_schema": [
                    "The file cannot be read past here: Compressed file ended before the "
                    "end-of-stream marker was reached."
                ]
            },
            "row": None,
        }


class TestTimelineOrder:
    """A window of rows is stored in timeline order, batch by batch (see
    ``imports._windows``): what the user sees is the same as in the file's order."""

    # Titles A-F with their dates, in the file's order.
    DATES = {
        "A": "2021-05-01",
        "B": "2019",
        "C": "2021-05-01",
        "D": "2019-03",
        "E": "2019",
        "F": "2020-01-02",
    }

    def test_a_window_goes_in_by_date_and_one_dates_events_keep_the_files_order(
        self, client, runner, tmp_path, monkeypatch
    ):
        monkeypatch.setattr(imports, "WINDOW_ROWS", 4)  # windows A-D and E-F
        rows = [event_body(title=title, date=date) for title, date in self.DATES.items()]
        result = _import(runner, _jsonl(tmp_path / "e.jsonl", rows), "--batch-size", "2")
        assert result.exit_code == 0, result.output

        feed = client.get(f"{API}/changes?pair=IN-RU").get_json()["items"]
        assert [item["event"]["title"] for item in feed] == ["B", "D", "A", "C", "E", "F"]
        timeline = client.get(f"{API}/timelines/IN-RU").get_json()["items"]
        # Of one date, the first in the file comes first (B before E, A before C), as
        # when the file is stored in its order.
        assert [event["title"] for event in timeline] == ["B", "E", "D", "F", "A", "C"]

    def test_of_rows_with_one_external_id_the_first_in_the_file_goes_in(
        self, client, runner, tmp_path
    ):
        rows = [
            event_body(title="First", date="2020", external_id="x"),
            event_body(title="Other", date="2015", external_id="y"),
            event_body(title="Second", date="2010", external_id="x"),
        ]
        path = _jsonl(tmp_path / "e.jsonl", rows)

        # One row a batch: the second x would be stored first, in date order.
        result = _import(runner, path, "--batch-size", "1")

        assert result.exit_code == 0, result.output
        assert result.stdout.startswith(_summary(2, 1, 0, 3))
        assert _titles(client) == ["First", "Other"]

    def test_progress_is_told_after_each_batch_up_to_the_files_end(self, app, tmp_path):
        rows = [event_body(title=f"E{i}", date=f"{2000 + (i * 7) % 20}") for i in range(10)]
        path = _jsonl(tmp_path / "e.jsonl", rows)
        told: list[tuple[int, int, int]] = []

        def progress(read: int, summary: imports.Summary) -> None:
            told.append((read, summary.rows, summary.imported))

        with app.app_context():
            imports.import_events(
                path,
                rejects_path=tmp_path / "rejects.jsonl",
                batch_size=3,
                actor="import",
                progress=progress,
            )

        # One window, of four batches.
        assert [(rows, imported) for _read, rows, imported in told] == [
            (3, 3),
            (6, 6),
            (9, 9),
            (10, 10),
        ]
        read = [read for read, _rows, _imported in told]
        assert read == sorted(read)
        assert 0 < read[0] < path.stat().st_size
        assert read[-1] == path.stat().st_size


class TestStoppedImports:
    def test_a_batch_that_fails_in_the_database_leaves_whole_batches(
        self, app, client, runner, database_url, tmp_path, monkeypatch
    ):
        path = _jsonl(tmp_path / "events.jsonl", _cited_rows(5))

        with monkeypatch.context() as patch:
            _fail_the_second_batch(patch)
            failed = _import(runner, path, "--batch-size", "2")
        assert failed.exit_code == 1
        said = {
            "sqlite": "no such table: gone",
            "postgresql": 'relation "gone" does not exist',
        }[database_url.split(":")[0].split("+")[0]]
        assert failed.output == (
            f"Error: The database failed: {said}. Imported 2 before, in whole batches; the one "
            "under way is not stored. Run the same command again to continue: rows with an "
            "external_id that is stored are skipped.\n"
        )
        assert _counts(app) == _whole_batches(2)

        _run_again_completes(app, client, runner, path)

    def test_the_rejects_counted_before_a_failure_are_in_the_file(
        self, runner, tmp_path, monkeypatch
    ):
        rows = _cited_rows(5)
        rows[2]["countries"] = ["IN"]
        path = _jsonl(tmp_path / "events.jsonl", rows)

        _fail_the_second_batch(monkeypatch)
        failed = _import(runner, path, "--batch-size", "2")

        assert failed.exit_code == 1
        assert failed.output.startswith("Error: The database failed: ")
        rejected = (tmp_path / "events.jsonl.rejects.jsonl").read_text().splitlines()
        assert [json.loads(line)["line"] for line in rejected] == [3]

    def test_killed_in_the_middle_of_a_batch_then_run_again(
        self, app, client, runner, database_url, tmp_path
    ):
        path = _jsonl(tmp_path / "events.jsonl", _cited_rows(5))
        # The import kills itself (SIGKILL: no clean-up runs) once the second batch's
        # events, countries, tags and citations are written but not committed.
        script = textwrap.dedent(
            f"""
            import os, signal, sys
            from timeline import changes, create_app

            real = changes.insert_timeline_rows
            calls = []

            def killed(connection, events, *rest):
                calls.append(events)
                if len(calls) == 2:
                    os.kill(os.getpid(), signal.SIGKILL)
                real(connection, events, *rest)

            changes.insert_timeline_rows = killed
            app = create_app({{"SQLALCHEMY_DATABASE_URI": {database_url!r}}})
            app.test_cli_runner().invoke(
                args=["events", "import", {str(path)!r}, "--batch-size", "2"]
            )
            sys.exit("the import was not killed")
            """
        )
        killed = subprocess.run(
            [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=False
        )
        assert killed.returncode == -signal.SIGKILL, killed.stderr
        assert _counts(app) == _whole_batches(2)

        _run_again_completes(app, client, runner, path)


def _consistent(app, batch_size: int) -> int:
    """Every stored event is whole, its batch with it: its countries, tag, citation,
    source, timeline row and feed entry, and a document equal to a fresh render
    (which every read returns). The number of events stored."""
    counts = _counts(app)
    events = counts["Event"]
    assert events % batch_size == 0, counts
    assert counts == _whole_batches(events)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(FeedEntry)) == events
        dump = EventSchema()
        for event in db.session.scalars(select(Event)):
            assert event.document == orjson.dumps(dump.dump(event)).decode()
            rows = db.session.scalars(select(PairEvent.document).where(PairEvent.seq == event.seq))
            assert list(rows) == [event.document]
    return events


# The longest a killed import's test waits for its first batch, and for its death.
_WAIT_SECONDS = 60


def _read_until(fd: int, wanted: bytes, deadline: float) -> bytes:
    """What the terminal shows, read until it holds ``wanted`` (bounded in time)."""
    shown = b""
    while wanted not in shown:
        left = deadline - time.monotonic()
        assert left > 0, f"no {wanted!r} in time; shown: {shown[-500:]!r}"
        ready, _, _ = select_module.select([fd], [], [], left)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # the process has ended: the terminal is gone
                chunk = b""
            assert chunk, f"the import ended before {wanted!r}; shown: {shown[-500:]!r}"
            shown += chunk
    return shown


class TestKilledImport:
    def test_sigkill_of_a_running_import_leaves_whole_events_and_a_rerun_completes_it(
        self, app, client, runner, database_url, tmp_path
    ):
        rows, batch_size = 200, 4
        path = _jsonl(tmp_path / "events.jsonl", _cited_rows(rows))
        # On a terminal, so the progress bar shows: it is redrawn after each batch.
        terminal, shell_side = pty.openpty()
        env = {**os.environ, "DATABASE_URL": database_url, "FLASK_APP": "app.py"}
        command = [FLASK, "events", "import", str(path), "--batch-size", str(batch_size)]
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=shell_side, stderr=shell_side, close_fds=True
        )
        os.close(shell_side)
        try:
            # The bar's count of rows appears once the first batch is committed.
            _read_until(terminal, b" rows, ", time.monotonic() + _WAIT_SECONDS)
            process.send_signal(signal.SIGKILL)
            assert process.wait(timeout=_WAIT_SECONDS) == -signal.SIGKILL
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=_WAIT_SECONDS)
            os.close(terminal)

        stored = _consistent(app, batch_size)
        assert 0 < stored < rows

        rerun = _import(runner, path, "--batch-size", str(batch_size))
        assert rerun.exit_code == 0, rerun.output
        assert rerun.stdout.startswith(_summary(rows - stored, stored, 0, rows))
        assert _consistent(app, batch_size) == rows


class TestAlongsideApiWrites:
    @pytest.fixture
    def app_config(self) -> dict[str, Any]:
        return {"RATELIMIT_ENABLED": False}  # writes as fast as the import lets them

    def test_api_writes_while_an_import_runs_all_complete(
        self, app, client, tokens, database_url, tmp_path
    ):
        """An import's batch is a write from its start: an API write that commits
        between the batch's reads and its writes neither fails the batch nor takes
        its events' keys, and the API's writes wait their turn."""
        rows, batch_size = 400, 2
        path = _jsonl(tmp_path / "events.jsonl", _cited_rows(rows))
        env = {**os.environ, "DATABASE_URL": database_url, "FLASK_APP": "app.py"}
        command = [FLASK, "events", "import", str(path), "--batch-size", str(batch_size)]
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        statuses: list[int] = []
        deadline = time.monotonic() + _WAIT_SECONDS
        try:
            # From before the import's first batch until after its last.
            while process.poll() is None:
                assert time.monotonic() < deadline, "the import did not end in time"
                assert len(statuses) < 5_000, "the import did not end within 5,000 writes"
                response = client.post(
                    f"{API}/events",
                    json=event_body(title=f"W{len(statuses)}"),
                    headers=tokens.editor,
                )
                statuses.append(response.status_code)
            output = process.communicate(timeout=_WAIT_SECONDS)[0].decode()
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=_WAIT_SECONDS)

        assert process.returncode == 0, output
        assert _summary(rows, 0, 0, rows) in output
        assert set(statuses) == {201}
        assert _counts(app)["Event"] == rows + len(statuses)
        assert _imported(app) == rows
        # The sync feed lists changes in commit order: the API's writes went in
        # between the import's batches, not only before or after them.
        committed = _committed_by_import(app)
        first, last = committed.index(True), len(committed) - committed[::-1].index(True)
        assert not all(committed[first:last])


def _committed_by_import(app) -> list[bool]:
    """For each change in the sync feed, in commit order: whether the import made it."""
    with app.app_context():
        by_import = db.session.scalars(
            select(Event.external_id.is_not(None))
            .join(FeedEntry, FeedEntry.event_seq == Event.seq)
            .order_by(FeedEntry.position)
        )
        return list(by_import)


def _imported(app) -> int:
    with app.app_context():
        stored = db.session.scalar(
            select(func.count()).select_from(Event).where(Event.external_id.is_not(None))
        )
        db.session.rollback()
        return stored or 0


class TestBadRows:
    def test_one_percent_of_bad_rows_are_rejected_the_rest_go_in_and_a_rerun_adds_nothing(
        self, app, runner, tmp_path
    ):
        rows = _cited_rows(300)
        rows[41]["date"] = "2019-02-30"
        rows[170]["citations"][0]["stance"] = "maybe"
        rows[299] = '{"title": "cut short"\n'
        path = _jsonl(tmp_path / "events.jsonl", rows)
        expected = [
            (42, {"date": ["'2019-02-30' does not exist: Feb 2019 has 28 days."]}),
            (171, {"citations.0.stance": ["Must be one of: supports, disputes, context."]}),
            (
                300,
                {
                    "_schema": [
                        "The line is not valid JSON: Expecting ',' delimiter at line 2, column 1."
                    ]
                },
            ),
        ]

        for imported, skipped in ((297, 0), (0, 297)):
            printed, written = _rejecting_import(runner, path, "--batch-size", "50")
            assert printed.startswith(_summary(imported, skipped, 3, 300))
            assert [(r["line"], r["errors"]) for r in written] == expected
            assert _counts(app) == _whole_batches(297)

    def test_validating_processes_give_the_same_rows_and_rejects_in_order(
        self, app, runner, tmp_path, monkeypatch
    ):
        rows = _cited_rows(60)
        for n in (3, 25, 58):
            rows[n]["countries"] = ["IN"]
        path = _jsonl(tmp_path / "events.jsonl", rows)
        monkeypatch.setattr(imports, "WINDOW_ROWS", 7)  # windows go round the checkers

        printed, written = _rejecting_import(runner, path, "--batch-size", "7", "--workers", "2")

        assert printed.startswith(_summary(57, 0, 3, 60))
        assert [(r["line"], r["errors"]) for r in written] == [
            (n + 1, {"countries": ["Give 2 to 20 countries."]}) for n in (3, 25, 58)
        ]
        assert _counts(app) == _whole_batches(57)
        with app.app_context():
            titles = db.session.scalars(select(Event.title).order_by(Event.seq))
            assert list(titles) == [f"E{i}" for i in range(60) if i not in (3, 25, 58)]


def test_inline_sources_validate_once_each_with_the_apis_results():
    """The import's schema remembers each distinct inline source's result: the same
    data and errors as the API's schema, the first time and the next."""
    good = source_body(url="https://example.org/a")
    bad = {**source_body(url="not a url"), "publisher": 1}
    bodies = [
        event_body(citations=[{"source": dict(source), "quote": "Q", "stance": "supports"}])
        for source in (good, bad, good, bad, {**good, "title": True}, {**good, "title": 1})
    ]
    api = EventCreateSchema()
    for body in bodies:
        expected = _loaded(api, body)
        assert _loaded(ImportedEventSchema(), body) == expected
        assert _loaded(ImportedEventSchema(), body) == expected


def _loaded(schema: Any, body: dict[str, Any]) -> Any:
    try:
        return schema.load(body)
    except ValidationError as error:
        return error.messages


def _empty_database(request, database_url: str, tmp_path: Path) -> str:
    """An empty migrated database of the same backend (PostgreSQL's is emptied)."""
    if database_url.startswith("sqlite"):
        path = tmp_path / "empty.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    _truncate_all(database_url)
    return database_url


# Columns of the CSV export that the server sets, so they differ after an import.
_SET_BY_SERVER = ("id", "created_at", "updated_at", "claim_status", "version")
_CITATION_COLUMNS = ("citations", "source_urls")


class TestCsv:
    def test_an_exported_timeline_imports_into_an_empty_database(
        self, request, app, client, tokens, database_url, tmp_path
    ):
        cited = create_event(
            client,
            tokens.editor,
            title="=HYPERLINK(1)",
            summary="Two lines,\nwith a comma; and a semicolon-free list.",
            date="2019-11-05",
            end_date="2019-11-09",
            location={"name": "Amethi", "country": "IN", "lat": -26.15, "lon": 81.81},
            actors=["Rajnath Singh", "Sergei Shoigu"],
            tags=["visit", "defence"],
        )
        cite(client, tokens.editor, cited["id"])
        create_event(client, tokens.editor, title="Approximate", date="2019", approximate=True)
        create_event(
            client,
            tokens.editor,
            title="Three countries",
            date="2020-02",
            countries=["IN", "RU", "CN"],
            location={"name": "Somewhere"},
            actors=[],
            tags=[],
            summary="",
        )
        exported = client.get(f"{API}/timelines/IN-RU/csv").get_data(as_text=True)
        before = list(csv.DictReader(io.StringIO(exported)))
        data = tmp_path / "in-ru.csv"
        data.write_text(exported, newline="")

        empty = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": _empty_database(request, database_url, tmp_path),
                "TESTING": True,
            }
        )
        result = empty.test_cli_runner().invoke(args=["events", "import", str(data)])

        assert result.exit_code == 0, result.output
        assert result.stdout.startswith(_summary(3, 0, 0, 3))
        assert result.stdout.rstrip().endswith(
            "1 CSV rows named source URLs, which CSV cannot carry as citations "
            "(no quote, no stance): import JSON Lines for citations."
        )
        after_csv = empty.test_client().get(f"{API}/timelines/IN-RU/csv").get_data(as_text=True)
        after = list(csv.DictReader(io.StringIO(after_csv)))
        kept = [c for c in before[0] if c not in _SET_BY_SERVER + _CITATION_COLUMNS]
        assert [{c: row[c] for c in kept} for row in after] == [
            {c: row[c] for c in kept} for row in before
        ]
        assert [row["claim_status"] for row in after] == ["unverified"] * 3
        assert [row["citations"] for row in after] == ["0"] * 3

        again = empty.test_cli_runner().invoke(args=["events", "import", str(data)])
        assert again.stdout.startswith(_summary(0, 3, 0, 3))
        with empty.app_context():
            db.engine.dispose()

    def test_rows_are_checked_like_the_api_and_unknown_columns_refused(
        self, client, runner, tmp_path
    ):
        good = tmp_path / "events.csv"
        good.write_text(
            "title,date,countries,approximate,lat,lon,location_name\r\n"
            "Fine,2019-11-05,IN;RU,false,,,\r\n"
            "Bad,2019-02-30,IN;RU,yes,north,,Moscow\r\n",
            newline="",
        )
        result = _import(runner, good)
        assert result.exit_code == 1
        assert _titles(client) == ["Fine"]
        (reject,) = [json.loads(line) for line in (tmp_path / "events.csv.rejects.jsonl").open()]
        assert reject["line"] == 3
        assert reject["errors"] == {
            "date": ["'2019-02-30' does not exist: Feb 2019 has 28 days."],
            "approximate": ["Not a valid boolean."],
            "location.lat": ["Not a valid number."],
        }

        odd = tmp_path / "odd.csv"
        odd.write_text("title,date,countries,colour\r\nX,2019,IN;RU,red\r\n", newline="")
        refused = _import(runner, odd)
        assert refused.exit_code == 1
        assert "Unknown CSV columns: colour." in refused.output
        assert _titles(client) == ["Fine"]

    def test_rows_that_cannot_be_read_are_rejected_and_the_rest_go_in(
        self, app, client, runner, tmp_path
    ):
        """A row in a Windows code page, a cell over the csv module's limit, a line
        longer than a request body and a row of more cells than the header are rejects
        with their lines, not a crash."""
        longest = app.config["MAX_CONTENT_LENGTH"]
        path = tmp_path / "events.csv"
        path.write_bytes(
            b"title,date,countries\r\n"
            b"First,2019,IN;RU\r\n"
            + "Caf\u00e9 talks,2019,IN;RU\r\n".encode("cp1252")
            + b'"'
            + b"x" * (csv.field_size_limit() + 1)
            + b'",2019,IN;RU\r\n'
            + b"y," * longest
            + b"\r\n"
            b"Wide,2019,IN;RU,\xff\r\n"
            b"Last,2019,IN;RU\r\n"
        )

        printed, written = _rejecting_import(runner, path)

        assert printed.startswith(_summary(2, 0, 4, 6))
        assert _titles(client) == ["First", "Last"]
        limit = csv.field_size_limit()
        assert written == [
            {
                "line": 3,
                "errors": {
                    "_schema": [
                        "The row is not UTF-8: it holds the byte 0xE9. Save the file as "
                        "UTF-8 (in Excel: CSV UTF-8)."
                    ]
                },
                "row": {"title": "Caf\ufffd talks", "date": "2019", "countries": "IN;RU"},
            },
            {
                "line": 4,
                "errors": {
                    "_schema": [
                        f"The row is not valid CSV: field larger than field limit ({limit})."
                    ]
                },
                "row": None,
            },
            {
                "line": 5,
                "errors": {
                    "_schema": [
                        f"The row is not valid CSV: the line is longer than {longest:,} characters."
                    ]
                },
                "row": None,
            },
            {
                "line": 6,
                "errors": {"_schema": ["The row has more cells than the header."]},
                "row": {
                    "title": "Wide",
                    "date": "2019",
                    "countries": "IN;RU",
                    "null": ["\ufffd"],
                },
            },
        ]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_creators_name_follows_the_rules_for_names(app, runner, tmp_path):
    path = _jsonl(tmp_path / "e.jsonl", [event_body()])

    result = _import(runner, path, "--created-by", "wire\x1b[31m")

    assert result.exit_code == 2
    assert result.output.endswith(
        "Error: Invalid value for '--created-by': Text cannot contain line breaks, tabs or "
        "other control characters (found U+001B at character 5).\n"
    )
    assert _counts(app)["Event"] == 0


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_quiet_when_not_a_terminal(runner, tmp_path):
    result = _import(runner, _jsonl(tmp_path / "e.jsonl", [event_body()]))
    assert result.exit_code == 0
    assert result.output.count("\n") == 1
    assert result.output.startswith(_summary(1, 0, 0, 1))
