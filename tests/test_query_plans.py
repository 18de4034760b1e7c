"""The timeline and search queries read ranges of indexes: none scans or sorts a whole table.

Each page's query is captured as it runs and explained on the same database:
EXPLAIN QUERY PLAN on SQLite, EXPLAIN (FORMAT JSON) on PostgreSQL after ANALYZE,
over a few thousand events in one pair, so the planner chooses as it would at
scale. Allowed: ordered scans of an index that a LIMIT stops; a sort over the
matches of a word-index lookup (a rare word's few matches, put in timeline
order); on PostgreSQL, a sort over index ranges (the planner's choice when it
expects few rows in them, as for one month of the timeline).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text

from tests.factories import bulk_events
from timeline import read_model
from timeline.db import compiled_statement, db

API = "/api/v1"
EVENTS = 3000
# The tables that grow with the events.
BIG = {"pair_events", "pair_event_tags", "pair_event_words", "events", "event_tags"}
BIG |= {"event_words", "event_countries"}

TIMELINE = f"{API}/timelines/IN-RU"
CURSOR = "732000.2.1500"  # a page deep in the timeline
PAGES = {
    "first page": TIMELINE,
    "first page, reversed": f"{TIMELINE}?order=desc",
    "deep page": f"{TIMELINE}?cursor={CURSOR}",
    "status": f"{TIMELINE}?status=false",
    "status, deep": f"{TIMELINE}?status=false&cursor={CURSOR}",
    "rare tag": f"{TIMELINE}?tag=rare",
    "rare tag, deep": f"{TIMELINE}?tag=rare&cursor={CURSOR}",
    "rare word": f"{TIMELINE}?q=zanzibar",
    "rare prefix, deep": f"{TIMELINE}?q=zanz&cursor={CURSOR}",
    "rare prefix, reversed": f"{TIMELINE}?q=zanz&order=desc",
    "rare word and a common one": f"{TIMELINE}?q=defence%20zanz",
    "rare word, tag": f"{TIMELINE}?q=zanz&tag=a",
    "rare word, status, from/to": f"{TIMELINE}?q=zanz&status=false&from=2000&to=2015",
    "rare word, from/to, reversed": f"{TIMELINE}?q=zanz&from=2000&to=2015&order=desc",
    "from/to": f"{TIMELINE}?from=2015-06&to=2015-06",
    "from/to, reversed": f"{TIMELINE}?from=2015-06&to=2015-06&order=desc",
    "from": f"{TIMELINE}?from=2015-06-10",
    "to, reversed": f"{TIMELINE}?to=2015-06&order=desc",
    "events in a pair, rare word": f"{API}/events?pair=IN-RU&q=zanzibar",
    "events in a pair, rare tag": f"{API}/events?pair=IN-RU&tag=rare",
    "events": f"{API}/events",
    "events, rare word": f"{API}/events?q=zanzibar",
    "events, from/to": f"{API}/events?from=2015-06&to=2015-06",
}
# A word in a third of the events: its matches may all be read (a bitmap of the
# word index, or SQLite's list of them), but no big table is scanned or sorted.
COMMON_WORD = {
    "common word": f"{TIMELINE}?q=defence",
    "events, common word": f"{API}/events?q=defence",
}


def _specs() -> list[dict[str, Any]]:
    rng = random.Random(5)
    specs = []
    for i in range(EVENTS):
        year = rng.randrange(1990, 2020)
        kind = rng.random()
        if kind < 0.05:
            date, end = str(year), None
        elif kind < 0.15:
            date, end = f"{year}-{rng.randrange(1, 13):02}", None
        else:
            date = f"{year}-{rng.randrange(1, 13):02}-{rng.randrange(1, 29):02}"
            end = f"{year + 1}-01-15" if kind < 0.2 else None
        words = ["Event", str(i), rng.choice(["talks", "visit", "deal", "summit"])]
        words += ["defence"] if i % 3 == 0 else []
        words += ["Zanzibar"] if i % 500 == 7 else []
        words += ["Zanzibari"] if i % 500 == 257 else []
        specs.append(
            {
                "title": " ".join(words),
                "date": date,
                "end_date": end,
                "tags": ["rare"] if i % 500 == 11 else [rng.choice(["a", "b", "c"])],
            }
        )
    return specs


@pytest.fixture
def app_config() -> dict[str, Any]:
    # Each request reads its page, to be explained: none is answered from a kept answer.
    return {"RESPONSE_CACHE_BYTES": 0}


@pytest.fixture
def loaded(app: Flask) -> Flask:
    bulk_events(app, _specs())
    with app.app_context():
        # 1% false claims, as the read model stores them.
        for table in ("events", "pair_events"):
            db.session.execute(
                text(f"UPDATE {table} SET claim_status = 'false' WHERE seq % 100 = 0")
            )
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            db.session.execute(text("ANALYZE"))
            db.session.commit()
    return app


@pytest.fixture
def explained(loaded: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A function that requests a URL and returns the plans of its page queries; the
    plans of the queries that prepare a page (a word's matches counted or listed, the
    stored words a word begins) go to its ``helpers``."""
    plans: list[Any] = []
    helpers: list[Any] = []
    fetch = read_model.fetch_rows

    def explaining_fetch(stmt: Any, params: dict[str, Any]) -> Any:
        connection = db.session.connection()
        compiled = compiled_statement(stmt, connection.dialect)
        found = plans if "document" in compiled.string else helpers
        values: Any = compiled.construct_params(params)
        if compiled.positional:
            values = tuple(values[name] for name in compiled.positiontup or ())
        if connection.dialect.name == "sqlite":
            rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled.string}", values)
            found.append([_step(row, compiled.string) for row in rows])
        else:
            rows = connection.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {compiled.string}", values)
            found.append(rows.scalar_one()[0]["Plan"])
        return fetch(stmt, params)

    monkeypatch.setattr(read_model, "fetch_rows", explaining_fetch)

    def explain(url: str) -> list[Any]:
        plans.clear()
        response = client.get(url)
        assert response.status_code == 200, response.get_json()
        assert plans, url
        return list(plans)

    explain.helpers = helpers  # type: ignore[attr-defined]
    return explain


