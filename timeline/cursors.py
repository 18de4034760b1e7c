"""Keyset cursors: the sort key of the last row of a page, as whole numbers joined by '.'.

Clients are told to treat a cursor as opaque, but its form is plain so that the
spec's pattern says exactly which cursors the server takes: every cursor that
matches is read as a position, and the page is the rows after it in the order
asked for. One that does not match is a 400.
"""

from __future__ import annotations

from . import patterns
from .errors import BadRequest

# The parts of each kind of key: creation order (seq), timeline order
# (first day, precision, seq), and the pair list (sort value, pair number).
SEQ_KEY = 1
TIMELINE_KEY = 3
PAIR_LIST_KEY = 2


def encode_cursor(*key: int) -> str:
    return ".".join(str(part) for part in key)


def decode_cursor(cursor: str, parts: int, *, parameter: str = "cursor") -> list[int]:
    """The key in a cursor of ``parts`` numbers, given in the query parameter ``parameter``."""
    if not patterns.matches(patterns.cursor(parts), cursor):
        raise BadRequest(
            f"The cursor is not one this API gave out; start again without '{parameter}' "
            "and follow 'next_cursor'.",
            errors={parameter: ["Not a valid cursor."]},
            problem_type="invalid-cursor",
        )
    return [int(part) for part in cursor.split(".")]
