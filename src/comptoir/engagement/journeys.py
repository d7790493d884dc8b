"""engagement: the journeys — the built-in ones a retailer expects, ready to use and editable, and the
retailer's own versions of them.

A built-in journey applies as long as no row of ``engagement_journeys`` has its code (version 0). Editing
one (or creating a journey of one's own) writes a new version and points the journey at it; instances
keep the version they started on. Deactivating is editing ``active``.

The events a journey may start on, follow or end on are those of :data:`EVENTS`: the handler subscribes to
each, so a journey naming another event is refused when it is saved.
"""

from __future__ import annotations

from sqlalchemy import select

from comptoir.appointments import events as appointment_events
from comptoir.core import clock
from comptoir.core.errors import InvalidInput, not_found
from comptoir.core.events import DomainEvent
from comptoir.core.uow import UnitOfWork
from comptoir.engagement import (
    journeys_carts,
    journeys_customers,
    journeys_live,
    journeys_surveys,
    launch_journeys,
)
from comptoir.engagement.models import Journey, JourneyVersion
from comptoir.engagement.schemas import Entry, JourneyDefinition, JourneyOut, Localised, Step, Timing
from comptoir.orders import events as order_events

_FOLLOWED: tuple[type[DomainEvent], ...] = (
    appointment_events.AppointmentBooked,
    appointment_events.AppointmentRescheduled,
    appointment_events.AppointmentCancelled,
    appointment_events.AppointmentCompleted,
    appointment_events.AppointmentNoShow,
    appointment_events.AppointmentCheckedIn,
    order_events.OrderPlaced,
    order_events.OrderCancelled,
    order_events.FulfilmentReadyForPickup,
    order_events.FulfilmentCollected,
    order_events.FulfilmentShipped,
    order_events.FulfilmentDelivered,
    order_events.PickupExpired,
    *journeys_surveys.EVENT_CLASSES,
    *journeys_customers.EVENT_CLASSES,
    *journeys_carts.EVENT_CLASSES,
    *journeys_live.EVENT_CLASSES,
)
EVENTS: dict[str, type[DomainEvent]] = {cls.event_type: cls for cls in _FOLLOWED}

APPOINTMENT = JourneyDefinition(
    code="appointment",
    name=Localised(fr="Rendez-vous en boutique", en="In-store appointment"),
    trigger="appointments.booked",
    subject_field="appointment_id",
    purpose="transactional",
    steps=[
        Step(
            key="confirmation",
            template="appointment_confirmation",
            channels=["email"],
            priority=90,
            attach_invitation=True,
        ),
        Step(
            key="moved",
            template="appointment_confirmation",
            channels=["email"],
            on="appointments.rescheduled",
            repeat=True,
            priority=90,
            attach_invitation=True,
        ),
        Step(
            key="reminder",
            template="appointment_reminder",
            channels=["email", "sms"],
            timing=Timing(anchor="starts_at", days=-1, at="10:00"),
            priority=80,
        ),
        Step(
            key="report",
            template="appointment_report",
            channels=["email"],
            on="appointments.completed",
            timing=Timing(minutes=60),
            purpose="marketing",
            priority=40,
        ),
        Step(
            key="follow_up",
            template="appointment_follow_up",
            channels=["email"],
            on="appointments.completed",
            timing=Timing(days=30, at="10:00"),
            purpose="marketing",
            priority=20,
        ),
    ],
    exit_on=["appointments.cancelled", "appointments.no_show"],
)

ORDER = JourneyDefinition(
    code="order",
    name=Localised(fr="Commande", en="Order"),
    trigger="orders.order_placed",
    subject_field="order_id",
    purpose="transactional",
    # Orders placed online, by phone or in a live session (a shop's sale has its e-receipt instead).
    entry=Entry(fields={"mode": ["home_delivery", "click_and_collect", "reserve_and_collect"]}),
    steps=[
        Step(key="confirmation", template="order_confirmation", channels=["email"], priority=90),
        Step(
            key="ready",
            template="order_ready_for_pickup",
            channels=["email", "sms"],
            on="orders.fulfilment_ready_for_pickup",
            priority=85,
        ),
        Step(
            key="pickup_reminder",
            template="order_pickup_reminder",
            channels=["email", "sms"],
            on="orders.fulfilment_ready_for_pickup",
            timing=Timing(anchor="pickup_expires_at", days=-1, at="10:00"),
            priority=80,
        ),
        Step(
            key="not_collected",
            template="order_not_collected",
            channels=["email"],
            on="orders.pickup_expired",
        ),
    ],
    exit_on=["orders.order_cancelled", "orders.fulfilment_collected"],
)

