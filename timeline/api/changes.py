"""The sync feed: every change to events, in commit order, for mirrors."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from ..caching import PUBLIC, cached
from ..feed import feed_page
from ..schemas import ChangesQuery, FeedPageSchema
from . import ApiBlueprint, json_response

blp = ApiBlueprint(
    "changes",
    __name__,
    description="The sync feed: every event created, changed, reviewed or deleted",
)


@blp.route("/changes")
class Changes(MethodView):
    @blp.doc(operationId="listChanges")
    @cached(PUBLIC)
    @blp.arguments(ChangesQuery(), location="query", as_kwargs=True)
    @blp.response(200, FeedPageSchema)
    @blp.alt_response(
        409,
        response="CONFLICT",
        description="`since` is past the end of the feed: rebuild the mirror from the start",
    )
    def get(self, **args: Any) -> Any:
        """The changes to events after a cursor, in the order they committed

        Each create, edit, review or delete of an event (and each change that a
        citation or a cited source makes to it) is one entry, with the event as it
        then was; a deleted event's entry is a tombstone. Start without `since`,
        apply the items in order, and send `next_cursor` as `since` next time: no
        change is missed or seen twice, however many writes run meanwhile.
        """
        return json_response(feed_page(args).json())
