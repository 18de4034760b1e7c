"""What typed text may hold: no control characters, and more than whitespace.

A title, name or tag is one line: no control character at all (Unicode category
Cc: U+0000 to U+001F and U+007F to U+009F), so no BEL or ESC to ring a terminal
or colour a log, and no line break to split a CSV row or a heading. Multi-line
text (a summary, a quote, a review note) may also hold tabs and line breaks (LF
and CR, so that CRLF from a form is kept). Text that is only whitespace says
nothing, so it is refused; empty text is left to each field's length rule.
"""

from __future__ import annotations

import re

_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
_CONTROL_BUT_LINES = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


class InvalidText(ValueError):
    """Text that breaks the rule; the message says how."""


def check_text(text: str, *, multiline: bool) -> None:
    """Raise InvalidText unless ``text`` may be stored in a field of this kind."""
    found = (_CONTROL_BUT_LINES if multiline else _CONTROL).search(text)
    if found is not None:
        kinds = (
            "control characters other than tabs and line breaks"
            if multiline
            else "line breaks, tabs or other control characters"
        )
        raise InvalidText(
            f"Text cannot contain {kinds} (found U+{ord(found.group()):04X} "
            f"at character {found.start() + 1})."
        )
    if text and text.isspace():
        raise InvalidText("Text cannot be only whitespace.")
