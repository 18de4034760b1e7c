"""What kind of change a sync-feed entry reports."""

from __future__ import annotations

from enum import StrEnum


class ChangeKind(StrEnum):
    CREATED = "created"
    CHANGED = "changed"
    REVIEWED = "reviewed"
    DELETED = "deleted"


def change_kind(*, created: bool, deleted: bool, reviewed: bool) -> ChangeKind:
    """The kind of one transaction's change to an event.

    A deleted event is a tombstone whatever else the transaction did; a new event
    is created; a review (a reviewer's, not a reopen by the system) outranks the
    edits made with it; anything else is a change.
    """
    if deleted:
        return ChangeKind.DELETED
    if created:
        return ChangeKind.CREATED
    if reviewed:
        return ChangeKind.REVIEWED
    return ChangeKind.CHANGED
