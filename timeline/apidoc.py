"""Add to an operation's OpenAPI doc from decorators, merging rather than replacing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask_smorest import Blueprint

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
