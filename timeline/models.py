"""Database models. The schema itself is made only by the migrations."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    SmallInteger,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy import text as sql_text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, registry, relationship
from uuid_utils.compat import uuid7

from .domain.claims import ClaimStatus, Stance
from .domain.countries import Country, country
from .domain.dates import EventDate
from .domain.feed import ChangeKind
from .domain.words import MAX_WORD


def new_id() -> str:
    """A new id of an event, a source, a citation or a review: a UUID of version 7
    (RFC 9562), which begins with the millisecond it was made in, and in one process
    counts up within it. Ids made one after another sort together, so each table's
    index of ids grows at its end, where a random (version 4) id lands on any of its
    pages: an import would then write a page of that index for each row it stores."""
    return str(uuid7())


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A timestamp stored in UTC and always read back timezone-aware (SQLite drops it)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        return value.astimezone(dt.UTC) if value is not None else None

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


class Base(DeclarativeBase):
    registry = registry(type_annotation_map={dt.datetime: UTCDateTime})


def _one_of(
    column: str, values: type[ClaimStatus] | type[Stance] | type[ChangeKind] | tuple[str, ...]
) -> str:
    listed = ", ".join(f"'{value}'" for value in values)
    return f"{column} IN ({listed})"


ROLES = ("editor", "reviewer", "admin")


# The word index of events (see the migration 0008 and read_model): an FTS5 virtual
# table (and its shadow tables) on SQLite, a table with a GIN index on PostgreSQL.
# Not a model, as its DDL differs by database.
WORD_INDEX = "event_words"


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """Whether autogenerate compares a schema object: not the word index's tables."""
    unmodelled = type_ == "table" and reflected and compare_to is None
    return not (unmodelled and name is not None and name.startswith(WORD_INDEX))


class ApiToken(Base):
    """A bearer token; only its SHA-256 hash is stored."""

    __tablename__ = "api_tokens"
    __table_args__ = (CheckConstraint(_one_of("role", ROLES), name="ck_api_tokens_role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[dt.datetime | None]
    # How many write requests made with the token have committed, counted in each
    # write's own transaction: a read replica whose copy of the count is lower has
    # not applied the token's last write yet (timeline/replica.py).
    writes: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")


class Source(Base):
    """A document that backs events; its normalised URL is unique."""

    __tablename__ = "sources"

    seq: Mapped[int] = mapped_column(primary_key=True)
    id: Mapped[str] = mapped_column(String(36), unique=True, default=new_id)
    url: Mapped[str] = mapped_column(String(2048))
    # SHA-256 (hex) of the normalised URL: see domain.urls.url_key.
    url_key: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(500))
    publisher: Mapped[str | None] = mapped_column(String(200))
    published_on: Mapped[dt.date | None]
    author: Mapped[str | None] = mapped_column(String(200))
    archive_url: Mapped[str | None] = mapped_column(String(2048))
    # The document's text as the editor submitted it (never fetched).
    text: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1, server_default=sql_text("1"))

    citations: Mapped[list[Citation]] = relationship(back_populates="source")

    # Optimistic concurrency, as for events (see Event).
    __mapper_args__: dict[str, Any] = {"version_id_col": version, "version_id_generator": False}


class EventFields:
    """What the API reads of an event besides its columns: derived from them, its
    country codes and its tag names. Shared by the mapped ``Event`` and by the plain
    records a bulk import stores (``changes.NewEvent``), which the event schema
    renders alike."""

    if TYPE_CHECKING:
        date: str
        end_date: str | None
        approximate: bool
        location_name: str | None
        location_country: str | None
        location_lat: float | None
        location_lon: float | None

        @property
        def country_codes(self) -> list[str]: ...

    @property
    def event_date(self) -> EventDate:
        return EventDate.parse(self.date, self.end_date, self.approximate)

    @property
    def date_precision(self) -> str:
        return self.event_date.precision.label

    @property
    def date_label(self) -> str:
        return self.event_date.label()

    @property
    def country_list(self) -> list[Country]:
        return [country(code) for code in self.country_codes]

    @property
    def location(self) -> dict[str, Any] | None:
        if self.location_name is None:
            return None
        return {
            "name": self.location_name,
            "country": self.location_country,
            "lat": self.location_lat,
            "lon": self.location_lon,
        }


