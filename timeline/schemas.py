"""The API's schemas: the single source of request validation, responses and openapi.yaml."""

from __future__ import annotations

import datetime as dt
from typing import Any

from marshmallow import (
    INCLUDE,
    Schema,
    ValidationError,
    fields,
    pre_load,
    validate,
    validates_schema,
)

from . import patterns
from .cursors import PAIR_LIST_KEY, SEQ_KEY, TIMELINE_KEY
from .domain.checks import CODES, Severity
from .domain.claims import ClaimStatus, Stance
from .domain.countries import Country, InvalidPair, distinct_countries
from .domain.dates import EventDate as DomainEventDate
from .domain.dates import InvalidDateField, PartialDate
from .domain.feed import ChangeKind
from .domain.words import MAX_WORD
from .fields import (
    CountryCode,
    CountryPairString,
    Cursor,
    HttpUrl,
    PartialDateString,
    QueryInteger,
    StatusEnum,
    StrictBoolean,
    StrictFloat,
    Text,
)

# Input limits; past them the answer is a 422 naming the field.
MAX_TITLE = 300
MAX_TEXT = 10_000
MAX_NAME = 200
MAX_URL = 2048
MAX_COUNTRIES = 20
MAX_LIST = 50
MAX_TAG = 50
# A source's text: a long article fits, a book does not.
MAX_SOURCE_TEXT = 200_000
MAX_PAGE = 200
DEFAULT_PAGE = 50


class ProblemSchema(Schema):
    """An RFC 9457 problem document; some kinds of problem add members of their own."""

    class Meta:
        # RFC 9457 extension members: documented below where the API sends them.
        unknown = INCLUDE

    type = fields.String(
        required=True, metadata={"description": "A URI naming the kind of problem"}
    )
    title = fields.String(required=True, metadata={"description": "The status phrase"})
    status = fields.Integer(required=True, metadata={"description": "The HTTP status code"})
    detail = fields.String(required=True, metadata={"description": "What went wrong and why"})
    errors = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.String()),
        metadata={"description": "Messages by input field (dotted paths for nested fields)"},
    )
    current_etag = fields.String(
        metadata={"description": "A stale If-Match (412): the event's current ETag"}
    )
    existing_id = fields.String(
        metadata={"description": "A duplicate source URL (409): the id of the source that has it"}
    )


# --- output -----------------------------------------------------------------


class CountrySchema(Schema):
    code = fields.String(required=True, metadata={"example": "IN"})
    name = fields.String(required=True, metadata={"example": "India"})


class LocationSchema(Schema):
    # Both coordinates or neither (timeline.openapi adds this to the component). As
    # if/then/else, not anyOf: client generators (openapi-python-client) turn an
    # anyOf on an object into a union of anonymous models, and lose this one.
    OPENAPI_EXTRA = {
        "if": {"required": ["lat"], "properties": {"lat": {"type": "number"}}},
        "then": {"required": ["lon"], "properties": {"lon": {"type": "number"}}},
        "else": {"properties": {"lon": {"type": "null"}}},
    }

    name = Text(required=True, validate=validate.Length(1, MAX_NAME))
    country = CountryCode(allow_none=True, load_default=None)
    lat = StrictFloat(allow_none=True, load_default=None, validate=validate.Range(-90, 90))
    lon = StrictFloat(allow_none=True, load_default=None, validate=validate.Range(-180, 180))

    @validates_schema
    def _both_coordinates(self, data: dict[str, Any], **_: Any) -> None:
        if (data.get("lat") is None) != (data.get("lon") is None):
            raise ValidationError("Give both lat and lon, or neither.", "lat")


class _SourceFields(Schema):
    url = HttpUrl(required=True, validate=validate.Length(max=MAX_URL))
    title = Text(required=True, validate=validate.Length(1, 500))
    publisher = Text(allow_none=True, validate=validate.Length(max=MAX_NAME))
    published_on = fields.Date(allow_none=True)
    author = Text(allow_none=True, validate=validate.Length(max=MAX_NAME))
    archive_url = HttpUrl(allow_none=True, validate=validate.Length(max=MAX_URL))


