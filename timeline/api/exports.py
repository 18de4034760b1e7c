"""Exports: a pair's timeline as CSV or TimelineJS, an event as a ClaimReview."""

from __future__ import annotations

import itertools
from typing import Any

import orjson
from flask import Response, current_app, stream_with_context
from flask.views import MethodView

from .. import exports, services
from ..apidoc import id_parameter
from ..caching import PUBLIC, cached
from ..errors import NotFound
from ..limits import EXPENSIVE_READS, rate_limited
from ..schemas import CsvExportQuery, ExportQuery
from . import ApiBlueprint
from .timelines import PAIR_PARAMETER, parse_pair

blp = ApiBlueprint(
    "exports", __name__, description="A pair's timeline as CSV or TimelineJS; ClaimReview"
)

_TIMELINEJS_SCHEMA = {
    "type": "object",
    "description": "Knight Lab TimelineJS 3 JSON: a title slide and one slide per event",
    "required": ["title", "events"],
    "properties": {
        "title": {"type": "object"},
        "events": {"type": "array", "items": {"type": "object"}},
    },
}
_CLAIM_REVIEW_SCHEMA = {
    "type": "object",
    "description": "schema.org ClaimReview (JSON-LD)",
    "required": [
        "@context",
        "@type",
        "url",
        "claimReviewed",
        "datePublished",
        "author",
        "reviewRating",
        "itemReviewed",
    ],
    "properties": {
        "@context": {"type": "string"},
        "@type": {"type": "string"},
        "url": {"type": "string", "description": "The publisher's page of this fact check"},
        "claimReviewed": {"type": "string"},
        "datePublished": {"type": "string"},
        "author": {"type": "object"},
        "reviewBody": {"type": "string"},
        "reviewRating": {"type": "object"},
        "itemReviewed": {"type": "object", "description": "The Claim and where it appeared"},
    },
}


def _ok(content_type: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"200": {"description": description, "content": {content_type: {"schema": schema}}}}


@blp.route("/timelines/<pair>/csv", parameters=[PAIR_PARAMETER])
class TimelineCsv(MethodView):
    @cached(PUBLIC, etag=False)
    @rate_limited(EXPENSIVE_READS)
    @blp.doc(
        operationId="exportPairTimelineCsv",
        responses=_ok("text/csv", {"type": "string"}, "The timeline as CSV, a row per event"),
    )
    @blp.arguments(CsvExportQuery(), location="query", as_kwargs=True)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, pair: str, bom: bool, **args: Any) -> Any:
        """A pair's timeline as CSV

        Every event the filters keep, in timeline order; lists are joined with ';'.
        Numbers are written as they are; a text, or a piece of one after a ';' or a
        line break, that a spreadsheet would read as a formula (= + - @ tab CR) gets
        a "'" before it.
        """
        canonical = parse_pair(pair)
        lines = exports.csv_lines(exports.timeline_events(canonical, args), bom=bom)
        return Response(
            stream_with_context(lines),
            mimetype="text/csv",
            headers={"Content-Disposition": f'attachment; filename="{canonical.id}.csv"'},
        )


@blp.route("/timelines/<pair>/timelinejs", parameters=[PAIR_PARAMETER])
class TimelineJs(MethodView):
    @cached(PUBLIC, etag=False)
    @rate_limited(EXPENSIVE_READS)
    @blp.doc(
        operationId="exportPairTimelineJs",
        responses=_ok("application/json", _TIMELINEJS_SCHEMA, "The timeline as TimelineJS"),
    )
    @blp.arguments(ExportQuery(), location="query", as_kwargs=True)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, pair: str, **args: Any) -> Any:
        """A pair's timeline as Knight Lab TimelineJS JSON

        A dashboard can draw it with TimelineJS and no code of its own. Titles and
        summaries are HTML-escaped (TimelineJS renders them as HTML); slides are
        grouped by claim status. TimelineJS cannot draw a timeline without events,
        so when the filters keep none the answer is a 404 problem of type
        `empty-timeline` rather than a document it would refuse.
        """
        canonical = parse_pair(pair)
        events = exports.timeline_events(canonical, args)
        first = next(events, None)
        if first is None:
            raise NotFound(
                f"The timeline of {canonical.id} has no events"
                + (" that these filters keep." if args.keys() - {"order"} else "."),
                problem_type="empty-timeline",
            )
        chunks = exports.timelinejs_chunks(canonical, itertools.chain([first], events))
        return Response(stream_with_context(chunks), mimetype="application/json")


@blp.route(
    "/events/<event_id>/claim-review",
    parameters=[id_parameter("event_id")],
)
class ClaimReview(MethodView):
    @cached(PUBLIC)
    @rate_limited(EXPENSIVE_READS)
    @blp.doc(
        operationId="getClaimReview",
        responses=_ok("application/ld+json", _CLAIM_REVIEW_SCHEMA, "The ClaimReview JSON-LD"),
    )
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(410, response="GONE")
    def get(self, event_id: str) -> Any:
        """An event's fact check as schema.org ClaimReview

        For a claim decided as verified, disputed or false; the rating maps the status.
        Its url is the publisher's fact-check page (CLAIMREVIEW_URL_TEMPLATE): without
        that setting there is no ClaimReview (404, claim-review-not-configured).
        """
        event = services.get_event(event_id)
        url_template = current_app.config["CLAIMREVIEW_URL_TEMPLATE"]
        if url_template is None:
            raise NotFound(
                "This server publishes no ClaimReview: a ClaimReview must name the "
                "publisher's page of the fact check (its url), and the operator has not set "
                "CLAIMREVIEW_URL_TEMPLATE (such as https://factcheck.example.org/claims/{id}).",
                problem_type="claim-review-not-configured",
            )
        reviews = services.reviews_of(event)
        document = orjson.loads(event.document)
        review = exports.claim_review(
            document,
            {"created_at": reviews[-1].created_at.isoformat(), "note": reviews[-1].note}
            if reviews
            else {},
            url=exports.claim_review_url(url_template, event.id),
            publisher=current_app.config["PUBLISHER_NAME"],
        )
        if review is None:
            raise NotFound(
                f"The claim of event '{event_id}' is '{event.claim_status}': it has no "
                "ClaimReview until a review decides it (verified, disputed or false).",
                problem_type="claim-not-decided",
            )
        return Response(orjson.dumps(review), mimetype="application/ld+json")
