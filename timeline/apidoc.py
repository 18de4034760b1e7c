"""Add to an operation's OpenAPI doc from decorators, merging rather than replacing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask_smorest import Blueprint

from . import patterns

F = TypeVar("F", bound=Callable[..., Any])


def document(
    *,
    parameters: list[dict[str, Any]] | None = None,
    responses: dict[str, str] | None = None,
    **other: Any,
) -> Callable[[F], F]:
    """Like Blueprint.doc, but header parameters and error responses accumulate
    across decorators (Blueprint.doc replaces a list given twice)."""

    def decorator(func: F) -> F:
        manual = getattr(func, "_apidoc", {}).get("manual_doc", {})
        doc: dict[str, Any] = dict(other)
        if parameters:
            doc["parameters"] = [*manual.get("parameters", []), *parameters]
        if responses:
            doc["responses"] = {**manual.get("responses", {}), **responses}
        documented: F = Blueprint.doc(**doc)(func)
        return documented

    return decorator


def links(status: int, **targets: dict[str, Any]) -> Callable[[F], F]:
    """OpenAPI links from one response to the operations it leads to (by operationId)."""

    def decorator(func: F) -> F:
        # An int key, as flask-smorest's own response docs use, so that the two merge.
        documented: F = Blueprint.doc(responses={status: {"links": targets}})(func)
        return documented

    return decorator


def id_parameter(name: str) -> dict[str, Any]:
    """A path parameter naming a resource by id: a UUID, in any case."""
    return {
        "in": "path",
        "name": name,
        "required": True,
        "schema": {"type": "string", "format": "uuid", "pattern": patterns.anchored(patterns.UUID)},
    }


ETAG_HEADER = "$response.header.ETag"


def event_links(event_id: str) -> dict[str, dict[str, Any]]:
    """Links to what can be done with an event whose id is at ``event_id`` (a runtime
    expression), passing this response's ETag on as If-Match where a change needs it."""
    read = {"event_id": event_id}
    change = {**read, "If-Match": ETAG_HEADER}
    return {
        "GetEvent": {"operationId": "getEvent", "parameters": read},
        "UpdateEvent": {"operationId": "updateEvent", "parameters": change},
        "DeleteEvent": {"operationId": "deleteEvent", "parameters": change},
        "CreateCitation": {"operationId": "createCitation", "parameters": change},
        "CreateReview": {"operationId": "createReview", "parameters": change},
        "ListReviews": {"operationId": "listReviews", "parameters": read},
        "ListRevisions": {"operationId": "listRevisions", "parameters": read},
    }
