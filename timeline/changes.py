"""The write path's invariants, kept by the session rather than by each write.

Services only change objects. Whatever a write changes (an event's fields, its
countries or tags, its citations, or a source that its citations quote), the
session sees it when it flushes, and for each event so changed, once per
transaction however many flushes it takes:

1. the event as it stood is kept as a revision: who, when, which fields;
2. the event gets a new version, so its ETag changes;
3. a decided claim goes back to review, with a ``system`` entry saying why, when
   the change is substantive (``domain.claims``);
4. its claim checks are computed again (``domain.checks``), from the event, its
   citations and their sources as they now stand;
5. its JSON is rendered again and its timeline rows rewritten (``read_model``);
6. as the transaction commits, it gets one entry in the sync feed (``feed``): its
   kind (created, changed, reviewed, deleted), version and document, at the next
   position in commit order;
7. then the counts of the pairs whose timeline rows changed are brought up to date
   (``pair_counts``).

An edited source gets a new version the same way. No code path calls these steps,
so none can forget one.

A source that more events cite than one request should rewrite
(``SOURCE_RERENDER_INLINE_MAX``) is committed at once with its new version, and
the edit is recorded as pending (``SourceRerender``): ``rerender`` then applies
it to the citing events in short transactions, each through these same steps
with the editor as actor (``apply_source_edit``), so every citing event still
gets its revision, reopening, checks, document, rows and feed entry once.
Another edit of the source while its work is pending joins that work.

Who made the change comes from ``acting_as``, which ``writes.write_operation``
sets for every API write.

A bulk import stores thousands of new events at a time, which the unit of work
would insert one by one: ``insert_new_events`` takes them as plain records
(``models.NewEvent``, no ORM objects) and gives them what a flush gives a new
event (steps 4 to 7: a new event has no earlier version), with one statement per
table; their timeline rows go through the same ``read_model.insert_timeline_rows``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from sqlalchemy import distinct, func, inspect, select
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session, SessionTransaction, UOWTransaction
from sqlalchemy.orm.attributes import flag_modified

from .db import db, insert_rows, new_keys
from .domain.checks import CitationFacts, EventFacts, SourceFacts, run_checks
from .domain.claims import SYSTEM_REVIEWER, ClaimStatus, Stance, reopen_note, status_after_edit
from .domain.countries import pair_ids
from .domain.dates import PartialDate
from .feed import EventChange, record
from .models import (
    AnyEvent,
    Citation,
    Event,
    EventCountry,
    EventRevision,
    EventTag,
    NewEvent,
    Review,
    Source,
    SourceRerender,
    new_id,
    utcnow,
)
from .pair_counts import CountChanges, apply
from .read_model import insert_timeline_rows, render, write_timeline_rows

# An event's columns by the API field that a change to them changes.
_EVENT_COLUMNS = {
    "title": "title",
    "summary": "summary",
    "date": "date",
    "end_date": "end_date",
    "approximate": "approximate",
    "location_name": "location",
    "location_lat": "location",
    "location_lon": "location",
    "location_country": "location.country",
    "actors": "actors",
    "claim_status": "claim_status",
    "deleted_at": "deleted",
}
# The order in which a revision lists the fields that changed.
_FIELD_ORDER = [
    "title",
    "summary",
    "date",
    "end_date",
    "approximate",
    "countries",
    "location",
    "location.country",
    "actors",
    "tags",
    "citations",
    "claim_status",
    "deleted",
]
_SOURCE_FIELDS = ("url", "title", "publisher", "published_on", "author", "archive_url", "text")
_CITATION_FIELDS = ("quote", "stance", "source_seq")

_ACTOR = "timeline.actor"
_REVISIONS = "timeline.revisions"  # event seq -> its revision in this transaction
_VERSIONED_SOURCES = "timeline.versioned_sources"  # source seqs given a version
_CREATED = "timeline.created"  # events inserted in this transaction
_TO_INDEX = "timeline.to_index"  # events rendered in this flush, rows to rewrite
_FEED = "timeline.feed"  # event -> its change in this transaction, for the sync feed
_COUNTS = "timeline.counts"  # what the transaction's timeline rows change in pair counts
_SOURCE_EDITS = "timeline.source_edits"  # event -> pending source edits to apply to it
_DEFERRED = "timeline.deferred"  # source seq -> its citing events left for rerender


@contextlib.contextmanager
def acting_as(actor: str) -> Iterator[None]:
    """Name who makes the changes of the current session inside the block."""
    info = db.session.info
    before = info.get(_ACTOR)
    info[_ACTOR] = actor
    try:
        yield
    finally:
        info[_ACTOR] = before


@dataclass
class _EventChange:
    # The event's own fields that changed.
    fields: set[str] = field(default_factory=set)
    # Each edited source the event cites: its label and the fields that changed.
    sources: dict[int, tuple[str, list[str]]] = field(default_factory=dict)

    def revised_fields(self) -> list[str]:
        """What the revision lists: an edited source changes the event's citations."""
        return _ordered(self.fields | ({"citations"} if self.sources else set()))


