"""The read path: events rendered once at write time, pages read by keyset.

Every change to an event re-renders its JSON with the event schema and rewrites
its rows in ``pair_events``, one per pair among its countries (``changes`` sees
to it on every flush). A timeline page
is then one range scan of that table's primary key, and the response body is
the stored documents joined together: nothing is re-serialised on read.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

import orjson
from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Integer,
    Select,
    String,
    and_,
    any_,
    bindparam,
    cast,
    column,
    delete,
    exists,
    literal,
    literal_column,
    null,
    or_,
    select,
    table,
    text,
    tuple_,
    union,
    union_all,
)
from sqlalchemy.dialects.postgresql import ARRAY, TSQUERY
from sqlalchemy.engine import Connection, Row
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import BindParameter, UnaryExpression
from sqlalchemy.sql.operators import custom_op

from .compiled_dump import compile_dump
from .cursors import PAIR_LIST_KEY, SEQ_KEY, TIMELINE_KEY, decode_cursor, encode_cursor
from .db import copy_rows, db, fetch_rows, in_chunks, insert_rows, read_dialect, utf8_bytes
from .domain.claims import ClaimStatus
from .domain.countries import CountryPair, pair_ids
from .domain.dates import PartialDate, Precision, day_from_ordinal
from .domain.spans import block_holding, blocks, range_levels
from .domain.words import event_words, words
from .errors import invalid_field
from .models import (
    WORD_INDEX,
    AnyEvent,
    Event,
    EventCountry,
    EventTag,
    PairCount,
    PairEvent,
    PairEventTag,
    PairEventWord,
    PairRangeBlock,
    PairTagCount,
    PairYearCount,
    Source,
)
from .pair_counts import CountChanges
from .schemas import CountrySchema, EventSchema

# The event schema's dump, compiled: the same JSON in a fraction of the time.
_DUMP_EVENT = compile_dump(EventSchema())
_COUNTRY_SCHEMA = CountrySchema(many=True)


def rendered(event: AnyEvent) -> str:
    """The event's JSON, as every read returns it, rendered from the event as it is."""
    return orjson.dumps(_DUMP_EVENT(event)).decode()


def render(event: AnyEvent) -> None:
    """Render the event's JSON into its document (``changes`` calls this)."""
    event.document = rendered(event)


# The derived rows of events, by their seqs: built once (see write_timeline_rows).
_SEQS: BindParameter[list[int]] = bindparam("seqs", expanding=True)
_DELETE_TAGS = delete(PairEventTag).where(PairEventTag.seq.in_(_SEQS))
_DELETE_BLOCKS = delete(PairRangeBlock).where(PairRangeBlock.seq.in_(_SEQS))
_DELETE_PAIR_WORDS = delete(PairEventWord).where(PairEventWord.seq.in_(_SEQS))
_DELETE_PAIR_EVENTS = delete(PairEvent).where(PairEvent.seq.in_(_SEQS))
_DELETE_FILED_PAIR_EVENTS = _DELETE_PAIR_EVENTS.returning(
    PairEvent.seq,
    PairEvent.pair,
    PairEvent.first_day,
    PairEvent.precision,
    PairEvent.last_day,
    PairEvent.span_class,
    PairEvent.year,
    PairEvent.claim_status,
    PairEvent.document,
)


@dataclass
class _Filed:
    """What an event's stored derived rows were made of, read back from its timeline
    rows as they go: its pairs, its dates and its document (title, words, tags)."""

    pairs: set[str]
    first_day: int
    precision: int
    last_day: int
    is_range: bool
    document: dict[str, Any]

    def filed_alike(self, event: AnyEvent) -> bool:
        """Still shown, in the same pairs, at the same place in their timelines."""
        return (
            event.deleted_at is None
            and self.pairs == set(pair_ids(event.country_codes))
            and (self.first_day, self.precision) == (event.first_day, event.precision)
        )


@dataclass
class Unchanged:
    """The events (by seq) whose rows of each derived table a write leaves as they are,
    since what the rows are made of has not changed."""

    tags: set[int] = field(default_factory=set)
    blocks: set[int] = field(default_factory=set)
    words: set[int] = field(default_factory=set)

    def keep(self, event: AnyEvent, filed: _Filed) -> None:
        if not filed.filed_alike(event):
            return
        document = orjson.loads(event.document)
        if document["tags"] == filed.document["tags"]:
            self.tags.add(event.seq)
        if (event.end_date is not None, event.last_day) == (filed.is_range, filed.last_day):
            self.blocks.add(event.seq)
        if all(document[name] == filed.document[name] for name in _WORDS_FROM):
            self.words.add(event.seq)


# The fields of an event's document that its words are made of (domain.words.event_words).
_WORDS_FROM = ("title", "summary", "actors")


def write_timeline_rows(
    connection: Connection, events: Sequence[Event], counts: CountChanges | None
) -> None:
    """Rewrite the events' rows in ``pair_events`` and note in ``counts`` what the rows
    that go take from their pairs' counts and what the new ones add; and rewrite their
    rows in the tables derived with them, ``pair_event_tags``, ``pair_range_blocks``,
    ``pair_event_words`` and the word index (none once an event is deleted), where
    what they are made of changed: a review or a source's edit leaves an event's
    tags, dates and words as they are, and rewriting their rows would only leave dead
    ones behind (PostgreSQL) and slow the write. One statement per table for up to
    ``IN_CHUNK`` events.

    Without ``counts`` (a rebuild, which counts every pair afterwards) every derived
    row is written afresh: the rules that make them may have changed.
    """
    unchanged = Unchanged()
    by_seq = {event.seq: event for event in events}
    for chunk in in_chunks(list(by_seq)):
        seqs = {"seqs": chunk}
        if counts is None:
            connection.execute(_DELETE_PAIR_EVENTS, seqs)
            filed_seqs = chunk
        else:
            filed = _filed(connection.execute(_DELETE_FILED_PAIR_EVENTS, seqs), counts)
            for seq, was in filed.items():
                unchanged.keep(by_seq[seq], was)
            # An event without timeline rows (new, or deleted) has no derived rows.
            filed_seqs = list(filed)
        for statement, kept in (
            (_DELETE_TAGS, unchanged.tags),
            (_DELETE_BLOCKS, unchanged.blocks),
            (_DELETE_PAIR_WORDS, unchanged.words),
            (_DELETE_WORDS[connection.dialect.name], unchanged.words),
        ):
            stale = [seq for seq in filed_seqs if seq not in kept]
            if stale:
                connection.execute(statement, {"seqs": stale})
    insert_timeline_rows(
        connection, events, counts if counts is not None else CountChanges(), unchanged
    )


