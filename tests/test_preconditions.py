"""No lost updates (ETag / If-Match) and idempotent creates (Idempotency-Key)."""

from __future__ import annotations

import json

import pytest

from tests.factories import create_event, etag, event_body, source_body

API = "/api/v1"


def _writes(event_id: str, citation_id: str):
    """Every write that must carry If-Match: (method, url, body)."""
    return [
        ("patch", f"{API}/events/{event_id}", {"summary": "x"}),
        ("delete", f"{API}/events/{event_id}", None),
        (
            "post",
            f"{API}/events/{event_id}/citations",
            {"source": source_body(url="https://example.org/p"), "quote": "q", "stance": "context"},
        ),
        ("delete", f"{API}/events/{event_id}/citations/{citation_id}", None),
        ("post", f"{API}/events/{event_id}/reviews", {"status": "in_review", "note": "n"}),
    ]


@pytest.fixture
def cited_event(client, tokens):
    event = create_event(
        client,
        tokens.editor,
        citations=[{"source": source_body(), "quote": "q", "stance": "supports"}],
    )
    return event["id"], event["citations"][0]["id"]


class TestIfMatch:
    def test_missing_if_match_is_428(self, client, tokens, cited_event):
        for method, url, body in _writes(*cited_event):
            response = getattr(client, method)(url, json=body, headers=tokens.admin)
            assert response.status_code == 428, (method, url)
            assert response.get_json() == {
                "type": "urn:timeline:problem:if-match-required",
                "title": "Precondition Required",
                "status": 428,
                "detail": "This change needs 'If-Match' with the event's ETag (from GET of the "
                "event), so that it cannot overwrite a change you have not seen.",
            }
        assert client.get(f"{API}/events/{cited_event[0]}").get_json()["version"] == 1

    @pytest.mark.parametrize("if_match", ["*", "", " "])
    def test_an_if_match_that_names_no_etag_is_428(self, client, tokens, cited_event, if_match):
        source_id = client.get(f"{API}/events/{cited_event[0]}").get_json()["citations"][0][
            "source"
        ]["id"]
        writes = [
            *_writes(*cited_event),
            ("patch", f"{API}/sources/{source_id}", {"publisher": "Other"}),
        ]
        for method, url, body in writes:
            headers = {**tokens.admin, "If-Match": if_match}
            response = getattr(client, method)(url, json=body, headers=headers)
            assert response.status_code == 428, (method, url)
            noun = "source" if "/sources/" in url else "event"
            assert response.get_json() == {
                "type": "urn:timeline:problem:if-match-required",
                "title": "Precondition Required",
                "status": 428,
                "detail": "'If-Match: *' or an empty If-Match does not say which version you "
                f"read; send the {noun}'s ETag (from GET of the {noun}), so that it cannot "
                "overwrite a change you have not seen.",
            }
        assert client.get(f"{API}/events/{cited_event[0]}").get_json()["version"] == 1
        assert client.get(f"{API}/sources/{source_id}").get_json()["publisher"] == "ANI"

    def test_missing_citation_is_404_whatever_the_if_match(self, client, tokens, cited_event):
        event_id, citation_id = cited_event
        headers = {**tokens.editor, "If-Match": '"stale"'}
        response = client.delete(f"{API}/events/{event_id}/citations/nope", headers=headers)
        assert response.status_code == 404
        assert response.get_json()["detail"] == "The event has no citation 'nope'."
        # The citation that is there still needs the current ETag.
        response = client.delete(
            f"{API}/events/{event_id}/citations/{citation_id}", headers=headers
        )
        assert response.status_code == 412

    def test_stale_if_match_is_412_with_the_current_etag(self, client, tokens, cited_event):
        event_id, _ = cited_event
        stale = etag(client, event_id)
        client.patch(
            f"{API}/events/{event_id}",
            json={"summary": "first edit"},
            headers={**tokens.editor, "If-Match": stale},
        )
        current = etag(client, event_id)
        for method, url, body in _writes(*cited_event):
            response = getattr(client, method)(
                url, json=body, headers={**tokens.admin, "If-Match": stale}
            )
            assert response.status_code == 412, (method, url)
            assert response.headers["ETag"] == current
            assert response.get_json()["current_etag"] == current
        after = client.get(f"{API}/events/{event_id}").get_json()
        assert (after["summary"], after["version"], len(after["citations"])) == ("first edit", 2, 1)

    def test_etag_changes_with_every_kind_of_change(self, client, tokens, cited_event):
        event_id, citation_id = cited_event
        seen = {etag(client, event_id)}
        for method, url, body in _writes(event_id, citation_id)[2:]:
            getattr(client, method)(
                url, json=body, headers={**tokens.admin, "If-Match": etag(client, event_id)}
            )
            seen.add(etag(client, event_id))
        assert len(seen) == 4


