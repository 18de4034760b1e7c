"""Claim statuses and the editorial rules that change them.

Every new event is ``unverified``; the status changes only through a review.
The allowed transitions form a small state machine, and a decided status needs
evidence: ``verified`` a supporting citation, ``false`` a disputing one,
``disputed`` one of each. A reviewer may not review an event they created
(four eyes) unless the operator allows it.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import NamedTuple


class ClaimStatus(StrEnum):
    UNVERIFIED = "unverified"
    IN_REVIEW = "in_review"
    VERIFIED = "verified"
    DISPUTED = "disputed"
    FALSE = "false"

    @property
    def label(self) -> str:
        """As people say it: 'In review', 'Verified'."""
        return self.value.replace("_", " ").capitalize()


class Stance(StrEnum):
    SUPPORTS = "supports"
    DISPUTES = "disputes"
    CONTEXT = "context"


DECIDED = frozenset({ClaimStatus.VERIFIED, ClaimStatus.DISPUTED, ClaimStatus.FALSE})
AWAITING_REVIEW = frozenset({ClaimStatus.UNVERIFIED, ClaimStatus.IN_REVIEW})

TRANSITIONS: dict[ClaimStatus, frozenset[ClaimStatus]] = {
    ClaimStatus.UNVERIFIED: frozenset(
        {ClaimStatus.IN_REVIEW, ClaimStatus.VERIFIED, ClaimStatus.DISPUTED, ClaimStatus.FALSE}
    ),
    ClaimStatus.IN_REVIEW: frozenset(
        {ClaimStatus.UNVERIFIED, ClaimStatus.VERIFIED, ClaimStatus.DISPUTED, ClaimStatus.FALSE}
    ),
    # A decided claim can only be reopened.
    ClaimStatus.VERIFIED: frozenset({ClaimStatus.IN_REVIEW}),
    ClaimStatus.DISPUTED: frozenset({ClaimStatus.IN_REVIEW}),
    ClaimStatus.FALSE: frozenset({ClaimStatus.IN_REVIEW}),
}

EVIDENCE_NEEDED: dict[ClaimStatus, frozenset[Stance]] = {
    ClaimStatus.VERIFIED: frozenset({Stance.SUPPORTS}),
    ClaimStatus.FALSE: frozenset({Stance.DISPUTES}),
    ClaimStatus.DISPUTED: frozenset({Stance.SUPPORTS, Stance.DISPUTES}),
}

# Edits to these fields change what the claim says, so a decided claim is reopened.
# ``location.country`` is a change of where the event happened, not of the place's name.
SUBSTANTIVE_FIELDS = frozenset(
    {"title", "date", "end_date", "approximate", "countries", "location.country", "citations"}
)

# Edits to these fields of a source change the evidence of every claim that cites it;
# its text is the evidence itself (what the quotes and dates are checked against).
SUBSTANTIVE_SOURCE_FIELDS = frozenset({"url", "title", "publisher", "published_on", "text"})

SYSTEM_REVIEWER = "system"


class ReviewRefused(Exception):
    """A review that breaks an editorial rule; ``rule`` names it for clients."""

    def __init__(self, rule: str, detail: str, *, status: int = 409) -> None:
        super().__init__(detail)
        self.rule = rule
        self.detail = detail
        self.status = status


def check_review(
    *,
    current: ClaimStatus,
    target: ClaimStatus,
    stances: Iterable[Stance],
    reviewer: str,
    creator: str | None,
    allow_self_review: bool,
) -> None:
    """Raise ReviewRefused unless this reviewer may move the claim to ``target``."""
    if not allow_self_review and creator is not None and reviewer == creator:
        raise ReviewRefused(
            "four-eyes",
            f"'{reviewer}' created this event and cannot review it; "
            "another reviewer must decide it.",
        )
    if target not in TRANSITIONS[current]:
        allowed = ", ".join(sorted(TRANSITIONS[current])) or "none"
        raise ReviewRefused(
            "transition",
            f"A claim that is '{current}' cannot move to '{target}'; "
            f"from '{current}' it can move to: {allowed}.",
        )
    missing = EVIDENCE_NEEDED.get(target, frozenset()) - set(stances)
    if missing:
        needed = " and ".join(f"a '{stance}' citation" for stance in sorted(missing))
        raise ReviewRefused(
            "evidence",
            f"Marking a claim '{target}' needs {needed}; "
            "add one with POST /api/v1/events/{id}/citations, then review again.",
        )


def status_after_edit(
    current: ClaimStatus, changed: Iterable[str], source_changes: Iterable[str] = ()
) -> ClaimStatus | None:
    """The status a decided claim falls back to after a substantive edit, if any:
    of the event's own fields (``changed``) or of a source it cites (``source_changes``)."""
    own = SUBSTANTIVE_FIELDS.intersection(changed)
    if current in DECIDED and (own or SUBSTANTIVE_SOURCE_FIELDS.intersection(source_changes)):
        return ClaimStatus.IN_REVIEW
    return None


def reopen_note(
    actor: str,
    status: ClaimStatus,
    changed: Iterable[str],
    sources: Iterable[tuple[str, Iterable[str]]] = (),
) -> str:
    """The history's reason for reopening: who changed what, of the event or of its sources.

    ``sources`` pairs a label naming each edited source with the fields that changed.
    """
    what = []
    fields = ", ".join(changed)
    if fields:
        what.append(f"changed {fields} of a '{status}' claim")
    what += [
        f"changed {', '.join(edited)} of the source {label} that this '{status}' claim cites"
        for label, edited in sources
    ]
    return f"Reopened: {actor} {'; '.join(what)}."


class ClaimReviewRating(NamedTuple):
    """A schema.org ClaimReview rating: its value on a 1-5 scale, its name (the
    claim status in words) and its alternateName (the verdict a search engine shows)."""

    value: int
    name: str
    verdict: str


# For decided claims only.
CLAIM_REVIEW_RATINGS: dict[ClaimStatus, ClaimReviewRating] = {
    ClaimStatus.VERIFIED: ClaimReviewRating(5, "Verified", "True"),
    ClaimStatus.DISPUTED: ClaimReviewRating(3, "Disputed", "Disputed"),
    ClaimStatus.FALSE: ClaimReviewRating(1, "False", "False"),
}