def _filed(removed: Iterable[Row[Any]], counts: CountChanges) -> dict[int, _Filed]:
    """What the removed timeline rows say of their events' derived rows, by seq; and
    what they take from their pairs' counts, noted in ``counts``."""
    filed: dict[int, _Filed] = {}
    for row in removed:
        document = orjson.loads(row.document)  # the event as it was: its tags then
        counts.count_out(row.pair, row.year, row.claim_status, document["tags"])
        was = filed.get(row.seq)
        if was is None:
            was = filed[row.seq] = _Filed(
                set(), row.first_day, row.precision, row.last_day, row.span_class == RANGE, document
            )
        was.pairs.add(row.pair)
    return filed


def insert_timeline_rows(
    connection: Connection,
    events: Sequence[AnyEvent],
    counts: CountChanges,
    unchanged: Unchanged | None = None,
) -> None:
    """Insert the derived rows of events, one statement per table: their rows in
    ``pair_events``, ``pair_event_tags``, ``pair_range_blocks`` (a range's blocks of
    days), ``pair_event_words`` (the event under each of its words, in each pair) and
    the word index; and note in ``counts`` what they add to their pairs' counts. The
    one place every write path (a flush's events through ``write_timeline_rows``, an
    import's batch through ``changes.insert_new_events``) writes them. Either kind of
    event (``AnyEvent``) offers what derived rows are made of: its pairs
    (``country_codes``), ``first_day``, ``precision``, ``seq``, ``last_day``, ``end_date``,
    ``claim_status``, ``tag_names``, ``title``, ``summary``, ``actors``,
    ``updated_at``, ``deleted_at`` and ``document``. Rows of the tables derived with
    ``pair_events`` that are ``unchanged`` are left out: they are stored already."""
    unchanged = unchanged or Unchanged()
    shown = [(event, pair_ids(event.country_codes)) for event in events if event.deleted_at is None]
    rows = []
    for event, pairs in shown:
        for pair in pairs:
            row = _timeline_row(event, pair)
            days = (event.first_day, event.last_day)
            counts.count_in(pair, row["year"], row["claim_status"], event.tag_names, days)
            rows.append(row)
    if not rows:
        return
    insert_rows(connection, PairEvent, rows)
    tag_rows = [
        {
            "pair": pair,
            "tag": tag,
            "first_day": event.first_day,
            "precision": event.precision,
            "seq": event.seq,
        }
        for event, pairs in shown
        if event.seq not in unchanged.tags
        for pair in pairs
        for tag in event.tag_names
    ]
    insert_rows(connection, PairEventTag, tag_rows)
    block_rows = [
        {
            "pair": pair,
            "level": level,
            "block": block,
            "first_day": event.first_day,
            "precision": event.precision,
            "seq": event.seq,
        }
        for event, pairs in shown
        if event.end_date is not None and event.seq not in unchanged.blocks
        for level, block in blocks(event.first_day, event.last_day)
        for pair in pairs
    ]
    insert_rows(connection, PairRangeBlock, block_rows)
    word_rows = []
    pair_word_rows = []
    for event, pairs in shown:
        if event.seq in unchanged.words:
            continue
        found = event_words(event.title, event.summary, event.actors)
        word_rows.append((event.seq, found))
        pair_word_rows += [
            {
                "pair": pair,
                "word": word,
                "first_day": event.first_day,
                "precision": event.precision,
                "seq": event.seq,
            }
            for pair in pairs
            for word in found
        ]
    if word_rows:
        _insert_words(connection, word_rows)
    insert_rows(connection, PairEventWord, pair_word_rows)


# The word index's statement that deletes events' rows, by database. SQLite's is an
# FTS5 table whose rowid is the event's seq; PostgreSQL's holds the words as a
# tsvector, made of the words as they are (no parsing, no stemming).
_DELETE_WORDS = {
    "sqlite": text(f"DELETE FROM {WORD_INDEX} WHERE rowid IN :seqs").bindparams(_SEQS),
    "postgresql": text(f"DELETE FROM {WORD_INDEX} WHERE seq IN :seqs").bindparams(_SEQS),
}
_INSERT_WORDS_SQLITE = text(f"INSERT INTO {WORD_INDEX} (rowid, words) VALUES (:seq, :words)")


def _insert_words(connection: Connection, rows: Sequence[tuple[int, list[str]]]) -> None:
    """Add events (seq, words) to the word index. PostgreSQL's rows go in by COPY,
    their words written as a tsvector's text: each quoted, so taken as it is, like
    ``array_to_tsvector`` takes an array's (a word is letters and digits only, but a
    quote or backslash would be escaped too)."""
    if connection.dialect.name == "postgresql":
        copy_rows(
            connection,
            WORD_INDEX,
            "seq, words",
            ((seq, " ".join(map(_tsvector_lexeme, found))) for seq, found in rows),
        )
    else:
        connection.execute(
            _INSERT_WORDS_SQLITE, [{"seq": seq, "words": " ".join(found)} for seq, found in rows]
        )