class TestIdempotencyKey:
    def _post(self, client, headers, key, **overrides):
        return client.post(
            f"{API}/events",
            json=event_body(**overrides),
            headers={**headers, "Idempotency-Key": key},
        )

    def test_retry_returns_the_first_response_and_creates_nothing(self, client, tokens):
        first = self._post(client, tokens.editor, "k-1")
        again = self._post(client, tokens.editor, "k-1")
        assert first.status_code == again.status_code == 201
        assert again.get_json() == first.get_json()
        assert again.headers["Location"] == first.headers["Location"]
        assert again.headers["Idempotent-Replayed"] == "true"
        assert len(client.get(f"{API}/events").get_json()["items"]) == 1

    def test_same_key_with_another_body_is_422(self, client, tokens):
        self._post(client, tokens.editor, "k-2")
        response = self._post(client, tokens.editor, "k-2", title="Something else")
        assert response.status_code == 422
        assert response.get_json()["type"] == "urn:timeline:problem:idempotency-key-reused"
        assert len(client.get(f"{API}/events").get_json()["items"]) == 1

    def test_a_retry_may_spell_the_same_json_differently(self, client, tokens):
        body = event_body()
        first = self._post(client, tokens.editor, "k-order")
        spelled = (
            "{\n  "
            + ",\n  ".join(
                f'"{name}" : {json.dumps(value)}' for name, value in reversed(body.items())
            )
            + "\n}"
        )
        again = client.post(
            f"{API}/events",
            data=spelled,
            headers={
                **tokens.editor,
                "Idempotency-Key": "k-order",
                "Content-Type": "application/json",
            },
        )
        assert (first.status_code, again.status_code) == (201, 201)
        assert again.headers["Idempotent-Replayed"] == "true"
        assert again.get_json() == first.get_json()
        assert len(client.get(f"{API}/events").get_json()["items"]) == 1

    def test_keys_are_scoped_to_the_token(self, client, tokens):
        self._post(client, tokens.editor, "shared")
        assert self._post(client, tokens.editor2, "shared").status_code == 201
        assert len(client.get(f"{API}/events").get_json()["items"]) == 2

    def test_failed_request_does_not_use_up_the_key(self, client, tokens):
        assert self._post(client, tokens.editor, "k-3", date="2019-02-30").status_code == 422
        assert self._post(client, tokens.editor, "k-3").status_code == 201

    def test_sources_citations_and_reviews_replay_too(self, client, tokens):
        headers = {**tokens.editor, "Idempotency-Key": "s"}
        first = client.post(f"{API}/sources", json=source_body(), headers=headers)
        again = client.post(f"{API}/sources", json=source_body(), headers=headers)
        assert (first.status_code, again.get_json()) == (201, first.get_json())
        event = create_event(client, tokens.editor)
        cited = {"source_id": first.get_json()["id"], "quote": "q", "stance": "supports"}
        tag = etag(client, event["id"])
        url = f"{API}/events/{event['id']}/citations"
        c1 = client.post(
            url, json=cited, headers={**tokens.editor, "If-Match": tag, "Idempotency-Key": "c"}
        )
        c2 = client.post(
            url, json=cited, headers={**tokens.editor, "If-Match": tag, "Idempotency-Key": "c"}
        )
        assert (c1.status_code, c2.status_code, c2.get_json()) == (201, 201, c1.get_json())
        tag = etag(client, event["id"])
        body = {"status": "verified", "note": "ok"}
        url = f"{API}/events/{event['id']}/reviews"
        r1 = client.post(
            url, json=body, headers={**tokens.reviewer, "If-Match": tag, "Idempotency-Key": "r"}
        )
        r2 = client.post(
            url, json=body, headers={**tokens.reviewer, "If-Match": tag, "Idempotency-Key": "r"}
        )
        assert (r1.status_code, r2.status_code, r2.get_json()) == (201, 201, r1.get_json())
        assert len(client.get(url).get_json()["items"]) == 1
        assert len(client.get(f"{API}/events/{event['id']}").get_json()["citations"]) == 1

    def test_key_too_long_is_400(self, client, tokens):
        assert self._post(client, tokens.editor, "k" * 201).status_code == 400
