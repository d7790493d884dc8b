"""Shared field types for request schemas: bounded, timezone-aware datetimes and PATCH fields that may
be left out but not set to null.

* :data:`AwareDatetime` — a datetime with its offset, between years 1900 and 2200. Wider values are
  schema-valid ISO 8601 but overflow when converted to UTC or stored (``9999-12-31T23:59:59Z``,
  ``0001-01-01T00:00:00+14:00``): they answer 422 naming the field instead of a 500.
* :data:`BoundedDate` — a calendar date in the same years (a week view of 9999-12-31 overflows).
* :class:`Schema` — the base of Comptoir's pydantic models.
* :data:`Omittable` — a PATCH field for a value the resource always has: absent means unchanged,
  ``null`` is a 422 naming the field (not a database NOT NULL error). The OpenAPI document does not
  offer ``null`` for it.
"""

from __future__ import annotations

import warnings
from datetime import UTC, date, datetime
from typing import Annotated, Any, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic.warnings import UnsupportedFieldAttributeWarning
from pydantic_core import PydanticCustomError, core_schema


class Schema(BaseModel):
    """The base of Comptoir's pydantic models (requests, responses, events). Each model's validator and
    serializer are built when first used (``defer_build``), not when its module is imported: a process
    starting up does not build the few hundred it may never use. FastAPI's adapter for a route's body,
    parameters and response defers alike, built on the route's first call.

    FastAPI silences pydantic's ``UnsupportedFieldAttributeWarning`` while it builds those adapters
    (the ``alias`` it gives a body parameter's field is used, whatever the warning says); built later,
    the warning would reach the log on each route's first call, so it is silenced for the process."""

    model_config = ConfigDict(defer_build=True)


warnings.filterwarnings("ignore", category=UnsupportedFieldAttributeWarning)


EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)


def _bounded(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise PydanticCustomError(
            "timezone_aware", "Give the datetime with its offset, e.g. 2026-03-10T12:00:00+01:00"
        )
    try:
        inside = EARLIEST <= value < LATEST
    except OverflowError:  # 0001-01-01T00:00:00+14:00 is before year 1 in UTC
        inside = False
    if not inside:
        raise PydanticCustomError(
            "datetime_out_of_range", "The datetime must fall between 1900-01-01 and 2199-12-31 (UTC)"
        )
    return value


AwareDatetime = Annotated[datetime, AfterValidator(_bounded)]
"""A timezone-aware datetime between 1900-01-01 and 2199-12-31 UTC."""


def _bounded_date(value: date) -> date:
    if not EARLIEST.date() <= value < LATEST.date():
        raise PydanticCustomError("date_out_of_range", "The date must fall between 1900-01-01 and 2199-12-31")
    return value


BoundedDate = Annotated[date, AfterValidator(_bounded_date)]
"""A calendar date between 1900-01-01 and 2199-12-31."""


class _NotNull:
    """Refuses an explicit ``null`` (a default of ``None`` is never validated, so absent stays None)."""

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_before_validator_function(_refuse_null, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        document = handler(schema)
        branches = document.get("anyOf")
        if isinstance(branches, list):
            kept = [b for b in branches if b != {"type": "null"}]
            if len(kept) == 1:
                rest = {k: v for k, v in document.items() if k != "anyOf"}
                return {**kept[0], **rest}
            document = {**document, "anyOf": kept}
        return document


def _refuse_null(value: Any) -> Any:
    if value is None:
        raise PydanticCustomError(
            "null_not_allowed", "May be left out to keep the current value, but not null"
        )
    return value


T = TypeVar("T")
Omittable = Annotated[T | None, _NotNull()]
"""A PATCH field that may be absent (unchanged) but never null."""
