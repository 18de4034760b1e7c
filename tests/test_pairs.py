"""The pair list: its items, sorts, and keyset pages that keep ties in order."""

from __future__ import annotations

import pytest

from tests.factories import create_event, etag
from timeline import services
from timeline.db import db
from timeline.domain.countries import country

API = "/api/v1"

# Events by countries and date. Pairs, event counts, first and last days:
#   BR-ZA 1  2015-02-03 2015-02-03     CN-US 1  2016-01-01 2016-06-30
#   CN-IN 2  2019-03-01 2021-12-31     FR-US 2  2017-06-01 2020-01-02
#   CN-RU 1  2016-01-01 2016-06-30     IN-RU 3  2018-01-01 2020-01-02
#   RU-US 1  2016-01-01 2016-06-30
EVENTS = [
    (["IN", "RU"], "2018", None),
    (["IN", "RU"], "2019-05", None),
    (["IN", "RU"], "2020-01-02", None),
    (["CN", "IN"], "2019-03-01", None),
    (["CN", "IN"], "2021", None),
    (["FR", "US"], "2017-06", None),
    (["FR", "US"], "2020-01-02", None),
    (["BR", "ZA"], "2015-02-03", None),
    (["CN", "RU", "US"], "2016", "2016-06"),
]

ORDERS = {
    ("pair", "asc"): ["BR-ZA", "CN-IN", "CN-RU", "CN-US", "FR-US", "IN-RU", "RU-US"],
    ("pair", "desc"): ["RU-US", "IN-RU", "FR-US", "CN-US", "CN-RU", "CN-IN", "BR-ZA"],
    ("event_count", "asc"): ["BR-ZA", "CN-RU", "CN-US", "RU-US", "CN-IN", "FR-US", "IN-RU"],
    ("event_count", "desc"): ["IN-RU", "CN-IN", "FR-US", "BR-ZA", "CN-RU", "CN-US", "RU-US"],
    ("first_date", "asc"): ["BR-ZA", "CN-RU", "CN-US", "RU-US", "FR-US", "IN-RU", "CN-IN"],
    ("first_date", "desc"): ["CN-IN", "IN-RU", "FR-US", "CN-RU", "CN-US", "RU-US", "BR-ZA"],
    ("last_date", "asc"): ["BR-ZA", "CN-RU", "CN-US", "RU-US", "FR-US", "IN-RU", "CN-IN"],
    ("last_date", "desc"): ["CN-IN", "FR-US", "IN-RU", "CN-RU", "CN-US", "RU-US", "BR-ZA"],
}


@pytest.fixture
def pairs(app):
    with app.app_context():
        for codes, date, end_date in EVENTS:
            data = {
                "title": "Event",
                "date": date,
                "end_date": end_date,
                "countries": [country(code) for code in codes],
            }
            services.create_event(data, "bulk")
        db.session.commit()


def _walk(client, query):
    """Every page of the list from the first; the ids, the number of pages and the
    Link header of each page but the last."""
    ids, links, url = [], [], f"{API}/pairs?{query}"
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        ids += [item["id"] for item in body["items"]]
        url = body["next_cursor"] and f"{API}/pairs?{query}&cursor={body['next_cursor']}"
        if url:
            links.append(response.headers["Link"])
        else:
            assert "Link" not in response.headers
    return ids, links


