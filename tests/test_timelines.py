"""Pair timelines: order, filters, keyset pages and summaries."""

from __future__ import annotations

import random

import pytest

from tests.factories import cite, create_event, etag, review
from timeline import services
from timeline.db import db
from timeline.domain.countries import country

API = "/api/v1"


def _bulk_events(app, specs):
    """Create events straight through the services (the API path is tested elsewhere)."""
    ids = []
    with app.app_context():
        for spec in specs:
            data = {"countries": [country("IN"), country("RU")], **spec}
            ids.append(services.create_event(data, "bulk").id)
        db.session.commit()
    return ids


class TestTimelineOrder:
    def test_earliest_day_then_coarser_precision_then_creation(self, client, tokens):
        day = create_event(client, tokens.editor, title="day", date="2019-01-01")
        year = create_event(client, tokens.editor, title="year", date="2019")
        month = create_event(client, tokens.editor, title="month", date="2019-01")
        year2 = create_event(client, tokens.editor, title="year2", date="2019")
        before = create_event(client, tokens.editor, title="before", date="2018-12-31")
        response = client.get(f"{API}/timelines/IN-RU")
        assert [item["id"] for item in response.get_json()["items"]] == [
            before["id"],
            year["id"],
            year2["id"],
            month["id"],
            day["id"],
        ]
        reverse = client.get(f"{API}/timelines/IN-RU?order=desc").get_json()["items"]
        assert [item["title"] for item in reverse] == ["day", "month", "year2", "year", "before"]

    @pytest.mark.parametrize("spelling", ["RU-IN", "in-ru", "IND-RUS", "rus-IN"])
    def test_every_spelling_of_a_pair_is_one_timeline(self, client, tokens, spelling):
        event = create_event(client, tokens.editor)
        body = client.get(f"{API}/timelines/{spelling}").get_json()
        assert body["pair"] == {
            "id": "IN-RU",
            "countries": [{"code": "IN", "name": "India"}, {"code": "RU", "name": "Russia"}],
        }
        assert [item["id"] for item in body["items"]] == [event["id"]]
        assert body["next_cursor"] is None

    def test_event_of_three_countries_is_in_every_pair(self, client, tokens):
        event = create_event(client, tokens.editor, countries=["IN", "RU", "CN"])
        for pair in ("CN-IN", "CN-RU", "IN-RU"):
            items = client.get(f"{API}/timelines/{pair}").get_json()["items"]
            assert [item["id"] for item in items] == [event["id"]]
        assert client.get(f"{API}/timelines/IN-US").get_json()["items"] == []

    @pytest.mark.parametrize(
        ("pair", "detail"),
        [
            ("IN-XX", "'XX' is not an ISO 3166-1 alpha-2 or alpha-3 country code."),
            ("IN-IN", "A pair needs two different countries; 'IN' is given twice."),
            ("IND-in", "A pair needs two different countries; 'IN' is given twice."),
            (
                "INRU",
                "'INRU' is not a country pair; write two country codes joined by '-', "
                "such as 'IN-RU'.",
            ),
        ],
    )
    def test_bad_pair_is_a_problem_naming_the_code(self, client, pair, detail):
        response = client.get(f"{API}/timelines/{pair}")
        assert response.status_code == 404
        assert response.mimetype == "application/problem+json"
        assert response.get_json()["detail"] == detail


class TestTimelineFilters:
    def test_from_to_select_by_overlap(self, client, tokens):
        span = create_event(client, tokens.editor, title="span", date="2018-12", end_date="2019-02")
        year = create_event(client, tokens.editor, title="year", date="2019")
        create_event(client, tokens.editor, title="later", date="2019-03-01")
        create_event(client, tokens.editor, title="earlier", date="2018-11-30")

        def titles(query):
            return [
                i["title"] for i in client.get(f"{API}/timelines/IN-RU?{query}").get_json()["items"]
            ]

        assert titles("from=2019-01&to=2019-02-28") == [span["title"], year["title"]]
        assert titles("to=2018-12-01") == ["earlier", "span"]
        assert titles("from=2019-02-15") == ["span", "year", "later"]

    def test_status_tag_and_words(self, client, tokens):
        create_event(client, tokens.editor, title="Rifle deal signed", tags=["deal"])
        create_event(client, tokens.editor, title="Visit", tags=["visit"], actors=["Ajay Kumar"])
        base = f"{API}/timelines/IN-RU"
        assert [i["title"] for i in client.get(f"{base}?tag=deal").get_json()["items"]] == [
            "Rifle deal signed"
        ]
        assert [i["title"] for i in client.get(f"{base}?q=AJAY").get_json()["items"]] == ["Visit"]
        assert client.get(f"{base}?q=rifle%20kumar").get_json()["items"] == []
        assert client.get(f"{base}?q=100%25").get_json()["items"] == []
        assert len(client.get(f"{base}?status=unverified").get_json()["items"]) == 2
        assert client.get(f"{base}?status=verified").get_json()["items"] == []


