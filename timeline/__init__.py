"""Timeline: an event-timeline REST API with fact checking."""

from __future__ import annotations

import os
from typing import Any

from flask import Flask
from flask_migrate import Migrate
from werkzeug.middleware.proxy_fix import ProxyFix

from . import auth, caching, cli, cors, docs, errors, http, limits, page, schema_version, security
from .api import register_blueprints
from .config import settings
from .db import db, init_database
from .models import include_object
from .openapi import TimelineApi

migrate = Migrate()
MIGRATIONS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "migrations")


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.from_mapping(settings(app.instance_path))
    # Keys in the order the schemas declare them, as in the stored documents.
    app.json.sort_keys = False  # type: ignore[attr-defined]
    if test_config is not None:
        if test_config.get("TESTING"):
            app.config["RATELIMIT_ENABLED"] = False  # a test that checks limits turns them on
        app.config.from_mapping(test_config)
    if app.config["TRUSTED_PROXIES"]:
        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops, x_prefix=hops
        )

    init_database(app)
    migrate.init_app(
        app, db, directory=MIGRATIONS, render_as_batch=True, include_object=include_object
    )
    register_blueprints(TimelineApi(app))
    docs.init_app(app)
    page.init_app(app)
    errors.init_app(app)
    schema_version.init_app(app)
    http.init_app(app)
    security.init_app(app)
    limits.init_app(app)
    auth.init_app(app)
    cli.init_app(app)
    caching.init_app(app)
    cors.init_app(app)
    return app
