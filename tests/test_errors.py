"""Bad input: each gets a 4xx problem+json naming the field, and stores nothing."""

from __future__ import annotations

import io
from http import HTTPStatus

import pytest

from tests.factories import create_event, event_body

API = "/api/v1"


def _count_events(client) -> int:
    return len(client.get(f"{API}/events?limit=200").get_json()["items"])


BAD_EVENTS = [
    ({"date": "2019-02-30"}, 422, {"date": ["'2019-02-30' does not exist: Feb 2019 has 28 days."]}),
    (
        {"date": "5 Nov 2019"},
        422,
        {"date": ["'5 Nov 2019' is not a date of the form YYYY, YYYY-MM or YYYY-MM-DD."]},
    ),
    (
        {"date": "2019-11-05", "end_date": "2019-11-04"},
        422,
        {"end_date": ["The end 2019-11-04 is before the start 2019-11-05."]},
    ),
    (
        {"countries": ["IN", "XX"]},
        422,
        {"countries.1": ["'XX' is not an ISO 3166-1 alpha-2 or alpha-3 country code."]},
    ),
    ({"countries": ["IN"]}, 422, {"countries": ["Give 2 to 20 countries."]}),
    ({"countries": ["IN", "ind"]}, 422, {"countries": ["India (IN) is listed twice, at 0 and 1."]}),
    ({"colour": "red"}, 422, {"colour": ["Unknown field."]}),
    ({"id": "x"}, 422, {"id": ["The id is set by the server."]}),
    (
        {"claim_status": "verified"},
        422,
        {
            "claim_status": [
                "The claim status changes only through a review: "
                "POST /api/v1/events/{id}/reviews with a status and a note."
            ]
        },
    ),
    (
        {"version": 3},
        422,
        {"version": ["The version is set by the server; send the ETag in If-Match instead."]},
    ),
    ({"title": 5}, 422, {"title": ["Not a valid string."]}),
    ({"approximate": "yes"}, 422, {"approximate": ["Not a valid boolean."]}),
    ({"title": ""}, 422, {"title": ["Length must be between 1 and 300."]}),
    ({"title": "x" * 301}, 422, {"title": ["Length must be between 1 and 300."]}),
    ({"tags": ["t"] * 51}, 422, {"tags": ["Longer than maximum length 50."]}),
    (
        {"location": {"name": "Amethi", "lat": 26.1}},
        422,
        {"location.lat": ["Give both lat and lon, or neither."]},
    ),
    (
        {"location": {"name": "Amethi", "lat": "26.1", "lon": 81}},
        422,
        {"location.lat": ["Not a valid number."]},
    ),
    (
        {"location": {"name": "X", "lat": 91, "lon": 0}},
        422,
        {"location.lat": ["Must be greater than or equal to -90 and less than or equal to 90."]},
    ),
    (
        {"citations": [{"quote": "q", "stance": "agrees", "source_id": "nope"}]},
        422,
        {"citations.0.stance": ["Must be one of: supports, disputes, context."]},
    ),
    (
        {"citations": [{"quote": "q", "stance": "supports"}]},
        422,
        {"citations.0.source_id": ["Give exactly one of 'source_id' or 'source'."]},
    ),
    (
        {"citations": [{"quote": "q", "stance": "supports", "source_id": "nope"}]},
        422,
        {"citations.0.source_id": ["No source has the id 'nope'."]},
    ),
]


