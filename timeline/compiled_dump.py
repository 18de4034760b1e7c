"""A marshmallow schema's dump, compiled once into plain functions.

``Schema.dump`` walks the schema's fields anew for every object, and again for
each nested object (an event's countries, citations and their sources, checks):
that machinery, not the values, is most of the cost of rendering an event. For a
schema made of value fields, nested schemas and lists, ``compile_dump`` returns a
function that gives the same dict as ``dump``: the same keys in the same order,
a value missing from the object left out, each value converted by its field's
own ``_serialize``. Only the walking is done once instead of per object.

What it would not reproduce it refuses when compiling, rather than render
differently: dump hooks, a schema's or field's own way of reading values,
fields that are not read from an attribute (``Method``, ``Function``,
``Constant``), dump defaults, dotted attributes and ``Pluck``.
tests/test_compiled_dump.py holds it to ``Schema.dump`` byte for byte.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from marshmallow import Schema, fields, missing
from marshmallow.decorators import POST_DUMP, PRE_DUMP
from marshmallow.utils import get_value


class NotCompilable(TypeError):
    """The schema uses something that ``compile_dump`` does not reproduce."""


def compile_dump(schema: Schema) -> Callable[[Any], dict[str, Any]]:
    """A function returning what ``schema.dump(obj)`` returns, for one object."""
    if schema.many:
        raise NotCompilable(f"{type(schema).__name__}: many=True")
    return _compile(schema)


def _compile(schema: Schema) -> Callable[[Any], dict[str, Any]]:
    if schema._hooks[PRE_DUMP] or schema._hooks[POST_DUMP]:
        raise NotCompilable(f"{type(schema).__name__} has dump hooks")
    if type(schema).get_attribute is not Schema.get_attribute:
        raise NotCompilable(f"{type(schema).__name__} reads attributes its own way")
    if schema.dict_class is not dict:
        raise NotCompilable(f"{type(schema).__name__} dumps into {schema.dict_class}")
    parts = [
        (
            field.data_key if field.data_key is not None else name,
            _attribute(name, field),
            _value_dump(name, field),
        )
        for name, field in schema.dump_fields.items()
    ]

    def dump(obj: Any) -> dict[str, Any]:
        result = {}
        for key, attribute, convert in parts:
            value = _get(obj, attribute)
            if value is not missing:
                result[key] = convert(value, obj)
        return result

    return dump


def _attribute(name: str, field: fields.Field[Any]) -> str:
    if not field._CHECK_ATTRIBUTE or type(field).get_value is not fields.Field.get_value:
        raise NotCompilable(f"{name}: a {type(field).__name__} is not read from an attribute")
    if field.dump_default is not missing:
        raise NotCompilable(f"{name}: has a dump default")
    attribute = field.attribute if field.attribute is not None else name
    if "." in attribute:
        raise NotCompilable(f"{name}: a dotted attribute")
    return attribute


def _get(obj: Any, key: str) -> Any:
    """As marshmallow's ``get_value`` reads an undotted key, quicker for the usual cases."""
    if type(obj) is dict:
        return obj[key] if key in obj else getattr(obj, key, missing)
    if not hasattr(obj, "__getitem__"):
        return getattr(obj, key, missing)
    return get_value(obj, key)


def _value_dump(name: str, field: fields.Field[Any]) -> Callable[[Any, Any], Any]:
    """How the field's value is dumped: ``convert(value, obj)``."""
    if type(field) is fields.Nested:
        one = _compile(field.schema)
        if field.schema.many or field.many:
            return lambda value, _obj: None if value is None else [one(each) for each in value]
        return lambda value, _obj: None if value is None else one(value)
    if isinstance(field, fields.Nested):
        raise NotCompilable(f"{name}: a {type(field).__name__}")
    if type(field) is fields.List:
        inner = _value_dump(name, field.inner)
        return lambda value, obj: None if value is None else [inner(each, obj) for each in value]
    serialize = field._serialize
    if type(field) is fields.String:
        # What String._serialize gives a str (itself), without the call.
        return lambda value, obj: value if type(value) is str else serialize(value, name, obj)
    return lambda value, obj: serialize(value, name, obj)
