"""CSV exports of a pair's timeline and an event's ClaimReview (TimelineJS: test_timelinejs)."""

from __future__ import annotations

import csv
import io

from tests.factories import cite, create_event, review

API = "/api/v1"


class TestCsvExport:
    def test_every_event_in_timeline_order(self, client, tokens):
        late = create_event(client, tokens.editor, title="Late", date="2020", tags=["a", "b"])
        early = create_event(
            client,
            tokens.editor,
            title="=HYPERLINK(1)",
            date="2019-11-05",
            end_date="2019-11-09",
            location={"name": "Amethi", "country": "IN", "lat": 26.15, "lon": 81.81},
        )
        cite(client, tokens.editor, early["id"])
        response = client.get(f"{API}/timelines/RU-IN/csv")
        assert response.status_code == 200
        assert response.mimetype == "text/csv"
        assert response.headers["Content-Disposition"] == 'attachment; filename="IN-RU.csv"'
        rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
        assert [row["id"] for row in rows] == [early["id"], late["id"]]
        first = rows[0]
        assert first["title"] == "'=HYPERLINK(1)"  # a formula is exported as text
        assert (first["date_label"], first["countries"], first["actors"]) == (
            "5–9 Nov 2019",
            "IN;RU",
            "Rajnath Singh",
        )
        assert (first["location_name"], first["lat"], first["lon"]) == ("Amethi", "26.15", "81.81")
        assert (first["citations"], first["approximate"], first["version"]) == ("1", "false", "2")
        assert rows[1]["tags"] == "a;b"

    def test_filters_and_more_than_a_chunk(self, app, client, tokens):
        from tests.test_timelines import _bulk_events

        _bulk_events(app, [{"title": f"e{i}", "date": "2019"} for i in range(1203)])
        create_event(client, tokens.editor, date="2021")
        body = client.get(f"{API}/timelines/IN-RU/csv?to=2020").get_data(as_text=True)
        assert len(body.strip().split("\r\n")) == 1 + 1203

    def test_paging_parameters_are_refused(self, client):
        response = client.get(f"{API}/timelines/IN-RU/csv?limit=5")
        assert response.status_code == 422
        assert response.get_json()["errors"] == {"limit": ["Unknown field."]}

    def test_unknown_pair_is_404_problem(self, client):
        response = client.get(f"{API}/timelines/IN-XX/csv")
        assert response.status_code == 404
        assert response.mimetype == "application/problem+json"


class TestClaimReview:
    def test_decided_claim(self, client, tokens):
        event = create_event(client, tokens.editor, title="AK-203 deal signed")
        cite(client, tokens.editor, event["id"], "disputes")
        review(client, tokens.reviewer, event["id"], "false", "No deal was signed.")
        response = client.get(f"{API}/events/{event['id']}/claim-review")
        assert response.status_code == 200
        assert response.mimetype == "application/ld+json"
        body = response.get_json(force=True)
        appearance = {
            "@type": "CreativeWork",
            "url": "https://www.aninews.in/news/national/general-news/india-russia-defence20191029/",
            "headline": "India, Russia to push Make in India in defence",
            "datePublished": "2019-10-29",
        }
        assert body == {
            "@context": "https://schema.org",
            "@type": "ClaimReview",
            "url": f"http://localhost{API}/events/{event['id']}",
            "claimReviewed": "AK-203 deal signed",
            "datePublished": body["datePublished"],
            "author": {"@type": "Organization", "name": "Timeline"},
            "reviewBody": "No deal was signed.",
            "reviewRating": {
                "@type": "Rating",
                "ratingValue": 1,
                "bestRating": 5,
                "worstRating": 1,
                "alternateName": "False",
            },
            "itemReviewed": {
                "@type": "Claim",
                "appearance": [appearance],
                "firstAppearance": appearance,
            },
        }

    def test_undecided_claim_has_none(self, client, tokens):
        event = create_event(client, tokens.editor)
        response = client.get(f"{API}/events/{event['id']}/claim-review")
        assert response.status_code == 404
        assert response.get_json()["type"] == "urn:timeline:problem:claim-not-decided"