class TestPairList:
    def test_lists_every_pair_with_counts_and_dates(self, client, pairs):
        response = client.get(f"{API}/pairs?limit=2")
        assert response.status_code == 200
        assert response.get_json() == {
            "items": [
                {
                    "id": "BR-ZA",
                    "countries": [
                        {"code": "BR", "name": "Brazil"},
                        {"code": "ZA", "name": "South Africa"},
                    ],
                    "event_count": 1,
                    "first_date": "2015-02-03",
                    "last_date": "2015-02-03",
                },
                {
                    "id": "CN-IN",
                    "countries": [
                        {"code": "CN", "name": "China"},
                        {"code": "IN", "name": "India"},
                    ],
                    "event_count": 2,
                    "first_date": "2019-03-01",
                    "last_date": "2021-12-31",
                },
            ],
            "next_cursor": "0.44161",
        }

    def test_three_countries_make_three_pairs_and_deleted_events_leave(self, client, tokens):
        create_event(client, tokens.editor, countries=["IN", "RU", "US"], date="2019-11-05")
        gone = create_event(client, tokens.editor, countries=["IN", "RU"], date="2021")
        create_event(client, tokens.editor, countries=["IN", "RU"], date="2019")

        def listed():
            body = client.get(f"{API}/pairs").get_json()
            assert body["next_cursor"] is None
            return [
                (item["id"], item["event_count"], item["first_date"], item["last_date"])
                for item in body["items"]
            ]

        assert listed() == [
            ("IN-RU", 3, "2019-01-01", "2021-12-31"),
            ("IN-US", 1, "2019-11-05", "2019-11-05"),
            ("RU-US", 1, "2019-11-05", "2019-11-05"),
        ]
        response = client.delete(
            f"{API}/events/{gone['id']}",
            headers={**tokens.editor, "If-Match": etag(client, gone["id"])},
        )
        assert response.status_code == 204
        assert listed()[0] == ("IN-RU", 2, "2019-01-01", "2019-12-31")

    @pytest.mark.parametrize(("sort", "order"), list(ORDERS))
    def test_sorted_in_one_page(self, client, pairs, sort, order):
        body = client.get(f"{API}/pairs?sort={sort}&order={order}").get_json()
        assert [item["id"] for item in body["items"]] == ORDERS[sort, order]
        assert body["next_cursor"] is None

    def test_default_is_by_pair_ascending(self, client, pairs):
        ids, _ = _walk(client, "limit=200")
        assert ids == ORDERS["pair", "asc"]

    @pytest.mark.parametrize("limit", [1, 2, 3, 6])
    @pytest.mark.parametrize(("sort", "order"), list(ORDERS))
    def test_pages_across_ties_miss_and_repeat_nothing(self, client, pairs, sort, order, limit):
        query = f"sort={sort}&order={order}&limit={limit}"
        ids, links = _walk(client, query)
        assert ids == ORDERS[sort, order]
        assert len(links) == -(-len(ids) // limit) - 1

    def test_link_keeps_the_query(self, client, pairs):
        response = client.get(f"{API}/pairs?sort=event_count&order=desc&limit=2")
        # The second item, CN-IN, has 2 events; C, N, I, N in base 26.
        assert response.get_json()["next_cursor"] == "2.44161"
        assert response.headers["Link"] == (
            f"<http://localhost{API}/pairs?sort=event_count&order=desc&limit=2&cursor=2.44161>;"
            ' rel="next"'
        )

    @pytest.mark.parametrize(
        ("query", "expected"),
        [
            ("cursor=0.0", ORDERS["pair", "asc"]),
            ("cursor=2147483647.2147483647", []),
            ("order=desc&cursor=0.2147483647", ORDERS["pair", "desc"]),
            ("sort=event_count&cursor=2147483647.0", []),
            ("sort=event_count&order=desc&cursor=2147483647.0", ORDERS["event_count", "desc"]),
            # After the ties of 1 event up to CN-US: RU-US, then the pairs with more.
            ("sort=event_count&cursor=1.44478", ["RU-US", "CN-IN", "FR-US", "IN-RU"]),
        ],
    )
    def test_every_cursor_the_pattern_allows_is_a_position(self, client, pairs, query, expected):
        body = client.get(f"{API}/pairs?{query}").get_json()
        assert [item["id"] for item in body["items"]] == expected

    @pytest.mark.parametrize(
        ("query", "errors"),
        [
            (
                "sort=latest",
                {"sort": ["Must be one of: pair, event_count, first_date, last_date."]},
            ),
            ("order=up", {"order": ["Must be one of: asc, desc."]}),
            (
                "limit=201",
                {"limit": ["Must be greater than or equal to 1 and less than or equal to 200."]},
            ),
            ("country=IN", {"country": ["Unknown field."]}),
        ],
    )
    def test_bad_query_is_a_422_problem(self, client, query, errors):
        response = client.get(f"{API}/pairs?{query}")
        assert response.status_code == 422
        assert response.mimetype == "application/problem+json"
        assert response.get_json()["errors"] == errors

    @pytest.mark.parametrize("cursor", ["IN-RU", "1", "1.2.3", "0.2147483648"])
    def test_bad_cursor_is_400(self, client, cursor):
        response = client.get(f"{API}/pairs?cursor={cursor}")
        assert response.status_code == 400
        assert response.mimetype == "application/problem+json"
        assert response.get_json()["errors"] == {"cursor": ["Not a valid cursor."]}
