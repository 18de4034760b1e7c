"""Events: create, read, edit, delete, search."""

from __future__ import annotations

import time
import uuid

from tests.factories import SEED_URL, create_event, etag, event_body, source_body

API = "/api/v1"


class TestCreateEvent:
    def test_returns_the_event_with_server_fields(self, client, tokens):
        response = client.post(
            f"{API}/events",
            json=event_body(
                location={"name": "Amethi", "country": "ind", "lat": 26.15, "lon": 81.81},
                citations=[
                    {"source": source_body(), "quote": "The visit...", "stance": "supports"}
                ],
            ),
            headers=tokens.editor,
        )
        assert response.status_code == 201
        body = response.get_json()
        assert response.headers["Location"] == f"{API}/events/{body['id']}"
        assert response.headers["ETag"] == f'"{body["id"]}.v1"'
        citation = body["citations"][0]
        assert body == {
            "id": body["id"],
            "title": "Defence Minister visits Russia",
            "summary": "A visit with an industry delegation.",
            "date": "2019-11-05",
            "end_date": None,
            "approximate": False,
            "date_precision": "day",
            "date_label": "5 Nov 2019",
            "countries": [{"code": "IN", "name": "India"}, {"code": "RU", "name": "Russia"}],
            "location": {"name": "Amethi", "country": "IN", "lat": 26.15, "lon": 81.81},
            "actors": ["Rajnath Singh"],
            "tags": ["visit"],
            "claim_status": "unverified",
            "citations": [
                {
                    "id": citation["id"],
                    "quote": "The visit...",
                    "stance": "supports",
                    "source": {
                        "id": citation["source"]["id"],
                        "url": SEED_URL,
                        "title": "India, Russia to push Make in India in defence",
                        "publisher": "ANI",
                        "published_on": "2019-10-29",
                        "author": None,
                        "archive_url": None,
                    },
                }
            ],
            # The source has no text: only the checks of its sources and dates.
            "checks": [
                {
                    "code": "single-source",
                    "severity": "warning",
                    "message": "Every citation comes from one source. Find an independent "
                    "report of the event and cite it too.",
                    "citation_id": None,
                },
                {
                    "code": "reported-before-event",
                    "severity": "warning",
                    "message": "Every supporting source was published before the event's "
                    "date (5 Nov 2019; the latest on 2019-10-29): they report a plan or a "
                    "schedule, not that it happened. Cite a report published on or after the "
                    "date that confirms it took place.",
                    "citation_id": None,
                },
            ],
            "created_at": body["created_at"],
            "updated_at": body["created_at"],
            "version": 1,
        }
        assert client.get(response.headers["Location"]).get_json() == body

    def test_countries_in_any_form_are_stored_as_alpha_2(self, client, tokens):
        body = create_event(client, tokens.editor, countries=["rus", "ind", "us"])
        assert [c["code"] for c in body["countries"]] == ["IN", "RU", "US"]

    def test_precision_and_labels(self, client, tokens):
        cases = [
            ({"date": "2019"}, "year", "2019"),
            ({"date": "2019-11"}, "month", "Nov 2019"),
            ({"date": "2019", "approximate": True}, "year", "c. 2019"),
            ({"date": "2019-11-05", "end_date": "2019-11-09"}, "day", "5–9 Nov 2019"),
        ]
        for fields, precision, label in cases:
            body = create_event(client, tokens.editor, **fields)
            assert (body["date_precision"], body["date_label"]) == (precision, label)

    def test_inline_source_with_a_known_url_reuses_the_source(self, client, tokens):
        cited = {"source": source_body(), "quote": "q", "stance": "supports"}
        first = create_event(client, tokens.editor, citations=[cited])
        variant = SEED_URL.replace("https://www.aninews.in", "HTTPS://WWW.ANINEWS.IN:443") + "#x"
        again = {"source": source_body(url=variant)}
        second = create_event(client, tokens.editor, citations=[{**cited, **again}])
        assert first["citations"][0]["source"]["id"] == second["citations"][0]["source"]["id"]
        assert len(client.get(f"{API}/sources").get_json()["items"]) == 1

    def test_ids_begin_with_the_time_they_were_made_and_sort_in_that_order(self, client, tokens):
        before = time.time_ns() // 1_000_000
        events = [
            create_event(
                client,
                tokens.editor,
                title=f"Event {n}",
                citations=[
                    {
                        "source": source_body(url=f"https://example.org/{n}"),
                        "quote": "Q",
                        "stance": "supports",
                    }
                ],
            )
            for n in range(3)
        ]
        after = time.time_ns() // 1_000_000
        made = [
            uuid.UUID(id_)
            for event in events
            for id_ in (
                event["citations"][0]["source"]["id"],
                event["citations"][0]["id"],
                event["id"],
            )
        ]
        # UUIDs of version 7 (RFC 9562): the first 48 bits are the Unix time in ms.
        assert {id_.version for id_ in made} == {7}
        assert all(before <= id_.int >> 80 <= after for id_ in made)
        created = [uuid.UUID(event["id"]) for event in events]
        assert created == sorted(created)


