"""The v1 API: one blueprint per resource."""

from __future__ import annotations

import functools
import weakref
from typing import Any
from urllib.parse import urlencode

import marshmallow as ma
import orjson
from flask import Request, Response, request
from flask_smorest import Api, Blueprint
from webargs.flaskparser import FlaskParser, is_json_request
from webargs.multidictproxy import MultiDictProxy

from .. import json_body
from ..errors import invalid_input
from ..http import public_url, view_method
from ..read_model import Page

API_PREFIX = "/api/v1"
JSON = "application/json"


class _QueryArgs(MultiDictProxy):
    """The query string as webargs sees it, with a cheap miss: werkzeug's
    ``MultiDict.get`` raises and catches an HTTPException for each absent key, and
    marshmallow looks up every field of the schema, given or not. Which of a
    schema's parameters take several values is worked out once per schema, not
    for each request."""

    # By schema; the parser's known_multi_fields never change.
    _MULTIPLE_KEYS: weakref.WeakKeyDictionary[ma.Schema, set[str]] = weakref.WeakKeyDictionary()

    def _collect_multiple_keys(self, schema: ma.Schema) -> set[str]:
        keys = self._MULTIPLE_KEYS.get(schema)
        if keys is None:
            keys = self._MULTIPLE_KEYS[schema] = super()._collect_multiple_keys(schema)
        return keys

    def __getitem__(self, key: str) -> Any:
        if key not in self.data:
            return ma.missing
        return super().__getitem__(key)


# Query strings remembered per query schema (then it starts again).
_REMEMBERED_QUERIES = 512


class StrictParser(FlaskParser):
    """Reads the query string cheaply and a JSON body safely."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._queries: weakref.WeakKeyDictionary[ma.Schema, dict[bytes, dict[str, Any]]] = (
            weakref.WeakKeyDictionary()
        )

    def parse(self, argmap: Any, req: Request | None = None, **kwargs: Any) -> Any:
        """A query string a query schema has loaded before gives the same arguments
        again without loading it: the schemas' answer depends on the string alone,
        and dashboards ask for the same few URLs over and over. Only what loaded is
        remembered; a string with errors is refused anew each time."""
        if kwargs.get("location") != "query" or not isinstance(argmap, ma.Schema):
            return super().parse(argmap, req, **kwargs)
        query_string = (req or request).query_string
        loaded = self._queries.setdefault(argmap, {})
        found = loaded.get(query_string)
        if found is None:
            found = super().parse(argmap, req, **kwargs)
            if len(loaded) >= _REMEMBERED_QUERIES:
                loaded.clear()
            loaded[query_string] = found
        # Each request its own dict (and lists): views may change what they get.
        return {k: list(v) if isinstance(v, list) else v for k, v in found.items()}

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
    """A blueprint whose every operation refuses query parameters it does not declare.

    An operation declares its query string with ``arguments(..., location="query")``;
    one that declares none takes no parameters. Before the view runs, a parameter
    that is not declared, or a single-valued one given more than once, is a 422, so
    that a typo or an ambiguous query is an error rather than ignored.
    """

    ARGUMENTS_PARSER = StrictParser()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.before_request(_check_query_string)

    def arguments(self, schema: Any, *, location: str = "json", **kwargs: Any) -> Any:
        decorator = super().arguments(schema, location=location, **kwargs)
        if location != "query":
            return decorator

        def declare(func: Any) -> Any:
            parsed = decorator(func)
            # Outer decorators copy it along (functools.wraps updates __dict__).
            parsed.query_schema = schema() if isinstance(schema, type) else schema
            return parsed

        return declare


@functools.lru_cache(maxsize=256)
def _declared_parameters(schema: ma.Schema) -> dict[str, ma.fields.Field]:
    """A query schema's fields by parameter name (worked out once per schema)."""
    return {field.data_key or name: field for name, field in schema.load_fields.items()}


def _check_query_string() -> None:
    method = view_method()
    if method is None or request.method == "OPTIONS" or not request.args:
        return
    schema: ma.Schema | None = getattr(method, "query_schema", None)
    declared = _declared_parameters(schema) if schema is not None else {}
    errors: dict[str, list[str]] = {}
    for name, values in request.args.lists():
        field = declared.get(name)
        if field is None:
            errors[name] = ["Unknown field."]
        elif len(values) > 1 and not isinstance(field, ma.fields.List):
            errors[name] = ["Give this parameter once."]
    if errors:
        raise invalid_input(errors)


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
    head = b"".join(
        b'"%s":%s,' % (name.encode(), orjson.dumps(value)) for name, value in fields.items()
    )
    cursor = orjson.dumps(page.next_cursor)
    response = json_response(b'{%s"items":%s,"next_cursor":%s}' % (head, page.items_json(), cursor))
    if page.next_cursor is not None:
        args = request.args.to_dict()
        args["cursor"] = page.next_cursor
        response.headers["Link"] = f'<{public_url(request.path)}?{urlencode(args)}>; rel="next"'
    return response


def register_blueprints(api: Api) -> None:
    from . import changes, events, exports, health, review_queue, sources, timelines

    for module in (timelines, events, sources, review_queue, exports, changes, health):
        api.register_blueprint(module.blp, url_prefix=API_PREFIX)