class TestBadEventBodies:
    @pytest.mark.parametrize(("change", "status", "errors"), BAD_EVENTS)
    def test_refused_with_field_errors_and_nothing_stored(
        self, client, tokens, change, status, errors
    ):
        response = client.post(f"{API}/events", json=event_body(**change), headers=tokens.editor)
        assert response.status_code == status
        assert response.mimetype == "application/problem+json"
        body = response.get_json()
        assert body["errors"] == errors
        assert body["status"] == status
        assert body["title"] == "Unprocessable Entity"
        assert body["type"] == "urn:timeline:problem:invalid-input"
        assert body["detail"].startswith("The request has invalid input in: ")
        assert _count_events(client) == 0
        assert client.get(f"{API}/sources").get_json()["items"] == []

    def test_missing_required_fields(self, client, tokens):
        response = client.post(f"{API}/events", json={}, headers=tokens.editor)
        assert response.status_code == 422
        assert response.get_json()["errors"] == {
            "title": ["Missing data for required field."],
            "date": ["Missing data for required field."],
            "countries": ["Missing data for required field."],
        }

    def test_body_that_is_not_an_object(self, client, tokens):
        response = client.post(f"{API}/events", json=[1, 2], headers=tokens.editor)
        assert response.status_code == 422
        assert response.get_json()["errors"] == {"_schema": ["Invalid input type."]}

    def test_malformed_json(self, client, tokens):
        response = client.post(
            f"{API}/events",
            data=b'{"title": ',
            headers={**tokens.editor, "Content-Type": "application/json"},
        )
        assert response.status_code == 400
        assert response.mimetype == "application/problem+json"
        assert response.get_json()["errors"] == {"_schema": ["Invalid JSON body."]}

    def test_oversized_body_is_413(self, client, tokens):
        body = event_body(summary="x" * (1024 * 1024))
        response = client.post(f"{API}/events", json=body, headers=tokens.editor)
        assert response.status_code == 413
        assert response.mimetype == "application/problem+json"
        assert response.get_json() == {
            "type": "about:blank",
            "title": "Request Entity Too Large",
            "status": 413,
            "detail": "The request body is larger than the limit of 1,048,576 bytes.",
        }
        assert _count_events(client) == 0

    @pytest.mark.parametrize(
        ("failure", "status", "detail"),
        [
            (
                TimeoutError("timed out"),
                408,
                "The request body stopped arriving before it was complete.",
            ),
            (
                ValueError("Invalid chunk size"),
                400,
                "The request body could not be read: Invalid chunk size",
            ),
        ],
        ids=["stalled", "broken framing"],
    )
    def test_body_that_cannot_be_read(self, client, tokens, failure, status, detail):
        class FailingStream(io.BytesIO):
            def read(self, size: int | None = -1) -> bytes:
                raise failure

        response = client.post(
            f"{API}/events",
            input_stream=FailingStream(b"{" * 50),
            headers={**tokens.editor, "Content-Type": "application/json"},
        )
        assert response.status_code == status
        assert response.mimetype == "application/problem+json"
        assert response.get_json() == {
            "type": "about:blank",
            "title": HTTPStatus(status).phrase,
            "status": status,
            "detail": detail,
        }
        assert _count_events(client) == 0

    def test_wrong_content_type_is_415(self, client, tokens):
        response = client.post(
            f"{API}/events",
            data="title=x",
            headers={**tokens.editor, "Content-Type": "application/x-www-form-urlencoded"},
        )
        assert response.status_code == 415
        assert response.get_json() == {
            "type": "about:blank",
            "title": "Unsupported Media Type",
            "status": 415,
            "detail": "The body must be JSON, sent with 'Content-Type: application/json' "
            "(got 'application/x-www-form-urlencoded').",
        }
        assert _count_events(client) == 0