def _tsvector_lexeme(word: str) -> str:
    return "'" + word.replace("\\", "\\\\").replace("'", "''") + "'"


def _timeline_row(event: AnyEvent, pair: str) -> dict[str, Any]:
    """The event's row in a pair's timeline."""
    return {
        "pair": pair,
        "first_day": event.first_day,
        "precision": event.precision,
        "seq": event.seq,
        "last_day": event.last_day,
        "year": dt.date.fromordinal(event.first_day).year,
        "claim_status": event.claim_status,
        "updated_at": event.updated_at,
        "document": event.document,
        "span_class": RANGE if event.end_date is not None else event.precision,
    }


@functools.lru_cache(maxsize=1024)
def pair_json(pair: CountryPair) -> dict[str, Any]:
    """The pair as pages and summaries show it, dumped once per pair (callers only read it)."""
    return {"id": pair.id, "countries": _COUNTRY_SCHEMA.dump(pair.countries)}


@dataclass(frozen=True)
class Page:
    """Rendered event documents and the cursor of the page after them; with the feed
    position read for it (``keyset_page``), that position."""

    documents: list[bytes]
    next_cursor: str | None
    position: int | None = None

    def items_json(self) -> bytes:
        return b"[" + b",".join(self.documents) + b"]"


# The rows of a page: the rendered document and the timeline-order key.
PageSelect = Select[bytes, int, int, int] | CompoundSelect[bytes, int, int, int]
Timeline = type[PairEvent] | type[Event]


_FILTER_PARAMS = frozenset(
    {"pair", "country", "status", "from_day", "to_day", "tag", "updated_since"}
)

# The filters on a timeline row's own columns, besides its keys.
_ROW_FILTERS = frozenset({"status", "updated_since"})

# The word index, as the page queries read it.
_WORDS = table(WORD_INDEX, column("rowid"), column("seq"), column("words"))


@dataclass(frozen=True)
class PairWords:
    """How a pair's page finds the words of ``q`` in ``pair_event_words``: one range
    scan in timeline order per stored word that begins the driving word of ``q``
    (the rarest), merged, each row kept when the pair's rows hold a word that begins
    each other word of ``q`` too. The sizes are how many stored words each word of
    ``q`` begins, rounded up to a power of two, so that few query shapes are built."""

    branches: int
    others: tuple[int, ...]


# How a page finds the events that hold the words of ``q`` (see _word_plan); nothing:
# a word of ``q`` begins no word of the pair's events.
WordPlan = Literal["lookup", "scan", "postgresql", "seqs", "nothing"] | PairWords
# The plans that read a word's few matches, then put them in timeline order.
_LOOKUPS = ("lookup", "seqs")

# A word query that matches fewer events than this is answered from its matches
# (found by the word index, then put in timeline order); one that matches more,
# by the timeline's keyset scan, which then finds a page's worth soon.
WORD_LOOKUP_LIMIT = 2000

# A pair's page reads pair_event_words when each word of q begins at most this many
# of the words stored for the pair, and q has at most MAX_PAIR_WORDS words; otherwise
# (q="a" in a large pair), the word index as across pairs.
MAX_EXPANSIONS = 16
MAX_PAIR_WORDS = 4


# The span class (pair_events.span_class) of events whose date has an end; the
# others' is their precision.
RANGE = 3
_SPAN_CLASSES = (*(int(precision) for precision in Precision), RANGE)


@functools.cache
def _page_statement(
    table: Timeline,
    filters: frozenset[str],
    plan: WordPlan | None,
    order: str,
    after: bool,
    limit_each: bool,
    levels: int = 0,
) -> PageSelect:
    """The page query for one combination of filters. Values are bound when it runs,
    so each shape is built and compiled once, not on every request.

    With ``from``, a pair's timeline is read as range scans merged in timeline
    order: one of ix_pair_events_span_class per span class, each from where its
    events that overlap ``from`` can start (see _from_bounds), ranges from ``from``
    on; and the ranges that began before ``from`` and run on to it, one lookup of
    ``pair_range_blocks`` for the block that holds ``from`` in each of the first
    ``levels`` levels (those the pair's ranges have blocks in).
    """
    if isinstance(plan, PairWords):
        return _pair_words_page(filters, plan, order, after, limit_each)
    if "from_day" in filters and _by_span_class(table, "tag" in filters, plan):
        branches = [
            *(_rows(table, filters, plan, order, after, c) for c in _SPAN_CLASSES),
            *(_rows(table, filters, plan, order, after, None, lv) for lv in range(levels)),
        ]
        keys = [_keys(branch) for branch in branches]
        return _with_documents(table, _merged(keys, order, union_all, limit_each), order)
    stmt = _rows(table, filters, plan, order, after, None)
    columns = tuple(stmt.selected_columns)[1:]
    if plan in _LOOKUPS:
        if plan == "seqs":
            # Ordered by expressions that no index holds, so that PostgreSQL reads the
            # few matches' rows by seq and sorts them, rather than the timeline in order.
            columns = tuple(_no_index(column) for column in columns)
        return _with_documents(table, _ordered(_keys(stmt), columns, order), order)
    return _ordered(stmt, columns, order)


def _merged(
    branches: list[Select[int, int, int]], order: str, combine: Any, limit_each: bool
) -> PageSelect:
    """A page of the branches' rows, each branch read in timeline order; ``combine`` is
    union_all, or union where the branches may hold the same row.

    SQLite merges the ordered branches itself and stops at the page's end. With
    ``limit_each`` (PostgreSQL), each branch's first page in order (an index range
    that its LIMIT stops), then the page of those: PostgreSQL, left to choose, may
    read and sort every row of the branches when it expects few.
    """
    if limit_each:
        firsts = [_ordered(b, tuple(b.selected_columns), order).subquery() for b in branches]
        branches = [select(*first.c) for first in firsts]
    merged = combine(*branches) if len(branches) > 1 else branches[0]
    return _ordered(merged, tuple(merged.selected_columns), order)