class Event(EventFields, Base):
    """A dated event between two or more countries.

    ``document`` is the event's JSON as the API returns it, rendered by the
    event schema whenever the event changes, so reads never re-serialise.
    """

    __tablename__ = "events"
    __table_args__ = (
        CheckConstraint(_one_of("claim_status", ClaimStatus), name="ck_events_claim_status"),
        Index("ix_events_timeline_order", "first_day", "precision", "seq"),
        Index("ix_events_review_queue", "claim_status", "seq"),
        Index("ix_events_external_id", "external_id", unique=True),
        Index("ix_events_updated_at", "updated_at"),
        # The longest span of any event's dates (see read_model._longest_span).
        Index("ix_events_span", sql_text("(last_day - first_day)")),
    )

    seq: Mapped[int] = mapped_column(primary_key=True)
    id: Mapped[str] = mapped_column(String(36), unique=True, default=new_id)
    title: Mapped[str] = mapped_column(String(300))
    summary: Mapped[str] = mapped_column(Text, default="")
    date: Mapped[str] = mapped_column(String(10))
    end_date: Mapped[str | None] = mapped_column(String(10))
    approximate: Mapped[bool] = mapped_column(default=False)
    # Derived from the date for ordering and range filters (proleptic ordinals).
    first_day: Mapped[int]
    last_day: Mapped[int]
    precision: Mapped[int] = mapped_column(SmallInteger)
    location_name: Mapped[str | None] = mapped_column(String(200))
    location_country: Mapped[str | None] = mapped_column(String(2))
    location_lat: Mapped[float | None] = mapped_column(Float)
    location_lon: Mapped[float | None] = mapped_column(Float)
    actors: Mapped[list[str]] = mapped_column(JSON, default=list)
    claim_status: Mapped[str] = mapped_column(String(16), default=ClaimStatus.UNVERIFIED.value)
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    deleted_at: Mapped[dt.datetime | None]
    deleted_by: Mapped[str | None] = mapped_column(String(80))
    version: Mapped[int] = mapped_column(default=1)
    document: Mapped[str] = mapped_column(Text, default="")
    # The claim checks (domain.checks) as the API returns them; changes keeps them current.
    checks: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # The id an import gave the event in the system it came from (flask events import);
    # an import skips the rows whose id is stored. Not part of the API.
    external_id: Mapped[str | None] = mapped_column(String(200))

    countries: Mapped[list[EventCountry]] = relationship(
        cascade="all, delete-orphan", order_by="EventCountry.code", lazy="selectin"
    )
    tags: Mapped[list[EventTag]] = relationship(
        cascade="all, delete-orphan", order_by="EventTag.position", lazy="selectin"
    )
    citations: Mapped[list[Citation]] = relationship(
        back_populates="event",
        cascade="all, delete-orphan",
        order_by="Citation.seq",
        lazy="selectin",
    )

    # Optimistic concurrency: every UPDATE carries "WHERE version = <the version read>",
    # so a concurrent change makes it fail. timeline.changes bumps the version once
    # per transaction, however many flushes the change takes.
    __mapper_args__: dict[str, Any] = {"version_id_col": version, "version_id_generator": False}

    @property
    def country_codes(self) -> list[str]:
        return [row.code for row in self.countries]

    @property
    def tag_names(self) -> list[str]:
        return [row.tag for row in self.tags]


@dataclass(eq=False, slots=True)
class SourceRow:
    """A stored source as a bulk import reads it: what citations render and checks read."""

    seq: int
    id: str
    url: str
    title: str
    publisher: str | None
    published_on: dt.date | None
    author: str | None
    archive_url: str | None
    text: str | None


@dataclass(eq=False, slots=True)
class NewCitation:
    """A citation of a ``NewEvent``."""

    id: str
    quote: str
    stance: str
    source: SourceRow
    created_by: str
    created_at: dt.datetime


