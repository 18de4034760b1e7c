"""Unit tests for timeline.domain.dates: parsing, precision, labels, order and overlap."""

from __future__ import annotations

import calendar
import datetime as dt
import functools
import random
import re
from dataclasses import FrozenInstanceError

import pytest
from hypothesis import given
from hypothesis import strategies as st

from timeline.domain.dates import (
    EventDate,
    InvalidDate,
    InvalidDateField,
    PartialDate,
    Precision,
    day_from_ordinal,
)

D = dt.date
DASH = "\u2013"  # en dash


# --- reference definitions, written from PRODUCT.md and independent of the module ---


def ref_first(text: str) -> dt.date:
    """The earliest day a YYYY, YYYY-MM or YYYY-MM-DD string can mean."""
    parts = [int(p) for p in text.split("-")]
    year, month, day = [*parts, 1, 1][:3]
    return dt.date(year, month, day)


def ref_last(text: str) -> dt.date:
    """The latest day a YYYY, YYYY-MM or YYYY-MM-DD string can mean."""
    parts = [int(p) for p in text.split("-")]
    if len(parts) == 3:
        return dt.date(*parts)
    year = parts[0]
    month = parts[1] if len(parts) == 2 else 12
    following = dt.date(year + 1, 1, 1) if month == 12 else dt.date(year, month + 1, 1)
    return following - dt.timedelta(days=1)


def ref_precision_rank(text: str) -> int:
    """0 for a year, 1 for a month, 2 for a day: coarser sorts first."""
    return text.count("-")


# --- strategies ---


@st.composite
def partial_texts(draw: st.DrawFn, min_year: int = 1, max_year: int = 9999) -> str:
    """A valid date string of any of the three forms."""
    day = draw(st.dates(dt.date(min_year, 1, 1), dt.date(max_year, 12, 31)))
    form = draw(st.sampled_from(["year", "month", "day"]))
    if form == "year":
        return f"{day.year:04d}"
    if form == "month":
        return f"{day.year:04d}-{day.month:02d}"
    return day.isoformat()


@st.composite
def event_dates(draw: st.DrawFn, min_year: int = 1, max_year: int = 9999) -> EventDate:
    """A valid EventDate: a start, an optional end not before it, approximate or not."""
    start = draw(partial_texts(min_year, max_year))
    end = draw(
        st.none()
        | partial_texts(min_year, max_year).filter(lambda e: ref_last(e) >= ref_first(start))
    )
    return EventDate.parse(start, end, draw(st.booleans()))


def texts_of(when: EventDate) -> tuple[str, str | None]:
    return when.start.isoformat(), when.end.isoformat() if when.end else None


# --- PartialDate.parse ---


class TestParseForms:
    @pytest.mark.parametrize(
        ("text", "expected", "precision"),
        [
            ("2019", PartialDate(2019), Precision.YEAR),
            ("2019-11", PartialDate(2019, 11), Precision.MONTH),
            ("2019-11-05", PartialDate(2019, 11, 5), Precision.DAY),
            ("0001", PartialDate(1), Precision.YEAR),
            ("9999-12-31", PartialDate(9999, 12, 31), Precision.DAY),
            ("2019-01", PartialDate(2019, 1), Precision.MONTH),
            ("2019-12-01", PartialDate(2019, 12, 1), Precision.DAY),
        ],
    )
    def test_each_form_sets_its_precision(
        self, text: str, expected: PartialDate, precision: Precision
    ) -> None:
        parsed = PartialDate.parse(text)
        assert parsed == expected
        assert parsed.precision is precision

    def test_event_date_precision_is_the_start_precision(self) -> None:
        assert EventDate.parse("2019").precision is Precision.YEAR
        assert EventDate.parse("2019-11").precision is Precision.MONTH
        assert EventDate.parse("2019-11-05").precision is Precision.DAY
        assert EventDate.parse("2019", "2020-03-01").precision is Precision.YEAR
        assert EventDate.parse("2019-11-05", "2020").precision is Precision.DAY

    def test_event_date_keeps_start_end_and_flag(self) -> None:
        when = EventDate.parse("2019-11-05", "2019-11-09", approximate=True)
        assert when.start == PartialDate(2019, 11, 5)
        assert when.end == PartialDate(2019, 11, 9)
        assert when.approximate is True
        assert EventDate.parse("2019").end is None
        assert EventDate.parse("2019").approximate is False

    def test_values_are_immutable(self) -> None:
        when = EventDate.parse("2019")
        with pytest.raises(FrozenInstanceError):
            when.approximate = True  # type: ignore[misc]
        with pytest.raises(FrozenInstanceError):
            when.start.year = 2020  # type: ignore[misc]


