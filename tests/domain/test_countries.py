"""Unit tests for timeline.domain.countries: ISO codes, names and unordered pairs."""

from __future__ import annotations

import pycountry
import pytest
from hypothesis import given
from hypothesis import strategies as st

from timeline.domain.countries import (
    Country,
    CountryPair,
    InvalidPair,
    UnknownCountry,
    country,
    distinct_countries,
    pair_ids,
)

INDIA = Country("IN", "India")
RUSSIA = Country("RU", "Russia")
USA = Country("US", "United States")

ISO_RECORDS = sorted(pycountry.countries, key=lambda record: record.alpha_2)


class TestCountry:
    @pytest.mark.parametrize("code", ["IN", "in", "In", "iN", "IND", "ind", "Ind", "iNd"])
    def test_alpha_2_and_alpha_3_in_any_case(self, code: str) -> None:
        assert country(code) == INDIA

    @pytest.mark.parametrize("code", ["RU", "ru", "RUS", "rus"])
    def test_russia_has_its_common_name(self, code: str) -> None:
        found = country(code)
        assert found.code == "RU"
        assert found.name == "Russia"

    @pytest.mark.parametrize(
        ("code", "name"),
        [
            ("US", "United States"),
            ("GB", "United Kingdom"),
            ("CN", "China"),
            # pycountry's common names rather than the formal ISO short names
            ("BO", "Bolivia"),
            ("IR", "Iran"),
            ("KR", "South Korea"),
            ("TW", "Taiwan"),
            ("VN", "Vietnam"),
        ],
    )
    def test_english_names(self, code: str, name: str) -> None:
        assert country(code).name == name

    def test_surrounding_space_is_ignored(self) -> None:
        assert country(" in ") == INDIA

    def test_every_iso_country_is_found_by_both_codes(self) -> None:
        for record in ISO_RECORDS:
            by_alpha_2 = country(record.alpha_2)
            assert by_alpha_2.code == record.alpha_2
            assert by_alpha_2.code.isupper()
            assert len(by_alpha_2.code) == 2
            assert by_alpha_2.name
            assert country(record.alpha_3) == by_alpha_2
            assert country(record.alpha_3.lower()) == by_alpha_2


class TestUnknownCountry:
    @pytest.mark.parametrize(
        "code", ["XX", "xx", "ZZZ", "I", "INDI", "IN-RU", "", "356", "EU", "UK", "India"]
    )
    def test_unknown_codes_are_rejected_naming_the_code(self, code: str) -> None:
        with pytest.raises(UnknownCountry) as caught:
            country(code)
        assert caught.value.code == code
        assert f"'{code}'" in str(caught.value)

    @pytest.mark.parametrize("value", [None, 356, b"IN", ["IN"]])
    def test_non_strings_are_rejected(self, value: object) -> None:
        with pytest.raises(UnknownCountry) as caught:
            country(value)  # type: ignore[arg-type]
        assert caught.value.code == str(value)

    def test_unknown_country_is_a_value_error(self) -> None:
        assert issubclass(UnknownCountry, ValueError)
        assert issubclass(InvalidPair, ValueError)


class TestCountryOrder:
    def test_countries_sort_by_code(self) -> None:
        assert sorted([USA, RUSSIA, INDIA]) == [INDIA, RUSSIA, USA]


class TestCountryPairParse:
    @pytest.mark.parametrize(
        "text", ["IN-RU", "RU-IN", "in-ru", "ru-in", "IND-RUS", "rus-ind", "IN-rus"]
    )
    def test_every_spelling_is_one_pair(self, text: str) -> None:
        pair = CountryPair.parse(text)
        assert pair == CountryPair.parse("IN-RU")
        assert pair.id == "IN-RU"
        assert pair.first == INDIA
        assert pair.second == RUSSIA
        assert pair.countries == (INDIA, RUSSIA)

    @pytest.mark.parametrize("text", ["IN-IN", "IND-IN", "in-IND", "ind-ind", "RU-rus"])
    def test_one_country_twice_is_not_a_pair(self, text: str) -> None:
        with pytest.raises(InvalidPair):
            CountryPair.parse(text)

    @pytest.mark.parametrize(
        "text", ["INRU", "IN-", "-RU", "IN-RU-US", "", "-", "IN--RU", "IN_RU", "IN RU", "IN,RU"]
    )
    def test_malformed_pairs_are_rejected(self, text: str) -> None:
        with pytest.raises(InvalidPair) as caught:
            CountryPair.parse(text)
        assert f"'{text}'" in str(caught.value)

    def test_unknown_country_in_a_pair_is_named(self) -> None:
        with pytest.raises(UnknownCountry) as caught:
            CountryPair.parse("XX-RU")
        assert caught.value.code == "XX"
        with pytest.raises(UnknownCountry) as caught:
            CountryPair.parse("in-zzz")
        assert caught.value.code == "zzz"

    def test_pairs_are_hashable_values(self) -> None:
        assert len({CountryPair.parse("IN-RU"), CountryPair.parse("RUS-IND")}) == 1


