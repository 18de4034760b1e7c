"""A source edit that many events cite: the source at once, its events in the background.

The threshold is lowered to 3 citing events, so that a handful of events takes
the path that thousands take in production. The tests drain the pending work
with ``flask read-model refresh`` (or one batch at a time), except the one that
watches the server's own worker do it.
"""

from __future__ import annotations

import importlib
import time
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select, text

from tests.factories import create_event, etag, review, source_body
from timeline import rerender
from timeline.db import db
from timeline.domain.countries import pair_ids
from timeline.domain.words import event_words
from timeline.models import Event, FeedEntry, PairEvent, PairEventWord, SourceRerender
from timeline.read_model import rendered

API = "/api/v1"
THRESHOLD = 3


@pytest.fixture
def app_config() -> dict[str, Any]:
    return {"SOURCE_RERENDER_INLINE_MAX": THRESHOLD, "SOURCE_RERENDER_BATCH": 2}


def _source(client, tokens) -> str:
    response = client.post(f"{API}/sources", json=source_body(), headers=tokens.editor)
    assert response.status_code == 201, response.get_json()
    return str(response.get_json()["id"])


def _citing(client, tokens, source_id: str, count: int) -> list[dict[str, Any]]:
    citation = {"source_id": source_id, "quote": "q", "stance": "supports"}
    return [
        create_event(client, tokens.editor, title=f"Event {n}", citations=[citation])
        for n in range(count)
    ]


def _edit(client, headers, source_id: str, changes: dict[str, Any]):
    current = client.get(f"{API}/sources/{source_id}").headers["ETag"]
    return client.patch(
        f"{API}/sources/{source_id}", json=changes, headers={**headers, "If-Match": current}
    )


def _event(client, event_id: str) -> dict[str, Any]:
    body: dict[str, Any] = client.get(f"{API}/events/{event_id}").get_json()
    return body


def _cited_title(client, event_id: str) -> str:
    return str(_event(client, event_id)["citations"][0]["source"]["title"])


def _retitle_inline(client, tokens, source_id: str, events: list[dict[str, Any]]) -> None:
    """Retitle the source, done within the request: every citing event shows it."""
    response = _edit(client, tokens.editor, source_id, {"title": "Corrected title"})
    assert response.status_code == 200
    assert "Citing-Events-Pending" not in response.headers
    for event in events:
        assert _cited_title(client, event["id"]) == "Corrected title"


def _revisions(client, event_id: str) -> list[tuple[int, str, list[str]]]:
    items = client.get(f"{API}/events/{event_id}/revisions").get_json()["items"]
    return [(r["version"], r["changed_by"], r["changed_fields"]) for r in items]


def _feed_after(client, since: str) -> list[tuple[str, str, int]]:
    page = client.get(f"{API}/changes", query_string={"since": since, "limit": 200}).get_json()
    assert not page["has_more"]
    return [(item["kind"], item["event_id"], item["version"]) for item in page["items"]]


def _head(client) -> str:
    return str(client.get(f"{API}/changes").get_json()["next_cursor"])


def _refresh(runner) -> str:
    result = runner.invoke(args=["read-model", "refresh"])
    assert result.exit_code == 0, result.output
    return str(result.output)


def assert_read_model_current(app: Flask) -> None:
    """Every stored document is a fresh render of its event, and the timeline rows
    are exactly the event's pairs, carrying that document."""
    with app.app_context():
        events = db.session.scalars(select(Event).order_by(Event.seq)).all()
        assert events
        rows = db.session.execute(select(PairEvent.pair, PairEvent.seq, PairEvent.document)).all()
        for event in events:
            if event.deleted_at is None:  # a deleted event keeps its last document
                assert event.document == rendered(event), event.id
        expected = {
            (pair, event.seq, event.document)
            for event in events
            if event.deleted_at is None
            for pair in pair_ids(event.country_codes)
        }
        assert sorted(rows) == sorted(expected)
        # And the q filter finds each of them in its pairs under each of its words.
        filed = db.session.execute(
            select(PairEventWord.pair, PairEventWord.word, PairEventWord.seq)
        )
        assert sorted(filed) == sorted(
            (pair, word, event.seq)
            for event in events
            if event.deleted_at is None
            for pair in pair_ids(event.country_codes)
            for word in event_words(event.title, event.summary, event.actors)
        )
        db.session.rollback()


