"""Regular expressions that state input rules exactly, in the spec and in the server.

Each is written once, without anchors, in the subset of syntax that ECMA-262
(JSON Schema's ``pattern``) and Python's ``re`` read the same way: no ``\\d``,
``\\s`` or ``\\w`` (which differ on non-ASCII text), no flags, no lookaround.
The spec gets ``^(?:...)$``; the server uses ``re.fullmatch`` (Python's ``$``
would also match before a final newline). A client that validates against the
spec therefore accepts exactly what the server accepts.
"""

from __future__ import annotations

import re
from functools import cache

import pycountry


def anchored(body: str) -> str:
    """The pattern for a JSON Schema: the whole string must match."""
    return f"^(?:{body})$"


def _any_case(letter: str) -> str:
    return f"[{letter.upper()}{letter.lower()}]"


def _trie_pattern(words: list[str]) -> str:
    """A compact alternation of ASCII-letter words, matching any case."""
    trie: dict[str, dict] = {}
    for word in words:
        node = trie
        for letter in word.upper():
            node = node.setdefault(letter, {})
        node[""] = {}

    def render(node: dict[str, dict]) -> str:
        leaves = sorted(c for c, child in node.items() if c and list(child) == [""])
        branches = sorted(c for c, child in node.items() if c and list(child) != [""])
        parts = []
        if leaves:
            parts.append("[" + "".join(c + c.lower() for c in leaves) + "]")
        parts += [_any_case(c) + render(node[c]) for c in branches]
        body = parts[0] if len(parts) == 1 else "(?:" + "|".join(parts) + ")"
        return f"(?:{body})?" if "" in node else body

    return render(trie)


# What Python's str.strip() removes: the server ignores it around a country code.
SPACE = (
    "[\\t\\n\\x0b\\x0c\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a"
    "\\u2028\\u2029\\u202f\\u205f\\u3000]*"
)


@cache
def country_code() -> str:
    """An ISO 3166-1 alpha-2 or alpha-3 code, in any case, spaces around it allowed."""
    codes = {record.alpha_2 for record in pycountry.countries}
    codes |= {record.alpha_3 for record in pycountry.countries}
    return f"{SPACE}{_trie_pattern(sorted(codes))}{SPACE}"


@cache
def country_pair() -> str:
    """Two country codes joined by '-'."""
    return f"{country_code()}-{country_code()}"


_YEAR = "(?:000[1-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-9][0-9]{3})"
_LEAP_YEAR = "(?:[0-9]{2}(?:0[48]|[2468][048]|[13579][26])|(?:0[48]|[2468][048]|[13579][26])00)"
_DAY_31 = "(?:0[1-9]|[12][0-9]|3[01])"
_DAY_30 = "(?:0[1-9]|[12][0-9]|30)"
_DAY_28 = "(?:0[1-9]|1[0-9]|2[0-8])"

# YYYY, YYYY-MM or YYYY-MM-DD of a day that exists (years 0001 to 9999).
PARTIAL_DATE = (
    f"{_YEAR}(?:-(?:(?:0[13578]|1[02])(?:-{_DAY_31})?|(?:0[469]|11)(?:-{_DAY_30})?"
    f"|02(?:-{_DAY_28})?))?|{_LEAP_YEAR}-02-29"
)

_LABEL = "[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_OCTET = "(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])"
_PORT = "(?:6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[1-9][0-9]{0,3}|0)"

# An http(s) URL of a named host (with a top-level domain) or an IPv4 address: no
# user info, no spaces or control characters.
HTTP_URL = (
    "[Hh][Tt][Tt][Pp][Ss]?://"
    f"(?:(?:{_LABEL}\\.)+[A-Za-z]{{2,63}}|{_OCTET}(?:\\.{_OCTET}){{3}})"
    f"(?::{_PORT})?"
    "(?:[/?#][^\\x00-\\x20\\x7f-\\x9f]*)?"
)

# An If-Match value that names at least one ETag, as werkzeug reads it: entity
# tags (quoted, optionally weak, or unquoted as clients often send them) joined by
# commas. Not '*' (any version) nor empty: the server answers those with 428.
_ETAG = '[ \\t]*(?:[Ww]/)?(?:"[^"]*"|[^" \\t,*][^" \\t,]*|\\*[^" \\t,]+)[ \\t]*'
IF_MATCH = f"{_ETAG}(?:,{_ETAG})*"

# An id: a UUID in hex with dashes, in any case (the server stores lower case).
UUID = "[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}"


def at_most(limit: int) -> str:
    """A whole number in decimal from 0 to ``limit`` (leading zeros allowed)."""
    digits = str(limit)
    alternatives = [f"[0-9]{{1,{len(digits) - 1}}}"] if len(digits) > 1 else []
    for i, digit in enumerate(digits):
        if digit != "0":
            rest = len(digits) - i - 1
            alternatives.append(
                f"{digits[:i]}[0-{int(digit) - 1}]" + f"[0-9]{{{rest}}}" * bool(rest)
            )
    alternatives.append(digits)
    return "(?:" + "|".join(alternatives) + ")"


# The largest value of the INTEGER columns that page keys come from.
MAX_INTEGER = 2**31 - 1


def cursor(parts: int) -> str:
    """A page cursor: ``parts`` whole numbers that fit an INTEGER column, joined by '.'."""
    return "\\.".join([at_most(MAX_INTEGER)] * parts)


# Whitespace (str.isspace) that is not a control character, and the control
# characters (Unicode category Cc) that multi-line text may hold.
_BLANK = " \\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000"
_LINE_CONTROLS = "\\t\\n\\r"
_CONTROLS = "\\x00-\\x1f\\x7f-\\x9f"
_CONTROLS_BUT_LINES = "\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f"


def text(*, multiline: bool) -> str:
    """Text as timeline.domain.text allows it: empty, or not only whitespace, with no
    control characters (but tabs and line breaks in multi-line text)."""
    refused, blank = (
        (_CONTROLS_BUT_LINES, _BLANK + _LINE_CONTROLS) if multiline else (_CONTROLS, _BLANK)
    )
    return f"(?:[{blank}]*[^{refused}{blank}][^{refused}]*)?"


def matches(body: str, text: str) -> bool:
    return re.fullmatch(body, text) is not None
