"""Claim checks: what is weak in an event's evidence, for a reviewer to see before deciding.

Plain rules over the event's date and its citations (each with its quote, stance
and source: id, publisher, publication date and text). They never block a write
or a review; they say what to look at and what to do about it. Rules that read a
source's text are silent about sources without text.

Dates are found in a text in the usual forms of news reports: "November 5",
"Nov. 5", "5 November 2019", "5th of Nov", "November 5, 2019", "2019-11-05",
"5/11/2019" (day and month either way round), "November 2019", "2019-11", a
month's name alone, a year. A mention without a year is taken to be of the
source's publication year or the year either side of it (any year when the
source has no publication date).
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from .claims import Stance
from .dates import PartialDate, Precision

QUOTE_NOT_IN_SOURCE = "quote-not-in-source"
SINGLE_SOURCE = "single-source"
SINGLE_PUBLISHER = "single-publisher"
REPORTED_BEFORE_EVENT = "reported-before-event"
DATE_NOT_IN_SOURCES = "date-not-in-sources"
PRECISION_FINER_THAN_SOURCES = "precision-finer-than-sources"
NO_SUPPORTING_CITATION = "no-supporting-citation"

# Every code, in the order an event lists its checks.
CODES = (
    QUOTE_NOT_IN_SOURCE,
    SINGLE_SOURCE,
    SINGLE_PUBLISHER,
    REPORTED_BEFORE_EVENT,
    DATE_NOT_IN_SOURCES,
    PRECISION_FINER_THAN_SOURCES,
    NO_SUPPORTING_CITATION,
)


class Severity(StrEnum):
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True)
class SourceFacts:
    id: str
    publisher: str | None = None
    published_on: dt.date | None = None
    text: str | None = None


@dataclass(frozen=True)
class CitationFacts:
    id: str
    quote: str
    stance: Stance
    source: SourceFacts


@dataclass(frozen=True)
class EventFacts:
    """What the checks read of an event: its start date and its citations."""

    date: PartialDate
    citations: Sequence[CitationFacts] = ()


@dataclass(frozen=True)
class Check:
    code: str
    severity: Severity
    message: str
    citation_id: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "severity": self.severity.value,
            "message": self.message,
            "citation_id": self.citation_id,
        }


def run_checks(event: EventFacts) -> list[Check]:
    """Every check the event fails, in the order of CODES."""
    supporting = [c for c in event.citations if c.stance is Stance.SUPPORTS]
    found = [*_quotes_not_in_sources(event.citations), *_sources_checks(event.citations)]
    found += _reported_before(event.date, supporting)
    with_text = {c.source.id: c.source for c in supporting if c.source.text}
    found += _date_in_texts(event.date, list(with_text.values()))
    if not supporting:
        found.append(
            Check(
                NO_SUPPORTING_CITATION,
                Severity.INFO,
                "No citation supports this claim yet. Add a 'supports' citation quoting a "
                "source that reports it; a claim cannot be verified without one.",
            )
        )
    return found


# --- quotes ---------------------------------------------------------------------

_SAME_CHARACTERS = str.maketrans(
    {
        **dict.fromkeys("\u2018\u2019\u201a\u201b\u2032\u0060\u00b4", "'"),
        **dict.fromkeys("\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb", '"'),
        **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212", "-"),
    }
)
_WHITESPACE = re.compile(r"\s+")


def normalise_for_matching(text: str) -> str:
    """Text as quotes are compared: any case, whitespace runs as one space, curly
    quotes and dashes as their straight forms."""
    return _WHITESPACE.sub(" ", text.casefold().translate(_SAME_CHARACTERS)).strip()


# A source's text is read once however many events and citations quote it (a source
# edit checks every event citing it again in one transaction).
_TEXTS_CACHED = 8


@functools.lru_cache(maxsize=_TEXTS_CACHED)
def _normalised_text(text: str) -> str:
    return normalise_for_matching(text)


def quote_in_text(quote: str, text: str) -> bool:
    return normalise_for_matching(quote) in _normalised_text(text)


def _quotes_not_in_sources(citations: Sequence[CitationFacts]) -> Iterator[Check]:
    for citation in citations:
        text = citation.source.text
        if text is not None and not quote_in_text(citation.quote, text):
            yield Check(
                QUOTE_NOT_IN_SOURCE,
                Severity.WARNING,
                f"The quote of this citation does not occur in the text of its source "
                f"({citation.source.id}). Quote the source word for word (case, spacing and "
                "curly or straight quotes do not matter), or correct the source's text.",
                citation.id,
            )


# --- sources --------------------------------------------------------------------


def _sources_checks(citations: Sequence[CitationFacts]) -> Iterator[Check]:
    sources = list({c.source.id: c.source for c in citations}.values())
    if len(sources) == 1:
        yield Check(
            SINGLE_SOURCE,
            Severity.WARNING,
            "Every citation comes from one source. Find an independent report of the event "
            "and cite it too.",
        )
        return
    publishers = {(s.publisher or "").strip().casefold() for s in sources}
    if len(publishers) == 1 and "" not in publishers:
        yield Check(
            SINGLE_PUBLISHER,
            Severity.WARNING,
            f"All {len(sources)} sources come from one publisher ({sources[0].publisher}). "
            "Cite a report from another publisher.",
        )


def _reported_before(start: PartialDate, supporting: Sequence[CitationFacts]) -> list[Check]:
    published = [c.source.published_on for c in supporting]
    if not published or None in published:
        return []
    latest = max(day for day in published if day is not None)
    if latest >= start.first_day():
        return []
    return [
        Check(
            REPORTED_BEFORE_EVENT,
            Severity.WARNING,
            f"Every supporting source was published before the event's date "
            f"({start.label()}; the latest on {latest.isoformat()}): they report a plan or "
            "a schedule, not that it happened. Cite a report published on or after the "
            "date that confirms it took place.",
        )
    ]


# --- dates in texts ---------------------------------------------------------------

_MONTH_NAMES = [
    (1, "January", "Jan"),
    (2, "February", "Feb"),
    (3, "March", "Mar"),
    (4, "April", "Apr"),
    (5, "May", "May"),
    (6, "June", "Jun"),
    (7, "July", "Jul"),
    (8, "August", "Aug"),
    (9, "September", "Sept|Sep"),
    (10, "October", "Oct"),
    (11, "November", "Nov"),
    (12, "December", "Dec"),
]
_MONTH_NUMBER = {
    name.casefold(): number
    for number, full, short in _MONTH_NAMES
    for name in (full, *short.split("|"))
}
_FULL_MONTH = "|".join(full for _n, full, _s in _MONTH_NAMES)
_ANY_MONTH = "|".join(f"{full}|{short}" for _n, full, short in _MONTH_NAMES)
_MONTH = rf"(?P<month>(?:{_ANY_MONTH})\b\.?)"
_DAY = r"(?P<day>[0-9]{1,2})(?:st|nd|rd|th)?\b"
_YEAR = r"(?P<year>[0-9]{4})\b"
# Each form's groups: day, month (a name or a number) and year, any of them absent.
_DATE_FORMS = [
    re.compile(rf"\b{_DAY}\s+(?:of\s+)?{_MONTH}(?:,?\s+{_YEAR})?", re.IGNORECASE),
    re.compile(rf"\b{_MONTH}\s+{_DAY}(?:,?\s+{_YEAR})?", re.IGNORECASE),
    re.compile(rf"\b{_MONTH},?\s+{_YEAR}", re.IGNORECASE),
    re.compile(r"(?<![0-9])(?P<year>[0-9]{4})-(?P<month>[0-9]{2})(?:-(?P<day>[0-9]{2}))?(?![0-9])"),
    re.compile(rf"\b(?P<month>{_FULL_MONTH})\b"),
    re.compile(r"(?<![0-9.,])(?P<year>[12][0-9]{3})(?![0-9])"),
]
# 5/11/2019 is 5 November or 11 May: both are taken.
_NUMERIC_DATE = re.compile(r"(?<![0-9])([0-9]{1,2})[/.]([0-9]{1,2})[/.]([0-9]{4})(?![0-9])")


@dataclass(frozen=True)
class _Mention:
    year: int | None
    month: int | None
    day: int | None

    @property
    def precision(self) -> Precision:
        if self.day is not None:
            return Precision.DAY
        return Precision.MONTH if self.month is not None else Precision.YEAR


def _mention(year: int | None, month: int | None, day: int | None) -> _Mention | None:
    """The mention, or None when it names no real day (31 Nov, month 13)."""
    if month is not None and not 1 <= month <= 12:
        return None
    if day is not None:
        last = calendar.monthrange(year or 2000, month or 1)[1]  # 2000: 29 Feb exists
        if month is None or not 1 <= day <= last:
            return None
    return _Mention(year, month, day)


@functools.lru_cache(maxsize=_TEXTS_CACHED)
def date_mentions(text: str) -> frozenset[_Mention]:
    """Every date the text gives, at the precision it gives it."""
    found: set[_Mention | None] = set()
    for form in _DATE_FORMS:
        for match in form.finditer(text):
            parts = match.groupdict()
            month_text = parts.get("month")
            if month_text is not None and month_text[0].islower():
                continue  # "may", "march": a verb more likely than a month
            month = None
            if month_text is not None:
                month = _MONTH_NUMBER.get(month_text.rstrip(".").casefold()) or int(month_text)
            year, day = (int(parts[key]) if parts.get(key) else None for key in ("year", "day"))
            found.add(_mention(year, month, day))
    for match in _NUMERIC_DATE.finditer(text):
        first, second, year = (int(part) for part in match.groups())
        found.add(_mention(year, second, first))
        found.add(_mention(year, first, second))
    return frozenset(mention for mention in found if mention is not None)


def _agreement(mention: _Mention, start: PartialDate, published_on: dt.date | None) -> int:
    """How far the mention agrees with the date: -1 not at all, else the finest
    Precision at which both give the same date."""
    if mention.year is not None and mention.year != start.year:
        return -1
    if mention.year is None and published_on and abs(published_on.year - start.year) > 1:
        return -1
    agreed = Precision.YEAR
    for level, ours, theirs in (
        (Precision.MONTH, start.month, mention.month),
        (Precision.DAY, start.day, mention.day),
    ):
        if ours is None or theirs is None or ours != theirs:
            break
        agreed = level
    return int(agreed)


def _date_in_texts(start: PartialDate, sources: Sequence[SourceFacts]) -> list[Check]:
    if not sources:
        return []
    agreements = [
        (_agreement(mention, start, source.published_on), mention.precision)
        for source in sources
        for mention in date_mentions(source.text or "")
    ]
    best = max((agreed for agreed, _precision in agreements), default=-1)
    if best >= start.precision:
        return []
    # The sources give the date only coarser when no mention in that period goes finer:
    # one that does names another date.
    coarser_only = best >= 0 and all(
        precision <= best for agreed, precision in agreements if agreed == best
    )
    if coarser_only:
        given = Precision(best).label
        return [
            Check(
                PRECISION_FINER_THAN_SOURCES,
                Severity.WARNING,
                f"The date {start.label()} is given to the {start.precision.label}, but the "
                f"supporting sources give it only to the {given}. Make the date as precise "
                f"as the sources (to the {given}), or cite a source that gives the "
                f"{start.precision.label}.",
            )
        ]
    return [
        Check(
            DATE_NOT_IN_SOURCES,
            Severity.WARNING,
            f"The date {start.label()} does not appear in the text of any supporting source. "
            "Check the date against the sources and correct it, or cite a source that "
            "states it.",
        )
    ]
