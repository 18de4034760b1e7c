"""A pair's timeline in other formats, and an event's schema.org ClaimReview.

Exports read the same stored event documents as the timeline pages, a chunk at
a time, so an export of any size streams in constant memory.
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import re
from collections.abc import Iterator, Sequence
from itertools import chain
from typing import Any
from urllib.parse import quote

import orjson

from .domain.claims import CLAIM_REVIEW_RATINGS, ClaimStatus, Stance
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
# A text that starts with one of = + - @ tab CR is a formula to a spreadsheet. So is
# each piece after a ';' (the separator of joined lists, and the one a spreadsheet in
# many locales splits a CSV file on) or a line break (where such a split file starts a
# row): a "'" before each one makes them text. Numbers are written as they are.
# (At a position that no character other than those three precedes: the start or
# just after one of them.)
_LIVE_FORMULA = re.compile(r"(?<![^;\r\n])(?=[=+\-@\t\r])")
_NEUTRALISED_FORMULA = re.compile(r"(?<![^;\r\n])'(?=[=+\-@\t\r])")


def text_of_cell(cell: str) -> str:
    """A text cell of the CSV export as the event had it (the inverse of its quoting)."""
    return _NEUTRALISED_FORMULA.sub("", cell)


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


def _cell(value: Any) -> str | int | float:
    if isinstance(value, str):
        return _LIVE_FORMULA.sub("'", value)
    if isinstance(value, bool):
        return str(value).lower()
    return "" if value is None else value  # a number


def csv_row(event: dict[str, Any]) -> list[str | int | float]:
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


def csv_lines(events: Iterator[dict[str, Any]], *, bom: bool = False) -> Iterator[str]:
    """CSV text, a header and then a line per event; first a byte order mark if asked
    (Excel reads a file as UTF-8 only with one)."""
    if bom:
        yield "\ufeff"
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    rows: Iterator[Sequence[str | int | float]] = chain([CSV_COLUMNS], map(csv_row, events))
    for row in rows:
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


def claim_review_url(template: str, event_id: str) -> str:
    """The publisher's fact-check page of an event, from CLAIMREVIEW_URL_TEMPLATE."""
    return template.format(id=quote(event_id, safe=""))


def _carrying_sources(event: dict[str, Any]) -> list[dict[str, Any]]:
    """The sources that carry the claim (cited as supporting it), each once, earliest
    published first; undated ones last; citation order breaks ties."""
    sources = {
        citation["source"]["id"]: citation["source"]
        for citation in event["citations"]
        if citation["stance"] == Stance.SUPPORTS
    }
    return sorted(
        sources.values(),
        key=lambda source: (source["published_on"] is None, source["published_on"] or ""),
    )


def _organization(name: str) -> dict[str, str]:
    return {"@type": "Organization", "name": name}


def _creative_work(source: dict[str, Any]) -> dict[str, Any]:
    return {
        "@type": "CreativeWork",
        "url": source["url"],
        "headline": source["title"],
        **({"datePublished": source["published_on"]} if source["published_on"] else {}),
        **({"publisher": _organization(source["publisher"])} if source["publisher"] else {}),
    }


def _claim(event: dict[str, Any]) -> dict[str, Any]:
    """The claim, as first published: its author and date are those of the earliest
    source that carries it."""
    sources = _carrying_sources(event)
    if not sources:
        return {"@type": "Claim"}
    first = sources[0]
    appearances = [_creative_work(source) for source in sources]
    return {
        "@type": "Claim",
        **({"author": _organization(first["publisher"])} if first["publisher"] else {}),
        **({"datePublished": first["published_on"]} if first["published_on"] else {}),
        "appearance": appearances,
        "firstAppearance": appearances[0],
    }


def claim_review(
    event: dict[str, Any], decided_by: dict[str, Any], *, url: str, publisher: str
) -> dict[str, Any] | None:
    """The schema.org ClaimReview of a decided claim; None while it is undecided."""
    rating = CLAIM_REVIEW_RATINGS.get(ClaimStatus(event["claim_status"]))
    if rating is None:
        return None
    return {
        "@context": "https://schema.org",
        "@type": "ClaimReview",
        "url": url,
        "claimReviewed": event["title"],
        "datePublished": decided_by["created_at"][:10],
        "author": _organization(publisher),
        "reviewBody": decided_by["note"],
        "reviewRating": {
            "@type": "Rating",
            "ratingValue": rating.value,
            "bestRating": 5,
            "worstRating": 1,
            "name": rating.name,
            "alternateName": rating.verdict,
        },
        "itemReviewed": _claim(event),
    }
