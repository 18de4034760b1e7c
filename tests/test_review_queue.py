"""The review queue, and who may call every write route."""

from __future__ import annotations

import pytest

from tests.factories import cite, create_event, etag, review, source_body

API = "/api/v1"


class TestReviewQueue:
    def test_awaiting_claims_oldest_first_with_counts_and_creator(self, client, tokens):
        first = create_event(client, tokens.editor, title="first")
        second = create_event(client, tokens.editor2, title="second", countries=["IN", "US"])
        third = create_event(client, tokens.editor, title="third")
        cite(client, tokens.editor, first["id"], "supports")
        cite(client, tokens.editor, first["id"], "context", url="https://example.org/c")
        review(client, tokens.reviewer, third["id"], "in_review")
        done = create_event(client, tokens.editor, title="done")
        cite(client, tokens.editor, done["id"], "supports")
        review(client, tokens.reviewer, done["id"], "verified")

        response = client.get(f"{API}/review-queue", headers=tokens.reviewer)
        assert response.status_code == 200
        items = response.get_json()["items"]
        assert [(i["event"]["title"], i["created_by"]) for i in items] == [
            ("first", "editor"),
            ("second", "editor2"),
            ("third", "editor"),
        ]
        assert items[0]["citation_counts"] == {"supports": 1, "disputes": 0, "context": 1}
        assert items[0]["event"]["id"] == first["id"]

        def titles(query):
            body = client.get(f"{API}/review-queue?{query}", headers=tokens.editor).get_json()
            return [i["event"]["title"] for i in body["items"]]

        assert titles("status=in_review") == ["third"]
        assert titles("pair=us-in") == ["second"]
        assert titles("pair=IN-RU&status=unverified") == ["first"]
        page = client.get(f"{API}/review-queue?limit=2", headers=tokens.editor).get_json()
        rest = client.get(
            f"{API}/review-queue?limit=2&cursor={page['next_cursor']}", headers=tokens.editor
        ).get_json()
        assert [i["event"]["id"] for i in page["items"] + rest["items"]] == [
            first["id"],
            second["id"],
            third["id"],
        ]
        assert rest["next_cursor"] is None

    def test_needs_a_token(self, client):
        assert client.get(f"{API}/review-queue").status_code == 401

    def test_bad_filters(self, client, tokens):
        for query, field in [("pair=IN-IN", "pair"), ("status=verified", "status")]:
            response = client.get(f"{API}/review-queue?{query}", headers=tokens.reviewer)
            assert response.status_code == 422
            assert list(response.get_json()["errors"]) == [field]


# Each write route: the roles that may call it, and how to call it on a fresh event.
ROUTES = {
    "createEvent": ({"editor", "admin"}, 201),
    "updateEvent": ({"editor", "admin"}, 200),
    "deleteEvent": ({"editor", "admin"}, 204),
    "createCitation": ({"editor", "admin"}, 201),
    "deleteCitation": ({"editor", "admin"}, 204),
    "createSource": ({"editor", "admin"}, 201),
    "updateSource": ({"editor", "admin"}, 200),
    "createReview": ({"reviewer", "admin"}, 201),
}


def _call(client, route, headers, event, citation_id, source_id):
    tagged = {**headers, "If-Match": etag(client, event["id"])}
    event_url = f"{API}/events/{event['id']}"
    calls = {
        "createEvent": lambda: client.post(
            f"{API}/events",
            json={"title": "t", "date": "2019", "countries": ["IN", "RU"]},
            headers=headers,
        ),
        "updateEvent": lambda: client.patch(event_url, json={"summary": "s"}, headers=tagged),
        "deleteEvent": lambda: client.delete(event_url, headers=tagged),
        "createCitation": lambda: client.post(
            f"{event_url}/citations",
            json={"source_id": source_id, "quote": "q", "stance": "context"},
            headers=tagged,
        ),
        "deleteCitation": lambda: client.delete(
            f"{event_url}/citations/{citation_id}", headers=tagged
        ),
        "createSource": lambda: client.post(
            f"{API}/sources",
            json=source_body(url=f"https://example.org/{event['id']}"),
            headers=headers,
        ),
        "updateSource": lambda: client.patch(
            f"{API}/sources/{source_id}",
            json={"title": "t"},
            headers={
                **headers,
                "If-Match": client.get(f"{API}/sources/{source_id}").headers["ETag"],
            },
        ),
        "createReview": lambda: client.post(
            f"{event_url}/reviews", json={"status": "in_review", "note": "n"}, headers=tagged
        ),
    }
    return calls[route]()


@pytest.mark.parametrize("route", sorted(ROUTES))
def test_role_matrix(client, runner, tokens, route):
    revoked = runner.invoke(args=["tokens", "create", "--name", "gone", "--role", "admin"])
    runner.invoke(args=["tokens", "revoke", "gone"])
    callers = {
        "anonymous": {},
        "revoked": {"Authorization": f"Bearer {revoked.output.strip().splitlines()[-1]}"},
        "editor": tokens.editor,
        "reviewer": tokens.reviewer,
        "admin": tokens.admin,
    }
    allowed, success = ROUTES[route]
    outcomes = {}
    for caller, headers in callers.items():
        # A fresh event (made by editor2, so reviewer and admin may review it) per call.
        event = create_event(
            client,
            tokens.editor2,
            citations=[{"source": source_body(), "quote": "q", "stance": "supports"}],
        )
        citation_id = event["citations"][0]["id"]
        source_id = event["citations"][0]["source"]["id"]
        outcomes[caller] = _call(client, route, headers, event, citation_id, source_id).status_code
    assert outcomes == {
        "anonymous": 401,
        "revoked": 401,
        **{role: success if role in allowed else 403 for role in ("editor", "reviewer", "admin")},
    }
