"""The sync feed (GET /changes) and the updated_since filter, on both databases.

Every write path makes exactly the entries a mirror needs, without the path doing
anything for it (timeline/changes.py records them at commit); a mirror built
from the feed alone equals the timeline. The PostgreSQL race is in
tests/test_feed_concurrency.py.
"""

from __future__ import annotations

from importlib import resources
from typing import Any

import pytest
from sqlalchemy import select

from tests.factories import cite, create_event, etag, event_body, review, source_body
from timeline.changes import acting_as
from timeline.db import db
from timeline.models import Event

API = "/api/v1"
PROBLEM_JSON = "application/problem+json"
SEED = (
    resources.files("timeline.demo")
    .joinpath("ani-2019-10-29-india-russia-defence.txt")
    .read_text(encoding="utf-8")
)


def _feed(client, **params: Any) -> dict[str, Any]:
    response = client.get(f"{API}/changes", query_string=params)
    assert response.status_code == 200, response.get_json()
    body: dict[str, Any] = response.get_json()
    return body


def _entries(client, **params: Any) -> list[tuple[str, str, int]]:
    """(kind, event id, version) of every entry, reading the whole feed page by page."""
    found = []
    params = {**params, "limit": 200}
    while True:
        page = _feed(client, **params)
        found += [(item["kind"], item["event_id"], item["version"]) for item in page["items"]]
        if not page["has_more"]:
            return found
        params["since"] = page["next_cursor"]


def _new_entries(client, since: str) -> list[tuple[str, str, int]]:
    return _entries(client, since=since)


def _head(client) -> str:
    cursor: str = _feed(client)["next_cursor"]
    return cursor


def _patch(client, headers, event_id, **fields):
    return client.patch(
        f"{API}/events/{event_id}",
        json=fields,
        headers={**headers, "If-Match": etag(client, event_id)},
    )


def _event(client, event_id: str) -> dict[str, Any]:
    body: dict[str, Any] = client.get(f"{API}/events/{event_id}").get_json()
    return body