@dataclass(eq=False)
class NewEvent(EventFields):
    """A new event as plain values, for ``changes.insert_new_events`` to store in bulk:
    the columns of ``events``, its countries and tags, its citations. Made without the
    ORM, which would cost more than the rest of an import's work."""

    id: str
    title: str
    date: str
    end_date: str | None
    first_day: int
    last_day: int
    precision: int
    created_by: str
    created_at: dt.datetime
    updated_at: dt.datetime
    country_codes: list[str]
    summary: str = ""
    approximate: bool = False
    location_name: str | None = None
    location_country: str | None = None
    location_lat: float | None = None
    location_lon: float | None = None
    actors: list[str] = field(default_factory=list)
    tag_names: list[str] = field(default_factory=list)
    citations: list[NewCitation] = field(default_factory=list)
    claim_status: str = ClaimStatus.UNVERIFIED.value
    deleted_at: dt.datetime | None = None
    deleted_by: str | None = None
    version: int = 1
    external_id: str | None = None
    # Set by insert_new_events: its checks, its rendered JSON, and its seq once inserted.
    checks: list[dict[str, Any]] = field(default_factory=list)
    document: str = ""
    seq: int = 0


# Either kind of event: what rendering, checks, timeline rows and the feed read alike.
AnyEvent = Event | NewEvent


class EventCountry(Base):
    __tablename__ = "event_countries"
    __table_args__ = (Index("ix_event_countries_code", "code", "event_seq"),)

    event_seq: Mapped[int] = mapped_column(ForeignKey("events.seq"), primary_key=True)
    code: Mapped[str] = mapped_column(String(2), primary_key=True)


class EventTag(Base):
    __tablename__ = "event_tags"
    __table_args__ = (Index("ix_event_tags_tag", "tag", "event_seq"),)

    event_seq: Mapped[int] = mapped_column(ForeignKey("events.seq"), primary_key=True)
    # Lower-cased, which can double a tag's length (U+0130): twice MAX_TAG.
    tag: Mapped[str] = mapped_column(String(100), primary_key=True)
    position: Mapped[int] = mapped_column(SmallInteger)


class PairEvent(Base):
    """The read model of a pair's timeline: one row per event and pair.

    The primary key is the timeline order, so a page is one index range scan
    and the row carries the event's rendered JSON.
    """

    __tablename__ = "pair_events"
    __table_args__ = (
        Index("ix_pair_events_status", "pair", "claim_status", "first_day", "precision", "seq"),
        Index("ix_pair_events_event", "seq"),
        Index("ix_pair_events_updated_at", "pair", "updated_at"),
        # A pair's last day (the summary's last_date, the pair list's) is one index seek.
        Index("ix_pair_events_last_day", "pair", "last_day"),
        # The timeline of each span class, and the longest span of the ranges
        # (see read_model._page_statement, for the from filter).
        Index("ix_pair_events_span_class", "pair", "span_class", "first_day", "precision", "seq"),
        Index("ix_pair_events_span", "pair", "span_class", sql_text("(last_day - first_day)")),
    )

    pair: Mapped[str] = mapped_column(String(5), primary_key=True)
    first_day: Mapped[int] = mapped_column(primary_key=True)
    precision: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    seq: Mapped[int] = mapped_column(ForeignKey("events.seq"), primary_key=True)
    last_day: Mapped[int]
    year: Mapped[int] = mapped_column(SmallInteger)
    claim_status: Mapped[str] = mapped_column(String(16))
    # The event's updated_at, for the updated_since filter.
    updated_at: Mapped[dt.datetime]
    document: Mapped[str] = mapped_column(Text)
    # How far the dates run: the precision (0 year, 1 month, 2 day) of a date without
    # an end, which then ends with its year, month or day; 3 for a date with an end.
    span_class: Mapped[int] = mapped_column(SmallInteger, server_default=sql_text("0"))


class PairEventTag(Base):
    """The read model of a pair's timeline filtered by one tag: one row per event,
    pair and tag, written with ``pair_events``. The primary key is the timeline
    order within the tag, so a page of a tag is one range scan of it, each row
    joined to its ``pair_events`` row by that table's primary key.
    """

    __tablename__ = "pair_event_tags"
    __table_args__ = (Index("ix_pair_event_tags_event", "seq"),)

    pair: Mapped[str] = mapped_column(String(5), primary_key=True)
    tag: Mapped[str] = mapped_column(String(100), primary_key=True)
    first_day: Mapped[int] = mapped_column(primary_key=True)
    precision: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    seq: Mapped[int] = mapped_column(ForeignKey("events.seq"), primary_key=True)