def _ordered(fields: Iterable[str]) -> list[str]:
    return sorted(fields, key=_FIELD_ORDER.index)


def _attribute_changed(obj: Any, name: str) -> bool:
    return bool(inspect(obj).attrs[name].history.has_changes())


def _collection_before_after(obj: Any, name: str) -> tuple[list[Any], list[Any]]:
    history = inspect(obj).attrs[name].history
    return list(history.unchanged) + list(history.deleted), getattr(obj, name)


def _pairs_before(event: Event) -> frozenset[str]:
    """The pairs whose timelines showed the event before its first change in this
    transaction (when it is called)."""
    deleted_at = inspect(event).attrs["deleted_at"].history
    if (deleted_at.deleted or deleted_at.unchanged or [None])[0] is not None:
        return frozenset()
    before, _after = _collection_before_after(event, "countries")
    return frozenset(pair_ids(sorted(row.code for row in before)))


def _event_fields_changed(event: Event) -> set[str]:
    changed = {api for column, api in _EVENT_COLUMNS.items() if _attribute_changed(event, column)}
    before, after = _collection_before_after(event, "countries")
    if sorted(row.code for row in before) != [row.code for row in after]:
        changed.add("countries")
    before, after = _collection_before_after(event, "tags")
    if [row.tag for row in sorted(before, key=lambda row: row.position)] != [
        row.tag for row in after
    ]:
        changed.add("tags")
    if _attribute_changed(event, "citations"):
        changed.add("citations")
    return changed


def _collect(session: Session) -> dict[Event, _EventChange]:
    """The events this flush changes, with what changed in each."""
    changes: dict[Event, _EventChange] = {}
    source_edits: dict[Event, dict[int, tuple[str, list[str]]]] = session.info.pop(
        _SOURCE_EDITS, {}
    )
    for event, sources in source_edits.items():
        changes.setdefault(event, _EventChange()).sources.update(sources)
    for obj in session.new:
        if isinstance(obj, Event):
            changes.setdefault(obj, _EventChange())
    for obj in list(session.dirty):
        if isinstance(obj, Event):
            fields = _event_fields_changed(obj)
            if fields:
                changes.setdefault(obj, _EventChange()).fields |= fields
        elif isinstance(obj, Citation):
            if any(_attribute_changed(obj, name) for name in _CITATION_FIELDS):
                changes.setdefault(obj.event, _EventChange()).fields.add("citations")
        elif isinstance(obj, Source):
            edited = [name for name in _SOURCE_FIELDS if _attribute_changed(obj, name)]
            if edited:
                _new_source_version(session, obj)
                if _deferred(session, obj, edited):
                    continue
                label = _source_label(obj)
                for citation in obj.citations:
                    if citation.event.deleted_at is None:  # a deleted event stays as it was
                        change = changes.setdefault(citation.event, _EventChange())
                        change.sources[obj.seq] = (label, edited)
    return changes


def _source_label(source: Source) -> str:
    return f"'{source.title}' ({source.id})"


def _citing_events(session: Session, source: Source) -> int:
    return session.execute(
        select(func.count(distinct(Citation.event_seq)))
        .join(Event, Event.seq == Citation.event_seq)
        .where(Citation.source_seq == source.seq, Event.deleted_at.is_(None))
    ).scalar_one()