class SourceCreateSchema(_SourceFields):
    """A source as a client sends it: every field but the id, which the server sets.

    A schema of its own (not SourceSchema's read-only id) so that generated
    clients that ignore readOnly do not send an id.
    """

    text = Text(
        multiline=True,
        allow_none=True,
        validate=validate.Length(max=MAX_SOURCE_TEXT),
        metadata={
            "description": (
                f"The document's text as the editor has it, up to {MAX_SOURCE_TEXT:,} "
                "characters; never fetched by the server. The claim checks match "
                "quotes and dates against it."
            )
        },
    )


class SourceSchema(SourceCreateSchema):
    id = fields.String(required=True, dump_only=True)


class CitedSourceSchema(_SourceFields):
    """A source as a citation embeds it: without its text, which GET /sources/{id} returns."""

    id = fields.String(required=True, dump_only=True)


class _Change(Schema):
    """A PATCH body: any subset of the fields, but at least one (an empty one is a mistake)."""

    OPENAPI_EXTRA = {"minProperties": 1}

    @validates_schema
    def _something_to_change(self, data: dict[str, Any], **_: Any) -> None:
        if not data:
            raise ValidationError("Nothing to change: give at least one field.")


class SourcePatchSchema(_Change, SourceCreateSchema):
    """Any of a source's fields; the others keep their values."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(partial=True, **kwargs)


class CitationSchema(Schema):
    id = fields.String(required=True, dump_only=True)
    quote = Text(multiline=True, required=True, validate=validate.Length(1, MAX_TEXT))
    stance = StatusEnum(Stance, required=True)
    source = fields.Nested(CitedSourceSchema, required=True)


class CheckSchema(Schema):
    """A weakness of the event's evidence, and what to do about it; never blocks a write."""

    code = fields.String(required=True, validate=validate.OneOf(CODES))
    severity = fields.String(required=True, validate=validate.OneOf([s.value for s in Severity]))
    message = fields.String(required=True)
    citation_id = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "The citation it is about (quote-not-in-source), else null"},
    )


class EventSchema(Schema):
    """An event as the API returns it."""

    id = fields.String(required=True)
    title = fields.String(required=True)
    summary = fields.String(required=True)
    date = fields.String(required=True, metadata={"example": "2019-11-05"})
    end_date = fields.String(required=True, allow_none=True)
    approximate = fields.Boolean(required=True)
    date_precision = fields.String(required=True, validate=validate.OneOf(["year", "month", "day"]))
    date_label = fields.String(required=True, metadata={"example": "5 Nov 2019"})
    countries = fields.List(fields.Nested(CountrySchema), required=True, attribute="country_list")
    location = fields.Nested(LocationSchema, required=True, allow_none=True)
    actors = fields.List(fields.String(), required=True)
    tags = fields.List(fields.String(), required=True, attribute="tag_names")
    claim_status = StatusEnum(ClaimStatus, required=True)
    citations = fields.List(fields.Nested(CitationSchema), required=True)
    checks = fields.List(
        fields.Nested(CheckSchema),
        required=True,
        metadata={
            "description": (
                "The claim checks, computed again whenever the event, its citations or "
                "their sources change"
            )
        },
    )
    created_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)
    version = fields.Integer(required=True)


class PairSchema(Schema):
    id = fields.String(required=True, metadata={"example": "IN-RU"})
    countries = fields.List(fields.Nested(CountrySchema), required=True)


class TimelinePageSchema(Schema):
    """One page of a pair's timeline."""

    pair = fields.Nested(PairSchema, required=True)
    items = fields.List(fields.Nested(EventSchema), required=True)
    next_cursor = fields.String(required=True, allow_none=True)


class EventPageSchema(Schema):
    """One page of an event search."""

    items = fields.List(fields.Nested(EventSchema), required=True)
    next_cursor = fields.String(required=True, allow_none=True)