class PairRangeBlock(Base):
    """The aligned blocks of days (``domain.spans``) that make up each range (a date
    with an end) of a pair's timeline, one row per block, written with
    ``pair_events``. The ranges that hold a day are then one lookup per level, each
    in timeline order: the ``from`` filter finds the ranges that began before
    ``from`` and still run without passing over those that ended before it.
    """

    __tablename__ = "pair_range_blocks"
    __table_args__ = (Index("ix_pair_range_blocks_event", "seq"),)

    pair: Mapped[str] = mapped_column(String(5), primary_key=True)
    level: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    block: Mapped[int] = mapped_column(primary_key=True)
    first_day: Mapped[int] = mapped_column(primary_key=True)
    precision: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    seq: Mapped[int] = mapped_column(ForeignKey("events.seq"), primary_key=True)


class PairEventWord(Base):
    """A pair's timeline by word: one row per event, pair and word the ``q`` filter
    finds it by (``domain.words``), written with ``pair_events``. The primary key is
    the timeline order within each word, so the events of a pair that hold a word
    are one range scan in timeline order, and a rare word's page reads its page's
    rows only, however many events hold the word. The words compare by code point
    (collation "C" on PostgreSQL), so the words that begin with a prefix are one
    range of the key.
    """

    __tablename__ = "pair_event_words"
    # Without rowid on SQLite: the primary key is the table, not an index beside it.
    __table_args__ = (Index("ix_pair_event_words_event", "seq"), {"sqlite_with_rowid": False})

    pair: Mapped[str] = mapped_column(String(5), primary_key=True)
    word: Mapped[str] = mapped_column(
        String(MAX_WORD).with_variant(String(MAX_WORD, collation="C"), "postgresql"),
        primary_key=True,
    )
    first_day: Mapped[int] = mapped_column(primary_key=True)
    precision: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    # The event's seq, with no foreign key: derived rows, about twenty per event and
    # pair, that the database would check one by one (see migration 0014).
    seq: Mapped[int] = mapped_column(primary_key=True)


class PairCount(Base):
    """A pair's number of events, and the span of their dates, kept by the write
    path (``changes``), so that the pair list never counts a timeline. Only pairs
    with events have a row. Each sort of the pair list has an index per direction,
    in which pairs that tie follow in ascending pair id."""

    __tablename__ = "pair_counts"

    pair: Mapped[str] = mapped_column(String(5), primary_key=True)
    event_count: Mapped[int]
    first_day: Mapped[int]
    last_day: Mapped[int]


for _column in (PairCount.event_count, PairCount.first_day, PairCount.last_day):
    Index(f"ix_pair_counts_{_column.key}", _column, PairCount.pair)
    Index(f"ix_pair_counts_{_column.key}_desc", _column.desc(), PairCount.pair)


class PairYearCount(Base):
    """How many of a pair's events begin in a year with a claim status (the summary's
    counts), kept by the write path; no row for a count of zero."""

    __tablename__ = "pair_year_counts"

    pair: Mapped[str] = mapped_column(String(5), primary_key=True)
    year: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    claim_status: Mapped[str] = mapped_column(String(16), primary_key=True)
    count: Mapped[int]


class PairTagCount(Base):
    """How many of a pair's events carry a tag, kept by the write path; no row for zero."""

    __tablename__ = "pair_tag_counts"

    pair: Mapped[str] = mapped_column(String(5), primary_key=True)
    tag: Mapped[str] = mapped_column(String(100), primary_key=True)
    count: Mapped[int]


class Citation(Base):
    """An event's link to a source: the quoted passage and its stance."""

    __tablename__ = "citations"
    __table_args__ = (
        CheckConstraint(_one_of("stance", Stance), name="ck_citations_stance"),
        Index("ix_citations_event", "event_seq", "seq"),
        Index("ix_citations_source", "source_seq"),
    )

    seq: Mapped[int] = mapped_column(primary_key=True)
    id: Mapped[str] = mapped_column(String(36), unique=True, default=new_id)
    event_seq: Mapped[int] = mapped_column(ForeignKey("events.seq"))
    source_seq: Mapped[int] = mapped_column(ForeignKey("sources.seq"))
    quote: Mapped[str] = mapped_column(Text)
    stance: Mapped[str] = mapped_column(String(16))
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    event: Mapped[Event] = relationship(back_populates="citations")
    source: Mapped[Source] = relationship(back_populates="citations", lazy="joined")


