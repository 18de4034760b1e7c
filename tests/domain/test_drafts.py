"""Unit tests for timeline.domain.drafts: draft events proposed from an article."""

from __future__ import annotations

import datetime as dt
from importlib import resources
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from timeline.domain.dates import EventDate, PartialDate
from timeline.domain.drafts import (
    actors_in,
    countries_in,
    place_in,
    propose,
    resolve_date,
    split_sentences,
)

PUBLISHED = dt.date(2019, 10, 29)
SEED = (
    resources.files("timeline.demo")
    .joinpath("ani-2019-10-29-india-russia-defence.txt")
    .read_text(encoding="utf-8")
)


def _seed_drafts() -> list[dict[str, Any]]:
    return propose(SEED, PUBLISHED, "source-1")


def _quotes(draft: dict[str, Any]) -> list[str]:
    return [citation["quote"] for citation in draft["event"]["citations"]]


def test_seed_article_proposes_the_visit_from_november_5() -> None:
    visit = next(d for d in _seed_drafts() if d["event"]["date"] == "2019-11-05")
    event = visit["event"]
    assert (event["end_date"], event["approximate"]) == (None, False)
    assert event["countries"] == ["IN", "RU"]
    assert "Rajnath Singh" in event["actors"]
    assert _quotes(visit) == [
        "In a bid to push 'Make in India', a large industry delegation would be travelling "
        "with Defence Minister Rajnath Singh in the first week of November to Russia, which is "
        "the biggest supplier of defence equipment to India.",
        "The visit scheduled to start from November 5 is coming at a time when the two "
        "countries are pushing for tie-ups and partnership between Indian and Russian "
        "companies for the production of spares and equipment for the Indian forces.",
    ]
    assert all(
        c == {**c, "source_id": "source-1", "stance": "supports"} for c in event["citations"]
    )
    assert visit["evidence"]["date_expression"] == "November 5"


def test_seed_article_proposes_the_ak203_deal_at_amethi() -> None:
    deal = next(d for d in _seed_drafts() if "AK-203" in d["event"]["title"])
    event = deal["event"]
    assert event["approximate"] is True
    assert PartialDate.parse(event["date"]).first_day() <= PUBLISHED
    assert event["end_date"] is None
    assert event["countries"] == ["IN", "RU"]
    assert event["location"] == {
        "name": "Amethi",
        "country": "IN",
        "lat": pytest.approx(26.157, abs=0.01),
        "lon": pytest.approx(81.805, abs=0.01),
    }
    assert _quotes(deal) == [
        "India and Russia have recently signed a deal for joint manufacturing of AK-203 "
        "assault rifles at the Ordnance Factory Board in Amethi."
    ]
    assert deal["evidence"]["date_expression"] == "recently"


def test_every_quote_is_a_sentence_of_the_article() -> None:
    for draft in _seed_drafts():
        for quote in _quotes(draft):
            assert quote in SEED


def test_dateline_and_agency_sign_off_are_not_sentences() -> None:
    sentences = split_sentences(SEED)
    assert sentences[0].startswith("In a bid to push")
    assert sentences[-1].endswith("in Amethi.")


@pytest.mark.parametrize(
    ("sentence", "start", "end", "approximate"),
    [
        ("He will travel in the first week of November.", "2019-11-01", "2019-11-07", False),
        ("Talks were held in the last week of September.", "2019-09-24", "2019-09-30", False),
        ("The visit scheduled to start from November 5 is coming.", "2019-11-05", None, False),
        ("The ministers met on October 3 in Moscow.", "2019-10-03", None, False),
        ("The accord was signed on 12 March 2018.", "2018-03-12", None, False),
        ("India and Russia have recently signed a deal.", "2019-10", None, True),
        ("The two have had over five decades of partnership.", "1969", None, True),
        ("The minister said on Monday that talks went well.", "2019-10-28", None, False),
        ("The minister said on Tuesday that talks went well.", "2019-10-29", None, False),
        ("The minister will fly to Moscow on Tuesday.", "2019-10-29", None, False),
        ("The minister will fly to Moscow next Tuesday.", "2019-11-05", None, False),
        ("He arrived in Tokyo yesterday.", "2019-10-28", None, False),
        ("The plant opened three years ago.", "2016", None, True),
        ("The pact was first signed in June 2001.", "2001-06", None, False),
        ("The summit is expected in January.", "2020-01", None, False),
        ("Trade fell last month.", "2019-09", None, False),
    ],
)
def test_date_expressions_resolve_against_the_publication_date(
    sentence: str, start: str, end: str | None, approximate: bool
) -> None:
    found = resolve_date(sentence, PUBLISHED)
    assert found is not None
    assert (found.start.isoformat(), found.end and found.end.isoformat(), found.approximate) == (
        start,
        end,
        approximate,
    )


