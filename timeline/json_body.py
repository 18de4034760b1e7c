"""Request bodies as JSON: one parser for the API's arguments and for idempotency keys.

Python's ``json`` module raises more than ``JSONDecodeError`` on hostile input:
``RecursionError`` for arrays or objects nested about a thousand deep and
``ValueError`` for an integer literal longer than ``sys.get_int_max_str_digits()``
(4,300 digits). Each is a 400 here, like any body that is not JSON.
"""

from __future__ import annotations

import json
from typing import Any

from .errors import BadRequest

INVALID_JSON = "Invalid JSON body."
TOO_DEEP = "it nests arrays or objects too deeply"


def load(data: bytes, what: str = "The request body") -> Any:
    """The JSON value of a request body (or of ``what``: a line of an import), or a
    400 that says why there is none."""
    try:
        return json.loads(data.decode())
    except RecursionError:
        reason = TOO_DEEP
    except UnicodeDecodeError as error:
        reason = f"it is not UTF-8 ({error.reason} at byte {error.start})"
    except json.JSONDecodeError as error:
        reason = f"{error.msg} at line {error.lineno}, column {error.colno}"
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