class TestEveryWritePathMakesItsEntries:
    def test_create_patch_review_delete(self, client, tokens):
        event = create_event(client, tokens.editor)
        event_id = event["id"]
        page = _feed(client)
        assert page["has_more"] is False
        (item,) = page["items"]
        assert item == {
            "cursor": "1",
            "event_id": event_id,
            "kind": "created",
            "version": 1,
            "at": item["at"],
            "pairs": ["IN-RU"],
            "sort_key": item["sort_key"],
            "event": _event(client, event_id),
        }
        assert page["next_cursor"] == "1"

        assert _patch(client, tokens.editor, event_id, summary="Edited.").status_code == 200
        cite(client, tokens.editor, event_id)
        assert review(client, tokens.reviewer, event_id, "verified").status_code == 201
        # A substantive edit of a verified claim reopens it: still one entry.
        assert _patch(client, tokens.editor, event_id, title="Retitled").status_code == 200
        assert (
            client.delete(
                f"{API}/events/{event_id}",
                headers={**tokens.editor, "If-Match": etag(client, event_id)},
            ).status_code
            == 204
        )

        assert _new_entries(client, "1") == [
            ("changed", event_id, 2),
            ("changed", event_id, 3),
            ("reviewed", event_id, 4),
            ("changed", event_id, 5),
            ("deleted", event_id, 6),
        ]
        items = _feed(client, since="1")["items"]
        assert [item["cursor"] for item in items] == ["2", "3", "4", "5", "6"]
        assert items[3]["event"]["claim_status"] == "in_review"
        assert items[3]["event"]["title"] == "Retitled"
        tombstone = items[4]
        assert (tombstone["event"], tombstone["pairs"]) == (None, [])

    def test_each_entry_carries_the_event_as_that_change_left_it(self, client, tokens):
        event_id = create_event(client, tokens.editor)["id"]
        documents = [_event(client, event_id)]
        for summary in ("Second.", "Third."):
            assert _patch(client, tokens.editor, event_id, summary=summary).status_code == 200
            documents.append(_event(client, event_id))
        assert [item["event"] for item in _feed(client)["items"]] == documents

    def test_citations_added_and_removed(self, client, tokens):
        event_id = create_event(client, tokens.editor)["id"]
        citation = cite(client, tokens.editor, event_id)
        removed = client.delete(
            f"{API}/events/{event_id}/citations/{citation['id']}",
            headers={**tokens.editor, "If-Match": etag(client, event_id)},
        )
        assert removed.status_code == 204
        assert _entries(client) == [
            ("created", event_id, 1),
            ("changed", event_id, 2),
            ("changed", event_id, 3),
        ]

    def test_a_source_edit_makes_one_entry_per_live_event_that_cites_it(self, client, tokens):
        first = create_event(client, tokens.editor, title="First")["id"]
        second = create_event(client, tokens.editor, title="Second")["id"]
        gone = create_event(client, tokens.editor, title="Deleted")["id"]
        uncited = create_event(client, tokens.editor, title="Uncited")["id"]
        source_id = cite(client, tokens.editor, first)["source"]["id"]
        for event_id in (second, gone):
            cite(client, tokens.editor, event_id)
        client.delete(
            f"{API}/events/{gone}", headers={**tokens.editor, "If-Match": etag(client, gone)}
        )
        since = _head(client)

        source = client.get(f"{API}/sources/{source_id}")
        edited = client.patch(
            f"{API}/sources/{source_id}",
            json={"title": "A better title"},
            headers={**tokens.editor, "If-Match": source.headers["ETag"]},
        )
        assert edited.status_code == 200

        # One transaction, two entries: consecutive, in the events' creation order.
        assert _new_entries(client, since) == [("changed", first, 3), ("changed", second, 3)]
        items = _feed(client, since=since)["items"]
        assert [item["event"]["citations"][0]["source"]["title"] for item in items] == [
            "A better title",
            "A better title",
        ]
        assert uncited not in {item["event_id"] for item in items}

    def test_accepting_a_draft(self, client, tokens):
        source = client.post(
            f"{API}/sources", json=source_body(text=SEED), headers=tokens.editor
        ).get_json()
        accepted = client.post(
            f"{API}/sources/{source['id']}/drafts/1/accept", headers=tokens.editor
        )
        assert accepted.status_code == 201
        assert _entries(client) == [("created", accepted.get_json()["id"], 1)]
        assert _feed(client)["items"][0]["event"] == accepted.get_json()

    def test_a_refused_or_replayed_write_makes_none(self, client, tokens):
        event_id = create_event(client, tokens.editor)["id"]
        stale = client.patch(
            f"{API}/events/{event_id}",
            json={"summary": "Stale."},
            headers={**tokens.editor, "If-Match": f'"{event_id}.v9"'},
        )
        assert stale.status_code == 412
        # verified needs a supporting citation: refused.
        assert review(client, tokens.reviewer, event_id, "verified").status_code == 409
        headers = {**tokens.editor, "Idempotency-Key": "feed-1"}
        created = client.post(f"{API}/events", json=event_body(title="Once"), headers=headers)
        replayed = client.post(f"{API}/events", json=event_body(title="Once"), headers=headers)
        assert (created.status_code, replayed.headers["Idempotent-Replayed"]) == (201, "true")
        assert _entries(client) == [
            ("created", event_id, 1),
            ("created", created.get_json()["id"], 1),
        ]

    def test_a_change_made_outside_the_api_in_several_flushes(self, app, client, tokens):
        event_id = create_event(client, tokens.editor)["id"]
        with app.app_context(), acting_as("script"):
            stored = db.session.scalar(select(Event).where(Event.id == event_id))
            assert stored is not None
            stored.title = "Middle"
            db.session.flush()
            stored.summary = "By a script."
            db.session.commit()
        assert _entries(client) == [("created", event_id, 1), ("changed", event_id, 2)]
        assert _feed(client, since="1")["items"][0]["event"] == _event(client, event_id)


