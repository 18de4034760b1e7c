"""The API reference at /docs, in a real browser against a real server.

gunicorn serves the app on a free loopback port over a migrated SQLite
database; Debian's Chromium, driven by Playwright, opens /docs and must render
every operation of the spec without a single request leaving 127.0.0.1 or
failing, and without a console error (a Content-Security-Policy violation is
one). A screenshot goes to build/screenshots/docs.png.

Needs the 'playwright' Python package (the dev extras) and Chromium at
/usr/bin/chromium ('apt-get install -y chromium'); never 'playwright install'.
Without either the test is skipped, saying which is missing.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.served import HOST, served_app

ROOT = Path(__file__).resolve().parents[1]
SCREENSHOT = ROOT / "build" / "screenshots" / "docs.png"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def chromium() -> Path:
    """Chromium and Playwright, or a skip that says what is missing and how to get it."""
    missing = []
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append(
            "the Python package 'playwright' (install the dev extras: "
            "make install-dev, or .venv/bin/pip install -c constraints.txt -e '.[dev]'; "
            "do not run 'playwright install')"
        )
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        missing.append(f"Chromium at {CHROMIUM} (Debian: apt-get install -y chromium)")
    if missing:
        pytest.skip("BROWSER TEST SKIPPED: missing " + " and ".join(missing))
    return CHROMIUM


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The base URL of gunicorn serving the app over a freshly migrated SQLite database."""
    tmp = tmp_path_factory.mktemp("docs-server")
    with served_app(f"sqlite:///{tmp / 'docs.db'}", tmp, workers=1) as app:
        yield app.base_url


def _operation_ids(base: str) -> set[str]:
    with urllib.request.urlopen(f"{base}/api/v1/openapi.json", timeout=10) as response:
        spec = json.load(response)
    return {
        operation["operationId"]
        for path_item in spec["paths"].values()
        for operation in path_item.values()
        if isinstance(operation, dict) and "operationId" in operation
    }


def test_docs_render_every_operation_from_loopback_only(chromium: Path, server: str) -> None:
    from playwright.sync_api import ConsoleMessage, Request, Response, sync_playwright

    expected = _operation_ids(server)
    assert "listPairTimeline" in expected

    requests: list[str] = []
    failed: list[str] = []
    errors: list[str] = []
    console: list[str] = []

    def on_request(request: Request) -> None:
        requests.append(request.url)

    def on_request_failed(request: Request) -> None:
        failed.append(f"{request.url}: {request.failure}")

    def on_console(message: ConsoleMessage) -> None:
        if message.type in {"error", "warning"}:
            console.append(message.text)

    def on_response(response: Response) -> None:
        if response.status >= 400:
            failed.append(f"{response.url}: HTTP {response.status}")

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(chromium), args=CHROMIUM_ARGS, headless=True
        )
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 1000})
            context.on("request", on_request)
            context.on("requestfailed", on_request_failed)
            context.on("response", on_response)
            # Anything for another host is refused, never fetched, and shows up below.
            context.route(
                lambda url: urlsplit(url).hostname != HOST,
                lambda route: route.abort("blockedbyclient"),
            )
            page = context.new_page()
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.on("console", on_console)

            page.goto(f"{server}/docs", wait_until="networkidle")
            page.wait_for_selector(".opblock-summary-operation-id", timeout=15_000)
            page.wait_for_load_state("networkidle")

            rendered = set(page.locator(".opblock-summary-operation-id").all_inner_texts())
            path = page.locator('.opblock-summary-path[data-path="/api/v1/timelines/{pair}"]')
            assert path.count() >= 1, "the path /api/v1/timelines/{pair} is not rendered"
            assert page.locator(".swagger-ui .info .title").inner_text().startswith("Timeline API")

            # "Try it out" fetches from this origin, as the page's policy allows.
            health = page.locator("#operations-health-getHealth")
            health.locator(".opblock-summary").click()
            health.locator("button.try-out__btn").click()
            health.locator("button.execute").click()
            status = health.locator(".live-responses-table tbody td.response-col_status").first
            status.wait_for(timeout=15_000)
            assert status.inner_text().strip() == "200"
            SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOT))
        finally:
            browser.close()

    assert "listPairTimeline" in rendered
    assert rendered == expected, {
        "not rendered": sorted(expected - rendered),
        "unexpected": sorted(rendered - expected),
    }
    assert not errors, errors
    assert not console, console
    assert not failed, failed
    assert f"{server}/docs" in requests
    assert f"{server}/api/v1/openapi.json" in requests
    elsewhere = [url for url in requests if urlsplit(url).hostname != HOST]
    assert not elsewhere, f"requests that left {HOST}: {elsewhere}"
