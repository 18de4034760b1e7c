"""Events: search, create, read, edit, delete; their citations, reviews and revisions."""

from __future__ import annotations

from typing import Any

from flask import Response, url_for
from flask.views import MethodView

from .. import patterns, services
from ..apidoc import document, event_links, id_parameter, links
from ..auth import EDITOR, REVIEWER, current_actor, role_required
from ..caching import PUBLIC, cached, conditional_page, not_modified
from ..limits import EXPENSIVE_READS, rate_limited, searching
from ..models import Event
from ..read_model import event_page, pair_filter
from ..schemas import (
    CitationCreateSchema,
    CitationSchema,
    EventCreateSchema,
    EventPageSchema,
    EventPatchSchema,
    EventQuery,
    EventReadQuery,
    EventSchema,
    ReviewCreateSchema,
    ReviewListSchema,
    ReviewSchema,
    RevisionListSchema,
)
from ..writes import check_if_match, etag_of, write_operation
from . import ApiBlueprint, dump_response, json_response, page_response

blp = ApiBlueprint("events", __name__, description="Events, their citations and their reviews")

_STRING = {"schema": {"type": "string"}}
ETAG = {"ETag": {"description": "The resource's current ETag", **_STRING}}
CREATED = {**ETAG, "Location": {"description": "The URL of the new resource", **_STRING}}
_PRECONDITIONS: dict[str, Any] = {
    "parameters": [
        {
            "in": "header",
            "name": "If-Match",
            "required": True,
            "description": (
                "The resource's ETag as you last read it (missing, empty or *: 428; stale: 412)"
            ),
            "schema": {"type": "string", "pattern": patterns.anchored(patterns.IF_MATCH)},
        }
    ],
    "responses": {"412": "PRECONDITION_FAILED", "428": "PRECONDITION_REQUIRED"},
}
_EVENT_ID = id_parameter("event_id")
requires_if_match = document(**_PRECONDITIONS)


def _etag_header(event: Event) -> dict[str, str]:
    """The event's current ETag (flushing the session, which renders changed events)."""
    return {"ETag": f'"{etag_of(event)}"'}


def event_response(event: Event, status: int = 200, **headers: str) -> Response:
    etag = _etag_header(event)
    return json_response(event.document, status, {**etag, **headers})


def _editable_event(event_id: str) -> Event:
    event = services.get_event(event_id)
    check_if_match(event)
    return event


@blp.route("/events")
class Events(MethodView):
    @blp.doc(operationId="listEvents")
    @cached(PUBLIC)
    @rate_limited(EXPENSIVE_READS, when=searching)
    @blp.arguments(EventQuery(), location="query", as_kwargs=True)
    @blp.response(
        200,
        EventPageSchema,
        headers={"Link": {"description": "rel=next", **_STRING}},
    )
    def get(self, **args: Any) -> Any:
        """Search events across pairs

        Filters combine; results come in timeline order.
        """
        pair = pair_filter(args["pair"]) if "pair" in args else None
        return conditional_page(pair, lambda position: event_page(args, position), page_response)

    @blp.doc(operationId="createEvent")
    @links(201, **event_links("$response.body#/id"))
    @role_required(EDITOR)
    @write_operation(idempotent=True)
    @blp.arguments(EventCreateSchema())
    @blp.response(201, EventSchema, headers=CREATED)
    def post(self, data: dict[str, Any]) -> Any:
        """Create an event

        Its claim status starts `unverified`; reviewers change it with a review.
        """
        event = services.create_event(data, current_actor())
        location = url_for("events.EventById", event_id=event.id)
        return event_response(event, 201, Location=location)