def _deferred(session: Session, source: Source, edited: list[str]) -> bool:
    """Record the edit as pending, and so leave its citing events to ``rerender``,
    when they are too many for one request or earlier work for the source is pending."""
    count = _citing_events(session, source)
    # On PostgreSQL, waits for a batch of the source's work that is under way.
    pending = session.get(SourceRerender, source.seq, with_for_update=True)
    if pending is None:
        if count <= current_app.config["SOURCE_RERENDER_INLINE_MAX"]:
            return False
        pending = SourceRerender(source_seq=source.seq, changed_fields=[])
        session.add(pending)
    pending.version = source.version
    pending.changed_by = _actor(session)
    fields = {*pending.changed_fields, *edited}
    pending.changed_fields = [name for name in _SOURCE_FIELDS if name in fields]
    pending.requested_at = utcnow()
    # Events done before this edit need it too: start again from the first.
    pending.after_event_seq = 0
    session.info.setdefault(_DEFERRED, {})[source.seq] = count
    return True


def pending_citing_events(source: Source) -> int | None:
    """How many events citing the source this transaction left to ``rerender``
    (None when it brought them up to date itself)."""
    deferred: dict[int, int] = db.session.info.get(_DEFERRED, {})
    return deferred.get(source.seq)


def deferred_work(session: Session) -> bool:
    """Whether the session's transaction left events to ``rerender``."""
    return bool(session.info.get(_DEFERRED))


def apply_source_edit(source: Source, fields: list[str], events: Iterable[Event]) -> None:
    """Give the events, which cite the source, what the flush of an edit of the
    source's ``fields`` gives its citing events; they change on the next flush."""
    edits: dict[Event, dict[int, tuple[str, list[str]]]] = db.session.info.setdefault(
        _SOURCE_EDITS, {}
    )
    label = _source_label(source)
    for event in events:
        edits.setdefault(event, {})[source.seq] = (label, list(fields))
        flag_modified(event, "document")  # so that the flush sees the event


def _new_source_version(session: Session, source: Source) -> None:
    versioned: set[int] = session.info.setdefault(_VERSIONED_SOURCES, set())
    if source.seq not in versioned:
        versioned.add(source.seq)
        source.version += 1


def _actor(session: Session) -> str:
    actor = session.info.get(_ACTOR)
    if actor is None:
        raise RuntimeError("A change to an existing event needs an actor: use changes.acting_as.")
    return str(actor)


def _revise(session: Session, event: Event, fields: list[str], actor: str) -> None:
    """Keep the event as it stood and give it a new version, once per transaction;
    a later flush in the same transaction adds its fields to that revision."""
    revisions: dict[int, EventRevision] = session.info.setdefault(_REVISIONS, {})
    revision = revisions.get(event.seq)
    if revision is not None:
        revision.changed_fields = _ordered({*revision.changed_fields, *fields})
        return
    now = utcnow()
    revisions[event.seq] = revision = EventRevision(
        event_seq=event.seq,
        version=event.version,
        changed_by=actor,
        changed_at=now,
        changed_fields=fields,
        document=event.document,
    )
    session.add(revision)
    event.version += 1
    event.updated_at = now


def _reopen_if_substantive(
    session: Session, event: Event, change: _EventChange, actor: str
) -> None:
    status = ClaimStatus(event.claim_status)
    source_fields = [name for _label, edited in change.sources.values() for name in edited]
    reopened = status_after_edit(status, change.fields, source_fields)
    if reopened is None:
        return
    session.add(
        Review(
            id=new_id(),
            event_seq=event.seq,
            from_status=status.value,
            to_status=reopened.value,
            reviewer=SYSTEM_REVIEWER,
            note=reopen_note(actor, status, _ordered(change.fields), change.sources.values()),
            created_at=utcnow(),
            checks=event.checks,
        )
    )
    event.claim_status = reopened.value


def event_facts(event: AnyEvent) -> EventFacts:
    """What the claim checks read of an event."""
    return EventFacts(
        PartialDate.parse(event.date),
        [
            CitationFacts(
                citation.id,
                citation.quote,
                Stance(citation.stance),
                SourceFacts(
                    citation.source.id,
                    citation.source.publisher,
                    citation.source.published_on,
                    citation.source.text,
                ),
            )
            for citation in event.citations
        ],
    )


def _check(event: AnyEvent) -> None:
    event.checks = [check.as_json() for check in run_checks(event_facts(event))]


# The columns of an event that a new one gives, in the table's order.
_NEW_EVENT_COLUMNS = [column.key for column in Event.__table__.columns]