class FeedItemSchema(Schema):
    """One transaction's change to one event."""

    cursor = fields.String(
        required=True,
        metadata={
            "description": "This entry's place in the feed: as `since`, the entries after it",
            "pattern": patterns.anchored(patterns.cursor(SEQ_KEY)),
        },
    )
    event_id = fields.String(required=True)
    kind = StatusEnum(
        ChangeKind,
        required=True,
        metadata={
            "description": (
                "created; changed (an edit, its citations, a source it cites); reviewed "
                "(a reviewer set its claim status); deleted (a tombstone: `event` is null)"
            )
        },
    )
    version = fields.Integer(
        required=True, metadata={"description": "The event's version after the change"}
    )
    at = fields.DateTime(required=True, metadata={"description": "When the change committed"})
    pairs = fields.List(
        fields.String(),
        required=True,
        metadata={
            "description": (
                "The pairs whose timelines hold the event after the change (none once "
                "deleted). A mirror of one pair keeps the event if its pair is listed, "
                "and drops it if not"
            ),
            "example": ["IN-RU"],
        },
    )
    sort_key = fields.List(
        fields.Integer(),
        required=True,
        validate=validate.Length(3, 3),
        metadata={
            "description": (
                "The event's place in timeline order: sort a mirror's events by it, "
                "element by element, for the order of GET /timelines/{pair}"
            )
        },
    )
    event = fields.Nested(
        EventSchema,
        required=True,
        allow_none=True,
        metadata={"description": "The event as GET /events/{id} returned it after the change"},
    )


class FeedPageSchema(Schema):
    """A stretch of the sync feed, oldest change first."""

    items = fields.List(fields.Nested(FeedItemSchema), required=True)
    next_cursor = fields.String(
        required=True,
        metadata={
            "description": (
                "Send it as `since` for the changes after these: the last item's cursor, "
                "or the feed's end when there are no more (never null: poll with it)"
            ),
            "pattern": patterns.anchored(patterns.cursor(SEQ_KEY)),
        },
    )
    has_more = fields.Boolean(
        required=True,
        metadata={
            "description": (
                "More changes are there already: ask again now. False: the mirror is up "
                "to date as of this response"
            )
        },
    )


class SourcePageSchema(Schema):
    items = fields.List(fields.Nested(SourceSchema), required=True)
    next_cursor = fields.String(required=True, allow_none=True)


class StatusCountsSchema(Schema):
    unverified = fields.Integer(required=True)
    in_review = fields.Integer(required=True)
    verified = fields.Integer(required=True)
    disputed = fields.Integer(required=True)
    false = fields.Integer(required=True)


class YearCountSchema(Schema):
    """The events of one year: those that start in it (a range counts once, in its
    start year)."""

    year = fields.Integer(required=True)
    count = fields.Integer(required=True)
    by_status = fields.Nested(StatusCountsSchema, required=True)


class TagCountSchema(Schema):
    tag = fields.String(required=True, metadata={"example": "defence"})
    count = fields.Integer(required=True, metadata={"description": "Events that carry the tag"})


class TimelineSummarySchema(Schema):
    """Counts of a pair's timeline for charts."""

    pair = fields.Nested(PairSchema, required=True)
    total = fields.Integer(required=True)
    by_status = fields.Nested(StatusCountsSchema, required=True)
    by_year = fields.List(
        fields.Nested(YearCountSchema),
        required=True,
        metadata={
            "description": (
                "Years that have events, ascending; an event counts in the year it starts "
                "in (a range once, in its start year), every claim status always listed"
            )
        },
    )
    by_tag = fields.List(
        fields.Nested(TagCountSchema),
        required=True,
        metadata={
            "description": (
                "Tags of the pair's events (lower case, as stored), most used first, "
                "then by tag in code-point order"
            )
        },
    )
    first_date = fields.Date(required=True, allow_none=True)
    last_date = fields.Date(required=True, allow_none=True)


class PairSummarySchema(PairSchema):
    event_count = fields.Integer(required=True)
    first_date = fields.Date(
        required=True, metadata={"description": "The earliest day any of its events can mean"}
    )
    last_date = fields.Date(
        required=True, metadata={"description": "The latest day any of its events can mean"}
    )


class PairListSchema(Schema):
    """One page of the pairs that have events."""

    items = fields.List(fields.Nested(PairSummarySchema), required=True)
    next_cursor = fields.String(required=True, allow_none=True)


class SchemaRevisionSchema(Schema):
    status = fields.String(
        required=True,
        validate=validate.OneOf(["current", "outdated", "unknown"]),
        metadata={
            "description": (
                "current: at the code's migration head; outdated: the operator must run "
                "'flask db upgrade' (every other API request gets 503 until then); "
                "unknown: the database does not answer"
            )
        },
    )
    revision = fields.String(
        required=True,
        allow_none=True,
        metadata={
            "description": "The database's migration revision; null when unknown or never migrated"
        },
    )
    expected = fields.String(
        required=True, metadata={"description": "The revision this version of the code needs"}
    )


