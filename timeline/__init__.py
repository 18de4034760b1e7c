"""Timeline: an event-timeline REST API with fact checking."""

from __future__ import annotations

import os
from collections.abc import Callable
from inspect import iscoroutinefunction
from typing import Any

from flask import Flask
from flask_migrate import Migrate
from werkzeug.middleware.proxy_fix import ProxyFix

from . import (
    auth,
    caching,
    cli,
    cors,
    docs,
    errors,
    http,
    limits,
    page,
    replica,
    rerender,
    schema_version,
    security,
)
from .api import register_blueprints
from .config import settings
from .db import db, init_database
from .models import include_object
from .openapi import TimelineApi

migrate = Migrate()
MIGRATIONS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "migrations")


class TimelineFlask(Flask):
    """Flask, deciding once per function whether it is a coroutine function.

    Flask asks ``ensure_sync`` about every hook and view layer on every request
    (some 25 times for a read: before, after and teardown hooks, flask-smorest's
    decorators, the MethodView), and each answer inspects the function's code
    flags anew. The answer never changes: it is kept by the function (a bound
    method's, since MethodView binds its methods to a new view object per request).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._coroutine_functions: dict[object, bool] = {}

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        key = getattr(func, "__func__", func)
        try:
            is_coroutine = self._coroutine_functions[key]
        except KeyError:
            is_coroutine = self._coroutine_functions[key] = iscoroutinefunction(func)
        except TypeError:  # not hashable: nothing to remember it by
            return super().ensure_sync(func)
        return self.async_to_sync(func) if is_coroutine else func


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    app = TimelineFlask(__name__, instance_relative_config=True)
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.from_mapping(settings(app.instance_path))
    # Keys in the order the schemas declare them, as in the stored documents.
    app.json.sort_keys = False  # type: ignore[attr-defined]
    if test_config is not None:
        if test_config.get("TESTING"):
            app.config["RATELIMIT_ENABLED"] = False  # a test that checks limits turns them on
            app.config["SOURCE_RERENDER_WORKER"] = False  # tests drain the work themselves
        app.config.from_mapping(test_config)
    if app.config["TRUSTED_PROXIES"]:
        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops, x_prefix=hops
        )

    init_database(app)
    replica.init_app(app)
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
    rerender.init_app(app)
    caching.init_app(app)  # its before-request hook last
    cors.init_app(app)
    return app
