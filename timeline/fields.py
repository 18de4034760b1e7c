"""marshmallow fields for strict JSON input and the domain's value types."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from marshmallow import ValidationError, fields

from .domain.countries import Country, UnknownCountry, country
from .domain.dates import InvalidDate, PartialDate


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


class CountryCode(fields.String):
    """An ISO 3166-1 alpha-2 or alpha-3 code in any case, loaded as a Country."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault(
            "metadata",
            {"description": "ISO 3166-1 alpha-2 or alpha-3 code, any case", "example": "IN"},
        )
        super().__init__(**kwargs)

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
            "description": "YYYY, YYYY-MM or YYYY-MM-DD; the form sets the precision",
            "pattern": r"^\d{4}(-\d{2}(-\d{2})?)?$",
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


class StatusEnum(fields.Enum):
    """An enum by value that also dumps the plain strings the database returns."""

    def __init__(self, enum: type[StrEnum], **kwargs: Any) -> None:
        super().__init__(enum, by_value=True, **kwargs)

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        if isinstance(value, str) and not isinstance(value, self.enum):
            value = self.enum(value)
        return super()._serialize(value, attr, obj, **kwargs)
