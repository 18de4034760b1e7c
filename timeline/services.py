"""Changes to events, sources, citations and claim statuses, with the editorial rules.

Each function changes objects in the session only; ``writes.write_operation``
commits. What every change to an event also needs (a revision, a new version,
reopening a decided claim, re-rendering its read model) is done by
``timeline.changes`` when the session flushes, not here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import InstrumentedAttribute

from . import (
    changes,  # noqa: F401  (its session hooks keep every change's invariants)
    patterns,
)
from .db import among, db, in_chunks, upsert
from .domain.claims import ClaimStatus, ReviewRefused, Stance, check_review
from .domain.countries import Country
from .domain.dates import EventDate, InvalidDateField
from .domain.drafts import propose
from .domain.urls import url_key
from .errors import (
    Conflict,
    FieldErrors,
    Gone,
    NotFound,
    UnprocessableEntity,
    invalid_field,
)
from .models import (
    Citation,
    Event,
    EventCountry,
    EventRevision,
    EventTag,
    NewCitation,
    NewEvent,
    Review,
    Source,
    SourceRow,
    new_id,
    utcnow,
)
from .schemas import SourceCreateSchema
from .writes import version_etag

# --- lookups ------------------------------------------------------------------


def _stored_id(text: str) -> str | None:
    """The id as stored (a lower-case UUID) for a UUID in any case; None for anything
    else, which names nothing and is not sent to the database (PostgreSQL refuses
    text with NUL, for one)."""
    return text.lower() if patterns.matches(patterns.UUID, text) else None


def get_event(event_id: str, *, include_deleted: bool = False) -> Event:
    """The event, 404 when unknown and 410 when deleted."""
    stored = _stored_id(event_id)
    event = db.session.scalar(select(Event).where(Event.id == stored)) if stored else None
    if event is None:
        raise NotFound(f"No event has the id '{event_id}'.")
    if event.deleted_at is not None and not include_deleted:
        raise Gone(f"The event '{event_id}' was deleted; it is kept for the record.")
    return event


def stored_etag(model: type[Event] | type[Source], resource_id: str) -> str | None:
    """The ETag of the event or source with this id (as ``writes.etag_of`` gives it),
    from one small query that loads nothing; None when there is none, or it is deleted."""
    stored = _stored_id(resource_id)
    if stored is None:
        return None
    stmt = select(model.version).where(model.id == stored)
    if model is Event:
        stmt = stmt.where(Event.deleted_at.is_(None))
    version = db.session.scalar(stmt)
    return version_etag(stored, version) if version is not None else None


def get_source(source_id: str, *, field: str | None = None) -> Source:
    stored = _stored_id(source_id)
    source = db.session.scalar(select(Source).where(Source.id == stored)) if stored else None
    if source is None:
        message = _no_source(source_id)
        raise invalid_field(field, message) if field is not None else NotFound(message)
    return source


def _no_source(source_id: str) -> str:
    return f"No source has the id '{source_id}'."


def source_drafts(source: Source) -> list[dict[str, Any]]:
    """The draft events of a source's current text, numbered from 1.

    Numbers are positions in what the text proposes now: after an edit of the text
    or the publication date, draft n is the n-th of the new drafts.
    """
    if not source.text:
        raise Conflict(
            f"Source '{source.id}' has no text to propose events from; "
            "add the article's text to the source first."
        )
    if source.published_on is None:
        raise Conflict(
            f"Source '{source.id}' has no publication date, which the article's dates "
            "('on Monday', 'from November 5') are read against; add it to the source first."
        )
    drafts = propose(source.text, source.published_on, source.id)
    return [{"n": n, **draft} for n, draft in enumerate(drafts, 1)]


def source_draft(source: Source, n: int) -> dict[str, Any]:
    drafts = source_drafts(source)
    if not 1 <= n <= len(drafts):
        raise NotFound(f"Source '{source.id}' has {len(drafts)} drafts; there is no draft {n}.")
    return drafts[n - 1]


def find_source_by_url(url: str) -> Source | None:
    return db.session.scalar(select(Source).where(Source.url_key == url_key(url)))


# --- sources ------------------------------------------------------------------


def create_source(data: dict[str, Any], actor: str) -> Source:
    source = _insert_source(data, actor)
    if source is None:
        existing = _source_with_url(data["url"])
        raise Conflict(
            f"A source with this URL exists: '{existing.id}'. Cite it by its id.",
            problem_type="duplicate-source",
            existing_id=existing.id,
        )
    return source


def _insert_source(data: dict[str, Any], actor: str) -> Source | None:
    """Insert a source unless one has its URL; None when one has.

    An upsert on the URL key, not a look-up and then an insert: two requests that
    bring the same new URL at once both succeed, and share one source.
    """
    now = utcnow()
    stmt = (
        upsert(Source)
        .values(
            id=new_id(),
            url_key=url_key(data["url"]),
            created_by=actor,
            created_at=now,
            updated_at=now,
            version=1,
            **data,
        )
        .on_conflict_do_nothing(index_elements=[Source.url_key])
        .returning(Source)
    )
    return db.session.scalars(stmt).one_or_none()


def _sources_by_url(inline: Iterable[dict[str, Any]], actor: str) -> dict[str, Source]:
    """The sources given inline, by URL key: found, or created once each.

    They are taken in the order of their keys, so that two requests bringing the
    same new sources lock them in the same order and cannot deadlock.
    """
    by_key = {url_key(data["url"]): data for data in inline}
    found: dict[str, Source] = {}
    for key in sorted(by_key):
        data = by_key[key]
        # The upsert finds none when a concurrent request inserted the URL after
        # our look-up: it has committed by then, so the second look-up sees it.
        found[key] = (
            find_source_by_url(data["url"])
            or _insert_source(data, actor)
            or _source_with_url(data["url"])
        )
    return found


def _source_with_url(url: str) -> Source:
    source = find_source_by_url(url)
    if source is None:
        raise RuntimeError(f"No source has the URL {url!r}, yet inserting it conflicted.")
    return source


def update_source(source: Source, data: dict[str, Any]) -> Source:
    if "url" in data:
        key = url_key(data["url"])
        other = db.session.scalar(
            select(Source).where(Source.url_key == key, Source.id != source.id)
        )
        if other is not None:
            raise Conflict(
                f"Another source has this URL: '{other.id}'.",
                problem_type="duplicate-source",
                existing_id=other.id,
            )
        source.url_key = key
    for name, value in data.items():
        setattr(source, name, value)
    return source


# --- events -------------------------------------------------------------------


def _field_values(
    data: dict[str, Any], date: str, end_date: str | None, approximate: bool
) -> dict[str, Any]:
    """An event's column values from validated input (any subset of its fields), with
    ``countries`` as sorted codes and ``tags`` as names; the date's columns are worked
    out from the input and the event's date, end and flag as they stand."""
    values: dict[str, Any] = {
        name: data[name] for name in ("title", "summary", "approximate") if name in data
    }
    if "date" in data or "end_date" in data:
        date = values["date"] = data.get("date", date)
        end_date = values["end_date"] = data.get("end_date", end_date)
    if {"date", "end_date", "approximate"} & data.keys():
        try:
            when = EventDate.parse(date, end_date, data.get("approximate", approximate))
        except InvalidDateField as error:
            raise invalid_field(error.field, str(error)) from None
        values["first_day"], values["precision"] = when.sort_key()
        values["last_day"] = when.last_day().toordinal()
    if "countries" in data:
        values["countries"] = [c.code for c in sorted(data["countries"])]
    if "location" in data:
        location = data["location"] or {}
        where: Country | None = location.get("country")
        values["location_name"] = location.get("name")
        values["location_country"] = where.code if where else None
        values["location_lat"] = location.get("lat")
        values["location_lon"] = location.get("lon")
    if "actors" in data:
        values["actors"] = list(dict.fromkeys(actor.strip() for actor in data["actors"]))
    if "tags" in data:
        values["tags"] = list(dict.fromkeys(tag.strip().lower() for tag in data["tags"]))
    return values


