"""The interactive API reference at /docs, with every asset served by this app.

flask-smorest serves the page (OPENAPI_SWAGGER_UI_PATH) from
templates/swagger_ui.html, which takes precedence over its own template. The
Swagger UI scripts, styles and icons it loads (OPENAPI_SWAGGER_UI_URL) come
from the flask-swagger-ui package and are served here, so the page needs
nothing from outside this server. The script that starts Swagger UI,
timeline-init.js, is this package's own (the page runs no inline script).
"""

from __future__ import annotations

from pathlib import Path

import flask_swagger_ui
from flask import Blueprint, Flask, Response, send_from_directory

# Swagger UI's dist folder as shipped inside the flask-swagger-ui wheel.
SWAGGER_UI_DIST = Path(flask_swagger_ui.__file__).parent / "dist"
OWN_ASSETS = Path(__file__).parent / "docs_assets"

blp = Blueprint("docs_assets", __name__, url_prefix="/docs/assets")


@blp.get("/<path:filename>")
def asset(filename: str) -> Response:
    """A Swagger UI file: swagger-ui-bundle.js, swagger-ui.css, favicon-32x32.png..."""
    return send_from_directory(SWAGGER_UI_DIST, filename)


@blp.get("/timeline-init.js")
def init_script() -> Response:
    """The script that starts Swagger UI with the page's settings."""
    return send_from_directory(OWN_ASSETS, "timeline-init.js")


def init_app(app: Flask) -> None:
    app.register_blueprint(blp)
