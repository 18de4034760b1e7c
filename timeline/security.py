"""Headers every response carries, and no Content-Type on answers without a body.

The API answers JSON only, so its Content-Security-Policy allows nothing at
all; the reference page at /docs gets exactly what Swagger UI needs from this
server (its scripts, styles, icons, and fetching the spec), and the timeline
page (timeline/page.py) what it and TimelineJS need: this server's scripts,
styles, fonts and API. The server's own
error answers (timeline/server.py) carry the same headers.
"""

from __future__ import annotations

from flask import Flask, Response, request

# Nothing may be loaded, framed or submitted: an API answer is data, not a page.
API_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

# Swagger UI: its bundle and init script and stylesheet from /docs/assets; its
# SVG icons as data: URIs in the stylesheet; the spec and "Try it out" requests
# to this origin.
DOCS_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)

DOCS_PATH = "/docs"

# The timeline page: its script and TimelineJS, their stylesheets (TimelineJS
# adds its font stylesheet itself and sets element styles from script, which a
# policy does not restrict), the fonts they name, and reads of /api/v1.
PAGE_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; font-src 'self'; "
    "img-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "form-action 'none'"
)
PAGE_ENDPOINTS = frozenset({"page.home", "page.timeline"})

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": API_POLICY,
}

# Statuses whose answers never have a body (RFC 9110 sections 15.3.5 and 15.4.5).
_BODILESS = frozenset({204, 304})


def add_security_headers(response: Response) -> Response:
    response.headers.update(SECURITY_HEADERS)
    if request.path == DOCS_PATH:
        response.headers["Content-Security-Policy"] = DOCS_POLICY
    elif request.endpoint in PAGE_ENDPOINTS:
        response.headers["Content-Security-Policy"] = PAGE_POLICY
    # Flask labels every response text/html by default, bodies or not.
    if response.status_code in _BODILESS or (
        request.method == "OPTIONS" and response.calculate_content_length() == 0
    ):
        del response.headers["Content-Type"]
    return response


def init_app(app: Flask) -> None:
    app.after_request(add_security_headers)
