"""The q, tag and from/to filters: what they find, in timeline order, page by page.

Every test runs on SQLite and PostgreSQL with the same expected results: the two
databases find the same events for the same words.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, text

from tests.factories import bulk_events, create_event, etag
from timeline import read_model
from timeline.db import db
from timeline.models import Event

API = "/api/v1"
TIMELINE = f"{API}/timelines/IN-RU"


def _titles(client: FlaskClient, url: str) -> list[str]:
    response = client.get(url)
    assert response.status_code == 200, response.get_json()
    return [item["title"] for item in response.get_json()["items"]]


def _walk(client: FlaskClient, url: str, limit: int) -> list[str]:
    """Every page's titles, following the cursors (at most 50 pages)."""
    titles: list[str] = []
    separator = "&" if "?" in url else "?"
    page_url = f"{url}{separator}limit={limit}"
    for _ in range(50):
        body = client.get(page_url).get_json()
        assert len(body["items"]) <= limit
        titles += [item["title"] for item in body["items"]]
        if body["next_cursor"] is None:
            return titles
        page_url = f"{url}{separator}limit={limit}&cursor={body['next_cursor']}"
    raise AssertionError("more than 50 pages")


def _edit(client: FlaskClient, headers: dict[str, str], event: dict[str, Any], **fields: Any):
    response = client.patch(
        f"{API}/events/{event['id']}",
        json=fields,
        headers={**headers, "If-Match": etag(client, event["id"])},
    )
    assert response.status_code == 200, response.get_json()


