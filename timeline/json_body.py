"""Request bodies as JSON: one parser for the API's arguments and for idempotency keys.

Python's ``json`` module raises more than ``JSONDecodeError`` on hostile input:
``RecursionError`` for arrays or objects nested about a thousand deep and
``ValueError`` for an integer literal longer than ``sys.get_int_max_str_digits()``
(4,300 digits). Each is a 400 here, like any body that is not JSON.

It also reads two things as not JSON that it would take: ``NaN`` and ``Infinity``,
which RFC 8259 has no place for, and a key given twice in one object, which it
would read as the last value given. Parsers differ on which one wins, so a proxy or
a client library could check one value and this API store another; the standard
says names SHOULD be unique, and here they must.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from .errors import BadRequest

INVALID_JSON = "Invalid JSON body."
TOO_DEEP = "it nests arrays or objects too deeply"


class _NotStrictJson(ValueError):
    """JSON that Python's json module reads but the standard does not allow."""


def _no_constant(name: str) -> Any:
    raise _NotStrictJson(f"{name} is not a JSON value")


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    value = dict(pairs)
    if len(value) == len(pairs):
        return value
    counts = Counter(key for key, _value in pairs)
    twice = next(key for key, count in counts.items() if count > 1)
    name = json.dumps(twice, ensure_ascii=False)
    raise _NotStrictJson(f"the key {name} is given twice in one object")


def load(data: bytes, what: str = "The request body") -> Any:
    """The JSON value of a request body (or of ``what``: a line of an import), or a
    400 that says why there is none."""
    try:
        return json.loads(data.decode(), object_pairs_hook=_object, parse_constant=_no_constant)
    except RecursionError:
        reason = TOO_DEEP
    except UnicodeDecodeError as error:
        reason = f"it is not UTF-8 ({error.reason} at byte {error.start})"
    except json.JSONDecodeError as error:
        reason = f"{error.msg} at line {error.lineno}, column {error.colno}"
    except _NotStrictJson as error:
        reason = str(error)
    except ValueError:  # int("1" * 5000): too many digits to convert safely
        reason = "it has an integer literal too long to read"
    raise _invalid(reason, what)


def canonical(data: bytes) -> bytes:
    """A body's JSON in one spelling (sorted keys, no spaces): equal values, equal bytes."""
    if not data:
        return b""
    try:
        return json.dumps(load(data), sort_keys=True, separators=(",", ":")).encode()
    except RecursionError:  # deep enough to load, not to dump again
        raise _invalid(TOO_DEEP) from None


def _invalid(reason: str, what: str = "The request body") -> BadRequest:
    return BadRequest(
        f"{what} is not valid JSON: {reason}.",
        errors={"_schema": [INVALID_JSON]},
        problem_type="invalid-json",
    )
