"""The patterns that state input rules in the spec and in the server."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from werkzeug.http import parse_etags

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


@given(st.from_regex(patterns.IF_MATCH, fullmatch=True))
def test_an_if_match_the_pattern_allows_names_an_etag(value):
    etags = parse_etags(value)
    assert etags
    assert not etags.star_tag


@pytest.mark.parametrize("value", ["", " ", "*", ",", '"a', '"a" "b"', "a,"])
def test_an_if_match_the_server_answers_with_428_breaks_the_pattern(value):
    assert not patterns.matches(patterns.IF_MATCH, value)


@pytest.mark.parametrize(
    "value", ['"e3e70682-c209-4cac-a29f-6fbed82c07cd.v12"', 'W/"x", "y"', "unquoted.v1"]
)
def test_the_etags_clients_send_fit_the_pattern(value):
    assert patterns.matches(patterns.IF_MATCH, value)