def _pair_words_page(
    filters: frozenset[str], plan: PairWords, order: str, after: bool, limit_each: bool
) -> PageSelect:
    """A pair's page of the events that hold the words of ``q`` (see PairWords)."""
    branches = [_word_rows(filters, plan, order, after, b) for b in range(plan.branches)]
    return _with_documents(PairEvent, _merged(branches, order, union, limit_each), order)


def _word_rows(
    filters: frozenset[str], plan: PairWords, order: str, after: bool, branch: int
) -> Select[int, int, int]:
    """The keys of the pair's events that hold the driving word's ``branch``-th
    stored word and a word that begins each other word of ``q``, not yet ordered."""
    found = PairEventWord
    pair: Any = bindparam("pair")
    stmt = select(found.first_day, found.precision, found.seq).where(
        found.pair == pair, found.word == bindparam(f"word_0_{branch}")
    )
    for number, size in enumerate(plan.others, start=1):
        other = aliased(PairEventWord)
        held: list[Any] = [bindparam(f"word_{number}_{index}") for index in range(size)]
        stmt = stmt.where(_held_at(other, pair, found, other.word.in_(held)))
    if "tag" in filters:
        stmt = stmt.where(_held_at(PairEventTag, pair, found, PairEventTag.tag == bindparam("tag")))
    event_filters = []
    if "status" in filters:
        event_filters.append(PairEvent.claim_status == bindparam("status"))
    if "updated_since" in filters:
        event_filters.append(PairEvent.updated_at >= bindparam("updated_since"))
    if "from_day" in filters:
        event_filters.append(PairEvent.last_day >= bindparam("from_day"))
        stmt = stmt.where(found.first_day >= bindparam("from_start"))
    if event_filters:
        stmt = stmt.where(_held_at(PairEvent, pair, found, *event_filters))
    if "to_day" in filters:
        stmt = stmt.where(found.first_day <= bindparam("to_day"))
    if after:
        stmt = stmt.where(_after(tuple(stmt.selected_columns), order))
    return stmt


def _held_at(
    table: Any, pair: Any, keyed: Any, *conditions: ColumnElement[bool]
) -> ColumnElement[bool]:
    """Whether ``table``'s row of ``pair`` at ``keyed``'s place in the timeline (one
    of them, for a table with several) meets the conditions: a lookup of that row for
    each row the page reads. Written as a scalar subquery, which PostgreSQL runs per
    row as written; it may turn an EXISTS into a join, and its generic plan for a
    prepared statement (psycopg prepares a statement run five times) joins every row
    of the other words by hash: 55,000 rows read for a page of 26, at 100,000 events."""
    first = select(literal(1)).where(_timeline_row_at(table, pair, keyed), *conditions)
    return first.limit(1).scalar_subquery().is_not(None)


def _after(columns: Sequence[Any], order: str) -> ColumnElement[bool]:
    """The rows after the cursor's (``after_*``) in the page's order."""
    start = tuple_(bindparam("after_day"), bindparam("after_precision"), bindparam("after_seq"))
    return tuple_(*columns) > start if order == "asc" else tuple_(*columns) < start


def _keys(rows: Select[str, int, int, int]) -> Select[int, int, int]:
    """The rows' keys in the timeline (first_day, precision, seq), without their documents."""
    return rows.with_only_columns(*tuple(rows.selected_columns)[1:])


def _with_documents(table: Timeline, page: PageSelect, order: str) -> PageSelect:
    """A page whose rows are found and put in order by their keys alone, with each
    row's document read by its primary key: the rows a page passes over or sorts
    (a month of the timeline read by span class and merged, a word's matches) are
    then index entries, and only the page's own documents are read."""
    keys = page.subquery("page")
    key = (keys.c.first_day, keys.c.precision, keys.c.seq)
    if table is PairEvent:
        row = _timeline_row_at(PairEvent, bindparam("pair"), keys.c)
    else:
        row = Event.seq == keys.c.seq
    document = select(utf8_bytes(table.document)).where(row).scalar_subquery()
    found = select(document, *key).select_from(keys)
    return found.order_by(*(c.asc() if order == "asc" else c.desc() for c in key))


def _timeline_row_at(table: Any, pair: Any, keyed: Any) -> ColumnElement[bool]:
    """The condition for a row of ``table`` (``pair_events`` or a table keyed like it)
    of ``pair`` at ``keyed``'s place in the timeline (its first_day, precision and
    seq): the rest of the table's primary key."""
    return and_(
        table.pair == pair,
        table.first_day == keyed.first_day,
        table.precision == keyed.precision,
        table.seq == keyed.seq,
    )


def _by_span_class(table: Timeline, by_tag: bool, plan: WordPlan | None) -> bool:
    """Whether ``from`` reads a pair's timeline by span class and range blocks: unless
    a tag's index or a word's matches are read instead."""
    return (
        table is PairEvent
        and not by_tag
        and plan not in _LOOKUPS
        and not isinstance(plan, PairWords)
    )


def _ordered(stmt: Any, columns: Sequence[Any], order: str) -> PageSelect:
    """The rows in timeline order (or its reverse), a page of them."""
    stmt = stmt.order_by(*(c.asc() if order == "asc" else c.desc() for c in columns))
    return stmt.limit(bindparam("limit"))