def _sqlite_problems(plan: list[str]) -> list[str]:
    problems = []
    lookup = any(step.startswith("SCAN event_words VIRTUAL TABLE") for step in plan)
    for step in plan:
        words = step.split()
        if words[0] == "SCAN" and words[1] in BIG and words[2:3] not in (["USING"], ["VIRTUAL"]):
            problems.append(step)
        if "AUTOMATIC" in step:
            problems.append(step)
        if step.startswith("USE TEMP B-TREE") and step != PAGE_SORT and not lookup:
            problems.append(step)
    return problems


# A page found by its keys (read_model._with_documents) is sorted again at the top,
# over its own rows only: at most a page.
PAGE_SORT = "USE TEMP B-TREE FOR ORDER BY (the page's rows)"


def _step(row: Any, statement: str) -> str:
    """A step of SQLite's plan: its text, told apart when it sorts a page's rows."""
    _id, parent, _unused, detail = row
    if parent == 0 and detail == "USE TEMP B-TREE FOR ORDER BY" and "AS page" in statement:
        return PAGE_SORT
    return str(detail)


def _nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


def _whole(node: dict[str, Any]) -> bool:
    """Whether the node reads a whole big table or index (no range of it)."""
    kind, relation = node["Node Type"], node.get("Relation Name")
    if kind == "Seq Scan":
        # At this size, PostgreSQL reads event_words whole rather than through its
        # GIN index (a cost of ~65 against ~100): from a few tens of thousands of
        # events on it takes the index (see bench/filters.py).
        return relation in BIG and relation != "event_words"
    if kind in ("Index Scan", "Index Only Scan", "Bitmap Index Scan"):
        return "Index Cond" not in node
    return False


def _postgresql_problems(plan: dict[str, Any]) -> list[str]:
    """Whole tables read, and sorts of more than an index range or a word's matches."""
    # An index read whole in its order is a scan that the page's LIMIT stops.
    problems = [
        f"Seq Scan of {n['Relation Name']}"
        for n in _nodes(plan)
        if n["Node Type"] == "Seq Scan" and _whole(n)
    ]
    for node in _nodes(plan):
        if node["Node Type"] in ("Sort", "Incremental Sort") and any(
            _whole(below) or (below["Node Type"] == "Seq Scan" and below is not node)
            for below in _nodes(node)
            if below.get("Relation Name") != "event_words"
        ):
            problems.append(f"{node['Node Type']} of {node['Sort Key']}")
    return problems


