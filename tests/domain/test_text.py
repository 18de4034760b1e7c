"""The rule for typed text, and the spec's pattern for it: the two agree on every character."""

from __future__ import annotations

import pytest

from timeline import patterns
from timeline.domain.text import InvalidText, check_text


def _allowed(text: str, *, multiline: bool) -> bool:
    try:
        check_text(text, multiline=multiline)
    except InvalidText:
        return False
    return True


@pytest.mark.parametrize("multiline", [False, True])
def test_the_pattern_says_what_the_rule_allows(multiline):
    pattern = patterns.text(multiline=multiline)
    disagree = [
        text
        for code in range(0x10000)
        if not 0xD800 <= code <= 0xDFFF
        for text in (chr(code), "a" + chr(code), chr(code) * 2)
        if patterns.matches(pattern, text) != _allowed(text, multiline=multiline)
    ]
    assert disagree == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "a\x07b",
            "Text cannot contain line breaks, tabs or other control characters "
            "(found U+0007 at character 2).",
        ),
        (
            "\x1b[31mred",
            "Text cannot contain line breaks, tabs or other control characters "
            "(found U+001B at character 1).",
        ),
        (
            "two\nlines",
            "Text cannot contain line breaks, tabs or other control characters "
            "(found U+000A at character 4).",
        ),
        (
            "a\tb",
            "Text cannot contain line breaks, tabs or other control characters "
            "(found U+0009 at character 2).",
        ),
        (
            "\x85",
            "Text cannot contain line breaks, tabs or other control characters "
            "(found U+0085 at character 1).",
        ),
        (" ", "Text cannot be only whitespace."),
        ("\u3000\u00a0", "Text cannot be only whitespace."),
    ],
)
def test_one_line_refused(text, message):
    with pytest.raises(InvalidText) as error:
        check_text(text, multiline=False)
    assert str(error.value) == message


@pytest.mark.parametrize("text", ["", "Title", " padded ", "a\u2028b", "Ünïcödé ✓"])
def test_one_line_allowed(text):
    check_text(text, multiline=False)


def test_multiline_keeps_tabs_and_line_breaks_only():
    check_text("one\r\ntwo\n\tthree", multiline=True)
    with pytest.raises(InvalidText) as error:
        check_text("one\n\x07", multiline=True)
    assert str(error.value) == (
        "Text cannot contain control characters other than tabs and line breaks "
        "(found U+0007 at character 5)."
    )
    with pytest.raises(InvalidText, match="only whitespace"):
        check_text(" \n\t\r\n ", multiline=True)
