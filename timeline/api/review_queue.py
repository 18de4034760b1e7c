"""The review queue: claims waiting for a reviewer, oldest first."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from sqlalchemy import String, cast, exists, select

from ..auth import EDITOR, REVIEWER, role_required
from ..caching import PRIVATE, cached
from ..domain.claims import AWAITING_REVIEW, Stance
from ..models import Event, PairEvent
from ..read_model import pair_filter, seq_page
from ..schemas import ReviewQueuePageSchema, ReviewQueueQuery
from . import ApiBlueprint

blp = ApiBlueprint("review_queue", __name__, description="Claims waiting for review")


@blp.route("/review-queue")
class ReviewQueue(MethodView):
    @blp.doc(operationId="listReviewQueue")
    @cached(PRIVATE)
    @role_required(EDITOR, REVIEWER)
    @blp.arguments(ReviewQueueQuery(), location="query", as_kwargs=True)
    @blp.response(200, ReviewQueuePageSchema)
    def get(self, **args: Any) -> Any:
        """Events awaiting review, oldest first

        Each item carries its creator and its citation counts by stance, so a
        reviewer can pick the next job (and skip their own); its event carries its
        claim checks, and `check` keeps the events with one of them.
        """
        statuses = [args["status"]] if "status" in args else sorted(AWAITING_REVIEW)
        stmt = select(Event).where(Event.deleted_at.is_(None), Event.claim_status.in_(statuses))
        if "pair" in args:
            pair = pair_filter(args["pair"])
            stmt = stmt.where(exists().where(PairEvent.seq == Event.seq, PairEvent.pair == pair.id))
        if "check" in args:
            # A code appears quoted in the stored JSON only as a check's code (on
            # PostgreSQL and SQLite alike, whatever the spacing), and has no LIKE wildcard.
            stmt = stmt.where(cast(Event.checks, String).like(f'%"{args["check"]}"%'))
        events, next_cursor = seq_page(stmt, Event, args)
        return {"items": [_queue_item(event) for event in events], "next_cursor": next_cursor}


def _queue_item(event: Event) -> dict[str, Any]:
    counts = dict.fromkeys((stance.value for stance in Stance), 0)
    for citation in event.citations:
        counts[citation.stance] += 1
    return {"event": event, "created_by": event.created_by, "citation_counts": counts}
