"""marshmallow fields for strict JSON input and the domain's value types."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from marshmallow import ValidationError, fields

from . import patterns
from .domain.countries import Country, CountryPair, InvalidPair, UnknownCountry, country
from .domain.dates import InvalidDate, PartialDate
from .domain.text import InvalidText, check_text


class StrictBoolean(fields.Boolean):
    """A JSON boolean only: no 'yes', 1 or 'true' strings."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


class StrictFloat(fields.Float):
    """A JSON number only: no numeric strings, no booleans."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


class QueryInteger(fields.Integer):
    """A whole number in a query string, in ASCII digits only. Python's ``int`` also
    reads a sign, spaces around, underscores between digits and other scripts'
    digits (``limit=٥`` as 5, ``limit=1_0`` as 10), which a cache, a proxy or a
    client library would take for another value, or for none."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        if not (isinstance(value, str) and value.isascii() and value.isdigit()):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


class Text(fields.String):
    """A JSON string of text a person typed, under the rule of ``timeline.domain.text``:
    one line (``multiline=False``, for titles, names and tags) or several (summaries,
    quotes, notes); no control characters but those line breaks and tabs; not only
    whitespace. Also no NUL (PostgreSQL cannot store it) and no lone surrogates.

    Each is refused with a field error on every backend, rather than a database
    error; the spec states the rule as a pattern.
    """

    default_error_messages = {
        "nul": "Text cannot contain NUL (U+0000) characters.",
        "surrogate": "Text cannot contain unpaired surrogates (U+D800 to U+DFFF).",
    }

    def __init__(self, *, multiline: bool = False, **kwargs: Any) -> None:
        self.multiline = multiline
        metadata = {"pattern": patterns.anchored(self.pattern())}
        metadata.update(kwargs.pop("metadata", {}))
        super().__init__(metadata=metadata, **kwargs)

    def pattern(self) -> str:
        return patterns.text(multiline=self.multiline)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        text = super()._deserialize(value, attr, data, **kwargs)
        if "\x00" in text:
            raise self.make_error("nul")
        try:
            text.encode()
        except UnicodeEncodeError:
            raise self.make_error("surrogate") from None
        try:
            check_text(text, multiline=self.multiline)
        except InvalidText as error:
            raise ValidationError(str(error)) from None
        return text


class HttpUrl(Text):
    """An http or https URL of a named host or an IPv4 address (the spec states the pattern)."""

    default_error_messages = {"invalid_url": "Not a valid URL."}

    def __init__(self, **kwargs: Any) -> None:
        metadata = {"example": "https://www.aninews.in/news/"}
        metadata.update(kwargs.pop("metadata", {}))
        super().__init__(metadata=metadata, **kwargs)

    def pattern(self) -> str:
        return patterns.HTTP_URL

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        text = super()._deserialize(value, attr, data, **kwargs)
        if not patterns.matches(patterns.HTTP_URL, text):
            raise self.make_error("invalid_url")
        return text


class Cursor(fields.String):
    """A page cursor, as the API gives out in next_cursor: ``parts`` numbers joined by '.'.

    The pattern is documented and exact; a cursor that breaks it is one the API did
    not give out, which ``cursors.decode_cursor`` answers with a 400.
    """

    def __init__(self, parts: int, **kwargs: Any) -> None:
        metadata = {"pattern": patterns.anchored(patterns.cursor(parts))}
        metadata.update(kwargs.pop("metadata", {}))
        super().__init__(metadata=metadata, **kwargs)


class CountryCode(fields.String):
    """An ISO 3166-1 alpha-2 or alpha-3 code in any case, loaded as a Country.

    Documented as a reference to the CountryCode component, whose pattern lists
    every code (timeline.openapi registers it).
    """

    OPENAPI_COMPONENT = "CountryCode"

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            return country(text)
        except UnknownCountry as error:
            raise ValidationError(str(error)) from None

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        return value.code if isinstance(value, Country) else value


class PartialDateString(fields.String):
    """A date of the form YYYY, YYYY-MM or YYYY-MM-DD (the form sets the precision)."""

    def __init__(self, **kwargs: Any) -> None:
        metadata = {
            "description": (
                "YYYY, YYYY-MM or YYYY-MM-DD of a day that exists; the form sets the precision"
            ),
            "pattern": patterns.anchored(patterns.PARTIAL_DATE),
            "example": "2019-11-05",
        }
        metadata.update(kwargs.pop("metadata", {}))
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            PartialDate.parse(text)
        except InvalidDate as error:
            raise ValidationError(str(error)) from None
        return text


class CountryPairString(fields.String):
    """A country pair such as IN-RU (any order and case); loaded as the text given.

    Documented as a reference to the CountryPair component.
    """

    OPENAPI_COMPONENT = "CountryPair"

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            CountryPair.parse(text)
        except (InvalidPair, UnknownCountry) as error:
            raise ValidationError(str(error)) from None
        return text


class StatusEnum(fields.Enum):
    """An enum by value that also dumps the plain strings the database returns."""

    def __init__(self, enum: type[StrEnum], **kwargs: Any) -> None:
        # By value as a String field (by_value=True would use Raw), so that the
        # OpenAPI schema says `type: string` next to the enum.
        super().__init__(enum, by_value=fields.String, **kwargs)

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        if isinstance(value, str) and not isinstance(value, self.enum):
            value = self.enum(value)
        return super()._serialize(value, attr, obj, **kwargs)
