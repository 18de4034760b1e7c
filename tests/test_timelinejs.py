"""A pair's timeline as Knight Lab TimelineJS JSON: the document, and the real library drawing it.

The browser tests render the export with the vendored TimelineJS in Chromium, on a
harness page without a Content-Security-Policy (so that escaping, not a policy, is
what keeps an event's words from running). Every request is answered by Playwright
from the app's answer and the vendored files: nothing is fetched from anywhere.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.factories import cite, create_event, review
from tests.test_docs_browser import CHROMIUM_ARGS, chromium  # noqa: F401  (a fixture)
from timeline.page import ASSETS

API = "/api/v1"
XSS_TITLE = "<img src=x onerror=window.pwned=1> & co"
HARNESS_ORIGIN = "http://127.0.0.1"


def _export(client: Any, query: str = "") -> Any:
    return client.get(f"{API}/timelines/IN-RU/timelinejs{query}")


class TestDocument:
    def test_slides(self, client, tokens):
        visit = create_event(
            client, tokens.editor, title="Visit", date="2019-11-05", end_date="2019-11-09"
        )
        deal = create_event(client, tokens.editor, title="Deal", date="2019", approximate=True)
        response = _export(client, "?order=asc")
        assert response.status_code == 200
        assert response.mimetype == "application/json"
        body = response.get_json()
        assert body["title"] == {
            "text": {
                "headline": "India and Russia: a timeline",
                "text": "Events between India and Russia.",
            }
        }
        assert body["events"] == [
            {
                "unique_id": deal["id"],
                "start_date": {"year": "2019"},
                "display_date": "c. 2019",
                "text": {"headline": "Deal", "text": "A visit with an industry delegation."},
                "group": "Unverified",
            },
            {
                "unique_id": visit["id"],
                "start_date": {"year": "2019", "month": "11", "day": "5"},
                "display_date": "5–9 Nov 2019",
                "text": {"headline": "Visit", "text": "A visit with an industry delegation."},
                "group": "Unverified",
                "end_date": {"year": "2019", "month": "11", "day": "9"},
            },
        ]

    def test_a_range_ends_on_the_last_day_of_its_unit(self, client, tokens):
        create_event(client, tokens.editor, title="Years", date="1970", end_date="1991")
        create_event(client, tokens.editor, title="Months", date="2019-01", end_date="2020-02")
        create_event(client, tokens.editor, title="Mixed", date="2019-03-04", end_date="2019-04")
        events = _export(client).get_json()["events"]
        slides = {slide["text"]["headline"]: slide for slide in events}
        assert slides["Years"]["start_date"] == {"year": "1970"}
        assert slides["Years"]["end_date"] == {"year": "1991", "month": "12", "day": "31"}
        assert slides["Years"]["display_date"] == "1970–1991"
        assert slides["Months"]["start_date"] == {"year": "2019", "month": "1"}
        assert slides["Months"]["end_date"] == {"year": "2020", "month": "2", "day": "29"}
        assert slides["Mixed"]["end_date"] == {"year": "2019", "month": "4", "day": "30"}

    def test_title_and_summary_are_html_escaped(self, client, tokens):
        create_event(client, tokens.editor, title=XSS_TITLE, summary='"Quoted" <b>bold</b>')
        (slide,) = _export(client).get_json()["events"]
        assert slide["text"] == {
            "headline": "&lt;img src=x onerror=window.pwned=1&gt; &amp; co",
            "text": "&quot;Quoted&quot; &lt;b&gt;bold&lt;/b&gt;",
        }

    def test_groups_are_claim_statuses_as_people_say_them(self, client, tokens):
        labels = {}
        for status in ("unverified", "in_review", "verified", "disputed", "false"):
            event = create_event(client, tokens.editor, title=status)
            if status in {"verified", "disputed"}:
                cite(client, tokens.editor, event["id"], "supports")
            if status in {"disputed", "false"}:
                cite(client, tokens.editor, event["id"], "disputes", url="https://example.org/no")
            if status != "unverified":
                assert review(client, tokens.reviewer, event["id"], status).status_code == 201
        for slide in _export(client).get_json()["events"]:
            labels[slide["text"]["headline"]] = slide["group"]
        assert labels == {
            "unverified": "Unverified",
            "in_review": "In review",
            "verified": "Verified",
            "disputed": "Disputed",
            "false": "False",
        }

    def test_filters_apply(self, client, tokens):
        create_event(client, tokens.editor, title="Old", date="1991")
        create_event(client, tokens.editor, title="New", date="2019")
        body = _export(client, "?from=2000").get_json()
        assert [slide["text"]["headline"] for slide in body["events"]] == ["New"]

    def test_an_empty_timeline_is_a_404_problem(self, client, tokens):
        response = _export(client)
        assert response.status_code == 404
        assert response.mimetype == "application/problem+json"
        assert response.get_json()["type"] == "urn:timeline:problem:empty-timeline"
        assert response.get_json()["detail"] == "The timeline of IN-RU has no events."

        create_event(client, tokens.editor, date="2019")
        filtered = _export(client, "?to=2000")
        assert filtered.status_code == 404
        assert filtered.get_json()["detail"] == (
            "The timeline of IN-RU has no events that these filters keep."
        )

    def test_unknown_pair_and_paging_parameters(self, client):
        unknown = client.get(f"{API}/timelines/IN-XX/timelinejs")
        assert unknown.status_code == 404
        assert unknown.get_json()["type"] == "urn:timeline:problem:unknown-pair"
        paged = _export(client, "?limit=5")
        assert paged.status_code == 422
        assert paged.get_json()["errors"] == {"limit": ["Unknown field."]}


# --- the real TimelineJS -----------------------------------------------------------

_HARNESS = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<link rel="stylesheet" href="/assets/timelinejs/css/timeline.css"></head>
<body><div id="timeline" style="width: 1100px; height: 650px"></div>
<script id="data" type="application/json">{data}</script>
<script src="/assets/timelinejs/js/timeline.js"></script>
<script>
  window.harness = {{ loaded: false }};
  var data = JSON.parse(document.getElementById("data").textContent);
  var timeline = new TL.Timeline("timeline", data, {{
    script_path: window.location.origin + "/assets/timelinejs/js/", font: null
  }});
  timeline.on("loaded", function () {{ window.harness.loaded = true; }});
  window.harness.timeline = timeline;
</script></body></html>"""


