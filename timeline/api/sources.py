"""Sources: the documents that citations quote."""

from __future__ import annotations

from typing import Any

from flask import Response, url_for
from flask.views import MethodView
from marshmallow import ValidationError
from sqlalchemy import select

from .. import services
from ..apidoc import id_parameter, links
from ..auth import EDITOR, current_actor, role_required
from ..caching import PUBLIC, cached, not_modified
from ..changes import pending_citing_events
from ..domain.urls import url_key
from ..errors import flatten_errors, invalid_input
from ..limits import EXPENSIVE_READS, rate_limited
from ..models import Source
from ..read_model import seq_page
from ..schemas import (
    DraftListSchema,
    EventCreateSchema,
    EventSchema,
    SourceCreateSchema,
    SourcePageSchema,
    SourcePatchSchema,
    SourceQuery,
    SourceSchema,
)
from ..writes import check_if_match, etag_of, write_operation
from . import ApiBlueprint, dump_response
from .events import CREATED, ETAG, event_response, requires_if_match

blp = ApiBlueprint("sources", __name__, description="Documents that back events")

_SOURCE_ID = id_parameter("source_id")
_SOURCE_LINKS = {
    "GetSource": {"operationId": "getSource", "parameters": {"source_id": "$response.body#/id"}},
    "UpdateSource": {
        "operationId": "updateSource",
        "parameters": {"source_id": "$response.body#/id", "If-Match": "$response.header.ETag"},
    },
    "FindSourceByUrl": {"operationId": "listSources", "parameters": {"url": "$response.body#/url"}},
}
_SCHEMA = SourceSchema()
PENDING_HEADER = "Citing-Events-Pending"
_PENDING = {
    PENDING_HEADER: {
        "description": (
            "Sent when the source's citing events are brought up to date in the "
            "background: how many still show the source as it was"
        ),
        "schema": {"type": "integer", "minimum": 0},
    }
}


def _source_response(source: Source, status: int = 200, **headers: str) -> Response:
    etag = etag_of(source)
    return dump_response(_SCHEMA, source, status, {"ETag": f'"{etag}"', **headers})


@blp.route("/sources")
class Sources(MethodView):
    @blp.doc(operationId="listSources")
    @cached(PUBLIC)
    @blp.arguments(SourceQuery(), location="query", as_kwargs=True)
    @blp.response(200, SourcePageSchema)
    def get(self, **args: Any) -> Any:
        """List sources, oldest first, or find one by URL

        With `url`, the page holds the source with that URL (compared normalised), or nothing.
        """
        stmt = select(Source)
        if "url" in args:
            stmt = stmt.where(Source.url_key == url_key(args["url"]))
        sources, next_cursor = seq_page(stmt, Source, args)
        return {"items": sources, "next_cursor": next_cursor}

    @blp.doc(operationId="createSource")
    @links(201, **_SOURCE_LINKS)
    @role_required(EDITOR)
    @write_operation(idempotent=True)
    @blp.arguments(SourceCreateSchema())
    @blp.response(
        201,
        SourceSchema,
        headers={
            **ETAG,
            "Location": {"description": "The new source's URL", "schema": {"type": "string"}},
        },
    )
    @blp.alt_response(409, response="CONFLICT", description="A source with this URL exists")
    def post(self, data: dict[str, Any]) -> Any:
        """Create a source

        Its URL must be new after normalisation; a 409 names the existing source.
        """
        source = services.create_source(data, current_actor())
        location = url_for("sources.SourceById", source_id=source.id)
        return _source_response(source, 201, Location=location)


@blp.route("/sources/<source_id>", parameters=[_SOURCE_ID])
class SourceById(MethodView):
    @blp.doc(operationId="getSource")
    @cached(PUBLIC)
    @blp.response(200, SourceSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, source_id: str) -> Any:
        """Get a source"""
        return not_modified(Source, source_id) or _source_response(services.get_source(source_id))

    @blp.doc(operationId="updateSource")
    @links(200, **_SOURCE_LINKS)
    @role_required(EDITOR)
    @write_operation()
    @requires_if_match
    @blp.arguments(SourcePatchSchema())
    @blp.response(200, SourceSchema, headers={**ETAG, **_PENDING})
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT", description="Another source has this URL")
    def patch(self, data: dict[str, Any], source_id: str) -> Any:
        """Edit a source

        Events that cite it show the change at once when at most 200 do (the server's
        `SOURCE_RERENDER_INLINE_MAX`). When more do, the source is changed at once and
        the answer has `Citing-Events-Pending`, the number of citing events that still
        show it as it was: they are brought up to date in the background, in event
        order, at about 150 to 250 a second (2,000 within 10 s, 5,000 within 40 s).
        Each citing event gets its revision, new version and sync-feed entry either
        way, and its own edits meanwhile are kept. An edit of its URL, title,
        publisher, publication date or text changes the evidence of every claim that cites
        it: each decided one goes back to `in_review`, with a `system` entry in its
        history naming the source.
        """
        source = services.get_source(source_id)
        check_if_match(source)
        response = _source_response(services.update_source(source, data))
        pending = pending_citing_events(source)
        if pending is not None:
            response.headers[PENDING_HEADER] = str(pending)
        return response


@blp.route("/sources/<source_id>/drafts", parameters=[_SOURCE_ID])
class SourceDrafts(MethodView):
    @blp.doc(operationId="draftEventsFromSource")
    @role_required(EDITOR)
    @rate_limited(EXPENSIVE_READS)  # reads the whole text; stores nothing
    @blp.response(200, DraftListSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT", description="The source has no text or no date")
    def post(self, source_id: str) -> Any:
        """Propose events from a source's text

        Nothing is stored. Each draft's `event` is a createEvent body (dates read
        against the source's publication date, countries, place, actors, the quoted
        sentences); `evidence` says what it was read from. Accept draft `n` with
        `POST .../drafts/{n}/accept`, or edit its `event` and POST it to /events.
        """
        source = services.get_source(source_id)
        return {"source_id": source.id, "items": services.source_drafts(source)}


@blp.route("/sources/<source_id>/drafts/<int:n>/accept", parameters=[_SOURCE_ID])
class AcceptDraft(MethodView):
    @blp.doc(operationId="acceptDraft")
    @role_required(EDITOR)
    @write_operation(idempotent=True)
    @blp.response(201, EventSchema, headers=CREATED)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT", description="The source has no text or no date")
    @blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
    def post(self, source_id: str, n: int) -> Any:
        """Create the event of draft n, unverified

        `n` numbers the drafts of the source's text as it is now: if the text or the
        publication date changed since you listed them, list them again.
        """
        draft = services.source_draft(services.get_source(source_id), n)
        try:
            data = EventCreateSchema().load(draft["event"])
        except ValidationError as error:
            raise invalid_input(flatten_errors(error.messages, "event")) from None
        event = services.create_event(data, current_actor())
        location = url_for("events.EventById", event_id=event.id)
        return event_response(event, 201, Location=location)
