"""The per-pair counts that the write path keeps (timeline/pair_counts.py): after
any mix of writes they equal a count of the timelines, and the summary and the pair
list read them with plans that neither scan nor sort a table."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text

from tests.factories import create_event, etag, event_body, recorded_statements, review
from timeline.db import db
from timeline.pair_counts import recount

API = "/api/v1"

# The counts as a GROUP BY over the timelines gives them: what the stored ones must equal.
RECOUNTS = {
    "pair_counts": (
        "SELECT pair, count(*), min(first_day), max(last_day) FROM pair_events GROUP BY pair",
        "SELECT pair, event_count, first_day, last_day FROM pair_counts",
    ),
    "pair_year_counts": (
        "SELECT pair, year, claim_status, count(*) FROM pair_events "
        "GROUP BY pair, year, claim_status",
        "SELECT pair, year, claim_status, count FROM pair_year_counts",
    ),
    "pair_tag_counts": (
        "SELECT pair_events.pair, tag, count(*) FROM pair_events "
        "JOIN event_tags ON event_tags.event_seq = pair_events.seq GROUP BY pair_events.pair, tag",
        "SELECT pair, tag, count FROM pair_tag_counts",
    ),
}


def _assert_counts_match_the_timelines(app: Flask) -> None:
    with app.app_context():
        for table, (recount, stored) in RECOUNTS.items():
            expected = sorted(tuple(row) for row in db.session.execute(text(recount)))
            assert sorted(tuple(row) for row in db.session.execute(text(stored))) == expected, table


def _patch(client: FlaskClient, headers: dict[str, str], event_id: str, **fields: Any) -> None:
    response = client.patch(
        f"{API}/events/{event_id}",
        json=fields,
        headers={**headers, "If-Match": etag(client, event_id)},
    )
    assert response.status_code == 200, response.get_json()


def _delete(client: FlaskClient, headers: dict[str, str], event_id: str) -> None:
    response = client.delete(
        f"{API}/events/{event_id}", headers={**headers, "If-Match": etag(client, event_id)}
    )
    assert response.status_code == 204


class TestCountsFollowEveryWrite:
    def test_creates_edits_reviews_deletes_and_imports(
        self, app: Flask, client: FlaskClient, runner: Any, tokens: Any, tmp_path: Path
    ) -> None:
        visit = create_event(client, tokens.editor, tags=["visit", "defence"])
        deal = create_event(
            client, tokens.editor, date="2021", countries=["IN", "RU", "CN"], tags=["deal"]
        )
        late = create_event(client, tokens.editor, date="2024-03", countries=["IN", "RU"])
        _assert_counts_match_the_timelines(app)

        _patch(client, tokens.editor, visit["id"], tags=["visit", "summit"], date="2018-02")
        _patch(client, tokens.editor, deal["id"], countries=["IN", "CN"])  # leaves IN-RU, CN-RU
        assert review(client, tokens.reviewer, late["id"], "in_review").status_code == 201
        # The latest event goes: IN-RU's last day moves back.
        _delete(client, tokens.editor, late["id"])
        rows = [
            {**event_body(title=f"Imported {n}", date=f"{2000 + n}", tags=["archive"]), "n": n}
            for n in range(3)
        ]
        path = tmp_path / "events.jsonl"
        path.write_text(
            "".join(json.dumps({k: v for k, v in r.items() if k != "n"}) + "\n" for r in rows)
        )
        assert runner.invoke(args=["events", "import", str(path)]).exit_code == 0
        _assert_counts_match_the_timelines(app)

        summary = client.get(f"{API}/timelines/IN-RU/summary").get_json()
        assert (summary["total"], summary["first_date"], summary["last_date"]) == (
            4,
            "2000-01-01",
            "2018-02-28",
        )
        assert summary["by_tag"] == [
            {"tag": "archive", "count": 3},
            {"tag": "summit", "count": 1},
            {"tag": "visit", "count": 1},
        ]
        assert client.get(f"{API}/timelines/CN-RU/summary").get_json()["total"] == 0
        pairs = client.get(f"{API}/pairs").get_json()["items"]
        assert [(p["id"], p["event_count"], p["first_date"], p["last_date"]) for p in pairs] == [
            ("CN-IN", 1, "2021-01-01", "2021-12-31"),
            ("IN-RU", 4, "2000-01-01", "2018-02-28"),
        ]

    def test_a_recount_gives_the_same_counts(
        self, app: Flask, client: FlaskClient, tokens: Any
    ) -> None:
        create_event(client, tokens.editor, tags=["visit", "defence"])
        create_event(client, tokens.editor, date="2021", countries=["IN", "RU", "CN"])
        with app.app_context():
            kept = {
                table: sorted(db.session.execute(text(RECOUNTS[table][1]))) for table in RECOUNTS
            }
            recount(db.session.connection())
            db.session.commit()
            assert {
                table: sorted(db.session.execute(text(RECOUNTS[table][1]))) for table in RECOUNTS
            } == kept
            assert kept["pair_counts"] != []

    def test_the_last_event_of_a_pair_takes_its_counts_with_it(
        self, app: Flask, client: FlaskClient, tokens: Any
    ) -> None:
        only = create_event(client, tokens.editor, countries=["BR", "ZA"], tags=["trade"])
        _delete(client, tokens.editor, only["id"])
        _assert_counts_match_the_timelines(app)
        with app.app_context():
            for table in RECOUNTS:
                assert db.session.scalar(text(f"SELECT count(*) FROM {table}")) == 0, table
        assert client.get(f"{API}/pairs").get_json()["items"] == []


def _plan(app: Flask, statement: str, parameters: Any) -> str:
    """The statement's plan as text. On PostgreSQL, sequential scans and sorts are
    priced out of reach first: a plan that still has one has no index to use instead,
    whatever the tables hold."""
    with app.app_context(), db.engine.connect() as connection:
        raw = connection.connection.dbapi_connection
        assert raw is not None
        cursor = raw.cursor()
        if db.engine.dialect.name == "sqlite":
            cursor.execute(f"EXPLAIN QUERY PLAN {statement}", parameters)
            return "\n".join(row[3] for row in cursor.fetchall())
        cursor.execute("SET enable_seqscan = off")
        cursor.execute("SET enable_sort = off")
        cursor.execute(f"EXPLAIN {statement}", parameters)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        raw.rollback()
        return plan


def _assert_no_scan_or_sort(plan: str) -> None:
    for line in plan.splitlines():
        words = line.split()
        # SQLite: "SCAN t" reads a whole table; "SCAN t USING ... INDEX" reads an index
        # in order, and stops at the LIMIT.
        assert not (words[:1] == ["SCAN"] and "USING" not in words), plan
        assert "TEMP B-TREE" not in line, plan
        assert "Seq Scan" not in line, plan
        assert "Sort" not in line, plan


READS = [
    "/timelines/IN-RU/summary",
    *(
        f"/pairs?sort={sort}&order={order}{cursor}"
        for sort in ("pair", "event_count", "first_date", "last_date")
        for order in ("asc", "desc")
        for cursor in ("", "&limit=1")
    ),
]


@pytest.mark.parametrize("path", READS)
def test_summary_and_pair_list_plans_neither_scan_nor_sort(
    app: Flask, client: FlaskClient, tokens: Any, path: str
) -> None:
    for countries, date in [(["IN", "RU"], "2019"), (["IN", "CN"], "2020"), (["FR", "US"], "2021")]:
        create_event(client, tokens.editor, countries=countries, date=date, tags=["visit"])
    url = f"{API}{path}"
    if "limit=1" in path:  # the second page, from a cursor
        url = f"{API}{path}&cursor={client.get(url).get_json()['next_cursor']}"
    with recorded_statements(app) as statements:
        assert client.get(url).status_code == 200
    reads = [(s, p) for s, p in statements if s.lstrip().upper().startswith("SELECT")]
    assert reads
    for statement, parameters in reads:
        _assert_no_scan_or_sort(_plan(app, statement, parameters))