class HealthSchema(Schema):
    status = fields.String(required=True, validate=validate.OneOf(["ok", "unavailable"]))
    database = fields.String(required=True, validate=validate.OneOf(["ok", "unavailable"]))
    schema = fields.Nested(SchemaRevisionSchema, required=True)
    version = fields.String(required=True)


# --- input ------------------------------------------------------------------

_SET_BY_SERVER = {
    "id": "The id is set by the server.",
    "claim_status": (
        "The claim status changes only through a review: "
        "POST /api/v1/events/{id}/reviews with a status and a note."
    ),
    "version": "The version is set by the server; send the ETag in If-Match instead.",
    "created_at": "Set by the server.",
    "updated_at": "Set by the server.",
    "date_precision": "Set by the server from the form of 'date'.",
    "date_label": "Set by the server from the date.",
    "checks": "Set by the server from the event and its sources.",
}


def _countries_doc() -> dict[str, Any]:
    return {
        "description": "Two or more different countries (IN and IND are one country)",
        "uniqueItems": True,
        "example": ["IN", "RU"],
    }


# The number of countries, in the spec as minItems and maxItems.
_COUNT_OF_COUNTRIES = validate.Length(
    2, MAX_COUNTRIES, error=f"Give 2 to {MAX_COUNTRIES} countries."
)


def _countries_of_an_event(countries: list[Country]) -> None:
    if not 2 <= len(countries) <= MAX_COUNTRIES:
        return  # _COUNT_OF_COUNTRIES says so
    try:
        distinct_countries(countries)
    except InvalidPair as error:
        raise ValidationError(str(error)) from None


class _RefusesServerFields(Schema):
    @pre_load
    def _refuse_server_set_fields(self, data: Any, **_: Any) -> Any:
        if isinstance(data, dict):
            refused = {name: [_SET_BY_SERVER[name]] for name in data if name in _SET_BY_SERVER}
            if refused:
                raise ValidationError(refused)
        return data


class CitationCreateSchema(Schema):
    """Cite a source, by id or inline; an inline source with a known URL reuses it."""

    # Exactly one of source_id and source. As if/then/else, not oneOf, which
    # openapi-python-client turns into an untyped model (see LocationSchema).
    OPENAPI_EXTRA = {
        "if": {"required": ["source_id"]},
        "then": {"not": {"required": ["source"]}},
        "else": {"required": ["source"]},
    }

    source_id = Text(validate=validate.Length(1, 36))
    source = fields.Nested(SourceCreateSchema)
    quote = Text(multiline=True, required=True, validate=validate.Length(1, MAX_TEXT))
    stance = StatusEnum(Stance, required=True)

    @validates_schema
    def _one_source(self, data: dict[str, Any], **_: Any) -> None:
        if ("source_id" in data) == ("source" in data):
            raise ValidationError("Give exactly one of 'source_id' or 'source'.", "source_id")


class EventPatchSchema(_Change, _RefusesServerFields):
    """Any of an event's fields; the others keep their values."""

    title = Text(validate=validate.Length(1, MAX_TITLE))
    summary = Text(multiline=True, validate=validate.Length(max=MAX_TEXT))
    date = PartialDateString()
    end_date = PartialDateString(allow_none=True)
    approximate = StrictBoolean()
    countries = fields.List(
        CountryCode(),
        validate=[_COUNT_OF_COUNTRIES, _countries_of_an_event],
        metadata=_countries_doc(),
    )
    location = fields.Nested(LocationSchema, allow_none=True)
    actors = fields.List(
        Text(validate=validate.Length(1, MAX_NAME)), validate=validate.Length(max=MAX_LIST)
    )
    tags = fields.List(
        Text(validate=validate.Length(1, MAX_TAG)), validate=validate.Length(max=MAX_LIST)
    )


class EventCreateSchema(EventPatchSchema):
    """A new event; its claim status starts 'unverified'."""

    title = Text(required=True, validate=validate.Length(1, MAX_TITLE))
    date = PartialDateString(required=True)
    countries = fields.List(
        CountryCode(),
        required=True,
        validate=[_COUNT_OF_COUNTRIES, _countries_of_an_event],
        metadata=_countries_doc(),
    )
    citations = fields.List(
        fields.Nested(CitationCreateSchema), validate=validate.Length(max=MAX_LIST)
    )

    @validates_schema
    def _date_range(self, data: dict[str, Any], **_: Any) -> None:
        check_date_range(data.get("date"), data.get("end_date"))