class TestBadQueries:
    @pytest.mark.parametrize(
        ("query", "errors"),
        [
            (
                "limit=0",
                {"limit": ["Must be greater than or equal to 1 and less than or equal to 200."]},
            ),
            (
                "limit=1000",
                {"limit": ["Must be greater than or equal to 1 and less than or equal to 200."]},
            ),
            ("limit=ten", {"limit": ["Not a valid integer."]}),
            # What Python's int() would read as a number, and a cache or proxy not.
            ("limit=%D9%A5", {"limit": ["Not a valid integer."]}),  # ARABIC-INDIC DIGIT FIVE
            ("limit=1_0", {"limit": ["Not a valid integer."]}),
            ("limit=%2B5", {"limit": ["Not a valid integer."]}),
            ("limit=%205", {"limit": ["Not a valid integer."]}),
            ("limit=5%0A", {"limit": ["Not a valid integer."]}),
            ("limit=", {"limit": ["Not a valid integer."]}),
            ("order=sideways", {"order": ["Must be one of: asc, desc."]}),
            (
                "status=true",
                {"status": ["Must be one of: unverified, in_review, verified, disputed, false."]},
            ),
            ("from=2019-13", {"from": ["'2019-13' has no month 13."]}),
            ("from=2020&to=2019", {"to": ["'to' (2019) is before 'from' (2020)."]}),
            ("colour=red", {"colour": ["Unknown field."]}),
        ],
    )
    def test_refused(self, client, query, errors):
        response = client.get(f"{API}/timelines/IN-RU?{query}")
        assert response.status_code == 422
        assert response.mimetype == "application/problem+json"
        assert response.get_json()["errors"] == errors

    @pytest.mark.parametrize(
        "cursor",
        ["garbage", "WzEsMiwzXQ", "0", "0.0", "1.2.3.4", "-1.0.0", "0.0.2147483648", "%00"],
    )
    def test_bad_cursor_is_400(self, client, cursor):
        response = client.get(f"{API}/timelines/IN-RU?cursor={cursor}")
        assert response.status_code == 400
        assert response.get_json()["errors"] == {"cursor": ["Not a valid cursor."]}

    @pytest.mark.parametrize(
        ("path", "cursor"),
        [
            ("/timelines/IN-RU", "0.0.0"),
            ("/events", "2147483647.2147483647.2147483647"),
            ("/sources", "0"),
            ("/sources", "2147483647"),
            ("/review-queue", "007"),
        ],
    )
    def test_every_cursor_the_pattern_allows_is_a_position(self, client, tokens, path, cursor):
        create_event(client, tokens.editor)
        response = client.get(f"{API}{path}?cursor={cursor}", headers=tokens.reviewer)
        assert response.status_code == 200
        assert response.get_json()["next_cursor"] is None

    def test_a_cursor_followed_in_the_other_order_pages_back(self, client, tokens):
        titles = [f"Event {day}" for day in range(1, 4)]
        for day, title in enumerate(titles, start=1):
            create_event(client, tokens.editor, title=title, date=f"2019-01-0{day}")
        cursor = client.get(f"{API}/timelines/IN-RU?limit=2").get_json()["next_cursor"]
        after = client.get(f"{API}/timelines/IN-RU?cursor={cursor}").get_json()["items"]
        before = client.get(f"{API}/timelines/IN-RU?order=desc&cursor={cursor}").get_json()
        assert [item["title"] for item in after] == ["Event 3"]
        assert [item["title"] for item in before["items"]] == ["Event 1"]


class TestProtocolErrors:
    def test_unknown_route_is_404_problem(self, client):
        response = client.get("/api/v1/nothing-here")
        assert response.status_code == 404
        assert response.mimetype == "application/problem+json"

    def test_wrong_method_is_405_with_allow(self, client):
        response = client.put(f"{API}/pairs", json={})
        assert response.status_code == 405
        assert response.mimetype == "application/problem+json"
        assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}

    def test_server_error_is_a_bare_500_problem(self, app, client, monkeypatch):
        from timeline import read_model

        def broken(*args, **kwargs):
            raise RuntimeError("secret internals")

        monkeypatch.setattr(read_model, "pair_page", broken)
        monkeypatch.setattr("timeline.api.timelines.pair_page", broken)
        response = client.get(f"{API}/pairs")
        assert response.status_code == 500
        assert response.mimetype == "application/problem+json"
        assert response.get_json() == {
            "type": "about:blank",
            "title": "Internal Server Error",
            "status": 500,
            "detail": "The server failed to answer this request; it has been logged.",
        }
        assert b"secret" not in response.data
