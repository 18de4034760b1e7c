"""The sync feed: every change to an event, in the order the changes committed.

``changes`` records one entry per event that a transaction created or changed,
as the transaction commits (``record``). An entry's position comes from a
one-row counter, ``feed_head``, that the transaction updates as its last
statement: the row stays locked until the transaction has committed, so the next
writer gets the next positions only after this one's entries are visible.
Positions therefore follow commit order and have no gaps (a transaction that
rolls back gives its positions back), on PostgreSQL as on SQLite, which has one
writer at a time anyway. Writers queue only for that last statement and the
commit itself.

A reader reads the head first, then the entries after its cursor up to that
head: every entry up to the head has committed by then, so a page is always a
complete stretch of the feed and a later page can never hold an entry that sorts
before it. The next cursor is the last entry read, or the head when the reader
has caught up, so that an empty page (or one filtered by pair) still moves on.
A cursor past the head is a 409: the feed never reached it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import bindparam, func, select
from sqlalchemy.engine import Connection

from .cursors import SEQ_KEY, decode_cursor, encode_cursor
from .db import db, insert_rows, upsert
from .domain.countries import pair_ids
from .domain.feed import change_kind
from .errors import Conflict
from .models import AnyEvent, Event, FeedEntry, FeedEntryPair, FeedHead, utcnow
from .read_model import PositionRead, pair_filter, read_position
from .replica import read_primary_instead


@dataclass
class EventChange:
    """What one transaction did to one event, as the feed reports it."""

    event: AnyEvent
    created: bool
    # The pairs whose timelines held the event before the transaction.
    pairs_before: frozenset[str]
    reviewed: bool = False


def timeline_pairs(event: AnyEvent) -> frozenset[str]:
    """The pairs whose timelines show the event: none once it is deleted."""
    return frozenset() if event.deleted_at is not None else frozenset(pair_ids(event.country_codes))


def record(connection: Connection, changes: Iterable[EventChange]) -> None:
    """Give each change the next position, in the order of the events' creation,
    and store them; run as the transaction's last statements."""
    ordered = sorted(changes, key=lambda change: change.event.seq)
    if not ordered:
        return
    head = connection.execute(
        upsert(FeedHead)
        .values(id=1, position=len(ordered))
        .on_conflict_do_update(
            index_elements=[FeedHead.id], set_={"position": FeedHead.position + len(ordered)}
        )
        .returning(FeedHead.position)
    ).scalar_one()
    at = utcnow()
    entries: list[dict[str, Any]] = []
    entry_pairs: list[dict[str, Any]] = []
    for position, change in enumerate(ordered, head - len(ordered) + 1):
        event = change.event
        pairs = timeline_pairs(event)
        kind = change_kind(
            created=change.created, deleted=event.deleted_at is not None, reviewed=change.reviewed
        )
        entries.append(
            {
                "position": position,
                "event_seq": event.seq,
                "kind": kind.value,
                "version": event.version,
                "at": at,
                "pairs": sorted(pairs),
                "first_day": event.first_day,
                "precision": event.precision,
                "document": None if event.deleted_at is not None else event.document,
            }
        )
        # A pair's mirror must also hear of an event that has left its timeline.
        entry_pairs += [
            {"pair": pair, "position": position} for pair in sorted(pairs | change.pairs_before)
        ]
    insert_rows(connection, FeedEntry, entries)
    insert_rows(connection, FeedEntryPair, entry_pairs)


# Each one row, one column: an aggregate without GROUP BY always has its row.
_LAST_POSITION = select(func.coalesce(func.max(FeedHead.position), 0)).where(FeedHead.id == 1)
_LAST_PAIR_POSITION = select(func.coalesce(func.max(FeedEntryPair.position), 0)).where(
    FeedEntryPair.pair == bindparam("pair")
)


def position_read(pair: str | None) -> PositionRead:
    """The read of the last position that changed the pair's timeline (any timeline
    without a pair; 0 before the first): one seek of an index."""
    if pair is None:
        return PositionRead(_LAST_POSITION, {})
    return PositionRead(_LAST_PAIR_POSITION, {"pair": pair})


def last_position(pair: str | None) -> int:
    """The last position that changed the pair's timeline (see ``position_read``)."""
    return read_position(position_read(pair))


@dataclass(frozen=True)
class FeedPage:
    items: list[dict[str, Any]]
    next_cursor: str
    has_more: bool

    def json(self) -> bytes:
        return orjson.dumps(
            {"items": self.items, "next_cursor": self.next_cursor, "has_more": self.has_more}
        )


def _item(row: Any) -> dict[str, Any]:
    return {
        "cursor": encode_cursor(row.position),
        "event_id": row.id,
        "kind": row.kind,
        "version": row.version,
        "at": row.at.isoformat(),
        "pairs": row.pairs,
        "sort_key": [row.first_day, row.precision, row.event_seq],
        # Stored as the API renders it: passed through, not parsed and dumped again.
        "event": orjson.Fragment(row.document) if row.document is not None else None,
    }


def feed_page(args: dict[str, Any]) -> FeedPage:
    """The entries after the ``since`` cursor (from the start without one), oldest
    first, of one pair's timeline with ``pair``."""
    since = decode_cursor(args["since"], SEQ_KEY, parameter="since")[0] if "since" in args else 0
    # Read first, in a statement of its own: every entry up to it has committed.
    head = last_position(None)
    if since > head and read_primary_instead():
        # A replica behind the database that gave out the cursor: read the primary.
        head = last_position(None)
    if since > head:
        # A position the feed has not reached: not given out by this database (one
        # restored from a backup, say). Waiting for it would skip what comes before.
        raise Conflict(
            f"The cursor {since} is past the end of the feed ({head}): this database "
            "never gave it out (was it restored from a backup?). Build the mirror again "
            "from the start, without 'since'.",
            errors={"since": ["Past the end of the feed."]},
            problem_type="cursor-past-end",
        )
    stmt = select(
        FeedEntry.position,
        Event.id,
        FeedEntry.kind,
        FeedEntry.version,
        FeedEntry.at,
        FeedEntry.pairs,
        FeedEntry.first_day,
        FeedEntry.precision,
        FeedEntry.event_seq,
        FeedEntry.document,
    ).join(Event, Event.seq == FeedEntry.event_seq)
    limit = args["limit"] + 1
    if "pair" in args:
        # The pair's positions first, as many as a page takes (one range of the index
        # on pair and position), then their entries: a rare pair reads no others.
        positions = (
            select(FeedEntryPair.position)
            .where(
                FeedEntryPair.pair == pair_filter(args["pair"]).id,
                FeedEntryPair.position > since,
                FeedEntryPair.position <= head,
            )
            .order_by(FeedEntryPair.position)
            .limit(limit)
        )
        stmt = stmt.where(FeedEntry.position.in_(positions.scalar_subquery()))
    else:
        stmt = stmt.where(FeedEntry.position > since, FeedEntry.position <= head)
    rows = db.session.execute(stmt.order_by(FeedEntry.position).limit(limit)).all()
    if len(rows) > args["limit"]:
        rows = rows[: args["limit"]]
        return FeedPage([_item(row) for row in rows], encode_cursor(rows[-1].position), True)
    return FeedPage([_item(row) for row in rows], encode_cursor(head), False)
