"""Opaque keyset cursors: the sort key of the last row of a page, base64url-encoded."""

from __future__ import annotations

import base64
import binascii
from typing import Any

import orjson

from . import patterns
from .errors import BadRequest


def encode_cursor(*key: Any) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(list(key))).rstrip(b"=").decode()


def decode_cursor(cursor: str, shape: tuple[type, ...]) -> list[Any]:
    """The key in a cursor, checked against the types it must have."""
    try:
        if not patterns.matches(patterns.CURSOR, cursor):
            raise ValueError(cursor)
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        key = orjson.loads(raw)
    except (binascii.Error, ValueError):
        key = None
    if (
        not isinstance(key, list)
        or len(key) != len(shape)
        or not all(type(part) is kind for part, kind in zip(key, shape, strict=True))
    ):
        raise BadRequest(
            "The cursor is not one this API gave out; start again without 'cursor' "
            "and follow 'next_cursor'.",
            errors={"cursor": ["Not a valid cursor."]},
            problem_type="invalid-cursor",
        )
    return key