def _word_lookup_problems(plan: Any) -> list[str]:
    """The reads of pair_event_words that are not seeks or ranges of an index."""
    if isinstance(plan, list):
        return [s for s in plan if "pair_event_words" in s and not s.startswith("SEARCH")]
    return [
        f"{node['Node Type']} of pair_event_words"
        for node in _nodes(plan)
        if node.get("Relation Name") == "pair_event_words"
        and (node["Node Type"] == "Seq Scan" or _whole(node))
    ]


def _problems(plan: Any) -> list[str]:
    return _sqlite_problems(plan) if isinstance(plan, list) else _postgresql_problems(plan)


class TestQueryPlans:
    def test_pages_read_index_ranges(self, explained, app, monkeypatch):
        """One data set for every page (loading it is the slow part)."""
        sqlite = app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite")
        problems = {page: _problems(plan) for page, url in PAGES.items() for plan in explained(url)}
        # The stored words that each word of q begins, and how many rows hold them: seeks
        # and ranges of pair_event_words' key, never a scan of the table or an index.
        assert explained.helpers
        problems["words that q begins"] = [
            found for helper in explained.helpers for found in _word_lookup_problems(helper)
        ]
        # A rare word's page reads the pair's rows of each word it begins, in timeline
        # order ("zanzibar" and "zanzibari"), merged; only the page's rows are read whole.
        (rare,) = explained(PAGES["rare word"])
        if sqlite:
            by_word = "SEARCH pair_event_words USING PRIMARY KEY (pair=? AND word=?)"
            merged = ["CO-ROUTINE page", "MERGE (UNION)", "LEFT", by_word, "RIGHT", by_word]
            assert rare[:6] == merged
            assert "CORRELATED SCALAR SUBQUERY 1" in rare
        # A word in a third of the pair's events: its rows are read in timeline order
        # until the page is full.
        (common,) = explained(COMMON_WORD["common word"])
        problems["common word"] = _problems(common)
        if sqlite:
            assert common[:2] == ["CO-ROUTINE page", by_word]
        # Where a word begins too many of the pair's words, the word index is read: a
        # rare word's matches, then put in order.
        monkeypatch.setattr(read_model, "MAX_EXPANSIONS", 1)
        (rare,) = explained(PAGES["rare word"])
        problems["rare word, from the word index"] = _problems(rare)
        if sqlite:
            assert rare[:4] == [
                "CO-ROUTINE page",
                "SCAN event_words VIRTUAL TABLE INDEX 0:M1",
                "SEARCH pair_events USING INDEX ix_pair_events_event (seq=?)",
                "USE TEMP B-TREE FOR ORDER BY",
            ]
            assert "CORRELATED SCALAR SUBQUERY 1" in rare
        # A word with more matches than a lookup takes (its 1,000 here; a third of the
        # events at any size) is found as the page reads the timeline.
        monkeypatch.setattr(read_model, "MAX_EXPANSIONS", 0)
        monkeypatch.setattr(read_model, "WORD_LOOKUP_LIMIT", 100)
        for page, url in COMMON_WORD.items():
            (plan,) = explained(url)
            problems[f"{page}, from the word index"] = _problems(plan)
        bad = {page: found for page, found in problems.items() if found}
        assert not bad, "\n".join(f"{page}: {found}" for page, found in bad.items())
        if sqlite:
            (common,) = explained(COMMON_WORD["common word"])
            assert common[0].startswith("SEARCH pair_events USING INDEX sqlite_autoindex")


class TestPlanChecks:
    def test_catch_whole_scans_and_sorts(self):
        assert _sqlite_problems(["SCAN pair_events", "USE TEMP B-TREE FOR ORDER BY"]) == [
            "SCAN pair_events",
            "USE TEMP B-TREE FOR ORDER BY",
        ]
        assert _sqlite_problems(["SCAN events USING INDEX ix_events_timeline_order"]) == []
        full = {"Node Type": "Index Scan", "Relation Name": "pair_events"}
        sort = {"Node Type": "Sort", "Sort Key": ["first_day"], "Plans": [full]}
        assert _postgresql_problems(sort) == ["Sort of ['first_day']"]
        assert _postgresql_problems({"Node Type": "Seq Scan", "Relation Name": "events"}) == [
            "Seq Scan of events"
        ]