def _apply_fields(event: Event, data: dict[str, Any]) -> None:
    """Set an event's fields from validated input (any subset of them)."""
    values = _field_values(data, event.date, event.end_date, event.approximate)
    countries, tags = values.pop("countries", None), values.pop("tags", None)
    for name, value in values.items():
        setattr(event, name, value)
    if countries is not None:
        event.countries = [EventCountry(code=code) for code in countries]
    if tags is not None:
        event.tags = [EventTag(tag=name, position=i) for i, name in enumerate(tags)]


def _new_event(data: dict[str, Any], actor: str) -> Event:
    """A new event's own fields from validated input; not in the session, no citations."""
    now = utcnow()
    event = Event(
        id=new_id(),
        summary="",
        approximate=False,
        actors=[],
        claim_status=ClaimStatus.UNVERIFIED.value,
        created_by=actor,
        created_at=now,
        updated_at=now,
        version=1,
    )
    _apply_fields(event, {"date": data["date"], "end_date": None, **data})
    return event


def create_event(data: dict[str, Any], actor: str) -> Event:
    event = _new_event(data, actor)
    db.session.add(event)
    citations = data.get("citations", [])
    sources = _sources_by_url((c["source"] for c in citations if "source" in c), actor)
    for i, citation in enumerate(citations):
        _add_citation(event, citation, actor, f"citations.{i}", sources)
    return event