def _rows(
    table: Timeline,
    filters: frozenset[str],
    plan: WordPlan | None,
    order: str,
    after: bool,
    span_class: int | None,
    level: int | None = None,
) -> Select[str, int, int, int]:
    """The rows of a page, not yet ordered; with a span class, of that class only;
    with a level, the ranges that hold ``from`` in their block of that level.

    The rows are read in the order of an index that the filters select from: the
    timeline's primary key; with ``status``, ix_pair_events_status; with ``tag``,
    the primary key of ``pair_event_tags``; with words to find, the word index's
    matches (then sorted: there are few) or the timeline's order, checking each
    row's words.
    """
    by_tag = "tag" in filters and table is PairEvent and plan not in _LOOKUPS
    keyed: Any = PairRangeBlock if level is not None else PairEventTag if by_tag else table
    # A range block's rows are keys alone (the caller reads documents by key) unless a
    # filter reads the timeline row: joining it in every level's branch cost
    # PostgreSQL 3.4 ms to plan a month's page, against 1.2 ms without (11 levels).
    reads_row = level is None or plan is not None or bool(filters & _ROW_FILTERS)
    document: Any = utf8_bytes(table.document) if reads_row else null()
    stmt = select(document, keyed.first_day, keyed.precision, keyed.seq)
    if level is not None:
        stmt = stmt.select_from(PairRangeBlock)
        if reads_row:
            stmt = stmt.join(
                PairEvent, _timeline_row_at(PairEvent, PairRangeBlock.pair, PairRangeBlock)
            )
        stmt = stmt.where(
            PairRangeBlock.pair == bindparam("pair"),
            PairRangeBlock.level == level,
            PairRangeBlock.block == bindparam(f"block_{level}"),
            # Those that begin on or after from are read with their span class.
            PairRangeBlock.first_day < bindparam("from_day"),
        )
    elif by_tag:
        stmt = stmt.select_from(PairEventTag).join(
            PairEvent, _timeline_row_at(PairEvent, PairEventTag.pair, PairEventTag)
        )
        stmt = stmt.where(
            PairEventTag.pair == bindparam("pair"), PairEventTag.tag == bindparam("tag")
        )
    elif "tag" in filters:
        stmt = stmt.where(
            exists().where(EventTag.event_seq == table.seq, EventTag.tag == bindparam("tag"))
        )
    # SQLite's planner cannot tell how many events match: a unary + (a no-op) on one
    # side of a term keeps it from choosing the other way round.
    if plan == "lookup":
        # Every match (few), then its timeline row by seq, then sorted.
        stmt = stmt.select_from(_WORDS).join(table, table.seq == _no_index(_WORDS.c.rowid))
        stmt = stmt.where(literal_column(WORD_INDEX).match(bindparam("match")))
    elif plan == "scan":
        # The timeline in order, each row checked against the matches (many).
        found = select(_WORDS.c.rowid).where(literal_column(WORD_INDEX).match(bindparam("match")))
        stmt = stmt.where(_no_index(table.seq).in_(found))
    elif plan == "postgresql":
        stmt = stmt.where(table.seq.in_(select(_WORDS.c.seq).where(_PG_MATCHES)))
    elif plan == "seqs":
        # PostgreSQL, few matches, found beforehand: their rows by seq, then sorted. (Its
        # planner, left to choose, scans the whole timeline in order for a rare word.)
        stmt = stmt.where(table.seq == any_(bindparam("seqs", type_=ARRAY(Integer))))
    if table is Event:
        stmt = stmt.where(Event.deleted_at.is_(None))
    if "pair" in filters and not by_tag and level is None:
        # A word's matches (SQLite) are each looked up by seq, not the pair's rows
        # read for each of them.
        pair = _no_index(PairEvent.pair) if plan == "lookup" else PairEvent.pair
        stmt = stmt.where(pair == bindparam("pair"))
    if "country" in filters:
        stmt = stmt.where(
            exists().where(
                EventCountry.event_seq == Event.seq, EventCountry.code == bindparam("country")
            )
        )
    if "status" in filters:
        stmt = stmt.where(table.claim_status == bindparam("status"))
    if span_class is not None:
        # The events of a precision that overlap from start on or after the first day of
        # from's year, month or day, and all those that start then overlap it; the
        # ranges, from from on.
        stmt = stmt.where(
            PairEvent.span_class == span_class,
            keyed.first_day >= bindparam(f"from_{span_class}"),
        )
    elif "from_day" in filters and level is None:
        stmt = stmt.where(
            table.last_day >= bindparam("from_day"),
            keyed.first_day >= bindparam("from_start"),
        )
    if "to_day" in filters:
        stmt = stmt.where(keyed.first_day <= bindparam("to_day"))
    if "updated_since" in filters:
        stmt = stmt.where(table.updated_at >= bindparam("updated_since"))
    columns = (keyed.first_day, keyed.precision, keyed.seq)
    if after:
        stmt = stmt.where(_after(columns, order))
    return stmt


def _no_index(expression: Any) -> ColumnElement[Any]:
    """The expression with a unary + before it: the same value, but SQLite no longer
    reads an index (or the word index's rowid) for a term that holds it."""
    return UnaryExpression(expression, operator=custom_op("+"), type_=expression.type)


# Dates without an end run at most a year: last day - first day <= 365.
_YEAR_SPAN = 365


# The longest span of a pair's ranges, and of any event's dates: one seek of
# ix_pair_events_span, of ix_events_span.
_PAIR_SPAN = (PairEvent.last_day - PairEvent.first_day).label("span")
_LONGEST_PAIR_RANGE = (
    select(_PAIR_SPAN)
    .where(PairEvent.pair == bindparam("pair"), PairEvent.span_class == RANGE)
    .order_by(_PAIR_SPAN.desc())
    .limit(1)
)
_EVENT_SPAN = (Event.last_day - Event.first_day).label("span")
_LONGEST_SPAN = select(_EVENT_SPAN).order_by(_EVENT_SPAN.desc()).limit(1)


