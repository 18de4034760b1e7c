"""The editorial workflow: reviews and their rules, reopening, history, revisions."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.factories import cite, create_event, etag, review

API = "/api/v1"


def _history(client, event_id):
    response = client.get(f"{API}/events/{event_id}/reviews")
    assert response.status_code == 200
    return [(r["from_status"], r["to_status"], r["reviewer"]) for r in response.get_json()["items"]]


class TestCreateReview:
    def test_changes_the_status_and_appends_to_history(self, client, tokens):
        event = create_event(client, tokens.editor)
        cite(client, tokens.editor, event["id"], "supports")
        response = review(client, tokens.reviewer, event["id"], "verified", "Two sources agree.")
        assert response.status_code == 201
        body = response.get_json()
        assert body == {
            "id": body["id"],
            "event_id": event["id"],
            "from_status": "unverified",
            "to_status": "verified",
            "reviewer": "reviewer",
            "note": "Two sources agree.",
            "created_at": body["created_at"],
            # The event's checks as the reviewer saw them (they never block a review).
            "checks": client.get(f"{API}/events/{event['id']}").get_json()["checks"],
        }
        assert [check["code"] for check in body["checks"]] == [
            "single-source",
            "reported-before-event",
        ]
        assert response.headers["ETag"] == f'"{event["id"]}.v3"'
        current = client.get(f"{API}/events/{event['id']}").get_json()
        assert (current["claim_status"], current["version"]) == ("verified", 3)
        timeline = client.get(f"{API}/timelines/IN-RU?status=verified").get_json()["items"]
        assert [item["id"] for item in timeline] == [event["id"]]

    def test_note_is_required(self, client, tokens):
        event = create_event(client, tokens.editor)
        response = client.post(
            f"{API}/events/{event['id']}/reviews",
            json={"status": "in_review"},
            headers={**tokens.reviewer, "If-Match": etag(client, event["id"])},
        )
        assert response.status_code == 422
        assert response.get_json()["errors"] == {"note": ["Missing data for required field."]}
        empty = review(client, tokens.reviewer, event["id"], "in_review", note="")
        assert empty.get_json()["errors"] == {
            "note": ["A review needs a note of 1 to 10000 characters."]
        }
        assert _history(client, event["id"]) == []

    def test_editors_cannot_review(self, client, tokens):
        event = create_event(client, tokens.editor)
        assert review(client, tokens.editor2, event["id"], "in_review").status_code == 403

    def test_editors_cannot_set_a_status_on_edit(self, client, tokens):
        event = create_event(client, tokens.editor)
        response = client.patch(
            f"{API}/events/{event['id']}",
            json={"claim_status": "verified"},
            headers={**tokens.editor, "If-Match": etag(client, event["id"])},
        )
        assert response.status_code == 422
        assert (
            "POST /api/v1/events/{id}/reviews" in response.get_json()["errors"]["claim_status"][0]
        )

    def test_reviews_cannot_be_edited_or_deleted(self, client, tokens):
        event = create_event(client, tokens.editor)
        review(client, tokens.reviewer, event["id"], "in_review")
        for method in (client.put, client.patch, client.delete):
            response = method(f"{API}/events/{event['id']}/reviews", headers=tokens.admin)
            assert response.status_code == 405
            assert response.mimetype == "application/problem+json"

    def test_database_refuses_to_change_a_review(self, app, client, tokens):
        from sqlalchemy import text
        from sqlalchemy.exc import DBAPIError

        from timeline.db import db

        event = create_event(client, tokens.editor)
        review(client, tokens.reviewer, event["id"], "in_review")
        with app.app_context():
            for statement in ("UPDATE reviews SET note = 'x'", "DELETE FROM reviews"):
                with pytest.raises(DBAPIError, match="append-only"):
                    db.session.execute(text(statement))
                db.session.rollback()
        assert _history(client, event["id"]) == [("unverified", "in_review", "reviewer")]


class TestReviewRules:
    @pytest.mark.parametrize(
        ("stances", "status", "detail"),
        [
            (
                [],
                "verified",
                "Marking a claim 'verified' needs a 'supports' citation; add one with "
                "POST /api/v1/events/{id}/citations, then review again.",
            ),
            (
                ["context"],
                "false",
                "Marking a claim 'false' needs a 'disputes' citation; add one with "
                "POST /api/v1/events/{id}/citations, then review again.",
            ),
            (
                ["supports"],
                "disputed",
                "Marking a claim 'disputed' needs a 'disputes' citation; add one with "
                "POST /api/v1/events/{id}/citations, then review again.",
            ),
            (
                [],
                "disputed",
                "Marking a claim 'disputed' needs a 'disputes' citation and a 'supports' "
                "citation; add one with POST /api/v1/events/{id}/citations, then review again.",
            ),
        ],
    )
    def test_decisions_need_evidence(self, client, tokens, stances, status, detail):
        event = create_event(client, tokens.editor)
        for i, stance in enumerate(stances):
            cite(client, tokens.editor, event["id"], stance, url=f"https://example.org/{i}")
        response = review(client, tokens.reviewer, event["id"], status)
        assert response.status_code == 409
        assert response.get_json() == {
            "type": "urn:timeline:problem:review-evidence",
            "title": "Conflict",
            "status": 409,
            "detail": detail,
        }
        assert client.get(f"{API}/events/{event['id']}").get_json()["claim_status"] == "unverified"

    @pytest.mark.parametrize(
        ("stances", "status"),
        [
            (["supports"], "verified"),
            (["disputes"], "false"),
            (["supports", "disputes"], "disputed"),
        ],
    )
    def test_decisions_with_evidence(self, client, tokens, stances, status):
        event = create_event(client, tokens.editor)
        for i, stance in enumerate(stances):
            cite(client, tokens.editor, event["id"], stance, url=f"https://example.org/{i}")
        assert review(client, tokens.reviewer, event["id"], status).status_code == 201

    def test_decided_claim_can_only_be_reopened(self, client, tokens):
        event = create_event(client, tokens.editor)
        cite(client, tokens.editor, event["id"], "supports")
        cite(client, tokens.editor, event["id"], "disputes", url="https://example.org/d")
        review(client, tokens.reviewer, event["id"], "verified")
        response = review(client, tokens.reviewer, event["id"], "false")
        assert response.status_code == 409
        assert response.get_json()["detail"] == (
            "A claim that is 'verified' cannot move to 'false'; "
            "from 'verified' it can move to: in_review."
        )
        assert review(client, tokens.reviewer, event["id"], "in_review").status_code == 201
        assert review(client, tokens.reviewer2, event["id"], "false").status_code == 201
        assert _history(client, event["id"]) == [
            ("unverified", "verified", "reviewer"),
            ("verified", "in_review", "reviewer"),
            ("in_review", "false", "reviewer2"),
        ]

    def test_same_status_is_not_a_transition(self, client, tokens):
        event = create_event(client, tokens.editor)
        assert review(client, tokens.reviewer, event["id"], "unverified").status_code == 409

    def test_four_eyes(self, client, tokens):
        event = create_event(client, tokens.admin)
        response = review(client, tokens.admin, event["id"], "in_review")
        assert response.status_code == 409
        assert response.get_json()["type"] == "urn:timeline:problem:review-four-eyes"
        assert response.get_json()["detail"] == (
            "'admin' created this event and cannot review it; another reviewer must decide it."
        )


class TestSelfReviewAllowed:
    @pytest.fixture
    def app_config(self):
        return {"ALLOW_SELF_REVIEW": True}

    def test_operator_can_turn_four_eyes_off(self, client, tokens):
        event = create_event(client, tokens.admin)
        assert review(client, tokens.admin, event["id"], "in_review").status_code == 201


class TestReopenOnSubstantiveEdit:
    def _verified(self, client, tokens):
        event = create_event(client, tokens.editor)
        cite(client, tokens.editor, event["id"], "supports")
        assert review(client, tokens.reviewer, event["id"], "verified").status_code == 201
        return event

    @pytest.mark.parametrize(
        "change", [{"title": "New title"}, {"date": "2019-11-06"}, {"countries": ["IN", "US"]}]
    )
    def test_substantive_edit_reopens_with_a_system_entry(self, client, tokens, change):
        event = self._verified(client, tokens)
        response = client.patch(
            f"{API}/events/{event['id']}",
            json=change,
            headers={**tokens.editor2, "If-Match": etag(client, event["id"])},
        )
        assert response.status_code == 200
        assert response.get_json()["claim_status"] == "in_review"
        entries = client.get(f"{API}/events/{event['id']}/reviews").get_json()["items"]
        last = entries[-1]
        assert (last["from_status"], last["to_status"], last["reviewer"]) == (
            "verified",
            "in_review",
            "system",
        )
        (field,) = change
        assert last["note"] == f"Reopened: editor2 changed {field} of a 'verified' claim."

    def test_minor_edit_keeps_the_status(self, client, tokens):
        event = self._verified(client, tokens)
        response = client.patch(
            f"{API}/events/{event['id']}",
            json={"summary": "Typo fixed", "tags": ["visit", "defence"]},
            headers={**tokens.editor, "If-Match": etag(client, event["id"])},
        )
        assert response.get_json()["claim_status"] == "verified"
        assert len(_history(client, event["id"])) == 1

    def test_citation_change_reopens(self, client, tokens):
        event = self._verified(client, tokens)
        cite(client, tokens.editor, event["id"], "disputes", url="https://example.org/x")
        current = client.get(f"{API}/events/{event['id']}").get_json()
        assert current["claim_status"] == "in_review"
        assert _history(client, event["id"])[-1] == ("verified", "in_review", "system")

    def test_removing_a_citation_reopens(self, client, tokens):
        event = self._verified(client, tokens)
        citation_id = client.get(f"{API}/events/{event['id']}").get_json()["citations"][0]["id"]
        response = client.delete(
            f"{API}/events/{event['id']}/citations/{citation_id}",
            headers={**tokens.editor, "If-Match": etag(client, event["id"])},
        )
        assert response.status_code == 204
        current = client.get(f"{API}/events/{event['id']}").get_json()
        assert (current["claim_status"], current["citations"]) == ("in_review", [])


class TestRevisions:
    def test_every_change_keeps_the_previous_version(self, client, tokens):
        event = create_event(client, tokens.editor, title="First")
        client.patch(
            f"{API}/events/{event['id']}",
            json={"title": "Second"},
            headers={**tokens.editor2, "If-Match": etag(client, event["id"])},
        )
        review(client, tokens.reviewer, event["id"], "in_review")
        items = client.get(f"{API}/events/{event['id']}/revisions").get_json()["items"]
        assert [(r["version"], r["changed_by"], r["changed_fields"]) for r in items] == [
            (1, "editor2", ["title"]),
            (2, "reviewer", ["claim_status"]),
        ]

    def test_as_of_returns_the_event_as_it_stood(self, client, tokens):
        event = create_event(client, tokens.editor, title="First")
        between = dt.datetime.now(dt.UTC).isoformat()
        client.patch(
            f"{API}/events/{event['id']}",
            json={"title": "Second"},
            headers={**tokens.editor, "If-Match": etag(client, event["id"])},
        )
        url = f"{API}/events/{event['id']}"
        old = client.get(url, query_string={"as_of": between}).get_json()
        assert (old["title"], old["version"]) == ("First", 1)
        now = dt.datetime.now(dt.UTC).isoformat()
        assert client.get(url, query_string={"as_of": now}).get_json()["title"] == "Second"
        before = client.get(url, query_string={"as_of": "2000-01-01T00:00:00Z"})
        assert before.status_code == 404

    def test_deleted_event_keeps_its_record(self, app, client, tokens):
        from sqlalchemy import func, select

        from timeline.db import db
        from timeline.models import Citation, Event, EventRevision

        event = create_event(client, tokens.editor)
        cite(client, tokens.editor, event["id"])
        client.delete(
            f"{API}/events/{event['id']}",
            headers={**tokens.editor, "If-Match": etag(client, event["id"])},
        )
        with app.app_context():
            stored = db.session.scalar(select(Event).where(Event.id == event["id"]))
            assert stored.deleted_by == "editor"
            assert db.session.scalar(select(func.count()).select_from(Citation)) == 1
            assert db.session.scalar(select(func.count()).select_from(EventRevision)) == 2