def new_events(inputs: Sequence[dict[str, Any]], actor: str) -> list[NewEvent | FieldErrors]:
    """New events from validated create inputs, with the fields ``create_event`` gives
    them, as plain records: for ``changes.insert_new_events``, which stores them in bulk.

    The sources cited inline are found or created with one upsert for all of them,
    those cited by id are read at once; an input that cites an unknown source id gets
    the field error that ``create_event`` would give, in place of its event. An inline
    source may carry its ``url_key`` already (``imports`` computes it as it validates).
    """
    cited = [c for data in inputs for c in data.get("citations", [])]
    by_id = _source_rows(Source.id, (_stored_id(c["source_id"]) for c in cited if "source_id" in c))
    unknown = [
        {
            f"citations.{i}.source_id": [_no_source(c["source_id"])]
            for i, c in enumerate(data.get("citations", []))
            if "source_id" in c and _stored_id(c["source_id"]) not in by_id
        }
        for data in inputs
    ]
    # Only the inputs that make an event store their inline sources, as create_event's
    # rollback leaves none of a refused one's.
    inline = [
        c["source"]
        for data, errors in zip(inputs, unknown, strict=True)
        if not errors
        for c in data.get("citations", [])
        if "source" in c
    ]
    by_key = _stored_sources_by_url(inline, actor)
    made: list[NewEvent | FieldErrors] = []
    for data, errors in zip(inputs, unknown, strict=True):
        if errors:
            made.append(errors)
            continue
        now = utcnow()
        values = _field_values({"end_date": None, **data}, data["date"], None, False)
        event = NewEvent(
            id=new_id(),
            created_by=actor,
            created_at=now,
            updated_at=now,
            country_codes=values.pop("countries"),
            tag_names=values.pop("tags", []),
            **values,
        )
        event.citations = [
            NewCitation(
                id=new_id(),
                quote=citation["quote"],
                stance=citation["stance"].value,
                source=(
                    by_id[str(_stored_id(citation["source_id"]))]
                    if "source_id" in citation
                    else by_key[_key_of(citation["source"])]
                ),
                created_by=actor,
                created_at=utcnow(),
            )
            for citation in data.get("citations", [])
        ]
        made.append(event)
    return made


# The fields of a source that a client gives.
_SOURCE_INPUT = tuple(SourceCreateSchema().fields)
# What a bulk import reads of a stored source.
_SOURCE_ROW = [Source.__table__.c[name] for name in SourceRow.__slots__]


def _source_rows(
    column: InstrumentedAttribute[str], values: Iterable[str | None]
) -> dict[str, SourceRow]:
    """The stored sources whose ``column`` has one of the values, by that value: plain
    records, read with one query per few thousand values."""
    wanted = sorted({value for value in values if value is not None})
    return {
        row[-1]: SourceRow(*row[:-1])
        for chunk in in_chunks(wanted)
        for row in db.session.execute(select(*_SOURCE_ROW, column).where(among(column, chunk)))
    }


def _key_of(source: dict[str, Any]) -> str:
    """An inline source's URL key: the one it carries, computed beforehand (a bulk
    import's validation does), or else computed now."""
    key: str | None = source.get("url_key")
    return key if key is not None else url_key(source["url"])