def _from_bounds(table: Timeline, first: dt.date, by_class: bool, params: dict[str, Any]) -> int:
    """Bind where the scans of the ``from`` filter start; return how many levels of
    range blocks the page reads (see _page_statement).

    Read by span class (``by_class``, see _page_statement): the first day of
    ``from``'s year, month or day for the dates without an end (every such event
    that starts then overlaps ``from``), ``from`` itself for the ranges, and the
    blocks of days that hold ``from`` for the ranges that began before it, in the
    levels that the pair's longest range has blocks in: each level costs PostgreSQL
    a branch to plan (all 22 levels, about 5 ms a request until it settles on a
    generic plan). Read as one scan: ``from`` minus the longest span of the pair's
    ranges (and at least a year), or of any event's dates across pairs, as no event
    that overlaps ``from`` starts earlier.
    """
    from_day = first.toordinal()
    params["from_day"] = from_day
    longest_range: int | None = None
    if table is PairEvent:
        rows = fetch_rows(_LONGEST_PAIR_RANGE, {"pair": params["pair"]})
        longest_range = rows[0][0] if rows else None
    if by_class:
        params[f"from_{Precision.YEAR:d}"] = first.replace(month=1, day=1).toordinal()
        params[f"from_{Precision.MONTH:d}"] = first.replace(day=1).toordinal()
        params[f"from_{Precision.DAY:d}"] = from_day
        params[f"from_{RANGE}"] = from_day
        levels = 0 if longest_range is None else range_levels(longest_range)
        for level in range(levels):
            params[f"block_{level}"] = block_holding(from_day, level)
        return levels
    if table is PairEvent:
        longest = max(longest_range or 0, _YEAR_SPAN)
    else:
        rows = fetch_rows(_LONGEST_SPAN, {})
        longest = rows[0][0] if rows else 0
    params["from_start"] = from_day - longest
    return 0


def _as_stored(column: Any, value: Any) -> Any:
    """The value as the column's type hands it to the driver (``fetch_rows`` runs no
    type's conversion): a time in UTC, and on SQLite the text SQLAlchemy stores."""
    dialect = read_dialect()
    convert = column.type.dialect_impl(dialect).bind_processor(dialect)
    return convert(value) if convert is not None else value


def _word_plan(table: Timeline, found: list[str], params: dict[str, Any]) -> WordPlan:
    """Bind the query that finds the words, and choose how the page reads it.

    A pair's page reads ``pair_event_words`` (see _pair_words_plan) unless ``q``
    has too many words, or a word that begins too many. Otherwise (and across pairs):
    On SQLite, every word must begin a word of the event (an FTS5 query of
    prefixes); its matches are counted up to ``WORD_LOOKUP_LIMIT`` to choose
    between reading them all then sorting them (few), and scanning the timeline in
    order, each row checked against them (many). On
    PostgreSQL, the same as a tsquery of prefixes, whose matches up to that limit are
    read first: the page then reads their rows by seq; with more, its planner chooses.
    """
    if table is PairEvent and len(found) <= MAX_PAIR_WORDS:
        plan = _pair_words_plan(found, params)
        if plan is not None:
            return plan
    if read_dialect().name == "postgresql":
        params["match"] = " & ".join(f"'{word}':*" for word in found)
        seqs = [seq for (seq,) in fetch_rows(_PG_WORD_MATCHES, {"match": params["match"]})]
        if len(seqs) < WORD_LOOKUP_LIMIT:
            params["seqs"] = seqs
            return "seqs"
        return "postgresql"
    match = " AND ".join(f'"{word}"*' for word in found)
    params["match"] = match
    ((matches,),) = fetch_rows(_COUNT_MATCHES, {"match": match, "limit": WORD_LOOKUP_LIMIT})
    return "lookup" if matches < WORD_LOOKUP_LIMIT else "scan"


def _pair_words_plan(found: list[str], params: dict[str, Any]) -> WordPlan | None:
    """Bind the stored words of the pair that each word of ``q`` begins, and choose
    the driving word: the one that the fewest of the pair's events hold (counted up
    to WORD_LOOKUP_LIMIT, when there are several), then the one that begins the
    fewest stored words. None when a word begins more than MAX_EXPANSIONS."""
    held = []
    for word in found:
        # The words that begin with word: from it up to the next prefix of its length.
        bounds = {"pair": params["pair"], "low": word, "high": word[:-1] + chr(ord(word[-1]) + 1)}
        stored = [w for (w,) in fetch_rows(_WORDS_BEGINNING, {**bounds, "limit": MAX_EXPANSIONS})]
        if not stored:
            return "nothing"
        if len(stored) > MAX_EXPANSIONS:
            return None
        count = 0
        if len(found) > 1:
            ((count,),) = fetch_rows(_COUNT_HOLDING, {**bounds, "limit": WORD_LOOKUP_LIMIT})
        held.append((count, len(stored), stored))
    held.sort(key=lambda counted: counted[:2])
    (_count, _size, driving), *others = held
    branches = _power_of_two(len(driving))
    # The driving word's missing branches read the word '', which no event holds.
    for index, word in enumerate(driving + [""] * (branches - len(driving))):
        params[f"word_0_{index}"] = word
    sizes = []
    for number, (_count, _size, stored) in enumerate(others, start=1):
        sizes.append(_power_of_two(len(stored)))
        for index, word in enumerate(stored + stored[-1:] * (sizes[-1] - len(stored))):
            params[f"word_{number}_{index}"] = word
    return PairWords(branches, tuple(sizes))


def _power_of_two(number: int) -> int:
    """The least power of two that is at least ``number`` (>= 1)."""
    return 1 << (number - 1).bit_length()


# The first limit + 1 stored words of a pair from low up to high, each found by one
# seek of the primary key (a skip scan: not every row of every word).
_WORDS_BEGINNING = text(
    "WITH RECURSIVE found(word, n) AS ("
    " SELECT min(word), 1 FROM pair_event_words"
    " WHERE pair = :pair AND word >= :low AND word < :high"
    " UNION ALL"
    " SELECT (SELECT min(word) FROM pair_event_words"
    " WHERE pair = :pair AND word > found.word AND word < :high), n + 1"
    " FROM found WHERE found.word IS NOT NULL AND n <= :limit)"
    " SELECT word FROM found WHERE word IS NOT NULL"
)

