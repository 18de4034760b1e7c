"""Sources: unique normalised URLs, lookup by URL, edits that reach citing events."""

from __future__ import annotations

from tests.factories import SEED_URL, create_event, source_body

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
        }
        assert client.get(response.headers["Location"]).get_json() == body

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


class TestPatchSource:
    def test_edit_shows_in_citing_events(self, client, tokens):
        event = create_event(
            client,
            tokens.editor,
            citations=[{"source": source_body(), "quote": "q", "stance": "supports"}],
        )
        source_id = event["citations"][0]["source"]["id"]
        response = client.patch(
            f"{API}/sources/{source_id}", json={"title": "Corrected title"}, headers=tokens.editor
        )
        assert response.status_code == 200
        assert response.get_json()["title"] == "Corrected title"
        timeline = client.get(f"{API}/timelines/IN-RU").get_json()["items"]
        assert timeline[0]["citations"][0]["source"]["title"] == "Corrected title"
        assert timeline[0]["version"] == 2

    def test_url_taken_by_another_source_is_409(self, client, tokens):
        _create(client, tokens.editor, url="https://example.org/a")
        other = _create(client, tokens.editor, url="https://example.org/b").get_json()
        response = client.patch(
            f"{API}/sources/{other['id']}",
            json={"url": "https://example.org/a/"},
            headers=tokens.editor,
        )
        assert response.status_code == 409