BUILT_IN: dict[str, JourneyDefinition] = {
    j.code: j
    for j in (
        APPOINTMENT,
        ORDER,
        *journeys_surveys.DEFINITIONS,
        *journeys_customers.DEFINITIONS,
        *journeys_carts.DEFINITIONS,
        *journeys_live.DEFINITIONS,
        *launch_journeys.DEFINITIONS,
    )
}


def check_events(definition: JourneyDefinition) -> None:
    """422 naming the field when the journey names an event it cannot follow."""
    named = [("trigger", definition.trigger)]
    named += [(f"steps/{n}/on", s.on) for n, s in enumerate(definition.steps) if s.on]
    named += [(f"exit_on/{n}", e) for n, e in enumerate(definition.exit_on)]
    for field, event_type in named:
        if event_type not in EVENTS and (field, event_type) != ("trigger", launch_journeys.TRIGGER):
            known = ", ".join(sorted(EVENTS))
            raise InvalidInput(f"Journeys cannot follow {event_type} (they follow {known}).", field=field)
    launch_journeys.check(definition)  # a journey launched to an audience (engagement.launched)


def _stored(uow: UnitOfWork) -> dict[str, tuple[int, JourneyDefinition, bool]]:
    rows = uow.session.execute(
        select(Journey.code, Journey.current_version, Journey.active, JourneyVersion.definition).join(
            JourneyVersion,
            (JourneyVersion.code == Journey.code) & (JourneyVersion.version == Journey.current_version),
        )
    ).all()
    return {code: (version, _parsed(definition), active) for code, version, active, definition in rows}


def _parsed(definition: dict[str, object]) -> JourneyDefinition:
    return JourneyDefinition.model_validate(definition)


def effective(uow: UnitOfWork) -> list[tuple[int, JourneyDefinition]]:
    """Every journey in force: the retailer's versions, and the built-in ones not overridden."""
    stored = _stored(uow)
    out = [(version, d) for version, d, active in stored.values() if active and d.active]
    out += [(0, d) for code, d in BUILT_IN.items() if code not in stored]
    return sorted(out, key=lambda vd: vd[1].code)


def following(uow: UnitOfWork, event_type: str) -> list[tuple[int, JourneyDefinition]]:
    """The journeys in force that this event starts, moves on or ends."""
    return [(v, d) for v, d in effective(uow) if event_type in _events_of(d)]


def _events_of(d: JourneyDefinition) -> set[str]:
    return {d.trigger, *d.exit_on, *(s.on for s in d.steps if s.on)}


def definition_at(uow: UnitOfWork, code: str, version: int) -> JourneyDefinition | None:
    """The definition an instance started on (version 0: the built-in one)."""
    if version == 0:
        return BUILT_IN.get(code)
    row = uow.session.get(JourneyVersion, (code, version))
    return None if row is None else _parsed(row.definition)


def list_journeys(uow: UnitOfWork) -> list[JourneyOut]:
    stored = _stored(uow)
    out = [
        JourneyOut(code=c, version=v, built_in=c in BUILT_IN, definition=d) for c, (v, d, _) in stored.items()
    ]
    out += [
        JourneyOut(code=c, version=0, built_in=True, definition=d)
        for c, d in BUILT_IN.items()
        if c not in stored
    ]
    return sorted(out, key=lambda j: j.code)


def get_journey(uow: UnitOfWork, code: str) -> JourneyOut:
    for journey in list_journeys(uow):
        if journey.code == code:
            return journey
    raise not_found("Journey", code)


def save(uow: UnitOfWork, code: str, definition: JourneyDefinition, author: str) -> JourneyOut:
    """A new version of journey ``code`` (the built-in one's first edit, or a journey of one's own)."""
    if definition.code != code:
        raise InvalidInput("The definition's code must be the journey's.", field="code")
    check_events(definition)
    row = uow.session.get(Journey, code, with_for_update=True)
    version = 1 if row is None else row.current_version + 1
    uow.session.add(
        JourneyVersion(
            code=code,
            version=version,
            definition=definition.model_dump(mode="json"),
            created_at=clock.now(),
            created_by=author[:120],
        )
    )
    if row is None:
        uow.session.add(Journey(code=code, current_version=version, active=definition.active))
    else:
        row.current_version, row.active = version, definition.active
    uow.session.flush()
    return JourneyOut(code=code, version=version, built_in=code in BUILT_IN, definition=definition)
