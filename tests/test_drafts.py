"""Draft events from a source's text: the drafts endpoint, accepting a draft, the CLI."""

from __future__ import annotations

import datetime as dt
import json
from importlib import resources

from sqlalchemy import func, select

from tests.factories import source_body
from timeline.db import db
from timeline.demo import SOURCE as DEMO_SOURCE
from timeline.domain.drafts import propose
from timeline.models import Event

API = "/api/v1"
SEED = (
    resources.files("timeline.demo")
    .joinpath("ani-2019-10-29-india-russia-defence.txt")
    .read_text(encoding="utf-8")
)
VISIT_QUOTES = [
    "In a bid to push 'Make in India', a large industry delegation would be travelling with "
    "Defence Minister Rajnath Singh in the first week of November to Russia, which is the "
    "biggest supplier of defence equipment to India.",
    "The visit scheduled to start from November 5 is coming at a time when the two countries "
    "are pushing for tie-ups and partnership between Indian and Russian companies for the "
    "production of spares and equipment for the Indian forces.",
]
DEAL_QUOTE = (
    "India and Russia have recently signed a deal for joint manufacturing of AK-203 assault "
    "rifles at the Ordnance Factory Board in Amethi."
)


def _source(client, tokens, **overrides):
    response = client.post(
        f"{API}/sources", json=source_body(**{"text": SEED, **overrides}), headers=tokens.editor
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def _event_count(app):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Event))


class TestDrafts:
    def test_the_seed_article_proposes_the_visit_and_the_deal(self, client, tokens):
        source_id = _source(client, tokens)
        response = client.post(f"{API}/sources/{source_id}/drafts", headers=tokens.editor)
        assert response.status_code == 200
        body = response.get_json()
        expected = propose(SEED, dt.date(2019, 10, 29), source_id)
        assert body == {
            "source_id": source_id,
            "items": [{"n": n, **draft} for n, draft in enumerate(expected, 1)],
        }
        visit, _, deal = (item["event"] for item in body["items"])
        assert (visit["date"], visit["end_date"], visit["countries"]) == (
            "2019-11-05",
            None,
            ["IN", "RU"],
        )
        assert "Rajnath Singh" in visit["actors"]
        assert [c["quote"] for c in visit["citations"]] == VISIT_QUOTES
        assert (deal["date"], deal["approximate"], deal["location"]["name"]) == (
            "2019-10",
            True,
            "Amethi",
        )
        assert deal["citations"] == [
            {"source_id": source_id, "quote": DEAL_QUOTE, "stance": "supports"}
        ]

    def test_a_source_without_text_is_a_409_and_stores_nothing(self, app, client, tokens):
        response = client.post(
            f"{API}/sources", json=source_body(), headers=tokens.editor
        ).get_json()
        answer = client.post(f"{API}/sources/{response['id']}/drafts", headers=tokens.editor)
        assert answer.status_code == 409
        assert answer.content_type == "application/problem+json"
        assert answer.get_json()["detail"] == (
            f"Source '{response['id']}' has no text to propose events from; "
            "add the article's text to the source first."
        )
        accept = client.post(
            f"{API}/sources/{response['id']}/drafts/1/accept", headers=tokens.editor
        )
        assert accept.status_code == 409
        assert _event_count(app) == 0

    def test_a_source_without_a_publication_date_is_a_409(self, client, tokens):
        source_id = _source(client, tokens, published_on=None)
        answer = client.post(f"{API}/sources/{source_id}/drafts", headers=tokens.editor)
        assert answer.status_code == 409
        assert "has no publication date" in answer.get_json()["detail"]

    def test_editors_only_and_unknown_sources(self, client, tokens):
        source_id = _source(client, tokens)
        assert client.post(f"{API}/sources/{source_id}/drafts").status_code == 401
        reviewer = client.post(f"{API}/sources/{source_id}/drafts", headers=tokens.reviewer)
        assert reviewer.status_code == 403
        unknown = client.post(f"{API}/sources/nope/drafts", headers=tokens.editor)
        assert unknown.status_code == 404
        assert unknown.get_json()["detail"] == "No source has the id 'nope'."


