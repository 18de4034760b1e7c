"""The demo data set: India-Russia defence ties, from an ANI report of 29 Oct 2019.

The article ships beside this module; every citation quotes it word for word
(checked when loading). Events are made and reviewed through the same services
as the API, by a demo editor and a different demo reviewer (four eyes).
"""

from __future__ import annotations

import datetime as dt
from importlib.resources import files
from typing import Any

from sqlalchemy import select

from ..changes import acting_as
from ..db import db
from ..domain.claims import ClaimStatus, Stance
from ..domain.countries import country
from ..models import Event
from ..services import create_event, find_source_by_url, post_review

ARTICLE = files(__package__).joinpath("ani-2019-10-29-india-russia-defence.txt").read_text("utf-8")
EDITOR = "demo-editor"
REVIEWER = "demo-reviewer"

SOURCE: dict[str, Any] = {
    "url": "https://www.aninews.in/news/national/general-news/"
    "large-industry-delegation-to-travel-with-rajnath-singh-to-russia20191029/",
    "title": "Large industry delegation to travel with Rajnath Singh to Russia "
    "to push 'Make in India'",
    "publisher": "ANI",
    "published_on": dt.date(2019, 10, 29),
    "author": None,
    "archive_url": None,
    "text": ARTICLE,
}

# (event fields, citations as (quote, stance), reviews as (status, note))
EVENTS: list[tuple[dict[str, Any], list[tuple[str, Stance]], list[tuple[ClaimStatus, str]]]] = [
    (
        {
            "title": "India and Russia begin a defence partnership",
            "summary": "Tanks, nuclear submarines and fighter aircraft of Russian origin make "
            "up much of India's major defence hardware after five decades of partnership.",
            "date": "1969",
            "approximate": True,
            "tags": ["defence", "partnership"],
        },
        [("India and Russia have had over five decades of defence partnership.", Stance.CONTEXT)],
        [],
    ),
    (
        {
            "title": "India and Russia sign a deal to make AK-203 rifles at Amethi",
            "summary": "A joint manufacturing deal for AK-203 assault rifles at the Ordnance "
            "Factory Board in Amethi, described as recently signed.",
            "date": "2019",
            "approximate": True,
            "location": {"name": "Amethi", "country": "IN", "lat": 26.15, "lon": 81.81},
            "actors": ["Ordnance Factory Board"],
            "tags": ["deal", "small-arms", "make-in-india"],
        },
        [
            (
                "India and Russia have recently signed a deal for joint manufacturing of "
                "AK-203 assault rifles at the Ordnance Factory Board in Amethi.",
                Stance.SUPPORTS,
            )
        ],
        [(ClaimStatus.VERIFIED, "The ANI report states the deal was signed.")],
    ),
    (
        {
            "title": "S-400 air defence systems and Su-30 MKI fighters in India-Russia trade",
            "summary": "The S-400 air defence missile system and Su-30 MKI fighter aircraft "
            "are part of the two countries' defence trade.",
            "date": "2019",
            "tags": ["trade", "air-defence", "aircraft"],
        },
        [
            (
                "Despite India diversifying its equipment, the two countries are still engaged "
                "in defence trade of more than five billion dollars every year, including the "
                "S-400 air defence missile system and SU-30 MKI fighter aircraft.",
                Stance.SUPPORTS,
            )
        ],
        [(ClaimStatus.VERIFIED, "Named in the ANI report as part of current trade.")],
    ),
    (
        {
            "title": "India-Russia defence trade exceeds five billion dollars a year",
            "summary": "Defence officials describe yearly defence trade of more than five "
            "billion dollars between India and Russia.",
            "date": "2019",
            "tags": ["trade", "figures"],
        },
        [
            (
                "Despite India diversifying its equipment, the two countries are still engaged "
                "in defence trade of more than five billion dollars every year, including the "
                "S-400 air defence missile system and SU-30 MKI fighter aircraft.",
                Stance.SUPPORTS,
            )
        ],
        [
            (
                ClaimStatus.IN_REVIEW,
                "A yearly figure from one report; checking it against trade statistics.",
            )
        ],
    ),
    (
        {
            "title": "Defence Minister Rajnath Singh visits Russia with an industry delegation",
            "summary": "The visit, for the India-Russia Intergovernmental Commission on "
            "Military and Technical Cooperation, pushes 'Make in India' tie-ups between "
            "Indian and Russian companies for spares and equipment.",
            "date": "2019-11-05",
            "actors": [
                "Rajnath Singh",
                "Ajay Kumar",
                "G Satheesh Reddy",
                "Subhash Chandra",
                "Apoorva Chandra",
                "Sanjay Jaju",
                "Hindustan Aeronautics Limited",
                "Bharat Dynamics Limited",
                "Larsen and Toubro",
                "Adani Industries",
            ],
            "tags": ["visit", "make-in-india"],
        },
        [
            (
                "The visit scheduled to start from November 5 is coming at a time when the two "
                "countries are pushing for tie-ups and partnership between Indian and Russian "
                "companies for the production of spares and equipment for the Indian forces.",
                Stance.SUPPORTS,
            ),
            (
                "The high level delegation scheduled to go there have the who's who of the "
                "defence bureaucracy including Defence Secretary Ajay Kumar, DRDO Chief G "
                "Satheesh Reddy, Secretary (Defence Production) Subhash Chandra and DG "
                "Acquisition Apoorva Chandra along with Joint Secretary Sanjay Jaju who is "
                "playing a key role in pushing Make in India in defence sector.",
                Stance.SUPPORTS,
            ),
        ],
        [(ClaimStatus.VERIFIED, "Scheduled visit confirmed by defence officials in the report.")],
    ),
    (
        {
            "title": "Industry delegation includes HAL, BDL, L&T and Adani",
            "summary": "Public and private defence companies travel with the Defence Ministry, "
            "including new private entrant Adani.",
            "date": "2019-11",
            "actors": [
                "Hindustan Aeronautics Limited",
                "Bharat Dynamics Limited",
                "Larsen and Toubro",
                "Adani Industries",
            ],
            "tags": ["industry", "make-in-india"],
        },
        [
            (
                "The defence industry representatives travelling with the Defence Ministry "
                "include top public and private sector companies including Hindustan "
                "Aeronautics Limited, Bharat Dynamics Limited, Larsen and Toubro.",
                Stance.SUPPORTS,
            )
        ],
        [],
    ),
]


def load_demo() -> int:
    """Create the demo events that are not there yet; the number created."""
    created = 0
    for fields, citations, reviews in EVENTS:
        exists = db.session.scalar(
            select(Event.seq).where(Event.title == fields["title"], Event.created_by == EDITOR)
        )
        if exists is not None:
            continue
        source = find_source_by_url(SOURCE["url"])
        cited = [
            {
                **({"source_id": source.id} if source else {"source": SOURCE}),
                "quote": _quoted(quote),
                "stance": stance,
            }
            for quote, stance in citations
        ]
        data = {**fields, "countries": [country("IN"), country("RU")], "citations": cited}
        if "location" in data:
            data["location"] = {**data["location"], "country": country(data["location"]["country"])}
        with acting_as(EDITOR):
            event = create_event(data, EDITOR)
            db.session.commit()
        with acting_as(REVIEWER):
            for status, note in reviews:
                post_review(event, status, note, REVIEWER)
                db.session.commit()
        created += 1
    return created


def _quoted(quote: str) -> str:
    if quote not in ARTICLE:
        raise ValueError(f"The demo quotes words the article does not have: {quote!r}")
    return quote
