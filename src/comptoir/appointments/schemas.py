"""appointments: pydantic types in and out — with service.py and events.py, the public interface.

Vocabulary:

- a **service** is what is booked (styling advice, a fitting, a workshop of N seats, a video call), with
  its duration, buffers, channels, skills, languages and where it happens;
- an **advisor** is a staff person taking appointments (skills, languages, places, weekly hours,
  exceptions and leaves); a **resource** is a room or a studio booked with them;
- a **slot** is a start time at a place when a qualified advisor (and resource) is free and the place is
  open for the service's public; a **hold** keeps one for a few minutes while the form is filled in;
- an **appointment** is ``held`` → ``booked`` → ``checked_in`` → ``completed``; or ``cancelled``,
  ``no_show``, ``expired`` (a hold not confirmed in time).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import EmailStr, Field, StringConstraints, model_validator

from comptoir.core.types import AwareDatetime, BoundedDate, Schema
from comptoir.customers.schemas import ConsentIn

ChannelKind = Literal["web", "app", "store", "call-centre", "live"]
Location = Literal["places", "region", "virtual"]
Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
Status = Literal["held", "booked", "checked_in", "completed", "no_show", "cancelled", "expired"]
Language = Annotated[str, StringConstraints(pattern=r"^[a-z]{2}$")]
Code = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]
Tag = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,31}$")]
HHMM = Annotated[str, StringConstraints(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$")]
Id = Annotated[str, StringConstraints(min_length=1, max_length=40)]
Text200 = Annotated[str, StringConstraints(max_length=200)]
Minutes5 = Annotated[int, Field(ge=0, le=24 * 60, multiple_of=5)]


class Localised(Schema):
    fr: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    en: Annotated[str, StringConstraints(min_length=1, max_length=200)]


class LocalisedText(Schema):
    fr: Annotated[str, StringConstraints(max_length=2000)] = ""
    en: Annotated[str, StringConstraints(max_length=2000)] = ""


class ServiceIn(Schema):
    code: Code
    kind: Tag = Field(description="styling, fitting, alterations, beauty, personal_shopping, video…")
    names: Localised
    descriptions: LocalisedText = Field(default_factory=LocalisedText)
    duration_min: Annotated[int, Field(ge=5, le=12 * 60, multiple_of=5)]
    buffer_before_min: Annotated[int, Field(ge=0, le=240, multiple_of=5)] = 0
    buffer_after_min: Annotated[int, Field(ge=0, le=240, multiple_of=5)] = 0
    capacity: Annotated[int, Field(ge=1, le=500, description="1: one to one; N: a workshop of N seats")] = 1
    channels: Annotated[list[ChannelKind], Field(min_length=1, max_length=5)]
    skills: Annotated[list[Tag], Field(max_length=20)] = Field(default_factory=list)
    languages: Annotated[list[Language], Field(min_length=1, max_length=20)] = Field(
        default_factory=lambda: ["fr"]
    )
    location: Location = "places"
    place_ids: Annotated[list[Id], Field(max_length=1000)] = Field(default_factory=list)
    region: Text200 = ""
    audience: Tag | None = Field(
        default=None, description="Bookable in hours a place reserves for this public (seniors…) too"
    )
    resource_kind: Tag | None = Field(default=None, description="fitting_room, studio, cabin… booked with it")
    min_notice_min: Annotated[int, Field(ge=0, le=60 * 24 * 60)] = 60
    horizon_days: Annotated[int, Field(ge=1, le=366)] = 60
    cancel_cutoff_min: Annotated[int, Field(ge=0, le=30 * 24 * 60)] = 24 * 60
    active: bool = True

    @model_validator(mode="after")
    def _where(self) -> ServiceIn:
        if self.location == "places" and not self.place_ids:
            raise ValueError("place_ids: name the places where it happens (or location region/virtual)")
        if self.location == "region" and not self.region:
            raise ValueError("region: name the region where it happens")
        return self


class ServicePatch(Schema):
    names: Localised | None = None
    descriptions: LocalisedText | None = None
    duration_min: Annotated[int, Field(ge=5, le=12 * 60, multiple_of=5)] | None = None
    buffer_before_min: Annotated[int, Field(ge=0, le=240, multiple_of=5)] | None = None
    buffer_after_min: Annotated[int, Field(ge=0, le=240, multiple_of=5)] | None = None
    capacity: Annotated[int, Field(ge=1, le=500)] | None = None
    channels: Annotated[list[ChannelKind], Field(min_length=1, max_length=5)] | None = None
    skills: Annotated[list[Tag], Field(max_length=20)] | None = None
    languages: Annotated[list[Language], Field(min_length=1, max_length=20)] | None = None
    place_ids: Annotated[list[Id], Field(max_length=1000)] | None = None
    min_notice_min: Annotated[int, Field(ge=0, le=60 * 24 * 60)] | None = None
    horizon_days: Annotated[int, Field(ge=1, le=366)] | None = None
    cancel_cutoff_min: Annotated[int, Field(ge=0, le=30 * 24 * 60)] | None = None
    active: bool | None = None


class ServiceOut(Schema):
    id: str
    code: str
    kind: str
    names: Localised
    descriptions: LocalisedText
    duration_min: int
    buffer_before_min: int
    buffer_after_min: int
    capacity: int
    channels: list[str]
    skills: list[str]
    languages: list[str]
    location: Location
    place_ids: list[str]
    region: str
    audience: str | None
    resource_kind: str | None
    min_notice_min: int
    horizon_days: int
    cancel_cutoff_min: int
    active: bool
    version: int


class WorkRangeIn(Schema):
    day: Weekday
    start: HHMM
    end: HHMM
    place_id: Id

    @model_validator(mode="after")
    def _ordered(self) -> WorkRangeIn:
        if self.end <= self.start:
            raise ValueError("end: comes after start")
        return self


class DayRangeIn(Schema):
    start: HHMM
    end: HHMM
    place_id: Id

    @model_validator(mode="after")
    def _ordered(self) -> DayRangeIn:
        if self.end <= self.start:
            raise ValueError("end: comes after start")
        return self


class ExceptionIn(Schema):
    date: BoundedDate
    ranges: Annotated[list[DayRangeIn], Field(max_length=10)] = Field(
        default_factory=list, description="The hours that day (none: not working)"
    )


class AdvisorIn(Schema):
    skills: Annotated[list[Tag], Field(max_length=30)] = Field(default_factory=list)
    languages: Annotated[list[Language], Field(min_length=1, max_length=20)] = Field(
        default_factory=lambda: ["fr"]
    )
    place_ids: Annotated[list[Id], Field(min_length=1, max_length=50)]
    weekly: Annotated[list[WorkRangeIn], Field(max_length=70)] = Field(default_factory=list)
    exceptions: Annotated[list[ExceptionIn], Field(max_length=400)] = Field(default_factory=list)
    active: bool = True


class AdvisorOut(Schema):
    id: str
    name: str
    skills: list[str]
    languages: list[str]
    place_ids: list[str]
    weekly: list[WorkRangeIn]
    exceptions: list[ExceptionIn]
    active: bool
    version: int


class LeaveIn(Schema):
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    reason: Text200 = ""

    @model_validator(mode="after")
    def _ordered(self) -> LeaveIn:
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at: comes after starts_at")
        return self


class LeaveOut(Schema):
    id: str
    advisor_id: str
    starts_at: datetime
    ends_at: datetime
    reason: str


class ResourceIn(Schema):
    place_id: Id
    kind: Tag
    name: Annotated[str, StringConstraints(min_length=1, max_length=120)]
    capacity: Annotated[int, Field(ge=1, le=100)] = 1
    active: bool = True


class ResourceOut(ResourceIn):
    id: str
    version: int


# -- slots ------------------------------------------------------------------------------------------------


class DaySlots(Schema):
    date: date
    times: list[str] = Field(description="Local start times, HH:MM, in the place's time zone")
    seats_left: list[int] | None = Field(
        default=None, description="For a workshop: the seats left at each time (same order as times)"
    )


class PlaceSlots(Schema):
    place_id: str
    name: str
    locality: str
    timezone: str
    distance_km: float | None
    days: list[DaySlots]


class SlotSearchOut(Schema):
    service_id: str
    first_day: date
    last_day: date
    advisor_id: str | None
    language: str | None
    places: list[PlaceSlots]


# -- booking ----------------------------------------------------------------------------------------------


class SlotIn(Schema):
    service_id: Id
    place_id: Id
    starts_at: AwareDatetime
    advisor_id: Id | None = Field(default=None, description="A named advisor (default: assigned fairly)")
    language: Language | None = None


class PersonIn(Schema):
    """A person booking without an account: kept by customers as a source record (with the consents)."""

    given_name: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    family_name: Annotated[str, StringConstraints(max_length=100)] = ""
    phone: Annotated[str, StringConstraints(max_length=32)] | None = None
    email: EmailStr | None = None
    locale: Language | None = None
    consents: Annotated[list[ConsentIn], Field(max_length=20)] = Field(default_factory=list)

    @model_validator(mode="after")
    def _reachable(self) -> PersonIn:
        if not self.phone and not self.email:
            raise ValueError("phone: give a phone number or an e-mail address to be reached")
        return self


class BookIn(Schema):
    """Confirm a hold (``hold_id``) or book a slot at once (``slot``), for a known customer or a person."""

    hold_id: Id | None = None
    slot: SlotIn | None = None
    customer_id: Id | None = Field(default=None, description="Staff and systems: the customer booked for")
    person: PersonIn | None = None
    note: Annotated[str, StringConstraints(max_length=1000)] = ""

    @model_validator(mode="after")
    def _one(self) -> BookIn:
        if (self.hold_id is None) == (self.slot is None):
            raise ValueError("hold_id: give a hold_id or a slot (one of them)")
        return self


class RescheduleIn(Schema):
    starts_at: AwareDatetime
    place_id: Id | None = Field(default=None, description="Another place (default: the same)")
    advisor_id: Id | None = Field(default=None, description="A named advisor (default: assigned fairly)")


class CancelIn(Schema):
    reason: Text200 = ""


class ProductNote(Schema):
    """A product the advisor showed the customer or recommends, and their word on it for the customer."""

    sku: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    kind: Literal["shown", "recommended"]
    note: Annotated[str, StringConstraints(max_length=300)] = ""


class CompleteIn(Schema):
    notes: Annotated[str, StringConstraints(max_length=4000)] = Field(
        "", description="The advisor's notes (staff only: never sent to the customer)"
    )
    products: Annotated[list[ProductNote], Field(max_length=20)] = Field(
        default_factory=list,
        description="Shown and recommended products: the report sent to the customer lists them",
    )


class Alternative(Schema):
    place_id: str
    starts_at: datetime


class AppointmentOut(Schema):
    id: str
    status: Status
    service_id: str
    service_code: str
    service_name: str
    place_id: str
    advisor_id: str
    advisor_name: str
    resource_id: str | None
    starts_at: datetime
    ends_at: datetime
    timezone: str
    customer_id: str | None
    channel: str
    language: str
    customer_note: str
    advisor_notes: str
    assignment: str = Field(description="Who was assigned and why (fair round robin)")
    sequence: int = Field(description="The invitation's SEQUENCE: 0, then one more per reschedule")
    hold_expires_at: datetime | None
    disrupted_at: datetime | None
    disruption: str
    alternatives: list[Alternative]
    products: list[ProductNote] = Field(default_factory=list, description="Shown and recommended, once done")
    invitation_url: str | None = Field(description="The signed link to the .ics invitation")
    version: int
    created_at: datetime


class AppointmentListOut(Schema):
    items: list[AppointmentOut]


class WaitlistIn(Schema):
    service_id: Id
    place_id: Id | None = None
    first_day: BoundedDate
    last_day: BoundedDate
    language: Language = "fr"
    customer_id: Id | None = Field(default=None, description="Staff and systems: who waits")

    @model_validator(mode="after")
    def _ordered(self) -> WaitlistIn:
        if self.last_day < self.first_day:
            raise ValueError("last_day: comes on or after first_day")
        if (self.last_day - self.first_day).days > 92:
            raise ValueError("last_day: wait for at most 92 days")
        return self


class WaitlistOut(Schema):
    id: str
    service_id: str
    place_id: str | None
    customer_id: str
    first_day: date
    last_day: date
    language: str
    status: Literal["waiting", "offered", "closed"]
    offered_start: datetime | None
    offered_place_id: str | None
