"""The review queue: claims waiting for a reviewer, oldest first."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from sqlalchemy import exists, select

from ..auth import EDITOR, REVIEWER, role_required
from ..cursors import decode_cursor, encode_cursor
from ..db import db
from ..domain.claims import AWAITING_REVIEW
from ..domain.countries import CountryPair
from ..errors import UnprocessableEntity
from ..models import Event, PairEvent
from ..schemas import ReviewQueuePageSchema, ReviewQueueQuery
from . import ApiBlueprint

blp = ApiBlueprint("review_queue", __name__, description="Claims waiting for review")


@blp.route("/review-queue")
class ReviewQueue(MethodView):
    @blp.doc(operationId="listReviewQueue")
    @role_required(EDITOR, REVIEWER)
    @blp.arguments(ReviewQueueQuery(), location="query", as_kwargs=True)
    @blp.response(200, ReviewQueuePageSchema)
    def get(self, **args: Any) -> Any:
        """Events awaiting review, oldest first

        Each item carries its creator and its citation counts by stance, so a
        reviewer can pick the next job (and skip their own).
        """
        statuses = [args["status"]] if "status" in args else sorted(AWAITING_REVIEW)
        stmt = (
            select(Event)
            .where(Event.deleted_at.is_(None), Event.claim_status.in_(statuses))
            .order_by(Event.seq)
            .limit(args["limit"] + 1)
        )
        if "pair" in args:
            try:
                pair = CountryPair.parse(args["pair"])
            except ValueError as error:
                raise UnprocessableEntity(str(error), errors={"pair": [str(error)]}) from None
            stmt = stmt.where(exists().where(PairEvent.seq == Event.seq, PairEvent.pair == pair.id))
        if "cursor" in args:
            (after,) = decode_cursor(args["cursor"], (int,))
            stmt = stmt.where(Event.seq > after)
        events = list(db.session.scalars(stmt))
        next_cursor = None
        if len(events) > args["limit"]:
            events = events[: args["limit"]]
            next_cursor = encode_cursor(events[-1].seq)
        return {"items": [_queue_item(event) for event in events], "next_cursor": next_cursor}


def _queue_item(event: Event) -> dict[str, Any]:
    counts = {"supports": 0, "disputes": 0, "context": 0}
    for citation in event.citations:
        counts[citation.stance] += 1
    return {"event": event, "created_by": event.created_by, "citation_counts": counts}
