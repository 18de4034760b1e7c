"""The timeline page in a real browser against a real server with the demo data.

gunicorn serves the app (tests/served.py) over SQLite with `flask demo load`;
Chromium, driven by Playwright, opens / and must draw the India–Russia timeline
with TimelineJS, events marked with their claim statuses, show an event's
citations and review history on a click, redraw on the filters, and chart the
events per year; with no request leaving 127.0.0.1, none failing (but the one
empty timeline asked for on purpose) and a clean console. A screenshot goes to
build/screenshots/timeline-page.png. Skipped, saying why, without Chromium.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.served import HOST, served_app
from tests.test_docs_browser import CHROMIUM_ARGS, ROOT, chromium  # noqa: F401  (a fixture)

SCREENSHOT = ROOT / "build" / "screenshots" / "timeline-page.png"
LABELS = {
    "unverified": "Unverified",
    "in_review": "In review",
    "verified": "Verified",
    "disputed": "Disputed",
    "false": "False",
}
NOTHING = "no-such-word-anywhere"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("page-server")
    with served_app(f"sqlite:///{tmp / 'page.db'}", tmp, workers=1) as app:
        app.flask("demo", "load")
        yield app.base_url


def _get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.load(response)


class Browser:
    """A Chromium page that records every request, failure and console message."""

    def __init__(self, playwright: Any, executable: Path) -> None:
        self.requests: list[str] = []
        self.failed: list[str] = []
        self.console: list[str] = []
        self.browser = playwright.chromium.launch(
            executable_path=str(executable), args=CHROMIUM_ARGS, headless=True
        )
        context = self.browser.new_context(viewport={"width": 1280, "height": 1000})
        context.on("request", lambda request: self.requests.append(request.url))
        context.on(
            "requestfailed", lambda request: self.failed.append(f"{request.url}: {request.failure}")
        )
        context.on(
            "response",
            lambda response: (
                response.status >= 400
                and self.failed.append(f"{response.url}: HTTP {response.status}")
            ),
        )
        # Anything for another host is refused, never fetched, and shows up below.
        context.route(
            lambda url: urlsplit(url).hostname != HOST,
            lambda route: route.abort("blockedbyclient"),
        )
        self.page = context.new_page()
        self.page.on("pageerror", lambda error: self.console.append(f"page error: {error}"))
        self.page.on(
            "console",
            lambda message: (
                message.type in {"error", "warning"} and self.console.append(message.text)
            ),
        )

    def left_the_host(self) -> list[str]:
        return [url for url in self.requests if urlsplit(url).hostname != HOST]


@pytest.fixture
def browser(chromium: Path) -> Iterator[Browser]:  # noqa: F811
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        opened = Browser(playwright, chromium)
        try:
            yield opened
        finally:
            opened.browser.close()


def _drawn(page: Any) -> list[dict[str, str]]:
    """The events TimelineJS drew: id, status mark and headline of every marker."""
    return list(
        page.evaluate(
            """() => Array.from(document.querySelectorAll('#timeline-embed .tl-timemarker'))
                .map(m => ({id: m.id.replace(/-marker$/, ''), status: m.dataset.status,
                            title: m.querySelector('.tl-headline').textContent}))"""
        )
    )


def _expected(server: str, query: str = "") -> list[dict[str, str]]:
    items = _get(f"{server}/api/v1/timelines/IN-RU?limit=100{query}")["items"]
    return [{"id": e["id"], "status": e["claim_status"], "title": e["title"]} for e in items]


def _submit(page: Any) -> None:
    page.locator("#filters button[type=submit]").click()
    page.wait_for_selector("#timeline-embed[data-ready]", state="attached")


def _wait_until_centred(page: Any, event_id: str) -> None:
    """Until TimelineJS has glided the event's marker to the middle of the axis."""
    page.wait_for_function(
        """id => { const axis = document.querySelector('#timeline-embed .tl-timenav')
                       .getBoundingClientRect();
                   const marker = document.getElementById(id + '-marker').getBoundingClientRect();
                   return Math.abs(marker.left - (axis.left + axis.width / 2)) < 1; }""",
        arg=event_id,
    )


