"""The write path's invariants hold for any change the session commits, not only
for the changes that the API's services make (timeline/changes.py)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.factories import cite, create_event, review
from timeline.changes import acting_as
from timeline.db import db
from timeline.models import Event, Source

API = "/api/v1"


def _stored(event_id: str) -> Event:
    event = db.session.scalar(select(Event).where(Event.id == event_id))
    assert event is not None
    return event


def _revisions(client, event_id):
    items = client.get(f"{API}/events/{event_id}/revisions").get_json()["items"]
    return [(r["version"], r["changed_by"], r["changed_fields"]) for r in items]


class TestAnyChange:
    def test_a_change_made_outside_the_services_is_revised_and_rendered(self, app, client, tokens):
        event = create_event(client, tokens.editor, title="Before")
        with app.app_context(), acting_as("script"):
            _stored(event["id"]).title = "After"
            db.session.commit()
        timeline = client.get(f"{API}/timelines/IN-RU").get_json()["items"]
        assert [(item["title"], item["version"]) for item in timeline] == [("After", 2)]
        assert client.get(f"{API}/events/{event['id']}").headers["ETag"] == f'"{event["id"]}.v2"'
        assert _revisions(client, event["id"]) == [(1, "script", ["title"])]

    def test_several_flushes_in_one_transaction_make_one_revision(self, app, client, tokens):
        event = create_event(client, tokens.editor, title="Before")
        with app.app_context(), acting_as("script"):
            stored = _stored(event["id"])
            stored.title = "Middle"
            db.session.flush()
            stored.summary = "Changed too."
            db.session.flush()
            stored.title = "After"
            db.session.commit()
        current = client.get(f"{API}/events/{event['id']}").get_json()
        assert (current["title"], current["summary"], current["version"]) == (
            "After",
            "Changed too.",
            2,
        )
        assert _revisions(client, event["id"]) == [(1, "script", ["title", "summary"])]

    def test_a_substantive_change_reopens_a_decided_claim_whoever_makes_it(
        self, app, client, tokens
    ):
        event = create_event(client, tokens.editor)
        cite(client, tokens.editor, event["id"])
        assert review(client, tokens.reviewer, event["id"], "verified").status_code == 201
        with app.app_context(), acting_as("script"):
            _stored(event["id"]).date = "2019-11-06"
            db.session.commit()
        entries = client.get(f"{API}/events/{event['id']}/reviews").get_json()["items"]
        assert [(e["to_status"], e["reviewer"], e["note"]) for e in entries][-1] == (
            "in_review",
            "system",
            "Reopened: script changed date of a 'verified' claim.",
        )
        timeline = client.get(f"{API}/timelines/IN-RU", query_string={"status": "in_review"})
        assert [item["id"] for item in timeline.get_json()["items"]] == [event["id"]]

    def test_a_source_changed_outside_the_services_gets_a_new_version(self, app, client, tokens):
        event = create_event(client, tokens.editor)
        cite(client, tokens.editor, event["id"])
        with app.app_context(), acting_as("script"):
            source = db.session.scalar(select(Source))
            assert source is not None
            source.author = "A. Reporter"
            db.session.commit()
            source_id = source.id
        response = client.get(f"{API}/sources/{source_id}")
        assert response.headers["ETag"] == f'"{source_id}.v2"'
        current = client.get(f"{API}/events/{event['id']}").get_json()
        assert current["citations"][0]["source"]["author"] == "A. Reporter"

    def test_a_change_with_nobody_behind_it_is_refused_and_nothing_is_stored(
        self, app, client, tokens
    ):
        event = create_event(client, tokens.editor, title="Before")
        with app.app_context():
            _stored(event["id"]).title = "After"
            with pytest.raises(RuntimeError, match="needs an actor"):
                db.session.commit()
            db.session.rollback()
        assert client.get(f"{API}/events/{event['id']}").get_json()["title"] == "Before"
        assert _revisions(client, event["id"]) == []
