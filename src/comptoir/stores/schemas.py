"""What the stores domain accepts and returns (the types other domains receive from its service)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from pydantic import ConfigDict, EmailStr, Field, field_validator, model_validator

from comptoir.core.types import BoundedDate, Schema
from comptoir.stores import policies

Kind = Literal["store", "warehouse", "pickup_point"]
Status = Literal["open", "temporarily_closed", "permanently_closed"]
Service = Literal[
    "click_and_collect",
    "reserve_and_collect",
    "ship_from_store",
    "returns",
    "appointments",
    "drive",
    "live_video_studio",
]
Attribute = Literal[
    "wheelchair_accessible", "accessible_toilets", "parking", "ev_charging", "special_measures"
]
Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
Audience = Literal["seniors", "at_risk", "health_workers", "professionals"]
Channel = Literal["locator", "jsonld", "gbp", "csv"]
SyncStatus = Literal["pending", "applied", "failed"]
CHANNELS: tuple[Channel, ...] = ("locator", "jsonld", "gbp", "csv")

HHMM = Field(pattern=r"^([01]\d|2[0-4]):[0-5]\d$", examples=["09:00"])


class TimeRange(Schema):
    model_config = ConfigDict(extra="forbid")
    opens: str = HHMM
    closes: str = Field(
        pattern=r"^([01]\d|2[0-4]):[0-5]\d$", examples=["19:00"], description="24:00 = midnight"
    )

    @model_validator(mode="after")
    def _ordered(self) -> TimeRange:
        policies.Range.parse(self.opens, self.closes)  # raises ValueError: closes must follow opens
        return self


class WeeklyRange(TimeRange):
    day: Weekday


class ReservedRange(TimeRange):
    day: Weekday
    audience: Audience


class ReservedSpan(TimeRange):
    audience: Audience


class SpecialDayIn(Schema):
    """An exceptional date: closed (holiday, strike, lockdown) or open with other hours."""

    model_config = ConfigDict(extra="forbid")
    date: BoundedDate
    closed: bool = False
    ranges: list[TimeRange] = Field(default_factory=list)
    reserved: list[ReservedSpan] = Field(default_factory=list, description="Hours kept for a public that day")
    reason: str = Field(default="", max_length=200)

    @model_validator(mode="after")
    def _consistent(self) -> SpecialDayIn:
        if self.closed and (self.ranges or self.reserved):
            raise ValueError("a closed day has no ranges")
        if not self.closed and not self.ranges and not self.reserved:
            raise ValueError("give ranges, or closed: true")
        policies.check_no_overlap([policies.Range.parse(r.opens, r.closes) for r in self.ranges])
        return self


class SpecialDayOut(SpecialDayIn):
    pass


class HoursIn(Schema):
    model_config = ConfigDict(extra="forbid")
    weekly: list[WeeklyRange] = Field(default_factory=list)
    reserved: list[ReservedRange] = Field(default_factory=list)

    @model_validator(mode="after")
    def _no_overlap(self) -> HoursIn:
        for day in policies.WEEKDAYS:
            policies.check_no_overlap(
                [policies.Range.parse(r.opens, r.closes) for r in self.weekly if r.day == day]
            )
        return self


class AddressIn(Schema):
    model_config = ConfigDict(extra="forbid")
    lines: list[str] = Field(min_length=1, max_length=3)
    postal_code: str = Field(min_length=1, max_length=16)
    locality: str = Field(min_length=1, max_length=120)
    region: str = Field(default="", max_length=120, description="Administrative region, e.g. Île-de-France")
    country_code: str = Field(default="FR", pattern=r"^[A-Z]{2}$")


def normalise_phone(value: str, region: str = "FR") -> str:
    try:
        parsed = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException as exc:
        raise ValueError("not a phone number") from exc
    if not phonenumbers.is_valid_number(parsed):
        raise ValueError("not a valid phone number")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


class PlaceFields(Schema):
    """Fields shared by creation and patches (all optional here)."""

    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(default=None, min_length=1, max_length=200)
    address: AddressIn | None = None
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    phone: str | None = Field(default=None, description="Normalised to E.164")
    email: EmailStr | None = None
    manager: str | None = Field(default=None, max_length=200)
    website_url: str | None = Field(default=None, max_length=500, pattern=r"^https?://")
    timezone: str | None = Field(default=None, description="IANA zone, e.g. Europe/Paris")
    services: list[Service] | None = None
    attributes: list[Attribute] | None = None

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        return None if value is None else normalise_phone(value)

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError("unknown IANA time zone") from exc
        return value

    @field_validator("services", "attributes")
    @classmethod
    def _dedupe(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else sorted(set(value))


PLACE_ID = r"^[a-z][a-z0-9_]{2,39}$"
STORE_CODE = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$"


class PlaceIn(PlaceFields):
    id: str | None = Field(
        default=None,
        pattern=PLACE_ID,
        description="Stable id such as st_paris_rivoli (API keys bind to store:<id>); generated if absent",
    )
    code: str | None = Field(
        default=None,
        pattern=STORE_CODE,
        description="Store code shown to channels (GBP storeCode); the id if absent",
    )
    kind: Kind = "store"
    name: str = Field(min_length=1, max_length=200)
    address: AddressIn
    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)
    hours: HoursIn = Field(default_factory=HoursIn)
    special_days: list[SpecialDayIn] = Field(default_factory=list)
    status: Status = "open"


class PlacePatch(PlaceFields):
    pass


class AddressOut(Schema):
    lines: list[str]
    postal_code: str
    locality: str
    region: str
    country_code: str = Field(description="ISO 3166-1 alpha-2")


class PlaceOut(Schema):
    id: str
    code: str
    kind: Kind
    name: str
    status: Status
    status_reason: str
    status_since: datetime
    address: AddressOut
    department: str | None = Field(description="French department (from the postcode), e.g. 69, 2A, 974")
    latitude: float
    longitude: float
    phone: str | None
    email: str | None
    manager: str | None
    website_url: str | None
    timezone: str
    services: list[Service]
    attributes: list[Attribute]
    hours: HoursIn
    special_days: list[SpecialDayOut]
    version: int
    created_at: datetime
    updated_at: datetime


class PlaceSnapshot(Schema):
    """The public facts of a place, as carried by ``stores.place_created`` / ``stores.place_changed``.

    Hours are in the compact text form (``weekly_hours="Mo-Fr 09:00-19:00; Sa 09:00-18:00"``,
    ``reserved_hours="Mo-Fr 08:00-09:00 seniors"``, ``special_days="2026-12-25 closed"``), local to
    ``timezone``; ``stores.service.opening_from_snapshot`` answers "open at T" from a snapshot alone.
    """

    place_id: str
    code: str
    kind: Kind
    name: str
    status: Status
    services: list[Service]
    latitude: float
    longitude: float
    postcode: str
    locality: str
    region: str
    department: str | None
    country: str
    timezone: str
    phone: str | None
    email: str | None
    weekly_hours: str
    reserved_hours: str
    special_days: str
    version: int


class CloseIn(Schema):
    model_config = ConfigDict(extra="forbid")
    status: Literal["temporarily_closed", "permanently_closed"] = "temporarily_closed"
    reason: str = Field(default="", max_length=200)


class OpeningOut(Schema):
    place_id: str
    at: datetime
    audience: Audience | None
    open_now: bool
    opens_at: datetime | None = Field(description="Start of the window open at `at`, else of the next one")
    closes_at: datetime | None


class OpeningStatus(Schema):
    """Cheap batch answer for other domains (click & collect, appointments, availability)."""

    place_id: str
    open: bool
    next_opening: datetime | None = Field(description="Null while open; else when it next opens (if ever)")
    closes_at: datetime | None = Field(description="End of the current window, else of the next one")


class DayOut(Schema):
    date: date
    weekday: Weekday
    closed: bool
    special: bool
    reason: str
    ranges: list[TimeRange]
    reserved: list[ReservedSpan]


class WeekOut(Schema):
    place_id: str
    timezone: str
    days: list[DayOut]


class NearbyPlace(Schema):
    place: PlaceOut
    distance_km: float
    open_now: bool
    next_opening: datetime | None
    closes_at: datetime | None


class NearestOut(Schema):
    origin_latitude: float
    origin_longitude: float
    origin: Literal["point", "postcode"]
    postcode_precision: Literal["commune", "arrondissement"] | None = None
    items: list[NearbyPlace]


class Selector(Schema):
    """Which places a bulk call touches: explicit ids or codes, a region, a department (and kind)."""

    model_config = ConfigDict(extra="forbid")
    place_ids: list[str] | None = Field(default=None, max_length=5000)
    codes: list[str] | None = Field(default=None, max_length=5000)
    region: str | None = None
    department: str | None = Field(default=None, pattern=r"^(\d{2}|2A|2B|97\d)$")
    kind: Kind | None = None

    @model_validator(mode="after")
    def _something(self) -> Selector:
        if not (self.place_ids or self.codes or self.region or self.department):
            raise ValueError("name places: place_ids, codes, region or department")
        return self


class BulkStatusIn(Schema):
    model_config = ConfigDict(extra="forbid")
    selector: Selector
    status: Status
    reason: str = Field(default="", max_length=200)


class BulkHoursIn(Schema):
    model_config = ConfigDict(extra="forbid")
    selector: Selector
    hours: HoursIn


class BulkSpecialDaysIn(Schema):
    model_config = ConfigDict(extra="forbid")
    selector: Selector
    days: list[SpecialDayIn] = Field(min_length=1, max_length=366)


class BulkOut(Schema):
    matched: int
    changed: int
    place_ids: list[str]
    publications_requested: int


class PublicationOut(Schema):
    place_id: str
    store_code: str
    channel: Channel
    status: SyncStatus
    payload_hash: str
    payload: dict[str, Any]
    requested_at: datetime
    applied_at: datetime | None
    error: str | None


class ConfirmationItem(Schema):
    model_config = ConfigDict(extra="forbid")
    store_code: str
    payload_hash: str
    status: Literal["applied", "failed"]
    error: str | None = Field(default=None, max_length=2000)


class ConfirmationsIn(Schema):
    model_config = ConfigDict(extra="forbid")
    items: list[ConfirmationItem] = Field(min_length=1, max_length=5000)


class ConfirmationResult(Schema):
    store_code: str
    outcome: Literal["applied", "failed", "stale", "unknown_store"]


class SnapshotItem(Schema):
    model_config = ConfigDict(extra="forbid")
    store_code: str
    payload: dict[str, Any] = Field(description="What the channel shows, in the channel's own shape")


class SnapshotsIn(Schema):
    model_config = ConfigDict(extra="forbid")
    items: list[SnapshotItem] = Field(max_length=5000)
    replace_all: bool = Field(default=True, description="Forget earlier snapshots of stores not listed")


class SnapshotsOut(Schema):
    channel: Channel
    stored: int
    confirmed: int = Field(description="Publications marked applied because the snapshot equals them")


class Contradiction(Schema):
    channel: Channel
    place_id: str | None
    store_code: str
    kind: Literal[
        "missing_on_channel",
        "unknown_on_channel",
        "unreadable",
        "open_while_closed",
        "closed_while_open",
        "wrong_status",
        "wrong_hours",
        "wrong_special_hours",
        "missing_service",
        "unexpected_service",
        "wrong_phone",
        "wrong_address",
        "wrong_name",
        "wrong_location",
    ]
    field: str
    expected: Any
    shown: Any


class AuditOut(Schema):
    checked_at: datetime
    channels: list[Channel]
    places: int
    contradictions: list[Contradiction]


class ImportRowError(Schema):
    row: int
    field: str
    detail: str


class ImportReport(Schema):
    created: int
    updated: int
    errors: list[ImportRowError]


class OpenWindows(Schema):
    """When a place is open over some days, as UTC instants (for booking engines): each day's ranges for
    one public (general hours, less what is reserved for other publics), never across a closure."""

    place_id: str
    code: str
    name: str
    kind: str
    status: str
    region: str
    postcode: str
    locality: str
    timezone: str
    latitude: float
    longitude: float
    intervals: list[tuple[datetime, datetime]]