class TestLargeFanOut:
    def test_the_source_at_once_its_events_after_the_refresh(self, app, client, runner, tokens):
        source_id = _source(client, tokens)
        events = _citing(client, tokens, source_id, THRESHOLD + 2)
        decided = events[0]["id"]
        assert review(client, tokens.reviewer, decided, "verified").status_code == 201
        since = _head(client)

        response = _edit(client, tokens.editor2, source_id, {"title": "Corrected title"})
        assert response.status_code == 200
        assert response.get_json()["title"] == "Corrected title"
        assert response.headers["Citing-Events-Pending"] == str(THRESHOLD + 2)
        assert response.headers["ETag"] == f'"{source_id}.v2"'
        # Until the work is done, the events show the source as it was.
        assert _cited_title(client, decided) == source_body()["title"]
        assert _feed_after(client, since) == []
        with app.app_context():
            assert rerender.pending_events() == THRESHOLD + 2

        done = _refresh(runner)
        assert done == f"Brought {THRESHOLD + 2} events up to date with their sources.\n"

        with app.app_context():
            assert rerender.pending_events() == 0
            assert db.session.scalar(select(func.count()).select_from(SourceRerender)) == 0
        for event in events:
            assert _cited_title(client, event["id"]) == "Corrected title"
        # Each event once: one revision by the editor, one feed entry.
        assert _revisions(client, decided) == [
            (1, "reviewer", ["claim_status"]),
            (2, "editor2", ["citations"]),
        ]
        for event in events[1:]:
            assert _revisions(client, event["id"]) == [(1, "editor2", ["citations"])]
        assert sorted(_feed_after(client, since)) == sorted(
            [("changed", decided, 3)] + [("changed", event["id"], 2) for event in events[1:]]
        )
        # The decided claim went back to review, saying why.
        current = _event(client, decided)
        assert (current["claim_status"], current["version"]) == ("in_review", 3)
        history = client.get(f"{API}/events/{decided}/reviews").get_json()["items"]
        assert [(r["to_status"], r["reviewer"], r["note"]) for r in history] == [
            ("verified", "reviewer", "Checked."),
            (
                "in_review",
                "system",
                f"Reopened: editor2 changed title of the source 'Corrected title' "
                f"({source_id}) that this 'verified' claim cites.",
            ),
        ]
        for event in events[1:]:
            assert client.get(f"{API}/events/{event['id']}/reviews").get_json()["items"] == []
        timeline = client.get(f"{API}/timelines/IN-RU").get_json()["items"]
        assert {item["citations"][0]["source"]["title"] for item in timeline} == {"Corrected title"}
        assert_read_model_current(app)

    def test_at_the_threshold_the_request_does_it_all(self, app, client, tokens):
        source_id = _source(client, tokens)
        events = _citing(client, tokens, source_id, THRESHOLD)
        _retitle_inline(client, tokens, source_id, events)
        with app.app_context():
            assert rerender.pending_events() == 0

    def test_a_flush_of_more_events_than_one_in_list_holds(self, app, client, tokens, monkeypatch):
        # The package's name ``db`` is the extension, not this module.
        monkeypatch.setattr(importlib.import_module("timeline.db"), "IN_CHUNK", 2)
        source_id = _source(client, tokens)
        # Done in the request, in one flush: three events, two IN lists.
        events = _citing(client, tokens, source_id, THRESHOLD)
        _retitle_inline(client, tokens, source_id, events)
        page = client.get(f"{API}/timelines/IN-RU", query_string={"limit": 200}).get_json()
        cited = [
            citation["source"]["title"]
            for item in page["items"]
            for citation in item["citations"]
            if citation["source"]["id"] == source_id
        ]
        assert cited == ["Corrected title"] * THRESHOLD
        assert_read_model_current(app)

    def test_a_deleted_event_is_not_counted_nor_changed(self, app, client, runner, tokens):
        source_id = _source(client, tokens)
        events = _citing(client, tokens, source_id, THRESHOLD + 1)
        gone = events[0]["id"]
        deleted = client.delete(
            f"{API}/events/{gone}", headers={**tokens.editor, "If-Match": etag(client, gone)}
        )
        assert deleted.status_code == 204
        response = _edit(client, tokens.editor, source_id, {"title": "Corrected title"})
        assert "Citing-Events-Pending" not in response.headers
        response = _edit(client, tokens.editor, source_id, {"author": "A. Reporter"})
        assert "Citing-Events-Pending" not in response.headers
        _citing(client, tokens, source_id, 1)
        response = _edit(client, tokens.editor, source_id, {"title": "Again"})
        assert response.headers["Citing-Events-Pending"] == str(THRESHOLD + 1)
        _refresh(runner)
        assert client.get(f"{API}/events/{gone}/revisions").status_code == 410
        assert_read_model_current(app)


