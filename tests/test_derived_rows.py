"""The rows derived from events (timeline rows, and by tag, range block and word) are
rewritten only where what they are made of changed, and always equal a rebuild's."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import select, text

from tests.factories import cite, create_event, etag, recorded_statements, review
from timeline.db import db
from timeline.models import PairEvent, PairEventTag, PairEventWord, PairRangeBlock

API = "/api/v1"
DERIVED_TABLES = ("pair_event_tags", "pair_range_blocks", "pair_event_words", "event_words")


def _stored(app: Flask) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the read model's tables, sorted."""
    with app.app_context():
        session = db.session
        word_index = (
            "SELECT seq, words::text FROM event_words"
            if session.get_bind().dialect.name == "postgresql"
            else "SELECT rowid, words FROM event_words"
        )
        stored = {
            "pair_events": sorted(map(tuple, session.execute(select(PairEvent.__table__)))),
            "pair_event_tags": sorted(map(tuple, session.execute(select(PairEventTag.__table__)))),
            "pair_range_blocks": sorted(
                map(tuple, session.execute(select(PairRangeBlock.__table__)))
            ),
            "pair_event_words": sorted(
                map(tuple, session.execute(select(PairEventWord.__table__)))
            ),
            "event_words": sorted(map(tuple, session.execute(text(word_index)))),
        }
        session.rollback()
        return stored


def _patch(client, tokens, event_id: str, changes: dict[str, Any]) -> None:
    response = client.patch(
        f"{API}/events/{event_id}",
        json=changes,
        headers={**tokens.editor, "If-Match": etag(client, event_id)},
    )
    assert response.status_code == 200, response.get_json()


def _deletes_of(recorded: list[tuple[str, Any]], tables: tuple[str, ...]) -> list[str]:
    """The recorded DELETE statements of any of the tables."""
    return [
        statement
        for statement, _parameters in recorded
        if statement.lstrip().upper().startswith("DELETE")
        and any(f" {table} " in f" {statement} " for table in tables)
    ]


class TestDerivedRows:
    def test_after_every_kind_of_write_they_equal_a_rebuilds(self, app, client, runner, tokens):
        ranged = create_event(
            client,
            tokens.editor,
            title="Joint exercise at sea",
            date="2021-03-01",
            end_date="2021-04-15",
            tags=["navy", "exercise"],
        )
        moved = create_event(client, tokens.editor, countries=["IN", "RU", "CN"])
        redated = create_event(client, tokens.editor, title="Rifle deal signed")
        retitled = create_event(client, tokens.editor, title="Summit talks")
        gone = create_event(client, tokens.editor, title="Pipeline deal")
        for event in (ranged, moved, redated, retitled, gone):
            cite(client, tokens.editor, event["id"])
        assert review(client, tokens.reviewer, ranged["id"], "verified").status_code == 201
        _patch(client, tokens, ranged["id"], {"tags": ["navy"], "end_date": "2021-05-01"})
        _patch(client, tokens, moved["id"], {"countries": ["IN", "CN"]})
        _patch(client, tokens, redated["id"], {"date": "2018-07"})
        _patch(client, tokens, retitled["id"], {"summary": "Talks on trade and energy."})
        assert review(client, tokens.reviewer, moved["id"], "in_review").status_code == 201
        deleted = client.delete(
            f"{API}/events/{gone['id']}",
            headers={**tokens.editor, "If-Match": etag(client, gone["id"])},
        )
        assert deleted.status_code == 204
        written = _stored(app)

        rebuilt = runner.invoke(args=["read-model", "rebuild"])

        assert rebuilt.exit_code == 0, rebuilt.output
        assert written == _stored(app)
        assert sorted({pair for pair, *_ in written["pair_events"]}) == ["CN-IN", "IN-RU"]
        assert all(written[table] for table in DERIVED_TABLES)  # something to compare

    def test_a_review_rewrites_the_timeline_rows_only(self, app, client, tokens):
        """A status changes neither tags nor dates nor words: their rows stay, and
        leave no dead rows behind on PostgreSQL."""
        event = create_event(client, tokens.editor, countries=["IN", "RU", "CN"])
        cite(client, tokens.editor, event["id"])
        before = _stored(app)

        with recorded_statements(app) as recorded:
            assert review(client, tokens.reviewer, event["id"], "verified").status_code == 201

        after = _stored(app)
        assert _deletes_of(recorded, DERIVED_TABLES) == []
        assert len(_deletes_of(recorded, ("pair_events",))) == 1
        assert {table: after[table] for table in DERIVED_TABLES} == {
            table: before[table] for table in DERIVED_TABLES
        }
        assert {row[-4] for row in after["pair_events"]} == {"verified"}  # claim_status

    def test_a_new_event_deletes_nothing(self, app, client, tokens):
        """A new event has no derived rows to replace."""
        with recorded_statements(app) as recorded:
            create_event(client, tokens.editor, countries=["IN", "RU", "CN"])

        assert _deletes_of(recorded, DERIVED_TABLES) == []
        assert len(_stored(app)["pair_events"]) == 3