def _stored_sources_by_url(inline: Iterable[dict[str, Any]], actor: str) -> dict[str, SourceRow]:
    """The sources given inline, by URL key: found, or created once each, with one
    upsert in the order of their keys (see ``_sources_by_url``). A URL given in several
    spellings is stored as first given, as when each event is posted in turn."""
    by_key: dict[str, dict[str, Any]] = {}
    for data in inline:
        by_key.setdefault(_key_of(data), data)
    found = _source_rows(Source.url_key, by_key)
    missing = sorted(by_key.keys() - found.keys())
    if not missing:
        return found
    now = utcnow()
    new = [
        {
            "id": new_id(),
            "url_key": key,
            "created_by": actor,
            "created_at": now,
            "updated_at": now,
            "version": 1,
            **{name: by_key[key].get(name) for name in _SOURCE_INPUT},
        }
        for key in missing
    ]
    db.session.execute(upsert(Source).on_conflict_do_nothing(index_elements=[Source.url_key]), new)
    # Those inserted, and any that another import inserted meanwhile.
    return {**found, **_source_rows(Source.url_key, missing)}


def update_event(event: Event, data: dict[str, Any]) -> Event:
    _apply_fields(event, data)
    return event


def delete_event(event: Event, actor: str) -> None:
    event.deleted_at = utcnow()
    event.deleted_by = actor


# --- citations ----------------------------------------------------------------


def _add_citation(
    event: Event, data: dict[str, Any], actor: str, field: str, sources: dict[str, Source]
) -> Citation:
    if "source_id" in data:
        source = get_source(data["source_id"], field=f"{field}.source_id".lstrip("."))
    else:
        source = sources[url_key(data["source"]["url"])]
    return _cite(event, data, actor, source)


def _cite(event: Event, data: dict[str, Any], actor: str, source: Source) -> Citation:
    citation = Citation(
        id=new_id(),
        quote=data["quote"],
        stance=data["stance"].value,
        created_by=actor,
        created_at=utcnow(),
    )
    event.citations.append(citation)
    citation.source = source
    return citation


def add_citation(event: Event, data: dict[str, Any], actor: str) -> Citation:
    sources = _sources_by_url([data["source"]] if "source" in data else [], actor)
    return _add_citation(event, data, actor, "", sources)


def citation_of(event: Event, citation_id: str) -> Citation:
    stored = _stored_id(citation_id)
    citation = next((c for c in event.citations if c.id == stored), None)
    if citation is None:
        raise NotFound(f"The event has no citation '{citation_id}'.")
    return citation


def remove_citation(event: Event, citation: Citation) -> None:
    event.citations.remove(citation)


# --- reviews ------------------------------------------------------------------


def post_review(event: Event, status: ClaimStatus, note: str, reviewer: str) -> Review:
    try:
        check_review(
            current=ClaimStatus(event.claim_status),
            target=status,
            stances=(Stance(citation.stance) for citation in event.citations),
            reviewer=reviewer,
            creator=event.created_by,
            allow_self_review=current_app.config["ALLOW_SELF_REVIEW"],
        )
    except ReviewRefused as refusal:
        error = Conflict if refusal.status == 409 else UnprocessableEntity
        raise error(refusal.detail, problem_type=f"review-{refusal.rule}") from None
    review = Review(
        id=new_id(),
        event_seq=event.seq,
        from_status=event.claim_status,
        to_status=status.value,
        reviewer=reviewer,
        note=note,
        created_at=utcnow(),
        # The checks as the reviewer saw them: they never block a review.
        checks=event.checks,
    )
    db.session.add(review)
    event.claim_status = status.value
    return review


# --- history ------------------------------------------------------------------


def reviews_of(event: Event) -> list[Review]:
    return list(
        db.session.scalars(select(Review).where(Review.event_seq == event.seq).order_by(Review.seq))
    )


def revisions_of(event: Event) -> list[EventRevision]:
    return list(
        db.session.scalars(
            select(EventRevision)
            .where(EventRevision.event_seq == event.seq)
            .order_by(EventRevision.version)
        )
    )


def event_as_of(event: Event, when: dt.datetime) -> str:
    """The event's document as it stood at ``when``."""
    if when < event.created_at:
        raise NotFound(f"The event '{event.id}' did not exist yet at {when.isoformat()}.")
    ended_after = db.session.scalar(
        select(EventRevision.document)
        .where(EventRevision.event_seq == event.seq, EventRevision.changed_at > when)
        .order_by(EventRevision.version)
        .limit(1)
    )
    return ended_after if ended_after is not None else event.document