class TestWhilePending:
    def test_a_second_edit_extends_the_work(self, app, client, runner, tokens):
        source_id = _source(client, tokens)
        events = _citing(client, tokens, source_id, THRESHOLD + 2)
        authored = _edit(client, tokens.editor, source_id, {"author": "A. Reporter"})
        assert authored.status_code == 200
        with app.app_context():
            assert rerender.refresh_batch(2) == 2  # events 0 and 1 are done
        assert _cited_title(client, events[0]["id"]) == source_body()["title"]
        response = _edit(client, tokens.editor2, source_id, {"title": "Corrected title"})
        assert response.headers["Citing-Events-Pending"] == str(THRESHOLD + 2)
        _refresh(runner)

        for event in events[:2]:
            assert _revisions(client, event["id"]) == [
                (1, "editor", ["citations"]),
                (2, "editor2", ["citations"]),
            ]
        for event in events[2:]:
            assert _revisions(client, event["id"]) == [(1, "editor2", ["citations"])]
        for event in events:
            current = _event(client, event["id"])
            assert current["citations"][0]["source"]["title"] == "Corrected title"
            assert current["citations"][0]["source"]["author"] == "A. Reporter"
        assert_read_model_current(app)

    def test_an_edit_of_a_citing_event_is_kept(self, app, client, runner, tokens):
        source_id = _source(client, tokens)
        events = _citing(client, tokens, source_id, THRESHOLD + 1)
        event_id = events[-1]["id"]
        read = etag(client, event_id)
        corrected = _edit(client, tokens.editor, source_id, {"title": "Corrected title"})
        assert corrected.status_code == 200
        edited = client.patch(
            f"{API}/events/{event_id}",
            json={"title": "Retitled"},
            headers={**tokens.editor2, "If-Match": read},
        )
        assert edited.status_code == 200
        # Its own edit rendered it from the source as it now is.
        assert edited.get_json()["citations"][0]["source"]["title"] == "Corrected title"
        _refresh(runner)

        current = _event(client, event_id)
        assert (current["title"], current["version"]) == ("Retitled", 3)
        assert _revisions(client, event_id) == [
            (1, "editor2", ["title"]),
            (2, "editor", ["citations"]),
        ]
        # A client still holding the ETag of version 2 cannot overwrite the refresh.
        stale = client.patch(
            f"{API}/events/{event_id}",
            json={"summary": "x"},
            headers={**tokens.editor2, "If-Match": edited.headers["ETag"]},
        )
        assert stale.status_code == 412
        assert_read_model_current(app)

    def test_citations_made_after_the_edit_are_not_revised(self, app, client, runner, tokens):
        source_id = _source(client, tokens)
        _citing(client, tokens, source_id, THRESHOLD + 1)
        corrected = _edit(client, tokens.editor, source_id, {"title": "Corrected title"})
        assert corrected.status_code == 200
        (later,) = _citing(client, tokens, source_id, 1)
        assert _cited_title(client, later["id"]) == "Corrected title"
        _refresh(runner)
        assert _revisions(client, later["id"]) == []


