"""The timeline page at / and /timelines/{pair}: a read-only view over the public API.

The page is HTML from templates/timeline_page.html; its script
(page_assets/timeline-page.js) reads /api/v1 like any other client and draws
the pair's TimelineJS export with the TimelineJS library vendored in
page_assets/timelinejs (see its README), so nothing loads from another server.
It is not part of the JSON API and stays out of openapi.yaml, as /docs does.
"""

from __future__ import annotations

from pathlib import Path

from flask import (
    Blueprint,
    Flask,
    Response,
    redirect,
    render_template,
    send_from_directory,
    url_for,
)
from werkzeug.wrappers import Response as BaseResponse

from .domain.claims import ClaimStatus
from .domain.countries import CountryPair, InvalidPair, UnknownCountry

ASSETS = Path(__file__).parent / "page_assets"
# The vendored library changes only when its pinned version is refreshed; the
# page's own script and styles are revalidated on every use (ETag, 304).
VENDORED_MAX_AGE = 86_400

blp = Blueprint("page", __name__)


def _page(pair: CountryPair | None, status: int = 200, problem: str | None = None) -> Response:
    html = render_template(
        "timeline_page.html",
        config={
            "pair": pair.id if pair else None,
            "api": "/api/v1",
            "timelinejs_path": url_for("page.asset", filename="timelinejs/js/"),
            "font_css": url_for("page.asset", filename="timelinejs/css/fonts/font.default.css"),
            "statuses": [{"key": s.value, "label": s.label} for s in ClaimStatus],
        },
        statuses=list(ClaimStatus),
        problem=problem,
    )
    return Response(html, status=status, mimetype="text/html")


@blp.get("/")
def home() -> Response:
    """The page with the first pair that has events."""
    return _page(None)


@blp.get("/timelines/<pair>")
def timeline(pair: str) -> BaseResponse:
    """The page with one pair's timeline; its canonical address is IN-RU, not ru-in."""
    try:
        canonical = CountryPair.parse(pair)
    except (InvalidPair, UnknownCountry) as error:
        return _page(None, 404, str(error))
    if canonical.id != pair:
        return redirect(url_for("page.timeline", pair=canonical.id), 301)
    return _page(canonical)


@blp.get("/assets/<path:filename>")
def asset(filename: str) -> Response:
    """The page's script and styles, and the vendored TimelineJS with its fonts."""
    vendored = filename.startswith("timelinejs/")
    response = send_from_directory(ASSETS, filename, max_age=VENDORED_MAX_AGE if vendored else None)
    if vendored:
        response.cache_control.public = True
    else:
        response.cache_control.no_cache = True
    return response


def init_app(app: Flask) -> None:
    app.register_blueprint(blp)
