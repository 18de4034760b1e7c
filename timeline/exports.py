"""A pair's timeline in other formats, and an event's schema.org ClaimReview.

Exports read the same stored event documents as the timeline pages, a chunk at
a time, so an export of any size streams in constant memory.
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
from collections.abc import Iterator
from typing import Any

import orjson

from .domain.claims import CLAIM_REVIEW_RATINGS, ClaimStatus
from .domain.countries import CountryPair
from .domain.dates import PartialDate, Precision
from .read_model import Page, timeline_page

_CHUNK = 500

CSV_COLUMNS = (
    "id",
    "date",
    "end_date",
    "approximate",
    "date_precision",
    "date_label",
    "title",
    "summary",
    "countries",
    "location_name",
    "location_country",
    "lat",
    "lon",
    "actors",
    "tags",
    "claim_status",
    "citations",
    "source_urls",
    "created_at",
    "updated_at",
    "version",
)
# A cell starting with one of these is a formula to a spreadsheet; quote it as text.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def timeline_events(pair: CountryPair, args: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every event of the pair's timeline that the filters keep, in timeline order.

    The first chunk is read at once, so that a failure is still an error response
    rather than a stream cut short.
    """
    query = {**args, "limit": _CHUNK}
    return _chunks_from(pair, query, timeline_page(pair, query))


def _chunks_from(pair: CountryPair, query: dict[str, Any], page: Page) -> Iterator[dict[str, Any]]:
    while True:
        yield from (orjson.loads(document) for document in page.documents)
        if page.next_cursor is None:
            return
        page = timeline_page(pair, {**query, "cursor": page.next_cursor})


def _cell(value: Any) -> str:
    text = "" if value is None else str(value).lower() if isinstance(value, bool) else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def csv_row(event: dict[str, Any]) -> list[str]:
    location = event["location"] or {}
    values = {
        **event,
        "countries": ";".join(c["code"] for c in event["countries"]),
        "location_name": location.get("name"),
        "location_country": location.get("country"),
        "lat": location.get("lat"),
        "lon": location.get("lon"),
        "actors": ";".join(event["actors"]),
        "tags": ";".join(event["tags"]),
        "citations": len(event["citations"]),
        "source_urls": ";".join(
            dict.fromkeys(citation["source"]["url"] for citation in event["citations"])
        ),
    }
    return [_cell(values[column]) for column in CSV_COLUMNS]


def csv_lines(events: Iterator[dict[str, Any]]) -> Iterator[str]:
    """CSV text, a header and then a line per event."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in (list(CSV_COLUMNS), *(csv_row(event) for event in events)):
        writer.writerow(row)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()


def _timelinejs_date(day: dt.date, precision: Precision) -> dict[str, str]:
    parts = (("year", day.year), ("month", day.month), ("day", day.day))[: precision + 1]
    return {name: str(value) for name, value in parts}


def timelinejs_event(event: dict[str, Any]) -> dict[str, Any]:
    """One event as a Knight Lab TimelineJS slide.

    TimelineJS renders headline and text as HTML, so both are escaped: an event's
    words show as written and never run. A range ends on the last day of its end
    (1970–1991 runs to 31 Dec 1991); the group is the claim status as people say it.
    """
    start = PartialDate.parse(event["date"]).first_day()
    slide: dict[str, Any] = {
        "unique_id": event["id"],
        "start_date": _timelinejs_date(start, Precision[event["date_precision"].upper()]),
        "display_date": html.escape(event["date_label"]),
        "text": {"headline": html.escape(event["title"]), "text": html.escape(event["summary"])},
        "group": ClaimStatus(event["claim_status"]).label,
    }
    if event["end_date"]:
        slide["end_date"] = _timelinejs_date(
            PartialDate.parse(event["end_date"]).last_day(), Precision.DAY
        )
    return slide


def timelinejs_chunks(pair: CountryPair, events: Iterator[dict[str, Any]]) -> Iterator[bytes]:
    """A TimelineJS document, streamed: a title slide, then one slide per event.

    TimelineJS refuses a document without events (its title slide alone is "no
    events"), so the caller answers an empty timeline otherwise (see the operation).
    """
    names = html.escape(" and ".join(country.name for country in pair.countries))
    title = {"text": {"headline": f"{names}: a timeline", "text": f"Events between {names}."}}
    yield b'{"title":' + orjson.dumps(title) + b',"events":['
    for index, event in enumerate(events):
        yield (b"," if index else b"") + orjson.dumps(timelinejs_event(event))
    yield b"]}"


def claim_review(
    event: dict[str, Any], decided_by: dict[str, Any], *, url: str, publisher: str
) -> dict[str, Any] | None:
    """The schema.org ClaimReview of a decided claim; None while it is undecided."""
    rating = CLAIM_REVIEW_RATINGS.get(ClaimStatus(event["claim_status"]))
    if rating is None:
        return None
    value, name = rating
    appearances = [
        {
            "@type": "CreativeWork",
            "url": citation["source"]["url"],
            "headline": citation["source"]["title"],
            **(
                {"datePublished": citation["source"]["published_on"]}
                if citation["source"]["published_on"]
                else {}
            ),
        }
        for citation in event["citations"]
    ]
    return {
        "@context": "https://schema.org",
        "@type": "ClaimReview",
        "url": url,
        "claimReviewed": event["title"],
        "datePublished": decided_by["created_at"][:10],
        "author": {"@type": "Organization", "name": publisher},
        "reviewBody": decided_by["note"],
        "reviewRating": {
            "@type": "Rating",
            "ratingValue": value,
            "bestRating": 5,
            "worstRating": 1,
            "alternateName": name,
        },
        "itemReviewed": {
            "@type": "Claim",
            "appearance": appearances,
            **({"firstAppearance": appearances[0]} if appearances else {}),
        },
    }
