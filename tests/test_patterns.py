"""The patterns that state input rules in the spec and in the server."""

from __future__ import annotations

import pytest

from timeline import patterns


@pytest.mark.parametrize("limit", [0, 7, 10, 99, 100, 2047, 30_000])
def test_at_most_matches_exactly_the_numbers_up_to_its_limit(limit):
    pattern = patterns.at_most(limit)
    wrong = [n for n in range(100_000) if patterns.matches(pattern, str(n)) != (n <= limit)]
    assert wrong == []
    assert patterns.matches(pattern, "0" * len(str(limit)))


def test_a_cursor_holds_integers_that_fit_the_database():
    pattern = patterns.cursor(2)
    assert patterns.matches(pattern, f"0.{patterns.MAX_INTEGER}")
    assert not patterns.matches(pattern, f"0.{patterns.MAX_INTEGER + 1}")
    assert not patterns.matches(pattern, "0")
