"""appointments: the facts this domain publishes, for the message journeys (confirmation with the .ics,
J-1 reminder, report, J+30) and analytics.

Every appointment event carries the appointment, its service (id and code), place, advisor, channel,
customer, start and end (UTC, ISO 8601), the place's time zone, the language and the invitation's
SEQUENCE, and ``invitation_url`` (the signed link to the .ics the journey attaches).
"""

from typing import ClassVar

from comptoir.core.events import DomainEvent


class _AppointmentEvent(DomainEvent):
    appointment_id: str
    service_id: str
    service_code: str
    place_id: str
    advisor_id: str
    channel: str
    customer_id: str | None
    starts_at: str
    ends_at: str
    timezone: str
    language: str
    sequence: int
    invitation_url: str


class AppointmentBooked(_AppointmentEvent):
    event_type: ClassVar[str] = "appointments.booked"


class AppointmentRescheduled(_AppointmentEvent):
    event_type: ClassVar[str] = "appointments.rescheduled"
    previous_starts_at: str
    previous_place_id: str


class AppointmentCancelled(_AppointmentEvent):
    event_type: ClassVar[str] = "appointments.cancelled"
    reason: str = ""
    by: str = "customer"  # customer | staff | system


class AppointmentCheckedIn(_AppointmentEvent):
    event_type: ClassVar[str] = "appointments.checked_in"


class AppointmentCompleted(_AppointmentEvent):
    """Done; ``products``: what the advisor showed and recommends (``sku``, ``kind``, ``note``)."""

    event_type: ClassVar[str] = "appointments.completed"
    products: list[dict[str, str]] = []


class AppointmentNoShow(_AppointmentEvent):
    event_type: ClassVar[str] = "appointments.no_show"


class AppointmentDisrupted(_AppointmentEvent):
    """The place closed over the appointment (a bulk closure, new hours): the customer is offered the
    other slots listed (UTC starts at places)."""

    event_type: ClassVar[str] = "appointments.disrupted"
    reason: str
    alternatives: list[dict[str, str]]


class WaitlistOffered(DomainEvent):
    """A seat freed for a customer on the waitlist: the journey tells them (first come, first served)."""

    event_type: ClassVar[str] = "appointments.waitlist_offered"
    entry_id: str
    service_id: str
    customer_id: str
    place_id: str
    starts_at: str
    language: str
