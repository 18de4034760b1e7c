"""Sources: unique normalised URLs, lookup by URL, edits that reach citing events."""

from __future__ import annotations

import pytest

from tests.factories import SEED_URL, create_event, etag, review, source_body

API = "/api/v1"


def _create(client, headers, **overrides):
    return client.post(f"{API}/sources", json=source_body(**overrides), headers=headers)


class TestCreateSource:
    def test_created_with_location(self, client, tokens):
        response = _create(client, tokens.editor, author="ANI staff")
        assert response.status_code == 201
        body = response.get_json()
        assert response.headers["Location"] == f"{API}/sources/{body['id']}"
        assert body == {
            "id": body["id"],
            "url": SEED_URL,
            "title": "India, Russia to push Make in India in defence",
            "publisher": "ANI",
            "published_on": "2019-10-29",
            "author": "ANI staff",
            "archive_url": None,
            "text": None,
        }
        assert client.get(response.headers["Location"]).get_json() == body

    def test_text_is_returned_on_the_source_but_not_on_citing_events(self, client, tokens):
        text = "New Delhi, Oct 29 (ANI): The visit\nis scheduled to start from November 5."
        source = _create(client, tokens.editor, text=text).get_json()
        assert source["text"] == text
        assert client.get(f"{API}/sources/{source['id']}").get_json()["text"] == text
        event = create_event(
            client,
            tokens.editor,
            citations=[{"source_id": source["id"], "quote": "The visit", "stance": "supports"}],
        )
        assert event["citations"][0]["source"] == {
            key: value for key, value in source.items() if key != "text"
        }

    def test_inline_source_of_a_new_event_carries_its_text(self, client, tokens):
        inline = source_body(text="The minister arrived on 5 November 2019.")
        event = create_event(
            client,
            tokens.editor,
            citations=[{"source": inline, "quote": "The minister arrived", "stance": "supports"}],
        )
        source_id = event["citations"][0]["source"]["id"]
        stored = client.get(f"{API}/sources/{source_id}").get_json()
        assert stored["text"] == "The minister arrived on 5 November 2019."

    def test_text_up_to_200000_characters(self, client, tokens):
        longest = _create(client, tokens.editor, text="a" * 200_000)
        assert longest.status_code == 201
        response = _create(client, tokens.editor, url="https://example.org/b", text="a" * 200_001)
        assert response.status_code == 422
        assert response.content_type == "application/problem+json"
        assert response.get_json()["errors"] == {"text": ["Longer than maximum length 200000."]}
        assert client.get(f"{API}/sources?url=https://example.org/b").get_json()["items"] == []

    def test_same_url_after_normalisation_is_409_naming_the_source(self, client, tokens):
        first = _create(client, tokens.editor).get_json()
        variant = (
            SEED_URL.replace("https://www.aninews.in", "HTTPS://WWW.ANINEWS.IN") + "?utm_source=x"
        )
        response = _create(client, tokens.editor, url=variant)
        assert response.status_code == 409
        assert response.get_json()["existing_id"] == first["id"]

    def test_invalid_fields(self, client, tokens):
        response = _create(client, tokens.editor, url="ftp://x.org/a", published_on="29 Oct")
        assert response.status_code == 422
        assert response.get_json()["errors"] == {
            "url": ["Not a valid URL."],
            "published_on": ["Not a valid date."],
        }


class TestFindSources:
    def test_find_by_url_and_page(self, client, tokens):
        ids = [
            _create(client, tokens.editor, url=f"https://example.org/{i}").get_json()["id"]
            for i in range(5)
        ]
        found = client.get(f"{API}/sources?url=HTTPS://EXAMPLE.ORG/3/").get_json()
        assert [s["id"] for s in found["items"]] == [ids[3]]
        assert client.get(f"{API}/sources?url=https://example.org/9").get_json()["items"] == []
        page = client.get(f"{API}/sources?limit=2").get_json()
        rest = client.get(f"{API}/sources?limit=10&cursor={page['next_cursor']}").get_json()
        assert [s["id"] for s in page["items"] + rest["items"]] == ids
        assert rest["next_cursor"] is None

    def test_unknown_source_is_404(self, client):
        assert client.get(f"{API}/sources/nope").status_code == 404


def _source_etag(client, source_id):
    response = client.get(f"{API}/sources/{source_id}")
    assert response.status_code == 200, response.get_json()
    return response.headers["ETag"]