def test_the_page_draws_the_demo_timeline(browser: Browser, demo_server: str) -> None:
    page = browser.page
    page.goto(f"{demo_server}/", wait_until="networkidle")
    page.wait_for_selector("#timeline-embed[data-ready=true]", timeout=15_000)

    assert page.url == f"{demo_server}/timelines/IN-RU"
    assert page.locator("#pair option:checked").inner_text() == "India and Russia (6)"
    every_event = _expected(demo_server)
    assert len(every_event) == 6
    assert sorted(_drawn(page), key=lambda e: e["id"]) == sorted(every_event, key=lambda e: e["id"])
    assert page.locator("#message").inner_text() == "6 events."
    # Statuses in words as well as colours: the legend and TimelineJS's rows.
    assert page.locator(".legend li").all_inner_texts() == list(LABELS.values())
    rows = {label.strip() for label in page.locator(".tl-timegroup-message").all_text_contents()}
    assert rows == {LABELS[event["status"]] for event in every_event}

    # The first event is shown at once, with its citations.
    first = every_event[0]
    page.wait_for_selector(f'#event-details[data-event-id="{first["id"]}"]')
    assert page.locator("#details-heading").inner_text() == first["title"]

    # Filters: from 2019 leaves the 2019 events.
    page.fill("#from", "2019")
    _submit(page)
    from_2019 = _expected(demo_server, "&from=2019")
    assert len(from_2019) == 5
    assert [e["id"] for e in _drawn(page)] == [e["id"] for e in from_2019]
    assert page.url == f"{demo_server}/timelines/IN-RU?from=2019"

    # Another event, reached with TimelineJS's "next" arrow a click at a time, shows
    # its citations and review history.
    _wait_until_centred(page, from_2019[0]["id"])
    steps = next(i for i, e in enumerate(from_2019) if i and e["status"] == "verified")
    for shown in from_2019[1 : steps + 1]:
        page.locator(".tl-slidenav-next").first.click()
        page.locator(f'#event-details[data-event-id="{shown["id"]}"]').wait_for()
    chosen = from_2019[steps]
    details = page.locator(f'#event-details[data-event-id="{chosen["id"]}"]')
    event = _get(f"{demo_server}/api/v1/events/{chosen['id']}")
    reviews = _get(f"{demo_server}/api/v1/events/{chosen['id']}/reviews")["items"]
    assert details.locator(".badge").first.inner_text() == "Verified"
    citation = event["citations"][0]
    assert details.locator(".citation .quote").first.inner_text() == citation["quote"]
    assert details.locator(".citation .stance").first.inner_text() == "Supports"
    link = details.locator(".citation .source a").first
    assert link.get_attribute("href") == citation["source"]["url"]
    assert link.inner_text() == citation["source"]["title"]
    assert details.locator(".review .review-note").all_inner_texts() == [
        review["note"] for review in reviews
    ]
    _wait_until_centred(page, chosen["id"])
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=True)
    print(f"screenshot: {SCREENSHOT}")

    # Status: only the verified events, each marked so.
    page.locator("#filters button[type=reset]").click()
    page.wait_for_selector("#timeline-embed[data-ready]", state="attached")
    assert page.input_value("#from") == ""
    page.select_option("#status", "verified")
    _submit(page)
    verified = _expected(demo_server, "&status=verified")
    assert 0 < len(verified) < 6
    assert _drawn(page) == verified

    # Words that match nothing: a plain message, no timeline.
    page.select_option("#status", "")
    page.fill("#q", NOTHING)
    _submit(page)
    assert page.locator("#message").inner_text() == (
        "The timeline of IN-RU has no events that these filters keep."
    )
    assert page.locator("#timeline-embed").is_hidden()

    # Events per year, stacked by status where the summary gives them.
    summary = _get(f"{demo_server}/api/v1/timelines/IN-RU/summary")
    bars = page.locator(".year-chart .bar")
    assert bars.count() == len(summary["by_year"])
    for bar, year in zip(bars.all(), summary["by_year"], strict=True):
        assert bar.locator(".year").text_content() == str(year["year"])
        assert bar.locator(".count").text_content() == str(year["count"])
        shown = {
            segment.get_attribute("data-status") or "any"
            for segment in bar.locator(".segment").all()
        }
        by_status = year.get("by_status")
        assert shown == ({s for s, n in by_status.items() if n} if by_status else {"any"})

    empty = f"{demo_server}/api/v1/timelines/IN-RU/timelinejs?q={NOTHING}: HTTP 404"
    assert browser.failed == [empty], "only the empty timeline asked for may fail"
    assert all("404" in message for message in browser.console), browser.console
    assert len(browser.console) <= 1, browser.console
    assert not browser.left_the_host(), browser.left_the_host()


def test_the_page_says_when_reads_need_a_token(
    browser: Browser, tmp_path_factory: pytest.TempPathFactory
) -> None:
    tmp = tmp_path_factory.mktemp("page-token-server")
    settings = {"READS_REQUIRE_TOKEN": "1"}
    with served_app(f"sqlite:///{tmp / 'page.db'}", tmp, workers=1, settings=settings) as app:
        page = browser.page
        page.goto(f"{app.base_url}/timelines/IN-RU", wait_until="networkidle")
        message = page.locator("#message")
        message.wait_for()
        assert "requires an API token to read its timelines" in message.inner_text()
        assert page.locator("#filters").is_hidden()
        assert page.locator("#timeline-section").is_hidden()
    assert browser.failed == [f"{app.base_url}/api/v1/pairs: HTTP 401"]
    assert not browser.left_the_host()
