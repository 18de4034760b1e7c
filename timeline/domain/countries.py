"""Countries (ISO 3166-1) and unordered country pairs.

Input accepts alpha-2 or alpha-3 codes in any case; everything is stored and
returned as upper-case alpha-2 with an English name. A pair is unordered: its
canonical id is the two alpha-2 codes sorted and joined by '-'.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

import pycountry

# Where the ISO short name is a formal one that newsrooms do not use and pycountry
# offers no common name.
_NAME_OVERRIDES = {"RU": "Russia"}


class UnknownCountry(ValueError):
    """A code that is not an ISO 3166-1 alpha-2 or alpha-3 country code."""

    def __init__(self, code: str) -> None:
        super().__init__(f"'{code}' is not an ISO 3166-1 alpha-2 or alpha-3 country code.")
        self.code = code


class InvalidPair(ValueError):
    """A pair id that is malformed or names one country twice."""


@dataclass(frozen=True, order=True)
class Country:
    code: str
    name: str


@cache
def _by_code() -> dict[str, Country]:
    table: dict[str, Country] = {}
    for record in pycountry.countries:
        common = getattr(record, "common_name", record.name)
        name = str(_NAME_OVERRIDES.get(record.alpha_2) or common)
        country = Country(record.alpha_2, name)
        table[record.alpha_2] = country
        table[record.alpha_3] = country
    return table


def country(code: str) -> Country:
    """The country for an alpha-2 or alpha-3 code, any case, spaces around it ignored.

    The code itself must be ASCII letters (no look-alikes that upper-case to one), as
    the spec's CountryCode pattern says.
    """
    text = code.strip() if isinstance(code, str) else ""
    found = _by_code().get(text.upper()) if text.isascii() else None
    if found is None:
        raise UnknownCountry(str(code))
    return found


def distinct_countries(countries: Iterable[Country]) -> list[Country]:
    """An event's countries sorted by code; a country listed twice is an error."""
    seen: dict[Country, int] = {}
    for index, listed in enumerate(countries):
        if listed in seen:
            raise InvalidPair(
                f"{listed.name} ({listed.code}) is listed twice, at {seen[listed]} and {index}."
            )
        seen[listed] = index
    return sorted(seen)


@dataclass(frozen=True)
class CountryPair:
    first: Country
    second: Country

    @classmethod
    def of(cls, a: Country, b: Country) -> CountryPair:
        if a == b:
            raise InvalidPair(f"A pair needs two different countries; '{a.code}' is given twice.")
        first, second = sorted((a, b))
        return cls(first, second)

    @classmethod
    def parse(cls, text: str) -> CountryPair:
        """'IN-RU', 'ru-in' and 'IND-RUS' are one pair."""
        parts = text.split("-")
        if len(parts) != 2 or not all(parts):
            raise InvalidPair(
                f"'{text}' is not a country pair; write two country codes joined by '-', "
                "such as 'IN-RU'."
            )
        return cls.of(country(parts[0]), country(parts[1]))

    @property
    def id(self) -> str:
        return f"{self.first.code}-{self.second.code}"

    @property
    def countries(self) -> tuple[Country, Country]:
        return self.first, self.second


def pair_ids(codes: Iterable[str]) -> list[str]:
    """Every pair among a set of alpha-2 codes: an event belongs to all their timelines."""
    return [f"{a}-{b}" for a, b in itertools.combinations(sorted(set(codes)), 2)]