class TestTimelinePages:
    def test_cursor_walk_returns_each_event_once_in_order(self, app, client):
        rng = random.Random(7)
        dates = ["2019", "2019-11", "2019-11-05", "2019-11-05", "2020-01", "2018"]
        ids = _bulk_events(
            app, [{"title": f"event {i}", "date": rng.choice(dates)} for i in range(1000)]
        )
        expected = [
            i["id"] for i in client.get(f"{API}/events?limit=200").get_json()["items"]
        ]  # first page only, for a spot check below
        seen = []
        url = f"{API}/timelines/IN-RU?limit=7"
        pages = 0
        while url:
            response = client.get(url)
            assert response.status_code == 200
            body = response.get_json()
            assert len(body["items"]) <= 7
            seen.extend(body["items"])
            pages += 1
            link = response.headers.get("Link")
            if body["next_cursor"] is None:
                assert link is None
                url = None
            else:
                assert link == (
                    f"<http://localhost{API}/timelines/IN-RU?limit=7&cursor={body['next_cursor']}>;"
                    ' rel="next"'
                )
                url = f"{API}/timelines/IN-RU?limit=7&cursor={body['next_cursor']}"
        assert pages == 143
        assert sorted(item["id"] for item in seen) == sorted(ids)
        keys = [(item["date"], item["created_at"]) for item in seen]
        first_days = [_sort_key(item) for item in seen]
        assert first_days == sorted(first_days)
        assert [item["id"] for item in seen[:200]] == expected
        assert len(keys) == 1000

    def test_desc_walk_is_the_reverse(self, app, client):
        _bulk_events(app, [{"title": str(i), "date": "2019"} for i in range(10)])
        forward = [i["id"] for i in client.get(f"{API}/timelines/IN-RU").get_json()["items"]]
        backward, url = [], f"{API}/timelines/IN-RU?order=desc&limit=3"
        while url:
            body = client.get(url).get_json()
            backward += [i["id"] for i in body["items"]]
            url = (
                body["next_cursor"]
                and f"{API}/timelines/IN-RU?order=desc&limit=3&cursor={body['next_cursor']}"
            )
        assert backward == forward[::-1]

    def test_default_limit_is_50(self, app, client):
        _bulk_events(app, [{"title": str(i), "date": "2019"} for i in range(51)])
        body = client.get(f"{API}/timelines/IN-RU").get_json()
        assert len(body["items"]) == 50
        assert body["next_cursor"] is not None

    @pytest.mark.parametrize("path", ["/timelines/IN-RU", "/events?pair=IN-RU", "/events"])
    def test_items_are_the_events_in_any_script(self, client, tokens, path):
        titles = [
            "Talks on grain",
            "Шойгу – Сингх",
            "São Paulo, Türkiye",
            "国防部长访问",
            "🚀 launch",
        ]
        made = [create_event(client, tokens.editor, title=title) for title in titles]
        page = client.get(f"{API}{path}")
        assert page.status_code == 200
        assert page.content_type == "application/json"
        items = page.get_json()["items"]
        assert items == [client.get(f"{API}/events/{event['id']}").get_json() for event in made]
        for title in titles:  # as UTF-8, not escaped
            assert title.encode() in page.data

    def test_page_has_etag_and_304(self, client, tokens):
        create_event(client, tokens.editor)
        first = client.get(f"{API}/timelines/IN-RU")
        again = client.get(
            f"{API}/timelines/IN-RU", headers={"If-None-Match": first.headers["ETag"]}
        )
        assert again.status_code == 304


def _sort_key(item):
    precision = {"year": 0, "month": 1, "day": 2}[item["date_precision"]]
    first_day = item["date"] + "-01" * (2 - precision)
    return first_day, precision


def _statuses(unverified=0, in_review=0, verified=0, disputed=0, false=0):
    return {
        "unverified": unverified,
        "in_review": in_review,
        "verified": verified,
        "disputed": disputed,
        "false": false,
    }


class TestSummary:
    def test_counts_by_status_year_and_tag(self, client, tokens):
        checked = create_event(client, tokens.editor, date="2018-05", tags=["Visit", "defence"])
        cite(client, tokens.editor, checked["id"])
        assert review(client, tokens.reviewer, checked["id"], "verified").status_code == 201
        span = create_event(
            client, tokens.editor, date="2019", end_date="2020-03", tags=["defence", "deal"]
        )
        assert review(client, tokens.reviewer, span["id"], "in_review").status_code == 201
        create_event(
            client, tokens.editor, date="2019-11-05", countries=["IN", "RU", "US"], tags=["energy"]
        )
        create_event(client, tokens.editor, date="2021", tags=["defence", "zeta"])
        gone = create_event(client, tokens.editor, date="2022", tags=["energy", "energy2"])
        response = client.delete(
            f"{API}/events/{gone['id']}",
            headers={**tokens.editor, "If-Match": etag(client, gone["id"])},
        )
        assert response.status_code == 204
        create_event(client, tokens.editor, date="2017", countries=["IN", "US"], tags=["trade"])

        body = client.get(f"{API}/timelines/ru-in/summary").get_json()
        assert body == {
            "pair": {
                "id": "IN-RU",
                "countries": [{"code": "IN", "name": "India"}, {"code": "RU", "name": "Russia"}],
            },
            "total": 4,
            "by_status": _statuses(unverified=2, in_review=1, verified=1),
            # The range 2019 to March 2020 counts once, in 2019.
            "by_year": [
                {"year": 2018, "count": 1, "by_status": _statuses(verified=1)},
                {"year": 2019, "count": 2, "by_status": _statuses(unverified=1, in_review=1)},
                {"year": 2021, "count": 1, "by_status": _statuses(unverified=1)},
            ],
            "by_tag": [
                {"tag": "defence", "count": 3},
                {"tag": "deal", "count": 1},
                {"tag": "energy", "count": 1},
                {"tag": "visit", "count": 1},
                {"tag": "zeta", "count": 1},
            ],
            "first_date": "2018-05-01",
            "last_date": "2021-12-31",
        }

    def test_empty_pair_summary(self, client):
        body = client.get(f"{API}/timelines/IN-RU/summary").get_json()
        assert body == {
            "pair": {
                "id": "IN-RU",
                "countries": [{"code": "IN", "name": "India"}, {"code": "RU", "name": "Russia"}],
            },
            "total": 0,
            "by_status": _statuses(),
            "by_year": [],
            "by_tag": [],
            "first_date": None,
            "last_date": None,
        }