@pytest.fixture
def render(chromium: Path) -> Iterator[Any]:  # noqa: F811
    """Render a TimelineJS document in Chromium; the page, and what went wrong on it."""
    from playwright.sync_api import Route, sync_playwright

    problems: list[str] = []

    def answer(route: Route, document: dict[str, Any]) -> None:
        path = route.request.url.removeprefix(HARNESS_ORIGIN)
        if path == "/harness":
            html = _HARNESS.format(data=json.dumps(document).replace("</", "<\\/"))
            route.fulfill(body=html, content_type="text/html")
        elif path.startswith("/assets/") and (ASSETS / path.removeprefix("/assets/")).is_file():
            route.fulfill(path=ASSETS / path.removeprefix("/assets/"))
        else:
            problems.append(f"unexpected request {route.request.url}")
            route.abort("blockedbyclient")

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(chromium), args=CHROMIUM_ARGS, headless=True
        )
        try:

            def open_document(document: dict[str, Any]) -> Any:
                context = browser.new_context(viewport={"width": 1200, "height": 800})
                context.route("**/*", lambda route: answer(route, document))
                page = context.new_page()
                page.on("pageerror", lambda error: problems.append(str(error)))
                page.goto(f"{HARNESS_ORIGIN}/harness")
                return page

            yield open_document, problems
        finally:
            browser.close()


@pytest.mark.slow
def test_timelinejs_draws_the_export(client, tokens, render):
    open_document, problems = render
    years = create_event(client, tokens.editor, title="Soviet years", date="1970", end_date="1991")
    xss = create_event(client, tokens.editor, title=XSS_TITLE, date="2019-11-05")
    cite(client, tokens.editor, xss["id"])
    review(client, tokens.reviewer, xss["id"], "in_review")
    page = open_document(_export(client).get_json())
    page.wait_for_function("window.harness.loaded")

    slide = page.locator(f'[id="{xss["id"]}"]')
    assert slide.locator(".tl-headline").inner_text().strip() == XSS_TITLE
    assert slide.locator("img").count() == 0
    assert page.evaluate("window.pwned") is None

    end = page.evaluate(
        """id => { const d = window.harness.timeline.getDataById(id).end_date.data.date_obj;
                   return [d.getFullYear(), d.getMonth() + 1, d.getDate()]; }""",
        years["id"],
    )
    assert end == [1991, 12, 31]
    groups = page.locator(".tl-timegroup-message").all_inner_texts()
    assert sorted(label.strip().lower() for label in groups) == ["in review", "unverified"]
    assert not problems, problems


@pytest.mark.slow
def test_timelinejs_refuses_a_document_without_events(client, render):
    """Why an empty timeline is a 404 problem: the library draws nothing but an error."""
    open_document, problems = render
    assert _export(client).status_code == 404
    title_only = {"title": {"text": {"headline": "India and Russia: a timeline"}}, "events": []}
    page = open_document(title_only)
    message = page.locator(".tl-message-full")
    message.wait_for()
    assert "Timeline configuration has no events" in message.inner_text()
    assert page.evaluate("window.harness.loaded") is False
    assert not problems, problems