class TestGetEvent:
    def test_unknown_id_is_404_problem(self, client):
        response = client.get(f"{API}/events/nope")
        assert response.status_code == 404
        assert response.mimetype == "application/problem+json"
        assert response.get_json() == {
            "type": "about:blank",
            "title": "Not Found",
            "status": 404,
            "detail": "No event has the id 'nope'.",
        }

    def test_if_none_match_gives_304(self, client, tokens):
        event = create_event(client, tokens.editor)
        tag = etag(client, event["id"])
        response = client.get(f"{API}/events/{event['id']}", headers={"If-None-Match": tag})
        assert response.status_code == 304
        assert response.data == b""


class TestPatchEvent:
    def test_partial_update_keeps_other_fields_and_bumps_version(self, client, tokens):
        event = create_event(client, tokens.editor)
        response = client.patch(
            f"{API}/events/{event['id']}",
            json={"summary": "New summary", "tags": ["Visit", "defence"]},
            headers={**tokens.editor, "If-Match": etag(client, event["id"])},
        )
        assert response.status_code == 200
        body = response.get_json()
        assert body["summary"] == "New summary"
        assert body["tags"] == ["visit", "defence"]
        assert body["title"] == event["title"]
        assert body["version"] == 2
        assert response.headers["ETag"] == f'"{event["id"]}.v2"'

    def test_date_change_moves_the_event_in_the_timeline(self, client, tokens):
        early = create_event(client, tokens.editor, title="early", date="2019-01")
        late = create_event(client, tokens.editor, title="late", date="2019-06")
        client.patch(
            f"{API}/events/{early['id']}",
            json={"date": "2019-12-01"},
            headers={**tokens.editor, "If-Match": etag(client, early["id"])},
        )
        items = client.get(f"{API}/timelines/IN-RU").get_json()["items"]
        assert [item["title"] for item in items] == ["late", "early"]
        assert items[1]["date_label"] == "1 Dec 2019"
        assert late["id"] == items[0]["id"]

    def test_end_before_kept_start_is_refused(self, client, tokens):
        event = create_event(client, tokens.editor, date="2019-11-05")
        response = client.patch(
            f"{API}/events/{event['id']}",
            json={"end_date": "2019-10"},
            headers={**tokens.editor, "If-Match": etag(client, event["id"])},
        )
        assert response.status_code == 422
        assert response.get_json()["errors"] == {
            "end_date": ["The end 2019-10 is before the start 2019-11-05."]
        }
        assert client.get(f"{API}/events/{event['id']}").get_json()["version"] == 1

    def test_changing_countries_moves_the_event_between_pairs(self, client, tokens):
        event = create_event(client, tokens.editor)
        client.patch(
            f"{API}/events/{event['id']}",
            json={"countries": ["IN", "US"]},
            headers={**tokens.editor, "If-Match": etag(client, event["id"])},
        )
        assert client.get(f"{API}/timelines/IN-RU").get_json()["items"] == []
        assert len(client.get(f"{API}/timelines/IN-US").get_json()["items"]) == 1


class TestDeleteEvent:
    def test_hides_the_event_but_keeps_it(self, client, tokens):
        event = create_event(client, tokens.editor)
        response = client.delete(
            f"{API}/events/{event['id']}",
            headers={**tokens.editor, "If-Match": etag(client, event["id"])},
        )
        assert response.status_code == 204
        assert client.get(f"{API}/events/{event['id']}").status_code == 410
        assert client.get(f"{API}/timelines/IN-RU").get_json()["items"] == []
        assert client.get(f"{API}/events").get_json()["items"] == []
        assert client.get(f"{API}/pairs").get_json()["items"] == []
        assert client.get(f"{API}/timelines/IN-RU/summary").get_json()["total"] == 0
        revisions = client.get(f"{API}/events/{event['id']}/revisions")
        assert revisions.status_code == 410


class TestSearchEvents:
    def test_filters(self, client, tokens):
        a = create_event(
            client, tokens.editor, title="Rifle deal", countries=["IN", "RU"], tags=["deal"]
        )
        b = create_event(client, tokens.editor, title="Summit", countries=["US", "RU"], date="2020")
        c = create_event(
            client, tokens.editor, title="Talks", countries=["IN", "US"], date="2018-03"
        )

        def ids(query: str) -> list[str]:
            response = client.get(f"{API}/events?{query}")
            assert response.status_code == 200, response.get_json()
            return [item["id"] for item in response.get_json()["items"]]

        assert ids("") == [c["id"], a["id"], b["id"]]
        assert ids("country=ind") == [c["id"], a["id"]]
        assert ids("pair=RU-US") == [b["id"]]
        assert ids("tag=DEAL") == [a["id"]]
        assert ids("q=rifle") == [a["id"]]
        assert ids("q=rajnath%20singh") == [c["id"], a["id"], b["id"]]
        assert ids("from=2019&to=2019") == [a["id"]]
        assert ids("order=desc") == [b["id"], a["id"], c["id"]]
        assert ids("status=verified") == []