def insert_new_events(events: Sequence[NewEvent]) -> None:
    """Store new events (``services.new_events``) in the session's transaction.

    Each gets its claim checks and its rendered JSON as a flush would give it, and is
    inserted with its countries, tags, citations and timeline rows, one statement per
    table (``insert_rows``: COPY on PostgreSQL, so each event's key is taken first,
    ``new_keys``), and recorded in the sync feed as the transaction commits. The
    sources its citations cite must be stored already. On SQLite the keys are sure to
    stay free when the transaction holds the write lock from its start (``writing``).
    """
    for event in events:
        _check(event)
        render(event)
    connection = db.session.connection()
    for event, seq in zip(events, new_keys(connection, Event, len(events)), strict=True):
        event.seq = seq
    insert_rows(
        connection,
        Event,
        [{name: getattr(event, name) for name in _NEW_EVENT_COLUMNS} for event in events],
    )
    rows = {
        EventCountry: [
            {"event_seq": e.seq, "code": code} for e in events for code in e.country_codes
        ],
        EventTag: [
            {"event_seq": e.seq, "tag": tag, "position": position}
            for e in events
            for position, tag in enumerate(e.tag_names)
        ],
        Citation: [
            {
                "id": c.id,
                "event_seq": e.seq,
                "source_seq": c.source.seq,
                "quote": c.quote,
                "stance": c.stance,
                "created_by": c.created_by,
                "created_at": c.created_at,
            }
            for e in events
            for c in e.citations
        ],
    }
    for model, model_rows in rows.items():
        insert_rows(connection, model, model_rows)
    insert_timeline_rows(connection, events, _counts(db.session.info))
    feed: dict[AnyEvent, EventChange] = db.session.info.setdefault(_FEED, {})
    feed.update((event, EventChange(event, True, frozenset())) for event in events)


def _counts(info: dict[str, Any]) -> CountChanges:
    counts: CountChanges = info.setdefault(_COUNTS, CountChanges())
    return counts


def _before_flush(session: Session, _context: UOWTransaction, _instances: Any) -> None:
    to_index: set[Event] = session.info.setdefault(_TO_INDEX, set())
    created: set[Event] = session.info.setdefault(_CREATED, set())
    created.update(obj for obj in session.new if isinstance(obj, Event))
    feed: dict[AnyEvent, EventChange] = session.info.setdefault(_FEED, {})
    for event, change in _collect(session).items():
        if event not in feed:
            pairs = frozenset() if event in created else _pairs_before(event)
            feed[event] = EventChange(event, event in created, pairs)
        _check(event)
        # An event made in this transaction has no earlier version to keep.
        if event not in created:
            actor = _actor(session)
            _revise(session, event, change.revised_fields(), actor)
            _reopen_if_substantive(session, event, change, actor)
        render(event)
        to_index.add(event)
    reviewed = {
        obj.event_seq
        for obj in session.new
        if isinstance(obj, Review) and obj.reviewer != SYSTEM_REVIEWER
    }
    for feed_change in feed.values():
        feed_change.reviewed |= feed_change.event.seq in reviewed


def _after_flush(session: Session, _context: UOWTransaction) -> None:
    to_index: set[Event] = session.info.pop(_TO_INDEX, set())
    if to_index:
        # In seq order: concurrent transactions lock the rows they rewrite alike.
        events = sorted(to_index, key=lambda event: event.seq)
        write_timeline_rows(session.connection(), events, _counts(session.info))


def _before_commit(session: Session) -> None:
    """Record the transaction's feed entries and apply its pair counts, last, once
    everything else is flushed (in this order: see ``pair_counts``)."""
    if session.in_nested_transaction():
        return  # a savepoint: the transaction goes on
    session.flush()
    feed: dict[AnyEvent, EventChange] = session.info.pop(_FEED, {})
    if feed:
        record(session.connection(), feed.values())
    counts: CountChanges | None = session.info.pop(_COUNTS, None)
    if counts is not None:
        apply(session.connection(), counts)


def _after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        for key in (
            _REVISIONS,
            _VERSIONED_SOURCES,
            _CREATED,
            _TO_INDEX,
            _FEED,
            _COUNTS,
            _SOURCE_EDITS,
            _DEFERRED,
        ):
            session.info.pop(key, None)


sa_event.listen(db.session, "before_flush", _before_flush)
sa_event.listen(db.session, "after_flush", _after_flush)
sa_event.listen(db.session, "before_commit", _before_commit)
sa_event.listen(db.session, "after_transaction_end", _after_transaction_end)
