"""The read path: events rendered once at write time, pages read by keyset.

Every change to an event re-renders its JSON with the event schema and rewrites
its rows in ``pair_events`` (one per pair among its countries). A timeline page
is then one range scan of that table's primary key, and the response body is
the stored documents joined together: nothing is re-serialised on read.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    and_,
    cast,
    delete,
    exists,
    func,
    insert,
    select,
    tuple_,
)

from .cursors import decode_cursor, encode_cursor
from .db import db
from .domain.claims import ClaimStatus
from .domain.countries import CountryPair, pair_ids
from .domain.dates import PartialDate, day_from_ordinal
from .errors import BadRequest
from .models import Event, EventCountry, EventTag, PairEvent
from .schemas import CountrySchema, EventSchema

_EVENT_SCHEMA = EventSchema()
_COUNTRY_SCHEMA = CountrySchema(many=True)


def refresh(event: Event) -> None:
    """Re-render an event and rewrite its timeline rows (none once it is deleted)."""
    db.session.flush()
    event.document = orjson.dumps(_EVENT_SCHEMA.dump(event)).decode()
    db.session.execute(delete(PairEvent).where(PairEvent.seq == event.seq))
    if event.deleted_at is not None:
        return
    first = dt.date.fromordinal(event.first_day)
    rows = [
        {
            "pair": pair,
            "first_day": event.first_day,
            "precision": event.precision,
            "seq": event.seq,
            "last_day": event.last_day,
            "year": first.year,
            "claim_status": event.claim_status,
            "document": event.document,
        }
        for pair in pair_ids(event.country_codes)
    ]
    if rows:
        db.session.execute(insert(PairEvent), rows)


def pair_json(pair: CountryPair) -> dict[str, Any]:
    return {"id": pair.id, "countries": _COUNTRY_SCHEMA.dump(pair.countries)}


@dataclass(frozen=True)
class Page:
    """Rendered event documents and the cursor of the page after them."""

    documents: list[str]
    next_cursor: str | None

    def items_json(self) -> str:
        return "[" + ",".join(self.documents) + "]"


_CURSOR_SHAPE = (str, int, int, int)
# The rows of a page: the rendered document and the timeline-order key.
PageSelect = Select[str, int, int, int]
Timeline = type[PairEvent] | type[Event]


def _filtered(table: Timeline, stmt: PageSelect, args: dict[str, Any]) -> PageSelect:
    """Apply the filters shared by timelines and event search."""
    if "status" in args:
        stmt = stmt.where(table.claim_status == args["status"].value)
    if "from_" in args:
        stmt = stmt.where(
            table.last_day >= PartialDate.parse(args["from_"]).first_day().toordinal()
        )
    if "to" in args:
        stmt = stmt.where(table.first_day <= PartialDate.parse(args["to"]).last_day().toordinal())
    if "tag" in args:
        stmt = stmt.where(
            exists().where(EventTag.event_seq == table.seq, EventTag.tag == args["tag"].lower())
        )
    if "q" in args:
        stmt = stmt.where(_matches_words(table, args["q"]))
    return stmt


def _matches_words(table: Timeline, q: str) -> ColumnElement[bool]:
    """Every word of q appears in the title, summary or actors (any case)."""
    searchable = func.lower(Event.title + " " + Event.summary + " " + cast(Event.actors, String))
    words = [searchable.contains(word.lower(), autoescape=True) for word in q.split()]
    if table is Event:
        return and_(*words)
    return exists().where(Event.seq == table.seq, *words)


def keyset_page(table: Timeline, stmt: PageSelect, args: dict[str, Any]) -> Page:
    """One page in timeline order (or its reverse), after the cursor's row."""
    order = args["order"]
    key = tuple_(table.first_day, table.precision, table.seq)
    stmt = _filtered(table, stmt, args)
    if "cursor" in args:
        cursor_order, *after = decode_cursor(args["cursor"], _CURSOR_SHAPE)
        if cursor_order != order:
            raise BadRequest(
                f"This cursor belongs to order={cursor_order}; keep the query the same "
                "while following cursors.",
                errors={"cursor": ["The cursor does not match 'order'."]},
                problem_type="invalid-cursor",
            )
        stmt = stmt.where(key > tuple_(*after) if order == "asc" else key < tuple_(*after))
    columns = (table.first_day, table.precision, table.seq)
    stmt = stmt.order_by(*(c.asc() if order == "asc" else c.desc() for c in columns))
    rows = db.session.execute(stmt.limit(args["limit"] + 1)).all()
    next_cursor = None
    if len(rows) > args["limit"]:
        rows = rows[: args["limit"]]
        last = rows[-1]
        next_cursor = encode_cursor(order, last.first_day, last.precision, last.seq)
    return Page([row.document for row in rows], next_cursor)


def timeline_page(pair: CountryPair, args: dict[str, Any]) -> Page:
    stmt = select(
        PairEvent.document, PairEvent.first_day, PairEvent.precision, PairEvent.seq
    ).where(PairEvent.pair == pair.id)
    return keyset_page(PairEvent, stmt, args)


def event_page(args: dict[str, Any]) -> Page:
    """Search across pairs; a pair filter reads that pair's timeline."""
    if "pair" in args:
        try:
            pair = CountryPair.parse(args["pair"])
        except ValueError as error:
            raise BadRequest(str(error), errors={"pair": [str(error)]}) from None
        return timeline_page(pair, args)
    stmt = select(Event.document, Event.first_day, Event.precision, Event.seq).where(
        Event.deleted_at.is_(None)
    )
    if "country" in args:
        stmt = stmt.where(
            exists().where(
                EventCountry.event_seq == Event.seq, EventCountry.code == args["country"].code
            )
        )
    return keyset_page(Event, stmt, args)


def timeline_summary(pair: CountryPair) -> dict[str, Any]:
    in_pair = PairEvent.pair == pair.id
    by_status = dict.fromkeys((status.value for status in ClaimStatus), 0)
    for status, count in db.session.execute(
        select(PairEvent.claim_status, func.count()).where(in_pair).group_by(PairEvent.claim_status)
    ):
        by_status[status] = count
    by_year = [
        {"year": year, "count": count}
        for year, count in db.session.execute(
            select(PairEvent.year, func.count())
            .where(in_pair)
            .group_by(PairEvent.year)
            .order_by(PairEvent.year)
        )
    ]
    first, last = db.session.execute(
        select(func.min(PairEvent.first_day), func.max(PairEvent.last_day)).where(in_pair)
    ).one()
    return {
        "pair": pair_json(pair),
        "total": sum(by_status.values()),
        "by_status": by_status,
        "by_year": by_year,
        "first_date": day_from_ordinal(first) if first is not None else None,
        "last_date": day_from_ordinal(last) if last is not None else None,
    }


def pair_counts() -> list[dict[str, Any]]:
    rows = db.session.execute(
        select(PairEvent.pair, func.count()).group_by(PairEvent.pair).order_by(PairEvent.pair)
    )
    return [{**pair_json(CountryPair.parse(pair)), "event_count": count} for pair, count in rows]
