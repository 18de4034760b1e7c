"""Claim checks through the API, on the demo data: stored with each event, computed
again on every change of the event, its citations or its sources, shown and filtered
in the review queue, and recorded by each review."""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories import etag, review
from timeline.demo import ARTICLE

API = "/api/v1"
VISIT = "Defence Minister Rajnath Singh visits Russia with an industry delegation"
DELEGATION = "Industry delegation includes HAL, BDL, L&T and Adani"
PARTNERSHIP = "India and Russia begin a defence partnership"
NOT_IN_ARTICLE = "Rajnath Singh signed a treaty on the Kremlin lawn."

SINGLE_SOURCE = {
    "code": "single-source",
    "severity": "warning",
    "message": "Every citation comes from one source. Find an independent report of the "
    "event and cite it too.",
    "citation_id": None,
}


def _reported_before(label: str) -> dict[str, Any]:
    return {
        "code": "reported-before-event",
        "severity": "warning",
        "message": f"Every supporting source was published before the event's date ({label}; "
        "the latest on 2019-10-29): they report a plan or a schedule, not that it happened. "
        "Cite a report published on or after the date that confirms it took place.",
        "citation_id": None,
    }


def _quote_not_in_source(source_id: str, citation_id: str) -> dict[str, Any]:
    return {
        "code": "quote-not-in-source",
        "severity": "warning",
        "message": f"The quote of this citation does not occur in the text of its source "
        f"({source_id}). Quote the source word for word (case, spacing and curly or "
        "straight quotes do not matter), or correct the source's text.",
        "citation_id": citation_id,
    }


@pytest.fixture
def demo(client, runner) -> dict[str, dict[str, Any]]:
    """The demo events by title, as the API returns them."""
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    items = client.get(f"{API}/events?pair=IN-RU&limit=50").get_json()["items"]
    return {event["title"]: event for event in items}


def _event(client, event_id: str) -> dict[str, Any]:
    body: dict[str, Any] = client.get(f"{API}/events/{event_id}").get_json()
    return body


def _queue(client, tokens, query: str = "") -> list[str]:
    response = client.get(f"{API}/review-queue?{query}", headers=tokens.reviewer)
    assert response.status_code == 200, response.get_json()
    return [item["event"]["title"] for item in response.get_json()["items"]]


def _cite_not_in_article(client, tokens, event: dict[str, Any]) -> dict[str, Any]:
    source_id = event["citations"][0]["source"]["id"]
    response = client.post(
        f"{API}/events/{event['id']}/citations",
        json={"source_id": source_id, "quote": NOT_IN_ARTICLE, "stance": "supports"},
        headers={**tokens.editor, "If-Match": etag(client, event["id"])},
    )
    assert response.status_code == 201, response.get_json()
    body: dict[str, Any] = response.get_json()
    return body