def check_date_range(start: str | None, end: str | None) -> None:
    """A field error unless the end (if any) is not before the start."""
    if start is None:
        return
    try:
        DomainEventDate.parse(start, end)
    except InvalidDateField as error:
        raise ValidationError(str(error), error.field) from None


class DraftEvidenceSchema(Schema):
    date_expression = fields.String(
        required=True,
        metadata={"description": "The words the date was read from", "example": "November 5"},
    )
    date_expressions = fields.List(
        fields.String(),
        required=True,
        metadata={"description": "Every date expression of the quoted sentences, the used first"},
    )
    countries_from = fields.String(
        required=True,
        validate=validate.OneOf(["sentence", "sentence and article", "article"]),
        metadata={
            "description": "Where the countries were named: in the quoted sentences, or "
            "(fewer than two there) also the article's most named ones"
        },
    )


class DraftSchema(Schema):
    """An event the source's text proposes: not stored until accepted."""

    n = fields.Integer(
        required=True,
        metadata={"description": "The draft's number in the source's current drafts, from 1"},
    )
    event = fields.Nested(
        EventCreateSchema,
        required=True,
        metadata={"description": "A createEvent body: POST it to /events, edited or not"},
    )
    evidence = fields.Nested(DraftEvidenceSchema, required=True)


class DraftListSchema(Schema):
    source_id = fields.String(required=True)
    items = fields.List(fields.Nested(DraftSchema), required=True)


class ReviewCreateSchema(Schema):
    """A reviewer's decision on a claim."""

    status = StatusEnum(ClaimStatus, required=True)
    note = Text(
        multiline=True,
        required=True,
        validate=validate.Length(
            1, MAX_TEXT, error="A review needs a note of 1 to {max} characters."
        ),
    )


class ReviewSchema(Schema):
    id = fields.String(required=True)
    event_id = fields.String(required=True)
    from_status = StatusEnum(ClaimStatus, required=True)
    to_status = StatusEnum(ClaimStatus, required=True)
    reviewer = fields.String(required=True)
    note = fields.String(required=True)
    created_at = fields.DateTime(required=True)
    checks = fields.List(
        fields.Nested(CheckSchema),
        required=True,
        allow_none=True,
        metadata={
            "description": (
                "The event's claim checks when it was reviewed; null for reviews made "
                "before the service computed checks"
            )
        },
    )


class CitationCountsSchema(Schema):
    supports = fields.Integer(required=True)
    disputes = fields.Integer(required=True)
    context = fields.Integer(required=True)


class ReviewQueueItemSchema(Schema):
    event = fields.Nested(EventSchema, required=True)
    created_by = fields.String(required=True)
    citation_counts = fields.Nested(CitationCountsSchema, required=True)


class ReviewQueuePageSchema(Schema):
    items = fields.List(fields.Nested(ReviewQueueItemSchema), required=True)
    next_cursor = fields.String(required=True, allow_none=True)


class ReviewListSchema(Schema):
    items = fields.List(fields.Nested(ReviewSchema), required=True)


class RevisionSchema(Schema):
    """An earlier version of an event: the change that ended it."""

    version = fields.Integer(required=True, metadata={"description": "The version it replaced"})
    changed_by = fields.String(required=True)
    changed_at = fields.DateTime(required=True)
    changed_fields = fields.List(fields.String(), required=True)


class RevisionListSchema(Schema):
    items = fields.List(fields.Nested(RevisionSchema), required=True)


# --- query strings ----------------------------------------------------------


class EventReadQuery(Schema):
    as_of = fields.AwareDateTime(
        default_timezone=dt.UTC,
        metadata={"description": "Return the event as it stood at this time (ISO 8601)"},
    )


def _order() -> fields.String:
    return fields.String(load_default="asc", validate=validate.OneOf(["asc", "desc"]))


class PageQuery(Schema):
    limit = QueryInteger(
        load_default=DEFAULT_PAGE,
        validate=validate.Range(1, MAX_PAGE),
        metadata={"description": f"Page size, 1 to {MAX_PAGE}"},
    )
    cursor = Cursor(SEQ_KEY, metadata={"description": "The next_cursor of the previous page"})