class TestCountryPairOf:
    def test_of_is_unordered(self) -> None:
        assert CountryPair.of(RUSSIA, INDIA) == CountryPair.of(INDIA, RUSSIA)
        assert CountryPair.of(RUSSIA, INDIA).id == "IN-RU"

    def test_of_refuses_one_country_twice(self) -> None:
        with pytest.raises(InvalidPair, match="'IN'"):
            CountryPair.of(INDIA, country("ind"))


@st.composite
def code_spellings(draw: st.DrawFn, record: object) -> str:
    """One way of writing a country's code: alpha-2 or alpha-3, each letter in either case."""
    code: str = draw(st.sampled_from([record.alpha_2, record.alpha_3]))  # type: ignore[attr-defined]
    upper = draw(st.lists(st.booleans(), min_size=len(code), max_size=len(code)))
    return "".join(c.upper() if u else c.lower() for c, u in zip(code, upper, strict=True))


class TestCountryPairProperty:
    @given(st.data())
    def test_any_spelling_of_two_countries_gives_the_same_id(self, data: st.DataObject) -> None:
        a, b = data.draw(
            st.lists(
                st.sampled_from(ISO_RECORDS), min_size=2, max_size=2, unique_by=lambda r: r.alpha_2
            )
        )
        left, right = data.draw(code_spellings(a)), data.draw(code_spellings(b))
        expected = "-".join(sorted([a.alpha_2, b.alpha_2]))
        assert CountryPair.parse(f"{left}-{right}").id == expected
        assert CountryPair.parse(f"{right}-{left}").id == expected

    @given(st.data())
    def test_any_spelling_of_one_country_twice_is_refused(self, data: st.DataObject) -> None:
        record = data.draw(st.sampled_from(ISO_RECORDS))
        left, right = data.draw(code_spellings(record)), data.draw(code_spellings(record))
        with pytest.raises(InvalidPair):
            CountryPair.parse(f"{left}-{right}")


class TestPairIds:
    def test_three_countries_give_three_sorted_pairs(self) -> None:
        assert pair_ids(["RU", "IN", "US"]) == ["IN-RU", "IN-US", "RU-US"]

    def test_four_countries_give_six_pairs(self) -> None:
        assert pair_ids(["US", "CN", "RU", "IN"]) == [
            "CN-IN",
            "CN-RU",
            "CN-US",
            "IN-RU",
            "IN-US",
            "RU-US",
        ]

    def test_two_countries_give_their_pair_in_either_order(self) -> None:
        assert pair_ids(["RU", "IN"]) == pair_ids(["IN", "RU"]) == ["IN-RU"]

    def test_repeated_codes_count_once(self) -> None:
        assert pair_ids(["IN", "RU", "IN"]) == ["IN-RU"]

    @pytest.mark.parametrize("codes", [[], ["IN"], ["IN", "IN"]])
    def test_fewer_than_two_countries_give_no_pair(self, codes: list[str]) -> None:
        assert pair_ids(codes) == []

    def test_accepts_any_iterable(self) -> None:
        assert pair_ids(code for code in ("RU", "IN")) == ["IN-RU"]

    def test_ids_agree_with_country_pair(self) -> None:
        for pid in pair_ids(["US", "RU", "IN"]):
            assert CountryPair.parse(pid).id == pid


class TestDistinctCountries:
    def test_gives_countries_sorted_by_code(self) -> None:
        assert distinct_countries([RUSSIA, USA, INDIA]) == [INDIA, RUSSIA, USA]

    @pytest.mark.parametrize(
        ("countries", "message"),
        [
            ([INDIA, INDIA], "India (IN) is listed twice, at 0 and 1."),
            ([INDIA, RUSSIA, USA, RUSSIA], "Russia (RU) is listed twice, at 1 and 3."),
        ],
    )
    def test_a_country_listed_twice_is_refused(
        self, countries: list[Country], message: str
    ) -> None:
        with pytest.raises(InvalidPair) as caught:
            distinct_countries(countries)
        assert str(caught.value) == message

    def test_empty_and_single(self) -> None:
        assert distinct_countries([]) == []
        assert distinct_countries([INDIA]) == [INDIA]
