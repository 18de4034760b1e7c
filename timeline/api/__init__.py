"""The v1 API: one blueprint per resource."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import marshmallow as ma
import orjson
from flask import Request, Response, request
from flask_smorest import Api, Blueprint
from webargs.flaskparser import FlaskParser, is_json_request
from webargs.multidictproxy import MultiDictProxy

from .. import json_body
from ..read_model import Page

API_PREFIX = "/api/v1"
JSON = "application/json"
# The ETag that ``conditional`` puts on a read: send it in If-None-Match for a 304.
CACHE_HEADERS = {
    "ETag": {
        "description": "This representation's ETag; send it in If-None-Match to get a 304",
        "schema": {"type": "string"},
    }
}


class _QueryArgs(MultiDictProxy):
    """The query string as webargs sees it, with a cheap miss: werkzeug's
    ``MultiDict.get`` raises and catches an HTTPException for each absent key, and
    marshmallow looks up every field of the schema, given or not."""

    def __getitem__(self, key: str) -> Any:
        if key not in self.data:
            return ma.missing
        return super().__getitem__(key)


class StrictParser(FlaskParser):
    """Refuse unknown query parameters too, so that a typo is an error, not ignored."""

    DEFAULT_UNKNOWN_BY_LOCATION = {**FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION, "query": ma.RAISE}

    def load_querystring(self, req: Request, schema: ma.Schema) -> Any:
        return self._makeproxy(req.args, schema, cls=_QueryArgs)

    def _raw_load_json(self, req: Request) -> Any:
        """The body as JSON, where anything unreadable (too deep, a 5,000-digit
        integer, not JSON at all) is a 400 rather than an error escaping webargs."""
        data = req.get_data(cache=True)
        if not is_json_request(req) or not data:
            return ma.missing
        return json_body.load(data)


class ApiBlueprint(Blueprint):
    ARGUMENTS_PARSER = StrictParser()


def json_response(
    body: str | bytes, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    return Response(body, status=status, headers=headers, mimetype=JSON)


def dump_response(
    schema: ma.Schema, obj: object, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    """One object dumped by its schema, encoded like every other response."""
    return json_response(orjson.dumps(schema.dump(obj)), status, headers)


def page_response(page: Page, **fields: object) -> Response:
    """A page of stored documents; the next page's URL also goes in a Link header."""
    head = "".join(f'"{name}":{orjson.dumps(value).decode()},' for name, value in fields.items())
    cursor = orjson.dumps(page.next_cursor).decode()
    body = f'{{{head}"items":{page.items_json()},"next_cursor":{cursor}}}'
    response = json_response(body)
    if page.next_cursor is not None:
        args = request.args.to_dict()
        args["cursor"] = page.next_cursor
        response.headers["Link"] = f'<{request.base_url}?{urlencode(args)}>; rel="next"'
    return conditional(response)


def conditional(response: Response) -> Response:
    """Add an ETag and answer 304 when the client's copy is current."""
    if "ETag" not in response.headers:
        response.add_etag()
    response.make_conditional(request)
    return response


def register_blueprints(api: Api) -> None:
    from . import events, exports, health, review_queue, sources, timelines

    for module in (timelines, events, sources, review_queue, exports, health):
        api.register_blueprint(module.blp, url_prefix=API_PREFIX)