class TestPrecision:
    def test_coarser_precision_has_the_lower_value(self) -> None:
        assert Precision.YEAR < Precision.MONTH < Precision.DAY
        assert [int(p) for p in (Precision.YEAR, Precision.MONTH, Precision.DAY)] == [0, 1, 2]

    def test_labels(self) -> None:
        assert [p.label for p in Precision] == ["year", "month", "day"]


class TestImpossibleDates:
    @pytest.mark.parametrize(
        "text",
        [
            "2019-02-30",
            "2019-02-29",
            "1900-02-29",
            "2019-04-31",
            "2019-11-31",
            "2019-01-32",
            "2019-01-00",
            "2019-13",
            "2019-00",
            "2019-13-01",
            "2019-00-10",
            "0000",
            "0000-01",
            "0000-01-01",
        ],
    )
    def test_impossible_dates_are_rejected(self, text: str) -> None:
        with pytest.raises(InvalidDate):
            PartialDate.parse(text)

    @pytest.mark.parametrize(
        "text",
        [
            "2019-2-3",
            "2019-2",
            "2019-11-5",
            "19",
            "019",
            "20190",
            "2019-",
            "2019-11-",
            "2019/11/05",
            "20191105",
            "2019-11-05T00:00",
            "2019-11-05 ",
            " 2019",
            "2019\n",
            "2019-11-05\n",
            "+2019",
            "-2019",
            "2019-11-05-01",
            "",
            "c. 2019",
            "Nov 2019",
            "abcd",
            "２０１９",  # fullwidth digits
            "٢٠١٩-١١",  # Arabic-Indic digits
        ],
    )
    def test_malformed_text_is_rejected(self, text: str) -> None:
        with pytest.raises(InvalidDate):
            PartialDate.parse(text)

    @pytest.mark.parametrize("value", [None, 2019, 2019.0, b"2019", dt.date(2019, 1, 1), ["2019"]])
    def test_non_strings_are_rejected(self, value: object) -> None:
        with pytest.raises(InvalidDate):
            PartialDate.parse(value)  # type: ignore[arg-type]

    def test_error_message_names_the_text(self) -> None:
        with pytest.raises(InvalidDate, match=r"2019-02-30"):
            PartialDate.parse("2019-02-30")

    @given(
        year=st.integers(0, 9999),
        month=st.integers(0, 13),
        day=st.integers(0, 32),
    )
    def test_a_full_date_is_accepted_exactly_when_the_calendar_has_it(
        self, year: int, month: int, day: int
    ) -> None:
        text = f"{year:04d}-{month:02d}-{day:02d}"
        try:
            expected = dt.date(year, month, day)
        except ValueError:
            with pytest.raises(InvalidDate):
                PartialDate.parse(text)
        else:
            assert PartialDate.parse(text).first_day() == expected

    @given(st.text(max_size=12))
    def test_only_the_three_ascii_forms_are_accepted(self, text: str) -> None:
        if re.fullmatch(r"[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?", text, flags=re.ASCII) is None:
            with pytest.raises(InvalidDate):
                PartialDate.parse(text)


class TestLeapYears:
    @pytest.mark.parametrize("text", ["2020-02-29", "2000-02-29", "2016-02-29", "1600-02-29"])
    def test_leap_days_in_leap_years_are_accepted(self, text: str) -> None:
        assert PartialDate.parse(text).day == 29

    @pytest.mark.parametrize("text", ["2019-02-29", "1900-02-29", "2100-02-29", "2021-02-29"])
    def test_leap_days_in_common_years_are_rejected(self, text: str) -> None:
        with pytest.raises(InvalidDate):
            PartialDate.parse(text)

    def test_february_last_day_follows_the_leap_rule(self) -> None:
        assert PartialDate.parse("2020-02").last_day() == D(2020, 2, 29)
        assert PartialDate.parse("2000-02").last_day() == D(2000, 2, 29)
        assert PartialDate.parse("2019-02").last_day() == D(2019, 2, 28)
        assert PartialDate.parse("1900-02").last_day() == D(1900, 2, 28)


# --- EventDate.parse: the field named in errors, and the end rule ---