class Review(Base):
    """One change of an event's claim status. Append-only: never edited or deleted."""

    __tablename__ = "reviews"
    __table_args__ = (
        CheckConstraint(_one_of("from_status", ClaimStatus), name="ck_reviews_from_status"),
        CheckConstraint(_one_of("to_status", ClaimStatus), name="ck_reviews_to_status"),
        Index("ix_reviews_event", "event_seq", "seq"),
    )

    seq: Mapped[int] = mapped_column(primary_key=True)
    id: Mapped[str] = mapped_column(String(36), unique=True, default=new_id)
    event_seq: Mapped[int] = mapped_column(ForeignKey("events.seq"))
    from_status: Mapped[str] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    reviewer: Mapped[str] = mapped_column(String(80))
    note: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # The event's checks when it was reviewed; None for reviews made before checks existed.
    checks: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)

    event: Mapped[Event] = relationship(lazy="joined")

    @property
    def event_id(self) -> str:
        return self.event.id


class EventRevision(Base):
    """The event as it stood before an edit: who changed it, when, and what."""

    __tablename__ = "event_revisions"
    __table_args__ = (UniqueConstraint("event_seq", "version", name="uq_event_revisions_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_seq: Mapped[int] = mapped_column(ForeignKey("events.seq"))
    version: Mapped[int]
    changed_by: Mapped[str] = mapped_column(String(80))
    changed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    changed_fields: Mapped[list[str]] = mapped_column(JSON)
    document: Mapped[str] = mapped_column(Text)


class IdempotencyRecord(Base):
    """The first response to a create sent with an Idempotency-Key."""

    __tablename__ = "idempotency_records"

    token_name: Mapped[str] = mapped_column(String(80), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[int]
    body: Mapped[str] = mapped_column(Text)
    location: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)


class FeedEntry(Base):
    """One transaction's change to one event, at its position in the sync feed.

    Positions count from 1 in commit order, without gaps (see ``timeline.feed``).
    ``document`` is the event as that transaction left it; None once it is deleted.
    """

    __tablename__ = "feed_entries"
    __table_args__ = (
        CheckConstraint(_one_of("kind", ChangeKind), name="ck_feed_entries_kind"),
        Index("ix_feed_entries_event", "event_seq", "position"),
    )

    position: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    event_seq: Mapped[int] = mapped_column(ForeignKey("events.seq"))
    kind: Mapped[str] = mapped_column(String(8))
    version: Mapped[int]
    at: Mapped[dt.datetime]
    # The pairs whose timelines hold the event after the change (none once deleted).
    pairs: Mapped[list[str]] = mapped_column(JSON)
    # The event's timeline order after the change: first day, precision, seq.
    first_day: Mapped[int]
    precision: Mapped[int] = mapped_column(SmallInteger)
    document: Mapped[str | None] = mapped_column(Text)


class FeedEntryPair(Base):
    """A pair whose timeline an entry changes: one the event was in before or after it."""

    __tablename__ = "feed_entry_pairs"

    pair: Mapped[str] = mapped_column(String(5), primary_key=True)
    position: Mapped[int] = mapped_column(
        ForeignKey("feed_entries.position"), primary_key=True, autoincrement=False
    )


class FeedHead(Base):
    """The feed's last position: one row, locked by each writing transaction as it
    commits, so that positions are handed out in commit order."""

    __tablename__ = "feed_head"
    __table_args__ = (CheckConstraint("id = 1", name="ck_feed_head_one_row"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    position: Mapped[int]


class SourceRerender(Base):
    """A source edit whose citing events are still to be brought up to date.

    Written by ``changes`` when an edited source has more citing events than one
    request should rewrite; ``rerender`` works it off in batches, in event order,
    and deletes it once every citing event is current.
    """

    __tablename__ = "source_rerenders"
    __table_args__ = (Index("ix_source_rerenders_requested_at", "requested_at"),)

    source_seq: Mapped[int] = mapped_column(
        ForeignKey("sources.seq"), primary_key=True, autoincrement=False
    )
    # The source's version the events are brought up to.
    version: Mapped[int]
    # Who made the (last) edit: the events' revisions name them.
    changed_by: Mapped[str] = mapped_column(String(80))
    # The source fields the pending edits changed, in the order changes lists them.
    changed_fields: Mapped[list[str]] = mapped_column(JSON)
    # The last edit; citations made after it already showed the source as it is.
    requested_at: Mapped[dt.datetime]
    # The citing events up to this seq are current.
    after_event_seq: Mapped[int] = mapped_column(default=0)
