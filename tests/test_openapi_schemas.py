"""Properties of every schema and read in the committed openapi.yaml."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

SPEC: dict[str, Any] = yaml.safe_load(
    (Path(__file__).resolve().parent.parent / "openapi.yaml").read_text()
)
# Reads that are never cached, so document no Cache-Control of their own on the 200.
UNCACHED_READS = {"getHealth"}


def _schemas_with_enum(node: Any, where: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(node, dict):
        if "enum" in node:
            yield where, node
        for key, value in node.items():
            yield from _schemas_with_enum(value, f"{where}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _schemas_with_enum(value, f"{where}/{i}")


def test_every_enum_says_its_type() -> None:
    enums = list(_schemas_with_enum(SPEC))
    assert len(enums) > 10
    untyped = [where for where, schema in enums if "type" not in schema]
    assert untyped == []


def _reads() -> list[tuple[str, dict[str, Any]]]:
    return [
        (operation["operationId"], operation)
        for path in SPEC["paths"].values()
        for method, operation in path.items()
        if method == "get" and operation["operationId"] not in UNCACHED_READS
    ]


@pytest.mark.parametrize(("operation_id", "operation"), _reads(), ids=[o for o, _ in _reads()])
def test_every_read_documents_its_cache_headers(
    operation_id: str, operation: dict[str, Any]
) -> None:
    headers = operation["responses"]["200"]["headers"]
    assert headers["Cache-Control"]["$ref"].startswith("#/components/headers/")
    assert "Vary" in headers
    # A read with an ETag answers If-None-Match with a 304.
    assert ("ETag" in headers) == ("304" in operation["responses"])