class TestEventDateErrors:
    @pytest.mark.parametrize("start", ["2019-02-30", "19", "2019-13", "", "2019-11-05T00:00"])
    def test_malformed_start_names_the_date_field(self, start: str) -> None:
        with pytest.raises(InvalidDateField) as caught:
            EventDate.parse(start)
        assert caught.value.field == "date"

    def test_start_is_checked_before_end(self) -> None:
        with pytest.raises(InvalidDateField) as caught:
            EventDate.parse("2019-02-30", "nonsense")
        assert caught.value.field == "date"

    @pytest.mark.parametrize("end", ["2019-02-30", "19", "2019-13", "", "2019-11-05T00:00"])
    def test_malformed_end_names_the_end_date_field(self, end: str) -> None:
        with pytest.raises(InvalidDateField) as caught:
            EventDate.parse("2019-11-05", end)
        assert caught.value.field == "end_date"

    def test_non_string_end_names_the_end_date_field(self) -> None:
        with pytest.raises(InvalidDateField) as caught:
            EventDate.parse("2019", 2020)  # type: ignore[arg-type]
        assert caught.value.field == "end_date"

    @pytest.mark.parametrize(
        ("start", "end"),
        [
            ("2019-11-05", "2019-11-04"),
            ("2019-11-05", "2019-10-31"),
            ("2019-11-05", "2019-10"),
            ("2019-11-05", "2018"),
            ("2019-11", "2019-10-31"),
            ("2019-11", "2019-10"),
            ("2019", "2018-12-31"),
            ("2019", "2018-12"),
            ("2019", "2018"),
        ],
    )
    def test_end_before_start_names_the_end_date_field(self, start: str, end: str) -> None:
        with pytest.raises(InvalidDateField) as caught:
            EventDate.parse(start, end)
        assert caught.value.field == "end_date"
        assert start in str(caught.value)
        assert end in str(caught.value)

    def test_field_errors_are_invalid_dates_and_value_errors(self) -> None:
        assert issubclass(InvalidDateField, InvalidDate)
        assert issubclass(InvalidDate, ValueError)


class TestEventDateEndRule:
    @pytest.mark.parametrize(
        ("start", "end"),
        [
            ("2019-11-05", "2019-11-05"),
            ("2019-11-05", "2019-11-06"),
            ("2019-11-05", "2019-11"),  # Nov 2019 ends after 5 Nov
            ("2019-11-05", "2019"),
            ("2019-11", "2019-11"),
            ("2019-11", "2019-11-01"),  # a day inside the start month is not before it
            ("2019-11", "2019-11-30"),
            ("2019-11", "2019"),
            ("2019", "2019-01-01"),
            ("2019", "2019-01"),
            ("2019", "2019"),
            ("2019-12-31", "2020-01-01"),
        ],
    )
    def test_an_end_that_reaches_the_start_is_accepted(self, start: str, end: str) -> None:
        when = EventDate.parse(start, end)
        assert when.end == PartialDate.parse(end)
        assert when.last_day() == ref_last(end)
        assert when.last_day() >= when.first_day()


# --- first_day / last_day ---


class TestFirstAndLastDay:
    @pytest.mark.parametrize(
        ("text", "first", "last"),
        [
            ("2019", D(2019, 1, 1), D(2019, 12, 31)),
            ("2019-11", D(2019, 11, 1), D(2019, 11, 30)),
            ("2019-12", D(2019, 12, 1), D(2019, 12, 31)),
            ("2019-01", D(2019, 1, 1), D(2019, 1, 31)),
            ("2019-04", D(2019, 4, 1), D(2019, 4, 30)),
            ("2019-11-05", D(2019, 11, 5), D(2019, 11, 5)),
            ("0001", D(1, 1, 1), D(1, 12, 31)),
            ("9999", D(9999, 1, 1), D(9999, 12, 31)),
            ("9999-12", D(9999, 12, 1), D(9999, 12, 31)),
        ],
    )
    def test_partial_date_bounds(self, text: str, first: dt.date, last: dt.date) -> None:
        parsed = PartialDate.parse(text)
        assert parsed.first_day() == first
        assert parsed.last_day() == last

    def test_every_month_ends_on_its_last_calendar_day(self) -> None:
        for month in range(1, 13):
            days = calendar.monthrange(2019, month)[1]
            assert PartialDate(2019, month).last_day() == D(2019, month, days)

    def test_event_date_spans_start_to_end(self) -> None:
        when = EventDate.parse("2019-11-05", "2020-02")
        assert when.first_day() == D(2019, 11, 5)
        assert when.last_day() == D(2020, 2, 29)

    def test_event_date_without_end_spans_its_start(self) -> None:
        when = EventDate.parse("2019-11")
        assert (when.first_day(), when.last_day()) == (D(2019, 11, 1), D(2019, 11, 30))

    @given(partial_texts())
    def test_bounds_match_the_reference(self, text: str) -> None:
        parsed = PartialDate.parse(text)
        assert parsed.first_day() == ref_first(text)
        assert parsed.last_day() == ref_last(text)