# How many of a pair's rows hold a word from low up to high, counted up to limit.
_COUNT_HOLDING = text(
    "SELECT count(*) FROM (SELECT 1 FROM pair_event_words"
    " WHERE pair = :pair AND word >= :low AND word < :high LIMIT :limit) AS held"
)

_PG_MATCHES = _WORDS.c.words.bool_op("@@")(cast(bindparam("match"), TSQUERY))

_PG_WORD_MATCHES = select(_WORDS.c.seq).where(_PG_MATCHES).limit(WORD_LOOKUP_LIMIT)

_COUNT_MATCHES = text(
    f"SELECT count(*) FROM (SELECT 1 FROM {WORD_INDEX} "
    f"WHERE {WORD_INDEX} MATCH :match LIMIT :limit)"
)


@dataclass(frozen=True)
class PositionRead:
    """The read of a last position of the sync feed (``feed.position_read``), which
    validates a page (its ETag): a statement of one row and one column, and its values."""

    stmt: Select[int]
    params: dict[str, Any]


def read_position(read: PositionRead) -> int:
    ((position,),) = fetch_rows(read.stmt, read.params)
    return int(position)


@functools.lru_cache(maxsize=512)
def _with_position(stmt: Select[Any], position: Select[int]) -> Select[Any]:
    """The page's statement with the position as its last column: one statement, so
    one snapshot, reads both (built once per page shape, like the page's)."""
    return stmt.add_columns(position.scalar_subquery())


def keyset_page(
    table: Timeline, args: dict[str, Any], position: PositionRead | None = None, **bound: Any
) -> Page:
    """One page in timeline order (or its reverse), after the cursor's row.

    With ``position``, the page also holds that position, read no later than its
    rows, so that an ETag made of it is never newer than the page: in the page's own
    statement when that is the page's only read (one round trip, not two), else
    before any of its reads (``q`` and ``from`` look up words and bounds first).
    """
    read_first = "q" in args or "from_" in args
    at = read_position(position) if position is not None and read_first else None
    order = args["order"]
    params: dict[str, Any] = {**bound, "limit": args["limit"] + 1}
    if "status" in args:
        params["status"] = args["status"].value
    if "to" in args:
        params["to_day"] = PartialDate.parse(args["to"]).last_day().toordinal()
    if "tag" in args:
        params["tag"] = args["tag"].lower()
    if "updated_since" in args:
        params["updated_since"] = _as_stored(table.updated_at, args["updated_since"])
    found = words(args["q"]) if "q" in args else None
    if found == []:
        return Page([], None, at)  # no word to find: nothing matches
    plan = _word_plan(table, found, params) if found else None
    if plan == "nothing":
        return Page([], None, at)
    levels = 0
    if "from_" in args:
        levels = _from_bounds(
            table,
            PartialDate.parse(args["from_"]).first_day(),
            _by_span_class(table, "tag" in args, plan),
            params,
        )
    if "cursor" in args:
        after = decode_cursor(args["cursor"], TIMELINE_KEY)
        params.update(zip(("after_day", "after_precision", "after_seq"), after, strict=True))
    filters = _FILTER_PARAMS.intersection(params)
    limit_each = read_dialect().name == "postgresql"
    stmt = _page_statement(table, filters, plan, order, "cursor" in args, limit_each, levels)
    if position is None or read_first:
        rows = fetch_rows(stmt, params)
    else:
        assert isinstance(stmt, Select)  # without q and from, one plain SELECT
        rows = fetch_rows(_with_position(stmt, position.stmt), {**params, **position.params})
        if rows:
            at = rows[0][-1]
        else:
            # No row to carry the position: read it, then the page again after it.
            at = read_position(position)
            rows = fetch_rows(stmt, params)
    next_cursor = None
    if len(rows) > args["limit"]:
        rows = rows[: args["limit"]]
        next_cursor = encode_cursor(*rows[-1][1:4])
    return Page([row[0] for row in rows], next_cursor, at)


def timeline_page(
    pair: CountryPair, args: dict[str, Any], position: PositionRead | None = None
) -> Page:
    return keyset_page(PairEvent, args, position, pair=pair.id)


def pair_filter(text: str) -> CountryPair:
    """The pair of a ``pair`` query parameter; a 422 field error when it names none."""
    try:
        return CountryPair.parse(text)
    except ValueError as error:
        raise invalid_field("pair", str(error)) from None


SeqRow = TypeVar("SeqRow", Event, Source)


def seq_page(
    stmt: Select[SeqRow], model: type[SeqRow], args: dict[str, Any]
) -> tuple[list[SeqRow], str | None]:
    """A page of rows in creation order (by ``seq``) after the cursor, and the next cursor."""
    if "cursor" in args:
        (after,) = decode_cursor(args["cursor"], SEQ_KEY)
        stmt = stmt.where(model.seq > after)
    rows = list(db.session.scalars(stmt.order_by(model.seq).limit(args["limit"] + 1)))
    if len(rows) <= args["limit"]:
        return rows, None
    rows = rows[: args["limit"]]
    return rows, encode_cursor(rows[-1].seq)


def event_page(args: dict[str, Any], position: PositionRead | None = None) -> Page:
    """Search across pairs; a pair filter reads that pair's timeline."""
    if "pair" in args:
        return timeline_page(pair_filter(args["pair"]), args, position)
    if "country" in args:
        return keyset_page(Event, args, position, country=args["country"].code)
    return keyset_page(Event, args, position)


# The claim statuses, in the order a summary lists them.
_STATUSES = tuple(status.value for status in ClaimStatus)