def _edit(client, headers, source_id, changes, etag=None):
    if_match = {"If-Match": etag or _source_etag(client, source_id)}
    return client.patch(f"{API}/sources/{source_id}", json=changes, headers={**headers, **if_match})


def _cited_event(client, tokens, **overrides):
    """An event citing the seed source (created inline), and that source's id."""
    event = create_event(
        client,
        tokens.editor,
        citations=[{"source": source_body(), "quote": "q", "stance": "supports"}],
        **overrides,
    )
    return event, event["citations"][0]["source"]["id"]


class TestPatchSource:
    def test_edit_shows_in_citing_events(self, client, tokens):
        event, source_id = _cited_event(client, tokens)
        response = _edit(client, tokens.editor, source_id, {"title": "Corrected title"})
        assert response.status_code == 200
        assert response.get_json()["title"] == "Corrected title"
        timeline = client.get(f"{API}/timelines/IN-RU").get_json()["items"]
        assert timeline[0]["citations"][0]["source"]["title"] == "Corrected title"
        assert timeline[0]["version"] == 2
        revisions = client.get(f"{API}/events/{event['id']}/revisions").get_json()["items"]
        assert [(r["version"], r["changed_by"], r["changed_fields"]) for r in revisions] == [
            (1, "editor", ["citations"])
        ]

    def test_etag_changes_with_each_edit(self, client, tokens):
        _event, source_id = _cited_event(client, tokens)
        first = _source_etag(client, source_id)
        assert first == f'"{source_id}.v1"'
        response = _edit(client, tokens.editor, source_id, {"author": "A. Reporter"}, first)
        assert response.headers["ETag"] == f'"{source_id}.v2"'
        assert _source_etag(client, source_id) == f'"{source_id}.v2"'
        cached = client.get(f"{API}/sources/{source_id}", headers={"If-None-Match": first})
        assert cached.status_code == 200
        fresh = client.get(
            f"{API}/sources/{source_id}", headers={"If-None-Match": f'"{source_id}.v2"'}
        )
        assert fresh.status_code == 304

    def test_edit_without_if_match_is_428(self, client, tokens):
        _event, source_id = _cited_event(client, tokens)
        response = client.patch(
            f"{API}/sources/{source_id}", json={"title": "Corrected"}, headers=tokens.editor
        )
        assert response.status_code == 428
        assert response.mimetype == "application/problem+json"
        assert response.get_json() == {
            "type": "urn:timeline:problem:if-match-required",
            "title": "Precondition Required",
            "status": 428,
            "detail": "This change needs 'If-Match' with the source's ETag (from GET of the "
            "source), so that it cannot overwrite a change you have not seen.",
        }
        assert client.get(f"{API}/sources/{source_id}").get_json()["title"] != "Corrected"

    def test_edit_with_a_stale_etag_is_412_with_the_current_one(self, client, tokens):
        _event, source_id = _cited_event(client, tokens)
        stale = _source_etag(client, source_id)
        _edit(client, tokens.editor, source_id, {"author": "First"}, stale)
        for sent in (stale, '"bogus"'):
            response = _edit(client, tokens.editor2, source_id, {"author": "Second"}, sent)
            assert response.status_code == 412
            assert response.headers["ETag"] == f'"{source_id}.v2"'
            assert response.get_json() == {
                "type": "urn:timeline:problem:stale-etag",
                "title": "Precondition Failed",
                "status": 412,
                "detail": "The source has changed since you read it. GET it again, check the "
                "changes, and retry with its new ETag.",
                "current_etag": f'"{source_id}.v2"',
            }
        assert client.get(f"{API}/sources/{source_id}").get_json()["author"] == "First"

    def test_url_taken_by_another_source_is_409(self, client, tokens):
        _create(client, tokens.editor, url="https://example.org/a")
        other = _create(client, tokens.editor, url="https://example.org/b").get_json()
        response = _edit(client, tokens.editor, other["id"], {"url": "https://example.org/a/"})
        assert response.status_code == 409