# --- isoformat and round trips ---


class TestIsoformat:
    @pytest.mark.parametrize("text", ["2019", "2019-11", "2019-11-05", "0001", "0042-01-09"])
    def test_isoformat_writes_the_parsed_form(self, text: str) -> None:
        assert PartialDate.parse(text).isoformat() == text

    def test_isoformat_pads_with_zeros(self) -> None:
        assert PartialDate(5, 1, 2).isoformat() == "0005-01-02"

    @given(partial_texts())
    def test_parse_isoformat_round_trips(self, text: str) -> None:
        parsed = PartialDate.parse(text)
        assert parsed.isoformat() == text
        assert PartialDate.parse(parsed.isoformat()) == parsed

    @given(event_dates())
    def test_event_date_round_trips(self, when: EventDate) -> None:
        start, end = texts_of(when)
        assert EventDate.parse(start, end, when.approximate) == when


class TestDayFromOrdinal:
    @pytest.mark.parametrize("day", [D(1, 1, 1), D(2019, 11, 5), D(2020, 2, 29), D(9999, 12, 31)])
    def test_gives_the_iso_day(self, day: dt.date) -> None:
        assert day_from_ordinal(day.toordinal()) == day.isoformat()

    def test_inverts_the_sort_key_day(self) -> None:
        assert day_from_ordinal(EventDate.parse("2019-11").sort_key()[0]) == "2019-11-01"


# --- labels ---


