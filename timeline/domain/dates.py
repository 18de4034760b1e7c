"""Event dates and their precision.

A date is written ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``; the form sets the
precision. An event has a start, an optional end (never before the start) and an
``approximate`` flag. Timeline order is by the earliest day the date can mean,
then coarser precision first, then creation order (which the caller supplies).
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from enum import IntEnum

# ASCII digits only, and \Z rather than $ (which also matches before a final newline).
_DATE_FORM = re.compile(r"^([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?\Z")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
# A range's two labels are joined with an en dash, spaced when either side has spaces.
_DASH = "\u2013"


class InvalidDate(ValueError):
    """A date that is malformed, impossible, or ends before it starts."""


class Precision(IntEnum):
    """How much of a date is known; the lower value sorts first (coarser first)."""

    YEAR = 0
    MONTH = 1
    DAY = 2

    @property
    def label(self) -> str:
        return self.name.lower()


@dataclass(frozen=True, order=False)
class PartialDate:
    """A calendar date known to the year, the month or the day."""

    year: int
    month: int | None = None
    day: int | None = None

    @classmethod
    def parse(cls, text: str) -> PartialDate:
        match = _DATE_FORM.match(text) if isinstance(text, str) else None
        if match is None:
            raise InvalidDate(f"'{text}' is not a date of the form YYYY, YYYY-MM or YYYY-MM-DD.")
        year, month, day = (int(part) if part else None for part in match.groups())
        assert year is not None
        if year < 1:
            raise InvalidDate(f"'{text}' has no year 0000; years run from 0001 to 9999.")
        if month is not None and not 1 <= month <= 12:
            raise InvalidDate(f"'{text}' has no month {month:02d}.")
        if month is not None and day is not None:
            days_in_month = calendar.monthrange(year, month)[1]
            if not 1 <= day <= days_in_month:
                raise InvalidDate(
                    f"'{text}' does not exist: "
                    f"{_MONTHS[month - 1]} {year} has {days_in_month} days."
                )
        return cls(year, month, day)

    @property
    def precision(self) -> Precision:
        if self.day is not None:
            return Precision.DAY
        if self.month is not None:
            return Precision.MONTH
        return Precision.YEAR

    def first_day(self) -> dt.date:
        return dt.date(self.year, self.month or 1, self.day or 1)

    def last_day(self) -> dt.date:
        if self.day is not None:
            return self.first_day()
        month = self.month or 12
        return dt.date(self.year, month, calendar.monthrange(self.year, month)[1])

    def isoformat(self) -> str:
        text = f"{self.year:04d}"
        if self.month is not None:
            text += f"-{self.month:02d}"
        if self.day is not None:
            text += f"-{self.day:02d}"
        return text

    def label(self) -> str:
        """'5 Nov 2019', 'Nov 2019' or '2019'."""
        parts = [str(self.year)]
        if self.month is not None:
            parts.insert(0, _MONTHS[self.month - 1])
        if self.day is not None:
            parts.insert(0, str(self.day))
        return " ".join(parts)


@dataclass(frozen=True)
class EventDate:
    """When an event happened: a start, an optional end and how sure we are."""

    start: PartialDate
    end: PartialDate | None = None
    approximate: bool = False

    @classmethod
    def parse(cls, start: str, end: str | None = None, approximate: bool = False) -> EventDate:
        """Parse and check a date; errors name the field ('date' or 'end_date')."""
        try:
            start_date = PartialDate.parse(start)
        except InvalidDate as error:
            raise InvalidDateField("date", str(error)) from None
        end_date = None
        if end is not None:
            try:
                end_date = PartialDate.parse(end)
            except InvalidDate as error:
                raise InvalidDateField("end_date", str(error)) from None
            if end_date.last_day() < start_date.first_day():
                raise InvalidDateField("end_date", f"The end {end} is before the start {start}.")
        return cls(start_date, end_date, approximate)

    @property
    def precision(self) -> Precision:
        return self.start.precision

    def first_day(self) -> dt.date:
        return self.start.first_day()

    def last_day(self) -> dt.date:
        return (self.end or self.start).last_day()

    def sort_key(self) -> tuple[int, int]:
        """Earliest possible day, then coarser precision first."""
        return self.first_day().toordinal(), int(self.precision)

    def overlaps(self, first: dt.date | None, last: dt.date | None) -> bool:
        """Whether the date's interval meets the closed range [first, last]."""
        if first is not None and last is not None and first > last:
            return False  # an empty range meets nothing
        return (last is None or self.first_day() <= last) and (
            first is None or self.last_day() >= first
        )

    def label(self) -> str:
        """A human label: '5 Nov 2019', '5–9 Nov 2019', 'c. 2019'."""
        text = _range_label(self.start, self.end) if self.end else self.start.label()
        return f"c. {text}" if self.approximate else text


class InvalidDateField(InvalidDate):
    """An invalid date, with the name of the input field it came from."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def _range_label(start: PartialDate, end: PartialDate) -> str:
    if start == end:
        return start.label()
    same_shape = start.precision == end.precision
    if same_shape and start.year == end.year:
        if start.precision is Precision.DAY and start.month == end.month:
            return f"{start.day}{_DASH}{end.day} {_MONTHS[(start.month or 1) - 1]} {start.year}"
        if start.precision is Precision.DAY:
            return f"{start.day} {_MONTHS[(start.month or 1) - 1]} {_DASH} {end.label()}"
        if start.precision is Precision.MONTH:
            return f"{_MONTHS[(start.month or 1) - 1]}{_DASH}{end.label()}"
    if same_shape and start.precision is Precision.YEAR:
        return f"{start.year}{_DASH}{end.year}"
    return f"{start.label()} {_DASH} {end.label()}"


def day_from_ordinal(ordinal: int) -> str:
    """The ISO form of a day stored as its proleptic Gregorian ordinal."""
    return dt.date.fromordinal(ordinal).isoformat()
