"""The app as ``app.py`` makes it, plus one trivial endpoint for the benchmark.

``GET /api/v1/bench/trivial`` goes through every hook of the app (caching,
CORS, security headers) and does no work of its own: what it costs is what any
request costs. (``/health`` is not that: it asks the database.) Served as
``bench.trivial:app``.
"""

from __future__ import annotations

from flask import Flask

from timeline import create_app

TRIVIAL_PATH = "/api/v1/bench/trivial"


def with_trivial_endpoint(app: Flask) -> Flask:
    @app.get(TRIVIAL_PATH)
    def trivial() -> dict[str, bool]:
        return {"ok": True}

    return app


app = with_trivial_endpoint(create_app())