def _status_counts() -> dict[str, int]:
    return dict.fromkeys(_STATUSES, 0)


_PAIR: BindParameter[str] = bindparam("pair")
# A pair's counts, read as one statement (one snapshot of them, one round trip): each
# row's first column says what it holds: a year and claim status's count (YEAR), a
# tag's (TAG), or the span of the pair's dates (SPAN).
_YEAR, _TAG, _SPAN = 0, 1, 2
_SUMMARY_ROWS: CompoundSelect[Any] = union_all(
    select(
        literal_column(str(_YEAR)),
        PairYearCount.year,
        PairYearCount.claim_status,
        PairYearCount.count,
        cast(null(), Integer),
    ).where(PairYearCount.pair == _PAIR),
    select(
        literal_column(str(_TAG)),
        cast(null(), Integer),
        PairTagCount.tag,
        PairTagCount.count,
        cast(null(), Integer),
    ).where(PairTagCount.pair == _PAIR),
    select(
        literal_column(str(_SPAN)),
        PairCount.first_day,
        cast(null(), String),
        cast(null(), Integer),
        PairCount.last_day,
    ).where(PairCount.pair == _PAIR),
)


def timeline_summary(pair: CountryPair) -> dict[str, Any]:
    """A pair's counts: by year and claim status, by tag, and the span of its dates.

    Read from the counts that the write path keeps (``pair_counts``): one small
    range of rows per kind of count, whatever the size of the timeline.
    """
    by_year: defaultdict[int, dict[str, int]] = defaultdict(_status_counts)
    tags: list[tuple[str, int]] = []
    first = last = None
    for kind, number, name, count, last_day in fetch_rows(_SUMMARY_ROWS, {"pair": pair.id}):
        if kind == _YEAR:
            by_year[number][name] = count
        elif kind == _TAG:
            tags.append((name, count))
        else:
            first, last = number, last_day
    years = dict(sorted(by_year.items()))
    by_status = _status_counts()
    for counts in years.values():
        for status, count in counts.items():
            by_status[status] += count
    # Ordered here rather than in SQL: the database's collation would order tags
    # differently on each backend; code-point order is the same everywhere.
    by_tag = sorted(tags, key=lambda row: (-row[1], row[0]))
    return {
        "pair": pair_json(pair),
        "total": sum(by_status.values()),
        "by_status": by_status,
        "by_year": [
            {"year": year, "count": sum(counts.values()), "by_status": counts}
            for year, counts in years.items()
        ],
        "by_tag": [{"tag": tag, "count": count} for tag, count in by_tag],
        "first_date": day_from_ordinal(first) if first is not None else None,
        "last_date": day_from_ordinal(last) if last is not None else None,
    }


# A pair's place in the pair list's cursor: its two alpha-2 codes, four letters
# read as a number in base 26, which orders as the pair ids do.
_LETTERS = 26
_PAIR_NUMBERS = _LETTERS**4


def _pair_number(pair_id: str) -> int:
    number = 0
    for letter in pair_id.replace("-", ""):
        number = number * _LETTERS + ord(letter) - ord("A")
    return number


def _pair_at(number: int) -> str:
    """The pair id (real or not) at a cursor's number; past the last, "ZZ-ZZ", which
    sorts after every real pair."""
    number = min(number, _PAIR_NUMBERS - 1)
    letters = ""
    for _ in range(4):
        number, digit = divmod(number, _LETTERS)
        letters = chr(ord("A") + digit) + letters
    return f"{letters[:2]}-{letters[2:]}"


# The pair list's sorts other than by pair id, and the column each sorts by.
_PAIR_SORT_COLUMNS = {
    "event_count": "event_count",
    "first_date": "first_day",
    "last_date": "last_day",
}


def pair_page(args: dict[str, Any]) -> Page:
    """A page of the pairs that have events, with their counts and date spans.

    Sorted by ``args["sort"]`` in ``args["order"]``; pairs that tie on the sort
    value follow in ascending pair id, so the order is total and a cursor
    (the last pair's sort value and pair number) resumes it exactly.
    """
    pairs = PairCount.__table__
    sort_value = None if args["sort"] == "pair" else pairs.c[_PAIR_SORT_COLUMNS[args["sort"]]]
    descending = args["order"] == "desc"
    pair = pairs.c.pair
    stmt = select(pairs)
    if "cursor" in args:
        after_value, after_number = decode_cursor(args["cursor"], PAIR_LIST_KEY)
        after_pair = _pair_at(after_number)
        if sort_value is None:
            stmt = stmt.where(pair < after_pair if descending else pair > after_pair)
        else:
            # The bound alone lets the sort's index start at the cursor's value.
            bound = sort_value <= after_value if descending else sort_value >= after_value
            beyond = sort_value < after_value if descending else sort_value > after_value
            stmt = stmt.where(
                bound, or_(beyond, and_(sort_value == after_value, pair > after_pair))
            )
    if sort_value is None:
        stmt = stmt.order_by(pair.desc() if descending else pair.asc())
    else:
        stmt = stmt.order_by(sort_value.desc() if descending else sort_value.asc(), pair.asc())
    rows = db.session.execute(stmt.limit(args["limit"] + 1)).all()
    next_cursor = None
    if len(rows) > args["limit"]:
        rows = rows[: args["limit"]]
        last = rows[-1]
        value = 0 if sort_value is None else last._mapping[sort_value.name]
        next_cursor = encode_cursor(value, _pair_number(last.pair))
    documents = [
        orjson.dumps(
            {
                **pair_json(CountryPair.parse(row.pair)),
                "event_count": row.event_count,
                "first_date": day_from_ordinal(row.first_day),
                "last_date": day_from_ordinal(row.last_day),
            }
        )
        for row in rows
    ]
    return Page(documents, next_cursor)