def _edit_text(client, tokens, source_id: str, text: str) -> None:
    current = client.get(f"{API}/sources/{source_id}")
    response = client.patch(
        f"{API}/sources/{source_id}",
        json={"text": text},
        headers={**tokens.editor2, "If-Match": current.headers["ETag"]},
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["text"] == text


class TestDemo:
    def test_the_visit_was_reported_before_it_happened(self, client, demo):
        visit = demo[VISIT]
        assert visit["checks"] == [SINGLE_SOURCE, _reported_before("5 Nov 2019")]
        assert _event(client, visit["id"])["checks"] == visit["checks"]
        # Every demo quote is in the article; the partnership has only context.
        assert [c["code"] for c in demo[PARTNERSHIP]["checks"]] == [
            "single-source",
            "no-supporting-citation",
        ]
        assert "quote-not-in-source" not in [c["code"] for e in demo.values() for c in e["checks"]]

    def test_the_demo_source_carries_the_article(self, client, demo):
        source_id = demo[VISIT]["citations"][0]["source"]["id"]
        assert "text" not in demo[VISIT]["citations"][0]["source"]
        assert client.get(f"{API}/sources/{source_id}").get_json()["text"] == ARTICLE

    def test_a_quote_not_in_the_article_names_its_citation(self, client, tokens, demo):
        visit = demo[VISIT]
        citation = _cite_not_in_article(client, tokens, visit)
        source_id = citation["source"]["id"]

        current = _event(client, visit["id"])
        assert current["checks"] == [
            _quote_not_in_source(source_id, citation["id"]),
            SINGLE_SOURCE,
            _reported_before("5 Nov 2019"),
        ]
        # The timeline's stored copy is the same document.
        timeline = client.get(f"{API}/timelines/IN-RU?limit=50").get_json()["items"]
        assert next(e for e in timeline if e["id"] == visit["id"]) == current

    def test_editing_the_sources_text_checks_every_citing_event_again(self, client, tokens, demo):
        visit = demo[VISIT]
        citation = _cite_not_in_article(client, tokens, visit)
        source_id = citation["source"]["id"]
        # The new citation reopened the verified claim; the system's entry records the
        # checks the event had then.
        reopened = client.get(f"{API}/events/{visit['id']}/reviews").get_json()["items"][-1]
        assert (reopened["reviewer"], reopened["checks"]) == (
            "system",
            [
                _quote_not_in_source(source_id, citation["id"]),
                SINGLE_SOURCE,
                _reported_before("5 Nov 2019"),
            ],
        )

        _edit_text(client, tokens, source_id, ARTICLE + "\n\n" + NOT_IN_ARTICLE)
        current = _event(client, visit["id"])
        assert current["checks"] == [SINGLE_SOURCE, _reported_before("5 Nov 2019")]

        _edit_text(client, tokens, source_id, "The minister travels to Russia in November.")
        visit_checks = [c["code"] for c in _event(client, visit["id"])["checks"]]
        assert visit_checks == [
            "quote-not-in-source",
            "quote-not-in-source",
            "quote-not-in-source",
            "single-source",
            "reported-before-event",
            "precision-finer-than-sources",
        ]
        deal = _event(
            client, demo["India and Russia sign a deal to make AK-203 rifles at Amethi"]["id"]
        )
        assert [c["code"] for c in deal["checks"]] == [
            "quote-not-in-source",
            "single-source",
        ]  # "November" of a 2019 report is taken to be of 2019: the deal's year is there


class TestReviewQueue:
    def test_items_carry_their_checks_and_filter_by_one(self, client, tokens, demo):
        response = client.get(f"{API}/review-queue", headers=tokens.reviewer).get_json()
        delegation = next(i for i in response["items"] if i["event"]["title"] == DELEGATION)
        assert delegation["event"]["checks"] == [SINGLE_SOURCE, _reported_before("Nov 2019")]

        assert _queue(client, tokens, "check=reported-before-event") == [DELEGATION]
        assert _queue(client, tokens, "check=no-supporting-citation") == [PARTNERSHIP]
        assert _queue(client, tokens, "check=quote-not-in-source") == []
        assert _queue(client, tokens, "check=single-source&status=in_review") == [
            "India-Russia defence trade exceeds five billion dollars a year"
        ]

        # A change that adds a check puts the event under its filter at once.
        _cite_not_in_article(client, tokens, demo[PARTNERSHIP])
        assert _queue(client, tokens, "check=quote-not-in-source") == [PARTNERSHIP]

    def test_an_unknown_code_is_a_422_listing_the_codes(self, client, tokens):
        response = client.get(f"{API}/review-queue?check=single", headers=tokens.reviewer)
        assert response.status_code == 422
        assert response.content_type == "application/problem+json"
        assert response.get_json()["errors"] == {
            "check": [
                "Must be one of: quote-not-in-source, single-source, single-publisher, "
                "reported-before-event, date-not-in-sources, precision-finer-than-sources, "
                "no-supporting-citation."
            ]
        }


class TestReviews:
    def test_a_review_records_the_checks_it_was_made_with(self, client, tokens, demo):
        delegation = demo[DELEGATION]
        response = review(client, tokens.reviewer, delegation["id"], "verified", "Seen.")
        # The checks never block a review.
        assert response.status_code == 201
        assert response.get_json()["checks"] == delegation["checks"]
        history = client.get(f"{API}/events/{delegation['id']}/reviews").get_json()["items"]
        assert history[-1]["checks"] == [SINGLE_SOURCE, _reported_before("Nov 2019")]

    def test_the_demo_reviews_recorded_theirs(self, client, demo):
        history = client.get(f"{API}/events/{demo[VISIT]['id']}/reviews").get_json()["items"]
        assert [(r["to_status"], r["checks"]) for r in history] == [
            ("verified", [SINGLE_SOURCE, _reported_before("5 Nov 2019")])
        ]
