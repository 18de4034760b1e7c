"""The flask-smorest Api, made to speak problem+json in both errors and docs."""

from __future__ import annotations

import http
from copy import deepcopy
from typing import Any

from apispec import BasePlugin
from apispec.ext.marshmallow import MarshmallowPlugin, OpenAPIConverter
from apispec.ext.marshmallow.common import resolve_schema_cls
from flask import Flask
from flask_smorest import Api
from flask_smorest.utils import deepupdate, prepare_response
from marshmallow import fields
from werkzeug.exceptions import HTTPException

from . import patterns
from .caching import HEADER_COMPONENTS, header_refs
from .errors import PROBLEM_JSON, RETRY_AFTER_HEADER, problem_response
from .limits import RATE_LIMIT_HEADERS
from .schemas import ProblemSchema


class _Converter(OpenAPIConverter):
    """Fields with an OPENAPI_COMPONENT are documented as a reference to that schema."""

    def field2property(self, field: fields.Field) -> dict[str, Any]:
        component = getattr(field, "OPENAPI_COMPONENT", None)
        if component is None:
            return super().field2property(field)
        prop: dict[str, Any] = {"$ref": f"#/components/schemas/{component}"}
        if field.allow_none:
            prop = {"anyOf": [prop, {"type": "null"}]}
        if "description" in field.metadata:
            prop["description"] = field.metadata["description"]
        return prop


class _MarshmallowPlugin(MarshmallowPlugin):
    """Adds a schema class's OPENAPI_EXTRA (rules across fields: anyOf, oneOf) to its component."""

    Converter = _Converter

    def schema_helper(self, name, _, schema=None, **kwargs):  # type: ignore[override]
        json_schema = super().schema_helper(name, _, schema=schema, **kwargs)
        extra = getattr(resolve_schema_cls(schema), "OPENAPI_EXTRA", None) if schema else None
        if json_schema is not None and extra:
            json_schema.update(deepcopy(extra))
        return json_schema


def _response_name(status: int) -> str:
    return http.HTTPStatus(status).name


class _EveryResponse(BasePlugin):
    """Documents the responses that the app's shared request handling can give any operation.

    - any operation: 400 (no valid Host header, unless PUBLIC_BASE_URL is set; a cursor
      that breaks its pattern) and 422 (a query parameter it does not declare, or a
      single-valued one given twice);
    - a request body: 400 (not JSON, or broken framing), 408 (stopped arriving), 413 (too
      large), 415 (not application/json), 422;
    - a path parameter: 404;
    - a 200 with an ETag (a cached read, timeline/caching.py): 304 to If-None-Match;
    - no security of its own (a read): an optional bearer token, and 401 when the operator
      makes reads need one (READS_REQUIRE_TOKEN). ``security: []`` marks an open operation;
    - any operation: 503 with Retry-After while the database is down or locked, or its
      schema is behind the code (timeline/schema_version.py).
    """

    def operation_helper(
        self, path: str | None = None, operations: dict[str, Any] | None = None, **kwargs: Any
    ) -> None:
        for method, operation in (operations or {}).items():
            # flask-smorest keys its responses by int, manual docs often by str: merge the two.
            responses: dict[str, Any] = {}
            for status, doc in operation.get("responses", {}).items():
                merged = responses.get(str(status))
                both = isinstance(merged, dict) and isinstance(doc, dict)
                responses[str(status)] = deepupdate(merged, doc) if both else doc
            operation["responses"] = responses

            def add(status: int, responses: dict[str, Any] = responses) -> None:
                responses.setdefault(str(status), _response_name(status))

            add(400)
            add(422)
            if "requestBody" in operation:
                for status in (408, 413, 415):
                    add(status)
            if path and "{" in path:
                add(404)
            ok = responses.get("200")
            if method == "get" and isinstance(ok, dict) and "ETag" in ok.get("headers", {}):
                add(304)
            if "security" not in operation:
                operation["security"] = [{}, {"bearerAuth": []}]
                add(401)
            add(503)


class TimelineApi(Api):
    ERROR_SCHEMA = ProblemSchema

    def __init__(self, app: Flask) -> None:
        super().__init__(
            app,
            spec_kwargs={
                "info": {
                    "description": (
                        "Dated events between countries, with source citations and a claim "
                        "status that reviewers decide. Every error is an RFC 9457 problem "
                        "document (application/problem+json)."
                    )
                },
                "marshmallow_plugin": _MarshmallowPlugin(),
                "extra_plugins": [_EveryResponse()],
            },
        )
        self.spec.components.schema(
            "CountryCode",
            {
                "type": "string",
                "description": (
                    "An ISO 3166-1 alpha-2 or alpha-3 country code, in any case: IN, ind, Rus"
                ),
                "pattern": patterns.anchored(patterns.country_code()),
                "example": "IN",
            },
        )
        self.spec.components.schema(
            "CountryPair",
            {
                "type": "string",
                "description": (
                    "Two ISO 3166-1 codes joined by '-', in any order and case: IN-RU, ru-in, "
                    "IND-RUS"
                ),
                "pattern": patterns.anchored(patterns.country_pair()),
                "example": "IN-RU",
            },
        )
        for name, header in HEADER_COMPONENTS.items():
            self.spec.components.header(name, header)
        self.spec.components.security_scheme(
            "bearerAuth",
            {
                "type": "http",
                "scheme": "bearer",
                "description": "A token from 'flask tokens create'",
            },
        )

    def handle_http_exception(self, error: HTTPException) -> Any:
        return problem_response(error)

    def _register_responses(self) -> None:
        """Document every error response as application/problem+json."""
        for status in http.HTTPStatus:
            response: dict[str, Any] = {"description": status.phrase}
            if status >= 400:
                response["schema"] = self.ERROR_SCHEMA
                response["headers"] = header_refs(**{"Cache-Control": "NoStoreCacheControl"})
            if status == http.HTTPStatus.NOT_MODIFIED:
                response["description"] = (
                    "Not Modified: the ETag in If-None-Match is current (no body; the "
                    "headers of the 200)"
                )
                response["headers"] = header_refs(
                    ETag="ETag", **{"Cache-Control": "PublicCacheControl", "Vary": "Vary"}
                )
            if status == http.HTTPStatus.TOO_MANY_REQUESTS:
                response["description"] = (
                    "Too Many Requests: the client (its token, or its address without one) "
                    "has used up its budget of writes or of expensive reads"
                )
                response["headers"].update(RATE_LIMIT_HEADERS)
            if status == http.HTTPStatus.SERVICE_UNAVAILABLE:
                response["headers"]["Retry-After"] = RETRY_AFTER_HEADER
            prepare_response(response, self.spec, PROBLEM_JSON)
            self.spec.components.response(status.name, response, lazy=True)
        default = {"description": "Default error response", "schema": self.ERROR_SCHEMA}
        prepare_response(default, self.spec, PROBLEM_JSON)
        self.spec.components.response(self.DEFAULT_ERROR_RESPONSE_NAME, default, lazy=True)