@pytest.fixture(params=["pair words", "lookup", "scan"])
def word_plan(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Each way of reading a word's matches: a pair's words (pair_event_words), and
    the word index's matches read then sorted, or checked along the timeline, as
    across pairs and for a q whose words begin too many words of the pair."""
    if request.param != "pair words":
        monkeypatch.setattr(read_model, "MAX_EXPANSIONS", 0)
    if request.param == "scan":
        monkeypatch.setattr(read_model, "WORD_LOOKUP_LIMIT", 1)
    return str(request.param)


class TestWords:
    def test_every_word_begins_a_word_of_the_title_summary_or_actors(
        self, client, tokens, word_plan
    ):
        create_event(
            client,
            tokens.editor,
            title="Rifle deal signed at Amethi",
            summary="A joint venture (Indo-Russian) for AK-203 rifles.",
            actors=["Rajnath Singh"],
        )
        create_event(client, tokens.editor, title="Café talks", summary="", actors=[])
        for found in ["rifle", "RIFLE Deal", "raj sing", "SINGH rajnath", "ak 203", "indo-rus"]:
            assert _titles(client, f"{TIMELINE}?q={found}") == ["Rifle deal signed at Amethi"]
        for missed in ["ajnath", "rifle talks", "deals", "203ak", "amethis"]:
            assert _titles(client, f"{TIMELINE}?q={missed}") == []
        # Accents count; case does not.
        assert _titles(client, f"{TIMELINE}?q=CAFÉ") == ["Café talks"]
        assert _titles(client, f"{TIMELINE}?q=cafe") == []
        assert _titles(client, f"{API}/events?q=caf") == ["Café talks"]

    def test_a_query_without_a_word_finds_nothing(self, client, tokens):
        create_event(client, tokens.editor, title="100% - done")
        response = client.get(f"{TIMELINE}?q=%25%20-")
        assert response.status_code == 200
        assert response.get_json()["items"] == []
        assert response.get_json()["next_cursor"] is None

    def test_matches_come_in_timeline_order_page_by_page(self, client, tokens, word_plan):
        dates = ["2019-11-05", "2018", "2019-11", "2020-02-01", "2019-11-05", "2017-03"]
        for i, date in enumerate(dates):
            create_event(client, tokens.editor, title=f"Summit {i}", date=date)
            create_event(client, tokens.editor, title=f"Other {i}", date=date)
        create_event(client, tokens.editor, title="Summit elsewhere", countries=["IN", "US"])
        in_order = ["Summit 5", "Summit 1", "Summit 2", "Summit 0", "Summit 4", "Summit 3"]
        for limit in (1, 2, 4, 50):
            assert _walk(client, f"{TIMELINE}?q=summ", limit) == in_order
            assert _walk(client, f"{TIMELINE}?q=summ&order=desc", limit) == in_order[::-1]
            assert _walk(client, f"{API}/events?pair=IN-RU&q=summ", limit) == in_order
        everywhere = _walk(client, f"{API}/events?q=summit", 3)
        assert everywhere == [*in_order[:5], "Summit elsewhere", in_order[5]]
        assert _titles(client, f"{TIMELINE}?q=summit&from=2019-11&to=2019-11") == [
            "Summit 2",
            "Summit 0",
            "Summit 4",
        ]

    def test_edits_and_deletes_change_what_is_found(self, client, tokens, word_plan):
        event = create_event(client, tokens.editor, title="Border talks", actors=["Ajay Kumar"])
        _edit(client, tokens.editor, event, title="Trade talks", actors=["Vinay Kumar"])
        assert _titles(client, f"{TIMELINE}?q=border") == []
        assert _titles(client, f"{TIMELINE}?q=ajay") == []
        assert _titles(client, f"{TIMELINE}?q=trade%20vinay") == ["Trade talks"]

        _edit(client, tokens.editor, event, countries=["IN", "US"])
        assert _titles(client, f"{TIMELINE}?q=trade") == []
        assert _titles(client, f"{API}/timelines/IN-US?q=trade") == ["Trade talks"]

        response = client.delete(
            f"{API}/events/{event['id']}",
            headers={**tokens.editor, "If-Match": etag(client, event["id"])},
        )
        assert response.status_code == 204
        assert _titles(client, f"{API}/timelines/IN-US?q=trade") == []
        assert _titles(client, f"{API}/events?q=trade") == []

    # Words that begin each other, so that a prefix finds several stored words.
    VOCABULARY = ["sing", "singh", "singing", "singapore", "summit", "summer", "sum", "trade"]
    VOCABULARY += ["trader", "talks", "tank", "t90s", "автомат", "café"]
    QUERIES = ["sing", "singh", "sum", "t", "tra", "автом", "café", "s", "zz", "sing sum"]
    QUERIES += ["t sing", "summ trade", "singa singi", "sum s t", "talks tank trader t90"]
    FILTERS = ["", "&tag=deal", "&from=2019&to=2019", "&to=2018-06", "&from=2019-07-02"]

    def test_pages_hold_what_the_words_find_in_timeline_order(self, client, tokens, word_plan):
        chosen = random.Random(8)
        dates = [("2018", None), ("2019-07", None), ("2019-07-02", None), ("2018-03-01", "2019")]
        for number in range(40):
            title = " ".join(chosen.sample(self.VOCABULARY, chosen.randint(1, 4)))
            date, end = chosen.choice(dates)
            tags = chosen.sample(["deal", "visit"], chosen.randint(0, 2))
            pair = ["IN", "RU"] if number % 8 else ["IN", "US"]
            create_event(
                client,
                tokens.editor,
                title=f"{title} {number}",
                summary="",
                actors=[],
                date=date,
                end_date=end,
                tags=tags,
                countries=pair,
            )
        for query in self.QUERIES:
            for extra in self.FILTERS:
                for order in ("asc", "desc"):
                    url = f"{TIMELINE}?order={order}{extra}"
                    found = [title for title in _walk(client, url, 50) if _holds(title, query)]
                    assert _walk(client, f"{url}&q={query}", 3) == found, (query, extra)


def _holds(title: str, query: str) -> bool:
    """Whether every word of the query begins a word of the title (the rule of q)."""
    held = title.casefold().split()
    return all(any(word.startswith(part) for word in held) for part in query.split())


class TestWordIndex:
    def test_holds_each_word_as_it_is(self, app: Flask):
        """The index keeps a word whole, unfolded and unstemmed, whatever it holds: the
        API's words are letters and digits, but PostgreSQL's rows, written as a
        tsvector's text, must not depend on it (a quote, a backslash, a colon)."""
        words = ["rajnath", "90s", "o'neil", "back\\slash", "ünïcödé", "日本", "a:1", "x y"]
        [event_id] = bulk_events(app, [{"title": "Indexed", "date": "2020-01-01"}])
        with app.app_context():
            seq = db.session.scalar(select(Event.seq).where(Event.id == event_id))
            connection = db.session.connection()
            dialect = connection.dialect.name
            connection.execute(read_model._DELETE_WORDS[dialect], {"seqs": [seq]})
            read_model._insert_words(connection, [(seq, words)])
            if dialect == "postgresql":
                same = "words = array_to_tsvector(CAST(:words AS text[]))"
                stored = connection.execute(
                    text(f"SELECT {same} FROM event_words WHERE seq = :seq"),
                    {"words": words, "seq": seq},
                ).scalar_one()
                assert stored is True
            else:
                stored = connection.execute(
                    text("SELECT words FROM event_words WHERE rowid = :seq"), {"seq": seq}
                ).scalar_one()
                assert stored == " ".join(words)
            db.session.rollback()


class TestTags:
    def test_a_tag_pages_in_timeline_order_and_follows_edits(self, client, tokens):
        dates = ["2019-11-05", "2018", "2019-11", "2020-02-01", "2017-03"]
        events = [
            create_event(client, tokens.editor, title=f"Deal {i}", date=date, tags=["Deal"])
            for i, date in enumerate(dates)
        ]
        for date in dates:
            create_event(client, tokens.editor, title="Visit", date=date, tags=["visit"])
        in_order = ["Deal 4", "Deal 1", "Deal 2", "Deal 0", "Deal 3"]
        for limit in (1, 2, 50):
            assert _walk(client, f"{TIMELINE}?tag=deal", limit) == in_order
            assert _walk(client, f"{TIMELINE}?tag=DEAL&order=desc", limit) == in_order[::-1]
            assert _walk(client, f"{API}/events?pair=IN-RU&tag=deal", limit) == in_order
        assert _titles(client, f"{TIMELINE}?tag=deal&from=2019&to=2019") == ["Deal 2", "Deal 0"]

        _edit(client, tokens.editor, events[0], tags=["visit"])
        _edit(client, tokens.editor, events[1], date="2021")
        assert _walk(client, f"{TIMELINE}?tag=deal", 2) == ["Deal 4", "Deal 2", "Deal 3", "Deal 1"]
        response = client.delete(
            f"{API}/events/{events[2]['id']}",
            headers={**tokens.editor, "If-Match": etag(client, events[2]["id"])},
        )
        assert response.status_code == 204
        assert _walk(client, f"{TIMELINE}?tag=deal", 2) == ["Deal 4", "Deal 3", "Deal 1"]


class TestDateRange:
    # Each kind of date: a year, a month, a day, a range; some overlap June 2019.
    EVENTS = [
        ("year 2019", "2019", None),
        ("year 2018", "2018", None),
        ("month 2019-06", "2019-06", None),
        ("month 2019-05", "2019-05", None),
        ("day 2019-06-01", "2019-06-01", None),
        ("day 2019-06-30", "2019-06-30", None),
        ("day 2019-05-31", "2019-05-31", None),
        ("day 2019-07-01", "2019-07-01", None),
        ("range 2017 to 2019-06", "2017-01-10", "2019-06-02"),
        ("range to 2019-05", "2018-11-10", "2019-05-31"),
        ("range from 2019-06-30", "2019-06-30", "2019-09"),
        ("range 2016 to 2016", "2016-01-10", "2016-03"),
    ]

    @pytest.fixture
    def dated(self, client, tokens):
        for title, date, end in self.EVENTS:
            create_event(client, tokens.editor, title=title, date=date, end_date=end)

    # Ranges either side of each span class's bounds (a class holds spans under 4**k days).
    SPANS = [1, 3, 4, 15, 16, 63, 64, 255, 256, 1023, 1024, 4095, 4096, 20_000]

    def test_from_keeps_every_range_that_reaches_it_whatever_its_span(self, client, tokens):
        start = dt.date(2019, 6, 15)
        for span in self.SPANS:
            # One that ends on from's day, and one that ends the day before.
            day_before = start - dt.timedelta(days=1)
            for title, last in ((f"reaches {span}", start), (f"ends before {span}", day_before)):
                create_event(
                    client,
                    tokens.editor,
                    title=title,
                    date=(last - dt.timedelta(days=span)).isoformat(),
                    end_date=last.isoformat(),
                    tags=["range"],
                )
        reaching = [f"reaches {span}" for span in reversed(self.SPANS)]
        for url in (
            f"{TIMELINE}?from={start}",
            f"{TIMELINE}?from={start}&tag=range",
            f"{API}/events?from={start}",
        ):
            for limit in (3, 50):
                assert _walk(client, url, limit) == reaching, url
                assert _walk(client, f"{url}&order=desc", limit) == reaching[::-1], url

    def test_a_pairs_longest_range_is_kept_when_it_alone_reaches_from(self, client, tokens):
        # Each pair holds one range, its longest: the page reads only the levels of
        # blocks that range can have, the last of them included.
        start = dt.date(2019, 6, 15)
        partners = ["FR", "DE", "JP", "BR", "CN", "US", "GB", "IT", "ES", "CA", "MX", "AU"]
        spans = [0, 1, 2, 3, 7, 8, 255, 256, 1023, 1024, 4095, 20_000]
        for partner, span in zip(partners, spans, strict=True):
            # Ends on from's day, starting where its longest block ends on it too.
            create_event(
                client,
                tokens.editor,
                title=f"reaches {span}",
                countries=["IN", partner],
                date=(start - dt.timedelta(days=span)).isoformat(),
                end_date=start.isoformat(),
            )
        for partner, span in zip(partners, spans, strict=True):
            pair = "-".join(sorted(["IN", partner]))
            for url in (
                f"{API}/timelines/{pair}?from={start}",
                f"{API}/timelines/{pair}?from={start}&to={start}&order=desc",
            ):
                assert _titles(client, url) == [f"reaches {span}"], url
            assert _titles(client, f"{API}/timelines/{pair}?from={start + dt.timedelta(1)}") == []

    def test_from_and_to_keep_what_overlaps_page_by_page(self, client, dated):
        june = [
            "range 2017 to 2019-06",
            "year 2019",
            "month 2019-06",
            "day 2019-06-01",
            "day 2019-06-30",
            "range from 2019-06-30",
        ]
        for limit in (1, 2, 4, 50):
            url = f"{TIMELINE}?from=2019-06&to=2019-06"
            assert _walk(client, url, limit) == june
            assert _walk(client, f"{url}&order=desc", limit) == june[::-1]
            assert _walk(client, f"{API}/events?from=2019-06&to=2019-06", limit) == june
        # The range that ends on 2 June is not kept.
        from_mid_june = ["year 2019", "month 2019-06", "day 2019-06-30"]
        from_mid_june += ["range from 2019-06-30", "day 2019-07-01"]
        assert _walk(client, f"{TIMELINE}?from=2019-06-15", 2) == from_mid_june
        assert _walk(client, f"{TIMELINE}?from=2019-06-15&order=desc", 2) == from_mid_june[::-1]
        assert _titles(client, f"{TIMELINE}?to=2017") == [
            "range 2016 to 2016",
            "range 2017 to 2019-06",
        ]
        assert _titles(client, f"{TIMELINE}?from=2019-07-02&status=unverified") == [
            "year 2019",
            "range from 2019-06-30",
        ]