_RFC_3339_DATE_TIME = (
    "Not an RFC 3339 date and time with an offset, such as 2026-12-03T08:00:00Z "
    "or 2026-12-03T09:00:00+01:00."
)


class TimelineQuery(PageQuery):
    cursor = Cursor(TIMELINE_KEY, metadata={"description": "The next_cursor of the previous page"})
    from_ = PartialDateString(
        data_key="from", metadata={"description": "Keep events that end on or after this date"}
    )
    to = PartialDateString(
        metadata={"description": "Keep events that start on or before this date"}
    )
    status = StatusEnum(ClaimStatus)
    tag = Text(validate=validate.Length(1, MAX_TAG))
    q = Text(
        validate=validate.Length(1, 200),
        metadata={
            "description": (
                "Words to find in the title, summary or actors. A word is a run of letters "
                "and digits; anything else separates words. An event is kept when every "
                "word of q begins one of its words, ignoring case: 'raj sing' finds "
                "'Rajnath Singh', in either order; 'nath' does not. Words are compared on "
                f"their first {MAX_WORD} characters; accents count ('e' does not find 'é'). "
                "A q without a letter or digit finds nothing. Results stay in timeline order"
            )
        },
    )
    order = _order()
    updated_since = fields.AwareDateTime(
        error_messages={
            "invalid": _RFC_3339_DATE_TIME,
            "invalid_awareness": _RFC_3339_DATE_TIME,
        },
        metadata={
            "description": (
                "Keep events created or changed at or after this time (RFC 3339, with "
                "its offset: 2026-12-03T08:00:00Z)"
            )
        },
    )

    @validates_schema
    def _range(self, data: dict[str, Any], **_: Any) -> None:
        start, end = data.get("from_"), data.get("to")
        if (
            start
            and end
            and PartialDate.parse(end).last_day() < PartialDate.parse(start).first_day()
        ):
            raise ValidationError(f"'to' ({end}) is before 'from' ({start}).", "to")


class ExportQuery(TimelineQuery):
    """The timeline filters, without paging: an export holds every event they keep."""

    class Meta:
        exclude = ("limit", "cursor", "updated_since")


class CsvExportQuery(ExportQuery):
    bom = fields.Boolean(
        load_default=False,
        truthy={"1", "true"},
        falsy={"0", "false"},
        metadata={
            "description": (
                "Start the file with a UTF-8 byte order mark (1 or true), for Excel, "
                "which reads a CSV file without one in the computer's legacy encoding"
            )
        },
    )


class EventQuery(TimelineQuery):
    country = CountryCode()
    pair = CountryPairString(metadata={"description": "A country pair such as IN-RU"})


class ChangesQuery(PageQuery):
    """A stretch of the sync feed: the entries after a cursor."""

    class Meta:
        exclude = ("cursor",)

    since = Cursor(
        SEQ_KEY,
        metadata={
            "description": (
                "A `next_cursor` or an item's `cursor` from an earlier response; "
                "without it, the feed from its start"
            )
        },
    )
    pair = CountryPairString(
        metadata={"description": "Only the changes to this pair's timeline, such as IN-RU"}
    )


class PairListQuery(PageQuery):
    cursor = Cursor(PAIR_LIST_KEY, metadata={"description": "The next_cursor of the previous page"})
    sort = fields.String(
        load_default="pair",
        validate=validate.OneOf(["pair", "event_count", "first_date", "last_date"]),
        metadata={
            "description": (
                "Sort by pair id, number of events, earliest or latest date "
                "(last_date with order=desc: the pairs with the latest events first); "
                "ties follow in ascending pair id"
            )
        },
    )
    order = _order()


class SourceQuery(PageQuery):
    url = HttpUrl(
        validate=validate.Length(1, MAX_URL),
        metadata={"description": "Find the source with this URL (compared normalised)"},
    )


class ReviewQueueQuery(PageQuery):
    pair = CountryPairString(metadata={"description": "A country pair such as IN-RU"})
    status = fields.String(validate=validate.OneOf(["unverified", "in_review"]))
    check = fields.String(
        validate=validate.OneOf(CODES),
        metadata={"description": "Keep events that carry the claim check with this code"},
    )