class TestAccept:
    def test_accepting_a_draft_creates_the_event_unverified(self, app, client, tokens):
        source_id = _source(client, tokens)
        response = client.post(f"{API}/sources/{source_id}/drafts/1/accept", headers=tokens.editor)
        assert response.status_code == 201, response.get_json()
        event = response.get_json()
        assert response.headers["Location"] == f"{API}/events/{event['id']}"
        assert client.get(response.headers["Location"]).get_json() == event
        assert event["claim_status"] == "unverified"
        assert (event["date"], [c["code"] for c in event["countries"]]) == (
            "2019-11-05",
            ["IN", "RU"],
        )
        assert [(c["source"]["id"], c["quote"], c["stance"]) for c in event["citations"]] == [
            (source_id, quote, "supports") for quote in VISIT_QUOTES
        ]
        assert _event_count(app) == 1

    def test_a_number_past_the_drafts_is_a_404(self, app, client, tokens):
        source_id = _source(client, tokens)
        response = client.post(f"{API}/sources/{source_id}/drafts/4/accept", headers=tokens.editor)
        assert response.status_code == 404
        assert response.get_json()["detail"] == (
            f"Source '{source_id}' has 3 drafts; there is no draft 4."
        )
        assert (
            client.post(
                f"{API}/sources/{source_id}/drafts/0/accept", headers=tokens.editor
            ).status_code
            == 404
        )
        assert _event_count(app) == 0

    def test_a_draft_with_one_country_is_a_422_and_stores_nothing(self, app, client, tokens):
        text = "PARIS, Dec 10 (Wire) - French ministers met on Monday. (AFP)"
        source_id = _source(client, tokens, text=text, published_on="2019-12-10")
        response = client.post(f"{API}/sources/{source_id}/drafts/1/accept", headers=tokens.editor)
        assert response.status_code == 422
        assert response.get_json()["errors"] == {"event.countries": ["Give 2 to 20 countries."]}
        assert _event_count(app) == 0

    def test_a_drafts_event_posted_to_events_is_created(self, client, tokens):
        source_id = _source(client, tokens)
        drafts = client.post(f"{API}/sources/{source_id}/drafts", headers=tokens.editor)
        deal = drafts.get_json()["items"][2]["event"]
        response = client.post(f"{API}/events", json=deal, headers=tokens.editor)
        assert response.status_code == 201, response.get_json()
        event = response.get_json()
        assert (event["date"], event["approximate"], event["location"]) == (
            "2019-10",
            True,
            deal["location"],
        )


def test_cli_prints_the_drafts_as_json(client, tokens, runner):
    source_id = _source(client, tokens)
    result = runner.invoke(args=["sources", "drafts", source_id])
    assert result.exit_code == 0, result.output
    api = client.post(f"{API}/sources/{source_id}/drafts", headers=tokens.editor)
    assert json.loads(result.output) == api.get_json()["items"]
    missing = runner.invoke(args=["sources", "drafts", "nope"])
    assert missing.exit_code == 1
    assert "No source has the id 'nope'." in missing.output


def test_the_demo_source_proposes_the_visit_and_the_deal(client, tokens, runner):
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    [source] = client.get(f"{API}/sources", query_string={"url": DEMO_SOURCE["url"]}).get_json()[
        "items"
    ]
    response = client.post(f"{API}/sources/{source['id']}/drafts", headers=tokens.editor)
    assert response.status_code == 200
    events = [item["event"] for item in response.get_json()["items"]]
    visit = next(e for e in events if e["date"] == "2019-11-05")
    assert (visit["countries"], "Rajnath Singh" in visit["actors"]) == (["IN", "RU"], True)
    deal = next(e for e in events if e["location"] and e["location"]["name"] == "Amethi")
    assert (deal["date"], deal["approximate"]) == ("2019-10", True)
    assert [c["quote"] for c in deal["citations"]] == [DEAL_QUOTE]