def test_a_sentence_without_a_date_proposes_nothing() -> None:
    assert resolve_date("Major Indian defence hardware is of Russian origin.", PUBLISHED) is None
    text = "New Delhi [India], Oct 29 (ANI): Hardware is of Russian origin. (ANI)"
    assert propose(text, PUBLISHED) == []


def test_countries_from_names_adjectives_and_demonyms() -> None:
    assert countries_in("Indian and Russian companies") == ["IN", "RU"]
    assert countries_in("China and the Russian Federation met in Brazil") == ["BR", "CN", "RU"]
    assert countries_in("British and French officials") == ["FR", "GB"]
    assert countries_in("No country here.") == []


def test_a_sentence_with_one_country_takes_the_articles_next_one() -> None:
    text = (
        "MOSCOW, Nov 3 (Reuters) - Russia and India discussed rifles. "
        "Russia will host the talks on November 12."
    )
    [draft] = propose(text, dt.date(2019, 11, 3))
    assert draft["event"]["countries"] == ["IN", "RU"]
    assert draft["evidence"]["countries_from"] == "sentence and article"
    [draft] = propose(text.replace("Russia will", "They will"), dt.date(2019, 11, 3))
    assert draft["event"]["countries"] == ["IN", "RU"]
    assert draft["evidence"]["countries_from"] == "article"


def test_places_only_within_the_events_countries() -> None:
    assert place_in("a factory in Amethi", ["IN", "RU"]) == {
        "name": "Amethi",
        "country": "IN",
        "lat": pytest.approx(26.157, abs=0.01),
        "lon": pytest.approx(81.805, abs=0.01),
    }
    assert place_in("a factory in Amethi", ["FR", "RU"]) is None
    assert place_in("talks in November in Russia", ["IN", "RU"]) is None
    assert place_in("talks in Moscow", ["IN", "RU"]) == {
        "name": "Moscow",
        "country": "RU",
        "lat": pytest.approx(55.75, abs=0.01),
        "lon": pytest.approx(37.62, abs=0.01),
    }


def test_actors_people_after_titles_and_organisations() -> None:
    sentence = (
        "Defence Secretary Ajay Kumar, DRDO Chief G Satheesh Reddy and Hindustan Aeronautics "
        "Limited met in Moscow (ANI)."
    )
    assert actors_in(sentence) == [
        "Ajay Kumar",
        "G Satheesh Reddy",
        "Hindustan Aeronautics Limited",
        "DRDO",
    ]


_WORDS = st.sampled_from(
    [
        "India", "Russian", "signed", "on", "Monday", "next", "last", "week", "the", "first",
        "of", "November", "5", "31", "February", "2019", "in", "Amethi", "recently", "over",
        "five", "decades", "years", "ago", "9999", "0001", "Defence", "Minister", "Rajnath",
        "Singh", "HAL", "will", "yesterday", ".", "\n\n", "(ANI)", "from", "to", "month",
    ]
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(
    words=st.lists(_WORDS | st.text(max_size=8), max_size=40),
    published_on=st.dates(min_value=dt.date(1, 1, 1), max_value=dt.date(9999, 12, 31)),
)
def test_any_text_and_date_give_valid_drafts(words: list[str], published_on: dt.date) -> None:
    text = " ".join(words)
    for draft in propose(text, published_on, "s"):
        event = draft["event"]
        EventDate.parse(event["date"], event["end_date"], event["approximate"])
        assert all(c["quote"] in text for c in event["citations"])
