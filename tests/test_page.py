"""The timeline page at / and /timelines/{pair}, in process: HTML, its assets, its policy."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

from tests.test_docs import CONTENT_TYPES, _asset_urls
from timeline.security import PAGE_POLICY

CONTENT_TYPES_HERE = {**CONTENT_TYPES, ".woff2": ("font/woff2",), ".ttf": ("font/ttf",)}


def test_home_and_pair_pages(client: FlaskClient) -> None:
    for path in ("/", "/timelines/IN-RU"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.mimetype == "text/html"
        assert response.headers["Content-Security-Policy"] == PAGE_POLICY
        html = response.get_data(as_text=True)
        assert '<a href="/docs">API reference</a>' in html
        for control in ("pair", "status", "from", "to", "q"):
            assert f'<label for="{control}">' in html, control
    assert '"pair": "IN-RU"' in client.get("/timelines/IN-RU").get_data(as_text=True)


def test_a_pair_in_another_form_redirects_to_its_canonical_page(client: FlaskClient) -> None:
    response = client.get("/timelines/rus-in?status=verified")
    assert response.status_code == 301
    assert response.headers["Location"] == "/timelines/IN-RU"


def test_unknown_pair_is_a_404_page(client: FlaskClient) -> None:
    response = client.get("/timelines/IN-XX")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert "<h2>No such timeline</h2>" in html
    assert "XX" in html
    assert '<a href="/">See the timelines there are</a>' in html
    assert "<script" not in html


def test_the_page_loads_only_assets_of_this_app(client: FlaskClient) -> None:
    html = client.get("/").get_data(as_text=True)
    urls = _asset_urls(html)
    assert "/assets/timelinejs/js/timeline.js" in urls
    assert "/assets/timeline-page.js" in urls
    for url in urls:
        assert url.startswith("/assets/"), f"{url} is not served by this app"
    assert "http://" not in html
    assert "https://" not in html


def test_assets_have_their_content_type_and_cache_control(client: FlaskClient) -> None:
    own = ["/assets/timeline-page.js", "/assets/timeline-page.css"]
    vendored = [
        "/assets/timelinejs/js/timeline.js",
        "/assets/timelinejs/css/timeline.css",
        "/assets/timelinejs/css/fonts/font.default.css",
        "/assets/timelinejs/css/icons/tl-icons.ttf",
        "/assets/timelinejs/fonts/pt-serif-latin-400-normal.woff2",
    ]
    for url in own + vendored:
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.data, url
        suffix = url[url.rindex(".") :]
        assert response.mimetype in CONTENT_TYPES_HERE[suffix], (url, response.mimetype)
        assert response.headers["ETag"], url
    for url in own:  # revalidated on every use, so a new release shows at once
        assert client.get(url).headers["Cache-Control"] == "no-cache", url
    for url in vendored:  # changed only by refreshing the pinned version
        cache_control = client.get(url).cache_control
        assert (cache_control.public, cache_control.max_age) == (True, 86400), url


def test_the_vendored_styles_load_nothing_from_elsewhere(client: FlaskClient) -> None:
    for url in (
        "/assets/timeline-page.css",
        "/assets/timelinejs/css/timeline.css",
        "/assets/timelinejs/css/fonts/font.default.css",
    ):
        css = client.get(url).get_data(as_text=True)
        assert "@import" not in css, url
        for target in re.findall(r"url\(\s*['\"]?([^'\")]*)", css):
            assert not re.match(r"(https?:)?//", target), (url, target)
            assert not target.startswith("/"), (url, target)  # relative to the stylesheet


def test_unknown_asset_is_404(client: FlaskClient) -> None:
    assert client.get("/assets/nothing-here.js").status_code == 404
    assert client.get("/assets/../page.py").status_code == 404
    assert client.get("/assets/timelinejs/README.md").status_code == 200


def test_the_page_is_not_part_of_the_api_spec(client: FlaskClient) -> None:
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert all(path.startswith("/api/v1/") for path in paths)
