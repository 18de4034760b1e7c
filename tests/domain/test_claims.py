"""Unit tests for timeline.domain.claims: transitions, evidence, four eyes and reopening."""

from __future__ import annotations

import itertools
from collections.abc import Iterable

import pytest

from timeline.domain.claims import (
    AWAITING_REVIEW,
    DECIDED,
    SUBSTANTIVE_FIELDS,
    SUBSTANTIVE_SOURCE_FIELDS,
    TRANSITIONS,
    ClaimStatus,
    ReviewRefused,
    Stance,
    check_review,
    reopen_note,
    status_after_edit,
)

S = ClaimStatus
UNVERIFIED, IN_REVIEW, VERIFIED, DISPUTED, FALSE = (
    S.UNVERIFIED,
    S.IN_REVIEW,
    S.VERIFIED,
    S.DISPUTED,
    S.FALSE,
)
SUPPORTS, DISPUTES, CONTEXT = Stance.SUPPORTS, Stance.DISPUTES, Stance.CONTEXT

# The state machine, written out independently of the module.
ALLOWED = {
    UNVERIFIED: {IN_REVIEW, VERIFIED, DISPUTED, FALSE},
    IN_REVIEW: {UNVERIFIED, VERIFIED, DISPUTED, FALSE},
    VERIFIED: {IN_REVIEW},
    DISPUTED: {IN_REVIEW},
    FALSE: {IN_REVIEW},
}
ALL_PAIRS = list(itertools.product(ClaimStatus, ClaimStatus))
# PRODUCT.md, editorial rule 2.
NEEDS = {
    VERIFIED: {SUPPORTS},
    FALSE: {DISPUTES},
    DISPUTED: {SUPPORTS, DISPUTES},
    IN_REVIEW: set(),
    UNVERIFIED: set(),
}
STANCE_SETS = [
    set(combo) for size in range(4) for combo in itertools.combinations(list(Stance), size)
]


def review(
    current: ClaimStatus,
    target: ClaimStatus,
    stances: Iterable[Stance | str] = (SUPPORTS, DISPUTES),
    *,
    reviewer: str = "rita",
    creator: str | None = "ed",
    allow_self_review: bool = False,
) -> None:
    check_review(
        current=current,
        target=target,
        stances=stances,  # type: ignore[arg-type]
        reviewer=reviewer,
        creator=creator,
        allow_self_review=allow_self_review,
    )


def refusal(*args: object, **kwargs: object) -> ReviewRefused:
    with pytest.raises(ReviewRefused) as caught:
        review(*args, **kwargs)  # type: ignore[arg-type]
    return caught.value


def refused_rule(*args: object, **kwargs: object) -> str | None:
    """The rule a review breaks, or None when it is allowed."""
    try:
        review(*args, **kwargs)  # type: ignore[arg-type]
    except ReviewRefused as refused:
        return refused.rule
    return None


class TestStatuses:
    def test_values(self) -> None:
        assert [s.value for s in ClaimStatus] == [
            "unverified",
            "in_review",
            "verified",
            "disputed",
            "false",
        ]
        assert [s.value for s in Stance] == ["supports", "disputes", "context"]

    def test_decided_and_awaiting_review_split_the_statuses(self) -> None:
        assert {VERIFIED, DISPUTED, FALSE} == DECIDED
        assert {UNVERIFIED, IN_REVIEW} == AWAITING_REVIEW
        assert DECIDED.isdisjoint(AWAITING_REVIEW)
        assert set(ClaimStatus) == DECIDED | AWAITING_REVIEW

    def test_every_status_has_a_row_in_the_table(self) -> None:
        assert set(TRANSITIONS) == set(ClaimStatus)


class TestTransitions:
    def test_table_is_exactly_the_expected_machine(self) -> None:
        assert {current: set(targets) for current, targets in TRANSITIONS.items()} == ALLOWED

    @pytest.mark.parametrize(
        ("current", "target"), [pair for pair in ALL_PAIRS if pair[1] in ALLOWED[pair[0]]]
    )
    def test_allowed_transition(self, current: ClaimStatus, target: ClaimStatus) -> None:
        review(current, target)  # evidence for every target, another reviewer: no refusal

    @pytest.mark.parametrize(
        ("current", "target"), [pair for pair in ALL_PAIRS if pair[1] not in ALLOWED[pair[0]]]
    )
    def test_refused_transition(self, current: ClaimStatus, target: ClaimStatus) -> None:
        refused = refusal(current, target)
        assert refused.rule == "transition"
        assert refused.status == 409
        assert f"'{current}'" in refused.detail
        assert f"'{target}'" in refused.detail
        # the message lists where the claim can go instead
        for allowed in ALLOWED[current]:
            assert str(allowed) in refused.detail

    def test_no_status_moves_to_itself(self) -> None:
        for status in ClaimStatus:
            assert refusal(status, status).rule == "transition"

    def test_a_decided_claim_can_only_be_reopened(self) -> None:
        for decided in DECIDED:
            review(decided, IN_REVIEW, ())
            for other in set(ClaimStatus) - {IN_REVIEW}:
                assert refusal(decided, other).rule == "transition"


