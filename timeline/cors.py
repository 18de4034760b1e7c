"""Cross-origin reads and writes from browsers (flask-cors), on /api/* only.

CORS_ORIGINS is '*' by default: the API authenticates with bearer tokens, never
cookies, so a page on another origin gains nothing by calling it that it could
not do from a server; credentials are never allowed. With a list of origins,
only those get CORS headers, and every answer says ``Vary: Origin``, since
whether it carries them depends on that header.

A preflight is granted only for a method the route has: Access-Control-Allow-
Methods lists the route's own methods (flask-cors would list every method).
"""

from __future__ import annotations

from flask import Flask, Response, current_app, request
from flask_cors import CORS

from .limits import RATE_LIMIT_HEADERS
from .writes import IDEMPOTENCY_REPLAYED_HEADER

API_PATHS = r"/api/*"
ALLOWED_HEADERS = ["Authorization", "Content-Type", "If-Match", "If-None-Match", "Idempotency-Key"]
# Beyond the ones a browser always shows a script (Content-Type, Cache-Control...);
# the rate-limit headers include Retry-After, which a 503 carries too.
EXPOSED_HEADERS = ["ETag", "Link", "Location", IDEMPOTENCY_REPLAYED_HEADER, *RATE_LIMIT_HEADERS]
_PREFLIGHT_GRANTS = (
    "Access-Control-Allow-Methods",
    "Access-Control-Allow-Headers",
    "Access-Control-Max-Age",
)


def _route_methods_only(response: Response) -> Response:
    """Narrow a granted preflight to the methods of the route it asks about."""
    if request.method != "OPTIONS" or "Access-Control-Allow-Methods" not in response.headers:
        return response
    rule = request.url_rule
    methods = sorted((rule.methods or set()) - {"OPTIONS"}) if rule is not None else []
    asked = request.headers.get("Access-Control-Request-Method", "").upper()
    if asked in methods:
        response.headers["Access-Control-Allow-Methods"] = ", ".join(methods)
    else:
        for name in _PREFLIGHT_GRANTS:
            del response.headers[name]
    return response


def _vary_on_origin(response: Response) -> Response:
    if current_app.config["CORS_ORIGINS"] != "*" and request.path.startswith("/api/"):
        response.vary.add("Origin")
    return response


def init_app(app: Flask) -> None:
    origins = app.config["CORS_ORIGINS"]
    # Registered before flask-cors's own hook, so run after it (Flask runs them in reverse).
    app.after_request(_route_methods_only)
    app.after_request(_vary_on_origin)
    CORS(
        app,
        resources={API_PATHS: {"origins": origins}},
        expose_headers=EXPOSED_HEADERS,
        allow_headers=ALLOWED_HEADERS,
        max_age=app.config["CORS_MAX_AGE"],
        supports_credentials=False,
        # With '*', every answer says '*', with or without Origin: nothing varies. With
        # a list, only an allowed Origin gets an answer naming it (flask-cors would
        # otherwise list every origin to a request without one).
        send_wildcard=origins == "*",
        always_send=origins == "*",
        vary_header=False,
    )