class TestPaging:
    def test_an_empty_feed_gives_its_start(self, client):
        assert _feed(client) == {"items": [], "next_cursor": "0", "has_more": False}
        assert _feed(client, since="0") == {"items": [], "next_cursor": "0", "has_more": False}

    def test_pages_follow_on_and_the_end_gives_the_head(self, client, tokens):
        ids = [create_event(client, tokens.editor, title=f"Event {i}")["id"] for i in range(5)]
        first = _feed(client, limit=2)
        assert [item["event_id"] for item in first["items"]] == ids[:2]
        assert (first["next_cursor"], first["has_more"]) == ("2", True)
        second = _feed(client, limit=2, since=first["next_cursor"])
        assert [item["event_id"] for item in second["items"]] == ids[2:4]
        last = _feed(client, limit=2, since=second["next_cursor"])
        assert [item["event_id"] for item in last["items"]] == ids[4:]
        assert (last["next_cursor"], last["has_more"]) == ("5", False)
        assert _feed(client, since="5") == {"items": [], "next_cursor": "5", "has_more": False}
        # An item's own cursor resumes after it.
        assert [
            i["event_id"] for i in _feed(client, since=first["items"][0]["cursor"])["items"]
        ] == (ids[1:])

    def test_the_same_stretch_answers_304_to_its_etag(self, client, tokens):
        create_event(client, tokens.editor)
        response = client.get(f"{API}/changes")
        again = client.get(f"{API}/changes", headers={"If-None-Match": response.headers["ETag"]})
        assert again.status_code == 304


class TestPairFilter:
    def test_a_pair_hears_of_events_that_join_and_leave_it(self, client, tokens):
        moved = create_event(client, tokens.editor, title="Moves")["id"]
        china = create_event(client, tokens.editor, title="China", countries=["IN", "CN"])["id"]
        three = create_event(client, tokens.editor, countries=["IN", "RU", "US"])["id"]
        assert _patch(client, tokens.editor, moved, countries=["IN", "CN"]).status_code == 200

        assert _entries(client, pair="IN-RU") == [
            ("created", moved, 1),
            ("created", three, 1),
            ("changed", moved, 2),
        ]
        left = _feed(client, pair="ru-in", since="3")["items"]
        assert [(item["event_id"], item["pairs"]) for item in left] == [(moved, ["CN-IN"])]
        assert _entries(client, pair="CN-IN") == [
            ("created", china, 1),
            ("changed", moved, 2),
        ]
        assert _feed(client, pair="IN-RU", since="3")["items"][0]["event"]["countries"] == [
            {"code": "CN", "name": "China"},
            {"code": "IN", "name": "India"},
        ]
        items = _feed(client, pair="RU-US")["items"]
        assert [(item["event_id"], item["pairs"]) for item in items] == [
            (three, ["IN-RU", "IN-US", "RU-US"])
        ]

    def test_a_page_with_nothing_for_the_pair_still_moves_to_the_head(self, client, tokens):
        create_event(client, tokens.editor, countries=["IN", "CN"])
        create_event(client, tokens.editor, countries=["IN", "CN"])
        assert _feed(client, pair="IN-RU") == {"items": [], "next_cursor": "2", "has_more": False}

    def test_a_mirror_built_from_the_feed_alone_is_the_timeline(self, client, tokens):
        ids = [
            create_event(client, tokens.editor, title=title, date=date)["id"]
            for title, date in [
                ("Late", "2019-11-05"),
                ("Early", "2019"),
                ("Same day", "2019-11-05"),
                ("Gone", "2019-10"),
            ]
        ]
        mirror: dict[str, dict[str, Any]] = {}
        since = None

        def follow() -> None:
            nonlocal since
            while True:
                page = _feed(client, pair="IN-RU", limit=2, **({"since": since} if since else {}))
                for item in page["items"]:
                    if "IN-RU" in item["pairs"]:
                        mirror[item["event_id"]] = item
                    else:
                        mirror.pop(item["event_id"], None)
                since = page["next_cursor"]
                if not page["has_more"]:
                    return

        follow()
        assert _patch(client, tokens.editor, ids[0], date="2019-11-04").status_code == 200
        client.delete(
            f"{API}/events/{ids[3]}", headers={**tokens.editor, "If-Match": etag(client, ids[3])}
        )
        create_event(client, tokens.editor, title="Elsewhere", countries=["IN", "CN"])
        follow()

        timeline = client.get(f"{API}/timelines/IN-RU", query_string={"limit": 200}).get_json()
        ordered = sorted(mirror.values(), key=lambda item: item["sort_key"])
        assert [item["event"] for item in ordered] == timeline["items"]
        assert [event["title"] for event in timeline["items"]] == ["Early", "Late", "Same day"]


