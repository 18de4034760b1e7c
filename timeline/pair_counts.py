"""Per-pair counts, kept by the write path so that no read counts a timeline.

Whenever rows of ``pair_events`` go or come, the read model notes what they take
from and add to each pair's counts (``CountChanges``): its number of events, its
events by year and claim status, by tag. ``changes`` gathers these over a whole
transaction and applies them as it commits (``apply``), after the sync feed has
taken its position: writers apply their counts one at a time, each on the rows
the ones before it committed, so increments never collide or deadlock. A pair's
first and last days widen to take in the rows added; where a row went, they are
read again from the timeline's indexes (two seeks), since it may have held either.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, bindparam, case, delete, func, insert, select, update
from sqlalchemy.engine import Connection

from .db import upsert
from .models import EventTag, PairCount, PairEvent, PairTagCount, PairYearCount


@dataclass
class CountChanges:
    """What a transaction's timeline rows add to (or, negative, take from) the counts."""

    events: Counter[str] = field(default_factory=Counter)
    years: Counter[tuple[str, int, str]] = field(default_factory=Counter)
    tags: Counter[tuple[str, str]] = field(default_factory=Counter)
    # Each pair's span of the rows counted in: its first first day, its last last day.
    added_span: dict[str, tuple[int, int]] = field(default_factory=dict)
    # The pairs that lost a row, whose span is read again.
    removed_from: set[str] = field(default_factory=set)

    def count_in(
        self, pair: str, year: int, status: str, tags: Iterable[str], days: tuple[int, int]
    ) -> None:
        self._count(pair, year, status, tags, 1)
        first, last = self.added_span.get(pair, days)
        self.added_span[pair] = (min(first, days[0]), max(last, days[1]))

    def count_out(self, pair: str, year: int, status: str, tags: Iterable[str]) -> None:
        self._count(pair, year, status, tags, -1)
        self.removed_from.add(pair)

    def _count(self, pair: str, year: int, status: str, tags: Iterable[str], sign: int) -> None:
        self.events[pair] += sign
        self.years[pair, year, status] += sign
        for tag in tags:
            self.tags[pair, tag] += sign


def _add(connection: Connection, model: Any, keys: list[str], deltas: Counter[Any]) -> None:
    """Add each nonzero delta to its row (made at the delta when missing), then drop
    the rows that reach zero."""
    rows = [
        {**dict(zip(keys, key, strict=True)), "count": delta}
        for key, delta in sorted(deltas.items())
        if delta
    ]
    if not rows:
        return
    stmt = upsert(model)
    connection.execute(
        stmt.on_conflict_do_update(
            index_elements=keys, set_={"count": model.count + stmt.excluded.count}
        ),
        rows,
    )
    emptied = [row for row in rows if row["count"] < 0]
    if emptied:
        key_match = and_(*(getattr(model, key) == bindparam(f"k_{key}") for key in keys))
        connection.execute(
            delete(model).where(key_match, model.count == 0),
            [{f"k_{key}": row[key] for key in keys} for row in emptied],
        )


def apply(connection: Connection, changes: CountChanges) -> None:
    """Apply a transaction's count changes; run as it commits (see the module)."""
    _add(connection, PairYearCount, ["pair", "year", "claim_status"], changes.years)
    _add(connection, PairTagCount, ["pair", "tag"], changes.tags)
    if changes.added_span:
        # Rows only added: the span widens to take them in, with no read.
        stmt = upsert(PairCount)
        first, last = stmt.excluded.first_day, stmt.excluded.last_day
        connection.execute(
            stmt.on_conflict_do_update(
                index_elements=["pair"],
                set_={
                    "event_count": PairCount.event_count + stmt.excluded.event_count,
                    "first_day": case(
                        (first < PairCount.first_day, first), else_=PairCount.first_day
                    ),
                    "last_day": case((last > PairCount.last_day, last), else_=PairCount.last_day),
                },
            ),
            [
                {
                    "pair": pair,
                    "event_count": changes.events[pair],
                    "first_day": first_day,
                    "last_day": last_day,
                }
                for pair, (first_day, last_day) in sorted(changes.added_span.items())
            ],
        )
    for pair in sorted(changes.removed_from):
        in_pair = PairEvent.pair == pair
        first_day = connection.scalar(select(func.min(PairEvent.first_day)).where(in_pair))
        if first_day is None:
            connection.execute(delete(PairCount).where(PairCount.pair == pair))
            continue
        last_day = connection.scalar(select(func.max(PairEvent.last_day)).where(in_pair))
        delta = 0 if pair in changes.added_span else changes.events[pair]
        connection.execute(
            update(PairCount)
            .where(PairCount.pair == pair)
            .values(
                event_count=PairCount.event_count + delta, first_day=first_day, last_day=last_day
            )
        )


def recount(connection: Connection) -> None:
    """Count every pair again from the timeline rows: for rows written around the
    write path (a read-model rebuild, a benchmark's bulk load)."""
    for model in (PairCount, PairYearCount, PairTagCount):
        connection.execute(delete(model))
    events = PairEvent
    connection.execute(
        insert(PairCount).from_select(
            ["pair", "event_count", "first_day", "last_day"],
            select(
                events.pair, func.count(), func.min(events.first_day), func.max(events.last_day)
            ).group_by(events.pair),
        )
    )
    connection.execute(
        insert(PairYearCount).from_select(
            ["pair", "year", "claim_status", "count"],
            select(events.pair, events.year, events.claim_status, func.count()).group_by(
                events.pair, events.year, events.claim_status
            ),
        )
    )
    connection.execute(
        insert(PairTagCount).from_select(
            ["pair", "tag", "count"],
            select(events.pair, EventTag.tag, func.count())
            .join(EventTag, EventTag.event_seq == events.seq)
            .group_by(events.pair, EventTag.tag),
        )
    )