class TestEvidence:
    @pytest.mark.parametrize("target", [VERIFIED, FALSE, DISPUTED])
    @pytest.mark.parametrize("stances", STANCE_SETS, ids=lambda s: "+".join(sorted(s)) or "none")
    def test_decided_status_needs_its_stances(
        self, target: ClaimStatus, stances: set[Stance]
    ) -> None:
        if NEEDS[target] <= stances:
            review(IN_REVIEW, target, stances)
        else:
            refused = refusal(IN_REVIEW, target, stances)
            assert refused.rule == "evidence"
            assert refused.status == 409
            assert f"'{target}'" in refused.detail
            for missing in NEEDS[target] - stances:
                assert f"'{missing}' citation" in refused.detail
            for present in stances & NEEDS[target]:
                assert f"'{present}' citation" not in refused.detail

    @pytest.mark.parametrize(
        ("current", "target"), [(UNVERIFIED, IN_REVIEW), (IN_REVIEW, UNVERIFIED)]
    )
    def test_undecided_statuses_need_no_evidence(
        self, current: ClaimStatus, target: ClaimStatus
    ) -> None:
        review(current, target, ())

    @pytest.mark.parametrize("decided", [VERIFIED, DISPUTED, FALSE])
    def test_reopening_needs_no_evidence(self, decided: ClaimStatus) -> None:
        review(decided, IN_REVIEW, ())

    @pytest.mark.parametrize("target", [VERIFIED, FALSE, DISPUTED])
    def test_context_citations_never_count(self, target: ClaimStatus) -> None:
        assert refusal(UNVERIFIED, target, [CONTEXT] * 5).rule == "evidence"

    def test_disputed_with_one_side_only_is_refused(self) -> None:
        assert refusal(IN_REVIEW, DISPUTED, [SUPPORTS, SUPPORTS]).rule == "evidence"
        assert refusal(IN_REVIEW, DISPUTED, [DISPUTES, CONTEXT]).rule == "evidence"

    def test_repeated_stances_are_fine(self) -> None:
        review(IN_REVIEW, VERIFIED, [SUPPORTS, SUPPORTS, CONTEXT])

    def test_stances_may_be_a_one_shot_iterator_or_plain_strings(self) -> None:
        review(IN_REVIEW, DISPUTED, iter([SUPPORTS, DISPUTES]))
        review(IN_REVIEW, DISPUTED, ["supports", "disputes"])
        assert refusal(IN_REVIEW, VERIFIED, ["context"]).rule == "evidence"

    def test_disputed_with_nothing_names_both_stances(self) -> None:
        detail = refusal(IN_REVIEW, DISPUTED, ()).detail
        assert "'disputes' citation" in detail
        assert "'supports' citation" in detail


class TestFourEyes:
    def test_creator_cannot_review_their_own_event(self) -> None:
        refused = refusal(IN_REVIEW, VERIFIED, reviewer="ed", creator="ed")
        assert refused.rule == "four-eyes"
        assert refused.status == 409
        assert "'ed'" in refused.detail

    @pytest.mark.parametrize(
        ("current", "target"), [(IN_REVIEW, UNVERIFIED), (VERIFIED, IN_REVIEW)]
    )
    def test_applies_to_every_review_even_without_evidence_rules(
        self, current: ClaimStatus, target: ClaimStatus
    ) -> None:
        assert refusal(current, target, reviewer="ed", creator="ed").rule == "four-eyes"

    def test_operator_can_allow_self_review(self) -> None:
        review(IN_REVIEW, VERIFIED, reviewer="ed", creator="ed", allow_self_review=True)

    def test_another_reviewer_may_review(self) -> None:
        review(IN_REVIEW, VERIFIED, reviewer="rita", creator="ed")

    def test_event_without_known_creator_can_be_reviewed(self) -> None:
        review(IN_REVIEW, VERIFIED, reviewer="rita", creator=None)

    def test_names_are_compared_exactly(self) -> None:
        review(IN_REVIEW, VERIFIED, reviewer="Ed", creator="ed")


class TestRuleOrder:
    def test_four_eyes_before_transition(self) -> None:
        assert refusal(VERIFIED, FALSE, reviewer="ed", creator="ed").rule == "four-eyes"

    def test_four_eyes_before_evidence(self) -> None:
        assert refusal(IN_REVIEW, VERIFIED, (), reviewer="ed", creator="ed").rule == "four-eyes"

    def test_transition_before_evidence(self) -> None:
        assert refusal(VERIFIED, FALSE, ()).rule == "transition"

    def test_allowed_self_review_still_checks_transition_and_evidence(self) -> None:
        kwargs = {"reviewer": "ed", "creator": "ed", "allow_self_review": True}
        assert refusal(VERIFIED, FALSE, (), **kwargs).rule == "transition"
        assert refusal(IN_REVIEW, FALSE, (), **kwargs).rule == "evidence"

    @pytest.mark.parametrize("allow_self_review", [False, True])
    @pytest.mark.parametrize("creator", ["rita", "ed", None])
    def test_exhaustive_against_a_reference(
        self, creator: str | None, allow_self_review: bool
    ) -> None:
        """Every (from, to, evidence) for this reviewer set-up: refused by the first broken
        rule in the order four-eyes, transition, evidence, or allowed."""
        for (current, target), stances in itertools.product(ALL_PAIRS, STANCE_SETS):
            if creator == "rita" and not allow_self_review:
                expected: str | None = "four-eyes"
            elif target not in ALLOWED[current]:
                expected = "transition"
            elif not NEEDS[target] <= stances:
                expected = "evidence"
            else:
                expected = None
            got = refused_rule(
                current,
                target,
                stances,
                reviewer="rita",
                creator=creator,
                allow_self_review=allow_self_review,
            )
            assert got == expected, (current, target, stances)