class TestPartialDateLabel:
    @pytest.mark.parametrize(
        ("text", "label"),
        [
            ("2019-11-05", "5 Nov 2019"),
            ("2019-11-15", "15 Nov 2019"),
            ("2019-11-01", "1 Nov 2019"),
            ("2019-11", "Nov 2019"),
            ("2019", "2019"),
        ],
    )
    def test_label(self, text: str, label: str) -> None:
        assert PartialDate.parse(text).label() == label

    def test_every_month_has_its_abbreviation(self) -> None:
        labels = [PartialDate(2019, month).label() for month in range(1, 13)]
        months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun"]
        months += ["Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        assert labels == [f"{m} 2019" for m in months]


class TestEventDateLabel:
    @pytest.mark.parametrize(
        ("start", "end", "approximate", "label"),
        [
            ("2019-11-05", None, False, "5 Nov 2019"),
            ("2019-11", None, False, "Nov 2019"),
            ("2019", None, False, "2019"),
            ("2019", None, True, "c. 2019"),
            ("2019-11", None, True, "c. Nov 2019"),
            ("2019-11-05", None, True, "c. 5 Nov 2019"),
            # the same day, month or year twice is a single date
            ("2019-11-05", "2019-11-05", False, "5 Nov 2019"),
            ("2019-11", "2019-11", False, "Nov 2019"),
            ("2019", "2019", True, "c. 2019"),
            # days in one month
            ("2019-11-05", "2019-11-09", False, f"5{DASH}9 Nov 2019"),
            ("2019-11-05", "2019-11-09", True, f"c. 5{DASH}9 Nov 2019"),
            # days across months, and across years
            ("2019-11-30", "2019-12-02", False, f"30 Nov {DASH} 2 Dec 2019"),
            ("2019-12-30", "2020-01-02", False, f"30 Dec 2019 {DASH} 2 Jan 2020"),
            # months in one year, and across years
            ("2019-11", "2019-12", False, f"Nov{DASH}Dec 2019"),
            ("2019-11", "2020-02", False, f"Nov 2019 {DASH} Feb 2020"),
            # years
            ("2019", "2021", False, f"2019{DASH}2021"),
            ("2019", "2020", True, f"c. 2019{DASH}2020"),
            # mixed precision
            ("2019-11-05", "2019-12", False, f"5 Nov 2019 {DASH} Dec 2019"),
            ("2019-11-05", "2020", False, f"5 Nov 2019 {DASH} 2020"),
            ("2019", "2020-03", False, f"2019 {DASH} Mar 2020"),
            ("2019-11", "2019-11-20", False, f"Nov 2019 {DASH} 20 Nov 2019"),
        ],
    )
    def test_label(self, start: str, end: str | None, approximate: bool, label: str) -> None:
        assert EventDate.parse(start, end, approximate).label() == label

    def test_ranges_use_an_en_dash_not_a_hyphen(self) -> None:
        label = EventDate.parse("2019-11-05", "2019-11-09").label()
        assert DASH in label
        assert "-" not in label

    @given(event_dates())
    def test_label_is_never_empty_and_c_marks_approximate(self, when: EventDate) -> None:
        label = when.label()
        assert label.strip()
        assert label.startswith("c. ") is when.approximate
        assert label == label.strip()

    @given(event_dates())
    def test_label_mentions_the_start_and_end_years(self, when: EventDate) -> None:
        label = when.label()
        assert str(when.start.year) in label
        if when.end is not None:
            assert label.endswith(str(when.end.year))
            assert (DASH in label) is (when.end != when.start)


# --- sort_key and timeline order ---


class TestSortKey:
    def test_key_is_earliest_day_then_precision(self) -> None:
        assert EventDate.parse("2019").sort_key() == (D(2019, 1, 1).toordinal(), 0)
        assert EventDate.parse("2019-11").sort_key() == (D(2019, 11, 1).toordinal(), 1)
        assert EventDate.parse("2019-11-05").sort_key() == (D(2019, 11, 5).toordinal(), 2)

    def test_coarser_precision_sorts_first_on_the_same_earliest_day(self) -> None:
        keys = [EventDate.parse(t).sort_key() for t in ("2019-01-01", "2019-01", "2019")]
        assert sorted(keys) == list(reversed(keys))

    def test_earlier_day_wins_over_precision(self) -> None:
        assert EventDate.parse("2019-10-31").sort_key() < EventDate.parse("2019-11").sort_key()
        assert EventDate.parse("2019-12").sort_key() < EventDate.parse("2019-12-02").sort_key()
        assert EventDate.parse("2018-12-31").sort_key() < EventDate.parse("2019").sort_key()

    def test_end_and_approximate_do_not_change_the_key(self) -> None:
        key = EventDate.parse("2019-11-05").sort_key()
        assert EventDate.parse("2019-11-05", "2020").sort_key() == key
        assert EventDate.parse("2019-11-05", approximate=True).sort_key() == key


def rule_compare(a: tuple[str, int], b: tuple[str, int]) -> int:
    """PRODUCT.md: by the earliest day the date can mean, then coarser precision first,
    then creation order."""
    left = (ref_first(a[0]), ref_precision_rank(a[0]), a[1])
    right = (ref_first(b[0]), ref_precision_rank(b[0]), b[1])
    return (left > right) - (left < right)


class TestTimelineOrder:
    @given(st.lists(event_dates(1990, 2030), max_size=25), st.randoms(use_true_random=False))
    def test_sorting_by_key_and_creation_follows_the_rule(
        self, whens: list[EventDate], rnd: random.Random
    ) -> None:
        events = [(when, index) for index, when in enumerate(whens)]
        shuffled = list(events)
        rnd.shuffle(shuffled)
        ordered = sorted(shuffled, key=lambda e: (e[0].sort_key(), e[1]))

        # independent of the order the events arrive in
        assert ordered == sorted(events, key=lambda e: (e[0].sort_key(), e[1]))

        # exactly the order of the rule as written in PRODUCT.md
        def compare(a: tuple[EventDate, int], b: tuple[EventDate, int]) -> int:
            return rule_compare((a[0].start.isoformat(), a[1]), (b[0].start.isoformat(), b[1]))

        by_rule = sorted(events, key=functools.cmp_to_key(compare))
        assert ordered == by_rule
        # and pairwise: every earlier-first, then coarser-first, then created-first
        for i, (a, a_index) in enumerate(ordered):
            for b, b_index in ordered[i + 1 :]:
                assert a.first_day() <= b.first_day()
                if a.first_day() == b.first_day():
                    assert a.precision <= b.precision
                    if a.precision == b.precision:
                        assert a_index < b_index

    @given(event_dates(1990, 2030), event_dates(1990, 2030))
    def test_key_order_is_the_rule_order(self, a: EventDate, b: EventDate) -> None:
        by_key = (a.sort_key() > b.sort_key()) - (a.sort_key() < b.sort_key())
        by_rule = rule_compare((a.start.isoformat(), 0), (b.start.isoformat(), 0))
        assert by_key == by_rule

    @given(event_dates(1990, 2030), event_dates(1990, 2030), event_dates(1990, 2030))
    def test_key_order_is_total_and_transitive(
        self, a: EventDate, b: EventDate, c: EventDate
    ) -> None:
        ka, kb, kc = a.sort_key(), b.sort_key(), c.sort_key()
        assert (ka < kb) + (ka == kb) + (ka > kb) == 1
        if ka <= kb and kb <= kc:
            assert ka <= kc
        # equal keys mean the same earliest day and precision, so only creation order decides
        assert (ka == kb) is (a.first_day() == b.first_day() and a.precision == b.precision)

    def test_the_seed_story_orders_as_expected(self) -> None:
        events = [
            (EventDate.parse("2019-11-05", "2019-11-07"), 0),  # the visit
            (EventDate.parse("2019", approximate=True), 1),  # yearly trade
            (EventDate.parse("2019-10"), 2),  # "recently signed"
            (EventDate.parse("2019-11"), 3),
            (EventDate.parse("2019"), 4),
            (EventDate.parse("2019-01-01"), 5),
        ]
        ordered = [index for _, index in sorted(events, key=lambda e: (e[0].sort_key(), e[1]))]
        assert ordered == [1, 4, 5, 2, 3, 0]


# --- overlaps ---


class TestOverlaps:
    when = EventDate.parse("2019-11-05", "2019-11-09")

    def test_open_range_meets_everything(self) -> None:
        assert self.when.overlaps(None, None)
        assert EventDate.parse("0001").overlaps(None, None)

    @pytest.mark.parametrize(
        ("first", "expected"),
        [(D(2019, 11, 1), True), (D(2019, 11, 9), True), (D(2019, 11, 10), False)],
    )
    def test_range_open_at_the_end(self, first: dt.date, expected: bool) -> None:
        assert self.when.overlaps(first, None) is expected

    @pytest.mark.parametrize(
        ("last", "expected"),
        [(D(2019, 11, 30), True), (D(2019, 11, 5), True), (D(2019, 11, 4), False)],
    )
    def test_range_open_at_the_start(self, last: dt.date, expected: bool) -> None:
        assert self.when.overlaps(None, last) is expected

    @pytest.mark.parametrize(
        ("first", "last", "expected"),
        [
            (D(2019, 11, 1), D(2019, 11, 30), True),  # contains it
            (D(2019, 11, 6), D(2019, 11, 7), True),  # inside it
            (D(2019, 11, 1), D(2019, 11, 5), True),  # touches the first day
            (D(2019, 11, 9), D(2019, 11, 30), True),  # touches the last day
            (D(2019, 11, 1), D(2019, 11, 4), False),  # just before
            (D(2019, 11, 10), D(2019, 11, 30), False),  # just after
            (D(2019, 11, 7), D(2019, 11, 7), True),  # one day inside
            (D(2019, 11, 8), D(2019, 11, 6), False),  # empty (inverted) range
        ],
    )
    def test_closed_range(self, first: dt.date, last: dt.date, expected: bool) -> None:
        assert self.when.overlaps(first, last) is expected

    def test_coarse_dates_cover_their_whole_period(self) -> None:
        year = EventDate.parse("2019")
        assert year.overlaps(D(2019, 12, 31), D(2020, 1, 5))
        assert not year.overlaps(D(2020, 1, 1), None)
        month = EventDate.parse("2020-02")
        assert month.overlaps(D(2020, 2, 29), D(2020, 2, 29))
        assert not month.overlaps(D(2020, 3, 1), D(2020, 3, 31))

    def test_an_inverted_range_meets_nothing_even_around_a_long_date(self) -> None:
        assert not EventDate.parse("2019").overlaps(D(2019, 12, 10), D(2019, 12, 1))

    @given(
        when=event_dates(2019, 2020),
        first=st.none() | st.dates(D(2018, 12, 1), D(2021, 1, 31)),
        last=st.none() | st.dates(D(2018, 12, 1), D(2021, 1, 31)),
    )
    def test_overlap_matches_brute_force(
        self, when: EventDate, first: dt.date | None, last: dt.date | None
    ) -> None:
        start, end = texts_of(when)
        lo, hi = ref_first(start), ref_last(end or start)
        # None is unbounded; every generated date lies within these bounds
        day = first or D(2018, 1, 1)
        stop = last or D(2021, 12, 31)
        expected = False
        while day <= stop:
            if lo <= day <= hi:
                expected = True
                break
            day += dt.timedelta(days=1)
        assert when.overlaps(first, last) is expected
