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
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import orjson
from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    and_,
    bindparam,
    cast,
    delete,
    exists,
    func,
    or_,
    select,
    tuple_,
)
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.compiler import SQLCompiler

from .compiled_dump import compile_dump
from .cursors import PAIR_LIST_KEY, SEQ_KEY, TIMELINE_KEY, decode_cursor, encode_cursor
from .db import db, insert_rows, read_connection
from .domain.claims import ClaimStatus
from .domain.countries import CountryPair, pair_ids
from .domain.dates import PartialDate, day_from_ordinal
from .errors import invalid_field
from .models import (
    AnyEvent,
    Event,
    EventCountry,
    EventTag,
    PairCount,
    PairEvent,
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


def write_timeline_rows(connection: Connection, event: Event, counts: CountChanges | None) -> None:
    """Rewrite the event's rows in ``pair_events`` (none once it is deleted), and
    note in ``counts`` what the rows that go take from their pairs' counts and what
    the new ones add (no counts: a rebuild, which counts every pair afterwards)."""
    stmt = delete(PairEvent).where(PairEvent.seq == event.seq)
    if counts is None:
        connection.execute(stmt)
        insert_timeline_rows(connection, [event], CountChanges())
        return
    removed = connection.execute(
        stmt.returning(PairEvent.pair, PairEvent.year, PairEvent.claim_status, PairEvent.document)
    )
    for pair, year, status, document in removed:
        # The row's document is the event as it was: its tags then.
        counts.count_out(pair, year, status, orjson.loads(document)["tags"])
    insert_timeline_rows(connection, [event], counts)


def insert_timeline_rows(
    connection: Connection, events: Sequence[AnyEvent], counts: CountChanges
) -> None:
    """Insert the derived rows of events (their rows in ``pair_events``), one
    statement per table, and note in ``counts`` what they add to their pairs' counts:
    the one place every write path (a flush's events through
    ``write_timeline_rows``, an import's batch through ``changes.insert_new_events``)
    writes them. Either kind of event (``AnyEvent``) offers what derived rows are
    made of: its pairs (``country_codes``), ``first_day``, ``precision``, ``seq``,
    ``last_day``, ``claim_status``, ``tag_names``, ``title``, ``summary``, ``actors``,
    ``updated_at``, ``deleted_at`` and ``document``."""
    rows = []
    for event in events:
        event_rows = _timeline_rows(event)
        tags = event.tag_names
        for row in event_rows:
            counts.count_in(
                row["pair"],
                row["year"],
                row["claim_status"],
                tags,
                (event.first_day, event.last_day),
            )
        rows += event_rows
    insert_rows(connection, PairEvent, rows)


def _timeline_rows(event: AnyEvent) -> list[dict[str, Any]]:
    """The event's rows in ``pair_events``: one per pair, none once it is deleted."""
    if event.deleted_at is not None:
        return []
    first = dt.date.fromordinal(event.first_day)
    return [
        {
            "pair": pair,
            "first_day": event.first_day,
            "precision": event.precision,
            "seq": event.seq,
            "last_day": event.last_day,
            "year": first.year,
            "claim_status": event.claim_status,
            "updated_at": event.updated_at,
            "document": event.document,
        }
        for pair in pair_ids(event.country_codes)
    ]


@functools.lru_cache(maxsize=1024)
def pair_json(pair: CountryPair) -> dict[str, Any]:
    """The pair as pages and summaries show it, dumped once per pair (callers only read it)."""
    return {"id": pair.id, "countries": _COUNTRY_SCHEMA.dump(pair.countries)}


@dataclass(frozen=True)
class Page:
    """Rendered event documents and the cursor of the page after them."""

    documents: list[str]
    next_cursor: str | None

    def items_json(self) -> str:
        return "[" + ",".join(self.documents) + "]"


# The rows of a page: the rendered document and the timeline-order key.
PageSelect = Select[str, int, int, int]
Timeline = type[PairEvent] | type[Event]


_FILTER_PARAMS = frozenset(
    {"pair", "country", "status", "from_day", "to_day", "tag", "updated_since"}
)


@functools.cache
def _page_statement(
    table: Timeline, filters: frozenset[str], words: int, order: str, after: bool
) -> PageSelect:
    """The page query for one combination of filters. Values are bound when it runs,
    so each shape is built and compiled once, not on every request."""
    stmt = select(table.document, table.first_day, table.precision, table.seq)
    if table is Event:
        stmt = stmt.where(Event.deleted_at.is_(None))
    if "pair" in filters:
        stmt = stmt.where(PairEvent.pair == bindparam("pair"))
    if "country" in filters:
        stmt = stmt.where(
            exists().where(
                EventCountry.event_seq == Event.seq, EventCountry.code == bindparam("country")
            )
        )
    if "status" in filters:
        stmt = stmt.where(table.claim_status == bindparam("status"))
    if "from_day" in filters:
        stmt = stmt.where(table.last_day >= bindparam("from_day"))
    if "to_day" in filters:
        stmt = stmt.where(table.first_day <= bindparam("to_day"))
    if "tag" in filters:
        stmt = stmt.where(
            exists().where(EventTag.event_seq == table.seq, EventTag.tag == bindparam("tag"))
        )
    if "updated_since" in filters:
        stmt = stmt.where(table.updated_at >= bindparam("updated_since"))
    if words:
        stmt = stmt.where(_matches_words(table, words))
    key = tuple_(table.first_day, table.precision, table.seq)
    if after:
        start = tuple_(bindparam("after_day"), bindparam("after_precision"), bindparam("after_seq"))
        stmt = stmt.where(key > start if order == "asc" else key < start)
    columns = (table.first_day, table.precision, table.seq)
    stmt = stmt.order_by(*(c.asc() if order == "asc" else c.desc() for c in columns))
    return stmt.limit(bindparam("limit"))


def _matches_words(table: Timeline, words: int) -> ColumnElement[bool]:
    """Each of the bound words appears in the title, summary or actors (any case)."""
    searchable = func.lower(Event.title + " " + Event.summary + " " + cast(Event.actors, String))
    matches = [searchable.like(bindparam(f"word_{i}"), escape="\\") for i in range(words)]
    if table is Event:
        return and_(*matches)
    return exists().where(Event.seq == table.seq, *matches)


def _as_stored(column: Any, value: Any) -> Any:
    """The value as the column's type hands it to the driver (``_fetch`` runs no
    type's conversion): a time in UTC, and on SQLite the text SQLAlchemy stores."""
    dialect = db.session.get_bind().dialect
    convert = column.type.dialect_impl(dialect).bind_processor(dialect)
    return convert(value) if convert is not None else value


def _like_pattern(word: str) -> str:
    escaped = word.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def keyset_page(table: Timeline, args: dict[str, Any], **bound: Any) -> Page:
    """One page in timeline order (or its reverse), after the cursor's row."""
    order = args["order"]
    params: dict[str, Any] = {**bound, "limit": args["limit"] + 1}
    if "status" in args:
        params["status"] = args["status"].value
    if "from_" in args:
        params["from_day"] = PartialDate.parse(args["from_"]).first_day().toordinal()
    if "to" in args:
        params["to_day"] = PartialDate.parse(args["to"]).last_day().toordinal()
    if "tag" in args:
        params["tag"] = args["tag"].lower()
    if "updated_since" in args:
        params["updated_since"] = _as_stored(table.updated_at, args["updated_since"])
    words = args["q"].split() if "q" in args else []
    params.update((f"word_{i}", _like_pattern(word)) for i, word in enumerate(words))
    if "cursor" in args:
        after = decode_cursor(args["cursor"], TIMELINE_KEY)
        params.update(zip(("after_day", "after_precision", "after_seq"), after, strict=True))
    filters = _FILTER_PARAMS.intersection(params)
    stmt = _page_statement(table, filters, len(words), order, "cursor" in args)
    rows = _fetch(stmt, params)
    next_cursor = None
    if len(rows) > args["limit"]:
        rows = rows[: args["limit"]]
        _document, *key = rows[-1]
        next_cursor = encode_cursor(*key)
    return Page([row[0] for row in rows], next_cursor)


@functools.lru_cache(maxsize=256)
def _compiled(stmt: PageSelect, dialect: Dialect) -> SQLCompiler:
    compiled = stmt.compile(dialect=dialect)
    assert isinstance(compiled, SQLCompiler)
    return compiled


def _fetch(stmt: PageSelect, params: dict[str, Any]) -> Sequence[Any]:
    """A page's rows, read with the driver's cursor (``db.read_connection``).

    SQLAlchemy's execution (cache key, context, Row objects) costs more than the
    query itself for a page of plain text and integer columns (about an eighth of
    a request): the statement is compiled once per shape and dialect and run
    directly. None of these columns' types converts values on the way in or out.
    Driver errors are still raised as SQLAlchemy's DBAPIError.
    """
    with read_connection() as connection:
        dialect = connection.dialect
        compiled = _compiled(stmt, dialect)
        values: Any = compiled.construct_params(params)
        if compiled.positional:
            values = [values[name] for name in compiled.positiontup or ()]
        cursor = connection.dbapi.cursor()
        try:
            cursor.execute(compiled.string, values)
            return cursor.fetchall()
        except dialect.loaded_dbapi.Error as error:
            # As SQLAlchemy's own execution does: a connection the database dropped
            # is invalidated, so that neither teardown nor the pool uses it again.
            lost = dialect.is_disconnect(error, connection.dbapi.dbapi_connection, cursor)
            if lost:
                connection.invalidate(error)
            raise DBAPIError.instance(
                compiled.string,
                values,
                error,
                dialect.loaded_dbapi.Error,
                connection_invalidated=lost,
                dialect=dialect,
            ) from error
        finally:
            cursor.close()


def timeline_page(pair: CountryPair, args: dict[str, Any]) -> Page:
    return keyset_page(PairEvent, args, pair=pair.id)


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


def event_page(args: dict[str, Any]) -> Page:
    """Search across pairs; a pair filter reads that pair's timeline."""
    if "pair" in args:
        return timeline_page(pair_filter(args["pair"]), args)
    if "country" in args:
        return keyset_page(Event, args, country=args["country"].code)
    return keyset_page(Event, args)


def _status_counts() -> dict[str, int]:
    return dict.fromkeys((status.value for status in ClaimStatus), 0)


def timeline_summary(pair: CountryPair) -> dict[str, Any]:
    """A pair's counts: by year and claim status, by tag, and the span of its dates.

    Read from the counts that the write path keeps (``pair_counts``): one small
    range of rows per kind of count, whatever the size of the timeline.
    """
    years: dict[int, dict[str, int]] = {}
    for year, status, count in db.session.execute(
        select(PairYearCount.year, PairYearCount.claim_status, PairYearCount.count)
        .where(PairYearCount.pair == pair.id)
        .order_by(PairYearCount.year)
    ):
        years.setdefault(year, _status_counts())[status] = count
    by_status = _status_counts()
    for counts in years.values():
        for status, count in counts.items():
            by_status[status] += count
    tags = db.session.execute(
        select(PairTagCount.tag, PairTagCount.count).where(PairTagCount.pair == pair.id)
    )
    # Ordered here rather than in SQL: the database's collation would order tags
    # differently on each backend; code-point order is the same everywhere.
    by_tag = sorted(tags, key=lambda row: (-row[1], row[0]))
    span = db.session.execute(
        select(PairCount.first_day, PairCount.last_day).where(PairCount.pair == pair.id)
    ).one_or_none()
    first, last = span if span is not None else (None, None)
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
        ).decode()
        for row in rows
    ]
    return Page(documents, next_cursor)