class TestReviewRefused:
    def test_carries_rule_detail_and_status(self) -> None:
        error = ReviewRefused("evidence", "needs a citation")
        assert isinstance(error, Exception)
        assert (error.rule, error.detail, error.status) == ("evidence", "needs a citation", 409)
        assert str(error) == "needs a citation"

    def test_status_can_be_set(self) -> None:
        assert ReviewRefused("x", "y", status=422).status == 422


SUBSTANTIVE = [
    "title",
    "date",
    "end_date",
    "approximate",
    "countries",
    "citations",
    "location.country",
]
NON_SUBSTANTIVE = ["summary", "tags", "actors", "location"]


class TestStatusAfterEdit:
    def test_substantive_fields(self) -> None:
        assert set(SUBSTANTIVE) == SUBSTANTIVE_FIELDS

    @pytest.mark.parametrize("status", list(ClaimStatus))
    @pytest.mark.parametrize("field", SUBSTANTIVE + NON_SUBSTANTIVE)
    def test_each_status_and_field(self, status: ClaimStatus, field: str) -> None:
        expected = (
            IN_REVIEW if status in {VERIFIED, DISPUTED, FALSE} and field in SUBSTANTIVE else None
        )
        assert status_after_edit(status, [field]) == expected

    @pytest.mark.parametrize("status", [VERIFIED, DISPUTED, FALSE])
    def test_a_substantive_field_among_others_reopens(self, status: ClaimStatus) -> None:
        assert status_after_edit(status, ["summary", "tags", "countries"]) is IN_REVIEW

    @pytest.mark.parametrize("status", list(ClaimStatus))
    def test_only_non_substantive_fields_keep_the_status(self, status: ClaimStatus) -> None:
        assert status_after_edit(status, NON_SUBSTANTIVE) is None

    @pytest.mark.parametrize("status", list(ClaimStatus))
    def test_nothing_changed_keeps_the_status(self, status: ClaimStatus) -> None:
        assert status_after_edit(status, []) is None

    def test_unknown_field_names_do_not_reopen(self) -> None:
        assert status_after_edit(VERIFIED, ["Title", "claim_status", "version"]) is None

    def test_accepts_any_iterable(self) -> None:
        assert status_after_edit(VERIFIED, (f for f in ["summary", "date"])) is IN_REVIEW
        assert status_after_edit(FALSE, {"citations"}) is IN_REVIEW

    @pytest.mark.parametrize("status", [UNVERIFIED, IN_REVIEW])
    def test_undecided_claims_are_never_moved(self, status: ClaimStatus) -> None:
        assert status_after_edit(status, SUBSTANTIVE + NON_SUBSTANTIVE) is None


class TestSourceEdits:
    @pytest.mark.parametrize("status", [VERIFIED, DISPUTED, FALSE])
    @pytest.mark.parametrize("field", sorted(SUBSTANTIVE_SOURCE_FIELDS))
    def test_a_substantive_source_edit_reopens(self, status: ClaimStatus, field: str) -> None:
        assert status_after_edit(status, [], [field]) is IN_REVIEW

    @pytest.mark.parametrize("status", list(ClaimStatus))
    def test_other_source_fields_keep_the_status(self, status: ClaimStatus) -> None:
        assert status_after_edit(status, [], ["version", "id"]) is None

    @pytest.mark.parametrize("status", [UNVERIFIED, IN_REVIEW])
    def test_undecided_claims_are_never_moved(self, status: ClaimStatus) -> None:
        assert status_after_edit(status, [], sorted(SUBSTANTIVE_SOURCE_FIELDS)) is None


class TestReopenNote:
    def test_own_fields(self) -> None:
        note = reopen_note("ed", VERIFIED, ["title", "date"])
        assert note == "Reopened: ed changed title, date of a 'verified' claim."

    def test_sources_are_named(self) -> None:
        note = reopen_note("ed", FALSE, [], [("'Wire' (7)", ["url", "title"])])
        assert note == (
            "Reopened: ed changed url, title of the source 'Wire' (7) "
            "that this 'false' claim cites."
        )

    def test_both(self) -> None:
        note = reopen_note("ed", DISPUTED, ["countries"], [("'A' (1)", ["publisher"])])
        assert note == (
            "Reopened: ed changed countries of a 'disputed' claim; "
            "changed publisher of the source 'A' (1) that this 'disputed' claim cites."
        )