@blp.route("/events/<event_id>", parameters=[_EVENT_ID])
class EventById(MethodView):
    @blp.doc(operationId="getEvent")
    @cached(PUBLIC)
    @blp.arguments(EventReadQuery(), location="query", as_kwargs=True)
    @blp.response(200, EventSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(410, response="GONE")
    def get(self, event_id: str, **args: Any) -> Any:
        """Get an event with its citations"""
        if "as_of" in args:
            event = services.get_event(event_id)
            return json_response(services.event_as_of(event, args["as_of"]))
        return not_modified(Event, event_id) or event_response(services.get_event(event_id))

    @blp.doc(operationId="updateEvent")
    @links(200, **event_links("$response.body#/id"))
    @role_required(EDITOR)
    @write_operation()
    @requires_if_match
    @blp.arguments(EventPatchSchema())
    @blp.response(200, EventSchema, headers=ETAG)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(410, response="GONE")
    def patch(self, data: dict[str, Any], event_id: str) -> Any:
        """Edit an event (any subset of its fields)

        A substantive edit (title, date, countries) of a decided claim reopens it.
        """
        event = _editable_event(event_id)
        return event_response(services.update_event(event, data))

    @blp.doc(operationId="deleteEvent")
    @role_required(EDITOR)
    @write_operation()
    @requires_if_match
    @blp.response(204)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(410, response="GONE")
    def delete(self, event_id: str) -> Any:
        """Delete an event

        It leaves timelines and lists, but it, its citations and its history are kept.
        """
        services.delete_event(_editable_event(event_id), current_actor())
        return Response(status=204)


@blp.route("/events/<event_id>/citations", parameters=[_EVENT_ID])
class Citations(MethodView):
    @blp.doc(operationId="createCitation")
    @links(
        201,
        **event_links("$request.path.event_id"),
        DeleteCitation={
            "operationId": "deleteCitation",
            "parameters": {
                "event_id": "$request.path.event_id",
                "citation_id": "$response.body#/id",
                "If-Match": "$response.header.ETag",
            },
        },
    )
    @role_required(EDITOR)
    @write_operation(idempotent=True)
    @requires_if_match
    @blp.arguments(CitationCreateSchema())
    @blp.response(201, CitationSchema, headers=ETAG)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(410, response="GONE")
    def post(self, data: dict[str, Any], event_id: str) -> Any:
        """Cite a source for an event

        Give `source_id`, or the source inline (a known URL reuses that source).
        """
        event = _editable_event(event_id)
        citation = services.add_citation(event, data, current_actor())
        return dump_response(CitationSchema(), citation, 201, _etag_header(event))


@blp.route(
    "/events/<event_id>/citations/<citation_id>",
    parameters=[_EVENT_ID, id_parameter("citation_id")],
)
class CitationById(MethodView):
    @blp.doc(operationId="deleteCitation")
    @links(204, **event_links("$request.path.event_id"))
    @role_required(EDITOR)
    @write_operation()
    @requires_if_match
    @blp.response(204, headers=ETAG)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(410, response="GONE")
    def delete(self, event_id: str, citation_id: str) -> Any:
        """Remove a citation from an event"""
        event = services.get_event(event_id)
        # A citation that is not there is a 404 whatever the If-Match (RFC 9110 13.2.1).
        citation = services.citation_of(event, citation_id)
        check_if_match(event)
        services.remove_citation(event, citation)
        return Response(status=204, headers=_etag_header(event))


@blp.route("/events/<event_id>/reviews", parameters=[_EVENT_ID])
class Reviews(MethodView):
    @blp.doc(operationId="listReviews")
    @cached(PUBLIC)
    @blp.response(200, ReviewListSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(410, response="GONE")
    def get(self, event_id: str) -> Any:
        """The claim's review history, oldest first

        Includes the system's own entries (a decided claim reopened by an edit).
        """
        return {"items": services.reviews_of(services.get_event(event_id))}

    @blp.doc(operationId="createReview")
    @links(201, **event_links("$response.body#/event_id"))
    @role_required(REVIEWER)
    @write_operation(idempotent=True)
    @requires_if_match
    @blp.arguments(ReviewCreateSchema())
    @blp.response(201, ReviewSchema, headers=ETAG)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    @blp.alt_response(410, response="GONE")
    def post(self, data: dict[str, Any], event_id: str) -> Any:
        """Review a claim: change its status, with a note

        `verified` needs a `supports` citation, `false` a `disputes` one, `disputed` one
        of each; a reviewer cannot review an event they created.
        """
        event = _editable_event(event_id)
        review = services.post_review(event, data["status"], data["note"], current_actor())
        etag = _etag_header(event)
        return dump_response(ReviewSchema(), review, 201, etag)


@blp.route("/events/<event_id>/revisions", parameters=[_EVENT_ID])
class Revisions(MethodView):
    @blp.doc(operationId="listRevisions")
    @cached(PUBLIC)
    @blp.response(200, RevisionListSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(410, response="GONE")
    def get(self, event_id: str) -> Any:
        """The event's earlier versions: who changed what, and when"""
        return {"items": services.revisions_of(services.get_event(event_id))}