class TestRefusals:
    @pytest.mark.parametrize(
        ("params", "status", "errors"),
        [
            ({"since": "abc"}, 400, {"since": ["Not a valid cursor."]}),
            ({"since": "1.2"}, 400, {"since": ["Not a valid cursor."]}),
            ({"since": "7"}, 409, {"since": ["Past the end of the feed."]}),
            (
                {"pair": "IN-XX"},
                422,
                {"pair": ["'XX' is not an ISO 3166-1 alpha-2 or alpha-3 country code."]},
            ),
            (
                {"limit": "0"},
                422,
                {"limit": ["Must be greater than or equal to 1 and less than or equal to 200."]},
            ),
            (
                {"limit": "201"},
                422,
                {"limit": ["Must be greater than or equal to 1 and less than or equal to 200."]},
            ),
            ({"cursor": "1"}, 422, {"cursor": ["Unknown field."]}),
        ],
    )
    def test_bad_parameters(self, client, tokens, params, status, errors):
        create_event(client, tokens.editor)
        response = client.get(f"{API}/changes", query_string=params)
        assert response.status_code == status, response.get_json()
        assert response.content_type == PROBLEM_JSON
        assert response.get_json()["errors"] == errors


class TestUpdatedSince:
    def test_lists_keep_events_updated_at_or_after_it(self, client, tokens):
        first = create_event(client, tokens.editor, title="First")
        second = create_event(client, tokens.editor, title="Second")
        china = create_event(client, tokens.editor, title="China", countries=["IN", "CN"])
        since = second["updated_at"]

        def titles(path: str, **params: Any) -> list[str]:
            response = client.get(f"{API}{path}", query_string={"updated_since": since, **params})
            assert response.status_code == 200, response.get_json()
            return [event["title"] for event in response.get_json()["items"]]

        assert titles("/events") == ["Second", "China"]
        assert titles("/timelines/IN-RU") == ["Second"]
        assert titles("/events", pair="IN-RU") == ["Second"]
        assert titles("/events", country="CN") == ["China"]
        assert _patch(client, tokens.editor, first["id"], summary="Later.").status_code == 200
        assert titles("/timelines/IN-RU") == ["First", "Second"]
        assert titles("/timelines/IN-RU", limit=1) == ["First"]
        assert titles("/events", status="unverified", order="desc") == ["China", "Second", "First"]
        assert china["updated_at"] >= since

    def test_an_offset_is_honoured(self, client, tokens):
        event = create_event(client, tokens.editor)
        stored = event["updated_at"]  # 2026-...+00:00
        hour_ahead = stored.replace("+00:00", "+01:00")  # the same wall time, an hour earlier
        response = client.get(f"{API}/events", query_string={"updated_since": hour_ahead})
        assert [e["id"] for e in response.get_json()["items"]] == [event["id"]]

    @pytest.mark.parametrize("value", ["yesterday", "2026-12-03", "2026-12-03T08:00:00", ""])
    @pytest.mark.parametrize("path", ["/events", "/timelines/IN-RU"])
    def test_anything_but_an_rfc_3339_time_with_an_offset_is_a_422(self, client, path, value):
        response = client.get(f"{API}{path}", query_string={"updated_since": value})
        assert response.status_code == 422
        assert response.content_type == PROBLEM_JSON
        assert response.get_json()["errors"] == {
            "updated_since": [
                "Not an RFC 3339 date and time with an offset, such as 2026-12-03T08:00:00Z "
                "or 2026-12-03T09:00:00+01:00."
            ]
        }