class TestWorker:
    @pytest.fixture
    def app_config(self) -> dict[str, Any]:
        return {
            "SOURCE_RERENDER_INLINE_MAX": THRESHOLD,
            "SOURCE_RERENDER_BATCH": 2,
            "SOURCE_RERENDER_WORKER": True,
        }

    def test_the_server_brings_the_events_up_to_date_after_the_answer(self, app, client, tokens):
        source_id = _source(client, tokens)
        events = _citing(client, tokens, source_id, THRESHOLD + 2)
        worker = app.extensions["rerender"]
        try:
            response = _edit(client, tokens.editor, source_id, {"title": "Corrected title"})
            assert response.headers["Citing-Events-Pending"] == str(THRESHOLD + 2)
            deadline = time.monotonic() + 20
            with app.app_context():
                while rerender.pending_events() and time.monotonic() < deadline:
                    time.sleep(0.05)
                assert rerender.pending_events() == 0
        finally:
            worker.stop.set()
            worker.wake.set()
            if worker._thread is not None:
                worker._thread.join(10)
        for event in events:
            assert _cited_title(client, event["id"]) == "Corrected title"
        assert_read_model_current(app)


class TestRebuild:
    def test_restores_tampered_documents_and_rows_without_an_edit(
        self, app, client, runner, tokens
    ):
        source_id = _source(client, tokens)
        events = _citing(client, tokens, source_id, 2)
        create_event(client, tokens.editor, countries=["IN", "RU", "CN"], tags=["a", "b"])
        since = _head(client)
        before = {event["id"]: _event(client, event["id"]) for event in events}
        with app.app_context():
            db.session.execute(text("UPDATE events SET document = '{}'"))
            db.session.execute(text("DELETE FROM pair_events WHERE pair = 'IN-RU'"))
            db.session.execute(text("UPDATE pair_events SET document = '[]'"))
            db.session.execute(text("DELETE FROM pair_event_words WHERE pair = 'IN-RU'"))
            db.session.commit()
        assert _event(client, events[0]["id"]) == {}

        result = runner.invoke(args=["read-model", "rebuild", "--batch-size", "2"])
        assert result.exit_code == 0, result.output
        assert result.output == "Rebuilt 3 events; 3 documents changed.\n"

        for event_id, document in before.items():
            assert _event(client, event_id) == document
        assert_read_model_current(app)
        assert _feed_after(client, since) == []
        with app.app_context():
            assert db.session.scalar(select(func.count()).select_from(FeedEntry)) == 3
        again = runner.invoke(args=["read-model", "rebuild"])
        assert again.output == "Rebuilt 3 events; 0 documents changed.\n"

    def test_documents_equal_a_fresh_render_after_a_workload(self, app, client, runner, tokens):
        source_id = _source(client, tokens)
        events = _citing(client, tokens, source_id, THRESHOLD + 1)
        assert review(client, tokens.reviewer, events[0]["id"], "verified").status_code == 201
        patched = client.patch(
            f"{API}/events/{events[1]['id']}",
            json={"countries": ["IN", "CN", "RU"], "tags": ["x"]},
            headers={**tokens.editor, "If-Match": etag(client, events[1]["id"])},
        )
        assert patched.status_code == 200
        deleted = client.delete(
            f"{API}/events/{events[2]['id']}",
            headers={**tokens.editor, "If-Match": etag(client, events[2]["id"])},
        )
        assert deleted.status_code == 204
        assert _edit(client, tokens.editor, source_id, {"publisher": "Reuters"}).status_code == 200
        _refresh(runner)
        assert_read_model_current(app)
