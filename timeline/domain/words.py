"""Words, as the ``q`` filter finds them.

A word is a run of letters and digits (Unicode), compared case-folded: every
other character separates words, so "Make-in-India" holds the words "make",
"in" and "india", and "T-90S" holds "t" and "90s". Words longer than
``MAX_WORD`` characters are compared on their first ``MAX_WORD``.

An event matches a query when every word of the query begins a word of the
event's title, summary or actors: "raj sing" finds "Rajnath Singh", "singh raj"
too (order does not matter), "ajnath" does not (words match from their start).
Both databases index and compare the words this module makes, never their own
(SQLite's FTS5 tokenizer and PostgreSQL's text search parser split and fold
text differently), so both find the same events.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

MAX_WORD = 60

_WORD = re.compile(r"[^\W_]+")


def words(text: str) -> list[str]:
    """The text's words, each once, in the order they first appear."""
    found = (word[:MAX_WORD] for word in _WORD.findall(text.casefold()))
    return list(dict.fromkeys(found))


def event_words(title: str, summary: str, actors: Iterable[str]) -> list[str]:
    """The words an event is found by."""
    return words(" ".join([title, summary, *actors]))
