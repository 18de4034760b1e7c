"""The API reference at /docs, in process: a page whose every asset this app serves."""

from __future__ import annotations

from html.parser import HTMLParser

from flask.testing import FlaskClient

CONTENT_TYPES = {
    ".js": ("text/javascript", "application/javascript"),
    ".css": ("text/css",),
    ".png": ("image/png",),
}


class _AssetLinks(HTMLParser):
    """The URLs a page loads: script src and link href."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        wanted = {"script": "src", "link": "href", "img": "src"}.get(tag)
        for name, value in attrs:
            if name == wanted and value:
                self.urls.append(value)


def _asset_urls(html: str) -> list[str]:
    parser = _AssetLinks()
    parser.feed(html)
    return parser.urls


def test_docs_page_loads_only_local_assets(client: FlaskClient) -> None:
    response = client.get("/docs")

    assert response.status_code == 200
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    urls = _asset_urls(html)
    assert {"/docs/assets/swagger-ui-bundle.js", "/docs/assets/swagger-ui.css"} <= set(urls)
    # A favicon of our own, so the browser does not ask for /favicon.ico.
    assert any(url.endswith(".png") for url in urls)
    for url in urls:
        assert url.startswith("/docs/assets/"), f"{url} is not served by this app"
    assert "http://" not in html
    assert "https://" not in html
    assert '"/api/v1/openapi.json"' in html


def test_docs_assets_are_served_with_their_content_type(client: FlaskClient) -> None:
    urls = _asset_urls(client.get("/docs").get_data(as_text=True))

    assert urls
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.data, url
        suffix = url[url.rindex(".") :]
        assert response.mimetype in CONTENT_TYPES[suffix], (url, response.mimetype)


def test_unknown_docs_asset_is_404(client: FlaskClient) -> None:
    assert client.get("/docs/assets/nothing-here.js").status_code == 404
    assert client.get("/docs/assets/../__init__.py").status_code == 404