class TestSourceEditsReopenDecidedClaims:
    """A source's substantive edit changes the evidence of every claim citing it."""

    @pytest.fixture
    def app_config(self):
        return {"CLAIMREVIEW_URL_TEMPLATE": "https://factcheck.example.org/claims/{id}"}

    def _verified(self, client, tokens):
        event, source_id = _cited_event(client, tokens)
        assert review(client, tokens.reviewer, event["id"], "verified").status_code == 201
        return event, source_id

    @pytest.mark.parametrize(
        "change",
        [
            {"url": "https://example.org/another-report"},
            {"title": "A different report"},
            {"publisher": "Reuters"},
            {"published_on": "2019-10-30"},
            {"text": "India and Russia held talks."},
        ],
    )
    def test_substantive_edit_reopens_with_a_system_entry_naming_the_source(
        self, client, tokens, change
    ):
        event, source_id = self._verified(client, tokens)
        response = _edit(client, tokens.editor2, source_id, change)
        assert response.status_code == 200
        title = response.get_json()["title"]

        current = client.get(f"{API}/events/{event['id']}").get_json()
        assert current["claim_status"] == "in_review"
        history = client.get(f"{API}/events/{event['id']}/reviews").get_json()["items"]
        last = history[-1]
        (field,) = change
        assert (last["from_status"], last["to_status"], last["reviewer"], last["note"]) == (
            "verified",
            "in_review",
            "system",
            f"Reopened: editor2 changed {field} of the source '{title}' ({source_id}) "
            "that this 'verified' claim cites.",
        )
        claim_review = client.get(f"{API}/events/{event['id']}/claim-review")
        assert claim_review.status_code == 404
        assert claim_review.get_json()["type"] == "urn:timeline:problem:claim-not-decided"

    def test_every_decided_claim_citing_it_is_reopened_and_no_other(self, client, tokens):
        verified, source_id = self._verified(client, tokens)
        unverified = create_event(
            client,
            tokens.editor,
            title="Another claim",
            citations=[{"source_id": source_id, "quote": "q", "stance": "supports"}],
        )
        assert (
            _edit(client, tokens.editor, source_id, {"url": "https://example.org/x"}).status_code
            == 200
        )
        statuses = {
            event["id"]: client.get(f"{API}/events/{event['id']}").get_json()["claim_status"]
            for event in (verified, unverified)
        }
        assert statuses == {verified["id"]: "in_review", unverified["id"]: "unverified"}
        unverified_history = client.get(f"{API}/events/{unverified['id']}/reviews").get_json()
        assert unverified_history["items"] == []

    @pytest.mark.parametrize(
        "change", [{"author": "A. Reporter"}, {"archive_url": "https://archive.org/x"}]
    )
    def test_other_edits_keep_the_status_but_reach_the_event(self, client, tokens, change):
        event, source_id = self._verified(client, tokens)
        assert _edit(client, tokens.editor, source_id, change).status_code == 200
        current = client.get(f"{API}/events/{event['id']}").get_json()
        assert current["claim_status"] == "verified"
        ((field, value),) = change.items()
        assert current["citations"][0]["source"][field] == value

    def test_a_deleted_event_keeps_its_record(self, client, tokens):
        event, source_id = self._verified(client, tokens)
        gone = client.delete(
            f"{API}/events/{event['id']}",
            headers={**tokens.editor, "If-Match": etag(client, event["id"])},
        )
        assert gone.status_code == 204
        assert _edit(client, tokens.editor, source_id, {"title": "Renamed"}).status_code == 200
        revisions = client.get(f"{API}/events/{event['id']}/revisions")
        assert revisions.status_code == 410


class TestLocationCountryIsSubstantive:
    def _verified(self, client, tokens):
        location = {"name": "Amethi", "country": "IN", "lat": 26.15, "lon": 81.81}
        event, _source_id = _cited_event(client, tokens, location=location)
        assert review(client, tokens.reviewer, event["id"], "verified").status_code == 201
        return event

    def _patch(self, client, tokens, event, changes):
        return client.patch(
            f"{API}/events/{event['id']}",
            json=changes,
            headers={**tokens.editor, "If-Match": etag(client, event["id"])},
        )

    def test_moving_the_location_to_another_country_reopens(self, client, tokens):
        event = self._verified(client, tokens)
        moved = {"name": "Moscow", "country": "RU", "lat": 55.75, "lon": 37.62}
        response = self._patch(client, tokens, event, {"location": moved})
        assert response.get_json()["claim_status"] == "in_review"
        last = client.get(f"{API}/events/{event['id']}/reviews").get_json()["items"][-1]
        assert last["note"] == (
            "Reopened: editor changed location, location.country of a 'verified' claim."
        )

    def test_renaming_the_place_keeps_the_status(self, client, tokens):
        event = self._verified(client, tokens)
        renamed = {"name": "Amethi district", "country": "IN", "lat": 26.15, "lon": 81.81}
        response = self._patch(client, tokens, event, {"location": renamed})
        assert response.status_code == 200
        assert response.get_json()["claim_status"] == "verified"
