"""appointments: an appointment's life — hold, book, reschedule, cancel, check in, complete, no-show —
each recording its event for the message journeys and analytics."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from email.utils import parseaddr
from typing import Any

from sqlalchemy import select

from comptoir.appointments import booking, claims, events, invitations, policies, reading, setup, waitlist
from comptoir.appointments.models import Appointment, Service
from comptoir.appointments.schemas import (
    AppointmentOut,
    BookIn,
    CancelIn,
    CompleteIn,
    PersonIn,
    RescheduleIn,
    SlotIn,
)
from comptoir.catalog import service as catalog
from comptoir.core import clock
from comptoir.core.errors import Conflict, Forbidden, InvalidInput, NotFound, not_found
from comptoir.core.settings import Settings, get_settings
from comptoir.core.uow import UnitOfWork
from comptoir.customers import service as customers
from comptoir.customers.schemas import CustomerOut, CustomerRecord

_SOURCES = {"web": "web", "app": "app", "live": "web", "call-centre": "call-centre", "store": "pos"}


def _service(uow: UnitOfWork, service_id: str, field: str = "service_id") -> Service:
    return setup.load_service(uow, service_id, field)


def _kind(uow: UnitOfWork) -> str:
    return "system" if uow.actor.kind == "system" else policies.channel_kind(uow.actor.channel)


def event_of(cls: type[Any], row: Appointment, service: Service, settings: Settings, **extra: Any) -> Any:
    return cls(
        appointment_id=row.id,
        service_id=row.service_id,
        service_code=service.code,
        place_id=row.place_id,
        advisor_id=row.advisor_id,
        channel=row.channel,
        customer_id=row.customer_id,
        starts_at=row.starts_at.isoformat(),
        ends_at=row.ends_at.isoformat(),
        timezone=row.timezone,
        language=row.language,
        sequence=row.sequence,
        invitation_url=invitations.url(settings, row.id),
        **extra,
    )


def hold(uow: UnitOfWork, slot: SlotIn) -> AppointmentOut:
    """Keep a slot for a few minutes while the customer fills in the form (its claims are taken now)."""
    service = _service(uow, slot.service_id, "service_id")
    row = booking.new_appointment(
        uow,
        service,
        slot,
        clock.now(),
        status="held",
        channel=uow.actor.channel or "back-office",
        channel_kind=_kind(uow),
    )
    uow.session.flush()
    return reading.outs(uow, [row])[0]


def _customer(uow: UnitOfWork, command: BookIn, channel_kind: str) -> str:
    actor = uow.actor
    if actor.kind == "customer":
        assert actor.customer_id is not None
        return actor.customer_id
    if command.customer_id is not None:
        if actor.kind in ("publishable", "public"):
            raise Forbidden("Sign in to book as a customer, or give the person's details.", slug="sign-in")
        try:
            return customers.resolve_id(uow, customers.get_customer(uow, command.customer_id).id)
        except NotFound as exc:
            raise InvalidInput(f"Unknown customer {command.customer_id}.", field="customer_id") from exc
    if command.person is not None:
        return _ingest(uow, command.person, channel_kind)
    raise InvalidInput("Say who is coming: a customer_id, or the person's details.", field="person")


def _ingest(uow: UnitOfWork, person: PersonIn, channel_kind: str) -> str:
    record = CustomerRecord(
        given_name=person.given_name,
        family_name=person.family_name or None,
        email=str(person.email) if person.email else None,
        phone=person.phone,
        locale=person.locale,
        consents=person.consents,
    )
    source = _SOURCES.get(channel_kind, "staff")
    return customers.ingest(uow, source, record).customer_id


def book(uow: UnitOfWork, command: BookIn, settings: Settings | None = None) -> AppointmentOut:
    """Confirm a hold or book a slot at once, for a known customer or a person (kept by customers)."""
    settings = settings or get_settings()
    now = clock.now()
    kind = _kind(uow)
    if command.hold_id is not None:
        row = reading.load(uow, command.hold_id, for_update=True)
        if row.status != "held" or (
            row.created_by_key != uow.actor.principal_id and uow.actor.kind != "system"
        ):
            raise not_found("Hold", command.hold_id)
        if row.hold_expires_at is not None and row.hold_expires_at <= now:
            raise Conflict("This hold has expired: choose the slot again.", slug="hold-expired")
        service = _service(uow, row.service_id)
    else:
        assert command.slot is not None
        service = _service(uow, command.slot.service_id, "slot.service_id")
        row = booking.new_appointment(
            uow,
            service,
            command.slot,
            now,
            status="booked",
            channel=uow.actor.channel or "back-office",
            channel_kind=kind,
            field="slot.starts_at",
        )
    row.customer_id = _customer(uow, command, kind)
    row.customer_note = command.note
    row.status = "booked"
    row.hold_expires_at = None
    uow.session.flush()
    uow.record(event_of(events.AppointmentBooked, row, service, settings))
    return reading.outs(uow, [row], settings)[0]


def _mine(uow: UnitOfWork, row: Appointment) -> None:
    """A customer changes their own appointments only, before the service's cut-off."""
    if uow.actor.kind == "customer" and row.customer_id != uow.actor.customer_id:
        raise not_found("Appointment", row.id)


def _cutoff(uow: UnitOfWork, row: Appointment, service: Service, now: datetime, what: str) -> None:
    if uow.actor.kind in ("customer", "publishable", "public") and policies.within_cutoff(
        now, row.starts_at, service.cancel_cutoff_min
    ):
        hours = service.cancel_cutoff_min // 60
        raise Conflict(
            f"Too late to {what} online: call the shop (up to {hours} h before, it can be done here).",
            slug="past-cutoff",
        )


def reschedule(
    uow: UnitOfWork, appointment_id: str, command: RescheduleIn, settings: Settings | None = None
) -> AppointmentOut:
    settings = settings or get_settings()
    now = clock.now()
    row = reading.load(uow, appointment_id, for_update=True)
    _mine(uow, row)
    if row.status != "booked":
        raise Conflict(f"A {row.status} appointment cannot be moved.", slug="not-booked")
    service = _service(uow, row.service_id)
    if row.disrupted_at is None:  # the shop closed over it: its customer may move it whatever the cut-off
        _cutoff(uow, row, service, now, "move it")
    start = booking.check_start(service, command.starts_at, now, _kind(uow), "starts_at")
    previous_start, previous_place = row.starts_at, row.place_id
    booking.move(uow, row, service, start, command.place_id or row.place_id, command.advisor_id, now)
    row.sequence += 1
    row.disrupted_at, row.disruption, row.alternatives = None, "", []
    uow.session.flush()
    uow.record(
        event_of(
            events.AppointmentRescheduled,
            row,
            service,
            settings,
            previous_starts_at=previous_start.isoformat(),
            previous_place_id=previous_place,
        )
    )
    waitlist.offer_freed(uow, service, row, previous_start, previous_place)
    return reading.outs(uow, [row], settings)[0]


def cancel(
    uow: UnitOfWork, appointment_id: str, command: CancelIn, settings: Settings | None = None
) -> AppointmentOut:
    settings = settings or get_settings()
    now = clock.now()
    row = reading.load(uow, appointment_id, for_update=True)
    _mine(uow, row)
    if not policies.may_move(row.status, "cancelled"):
        raise Conflict(f"A {row.status} appointment cannot be cancelled.", slug="not-cancellable")
    service = _service(uow, row.service_id)
    if row.status != "held":
        _cutoff(uow, row, service, now, "cancel")
    was_held = row.status == "held"
    claims.release(uow, row)
    row.status, row.cancelled_at, row.cancel_reason = "cancelled", now, command.reason
    row.sequence += 1
    uow.session.flush()
    if not was_held:
        by = "customer" if uow.actor.kind == "customer" else "staff"
        uow.record(
            event_of(events.AppointmentCancelled, row, service, settings, reason=command.reason, by=by)
        )
        waitlist.offer_freed(uow, service, row)
    return reading.outs(uow, [row], settings)[0]


def _transition(uow: UnitOfWork, appointment_id: str, wanted: str) -> tuple[Appointment, Service]:
    row = reading.load(uow, appointment_id, for_update=True)
    if not policies.may_move(row.status, wanted):
        raise Conflict(f"A {row.status} appointment cannot become {wanted}.", slug="wrong-status")
    return row, _service(uow, row.service_id)


def check_in(uow: UnitOfWork, appointment_id: str, settings: Settings | None = None) -> AppointmentOut:
    """The customer arrived at the shop."""
    settings = settings or get_settings()
    row, service = _transition(uow, appointment_id, "checked_in")
    row.status, row.checked_in_at = "checked_in", clock.now()
    uow.session.flush()
    uow.record(event_of(events.AppointmentCheckedIn, row, service, settings))
    return reading.outs(uow, [row], settings)[0]


def complete(
    uow: UnitOfWork, appointment_id: str, command: CompleteIn, settings: Settings | None = None
) -> AppointmentOut:
    """Done, with the advisor's notes (what was tried, advised, what to follow up)."""
    settings = settings or get_settings()
    row, service = _transition(uow, appointment_id, "completed")
    known = catalog.get_variants(uow, [p.sku for p in command.products])
    for n, product in enumerate(command.products):
        if product.sku not in known:
            raise InvalidInput(f"Unknown SKU {product.sku}.", field=f"products/{n}/sku")
    row.status, row.completed_at = "completed", clock.now()
    if command.notes:
        row.advisor_notes = command.notes
    row.products = [p.model_dump() for p in command.products]
    uow.session.flush()
    uow.record(event_of(events.AppointmentCompleted, row, service, settings, products=row.products))
    return reading.outs(uow, [row], settings)[0]


def no_show(uow: UnitOfWork, appointment_id: str, settings: Settings | None = None) -> AppointmentOut:
    """The customer did not come (only once the start has passed)."""
    settings = settings or get_settings()
    row, service = _transition(uow, appointment_id, "no_show")
    if clock.now() < row.starts_at:
        raise Conflict(
            "It has not started yet: a no-show is recorded after the start time.", slug="not-started"
        )
    row.status = "no_show"
    uow.session.flush()
    uow.record(event_of(events.AppointmentNoShow, row, service, settings))
    return reading.outs(uow, [row], settings)[0]


def expire_holds(uow: UnitOfWork, limit: int = 500) -> int:
    """Give back the time of holds not confirmed in time (the job's work; bookings also sweep on collision)."""
    rows = uow.session.scalars(
        select(Appointment)
        .where(Appointment.status == "held", Appointment.hold_expires_at <= clock.now())
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    for row in rows:
        claims.release(uow, row)
        row.status = "expired"
    uow.session.flush()
    return len(rows)


def invitation(
    uow: UnitOfWork, appointment_id: str, settings: Settings, place_name: str, place_address: str
) -> bytes:
    row = reading.load(uow, appointment_id)
    if row.status in ("held", "expired"):
        raise not_found("Appointment", appointment_id)
    out = reading.outs(uow, [row], settings)[0]
    person = None
    if row.customer_id:
        try:
            person = customers.get_customer(uow, row.customer_id)
        except NotFound:  # erased since: the invitation names nobody
            person = None
    return _calendar(settings, row, out, place_name, place_address, person)


def invitations_of(
    uow: UnitOfWork, appointment_ids: Iterable[str], settings: Settings, places: Mapping[str, tuple[str, str]]
) -> dict[str, bytes]:
    """:func:`invitation` of many appointments at once (a few queries), by id; ``places`` names each
    place (by id) and gives its one-line address. Held, expired and unknown appointments are left out."""
    ids = sorted(set(appointment_ids))
    rows = list(uow.session.scalars(select(Appointment).where(Appointment.id.in_(ids)))) if ids else []
    rows = [r for r in rows if r.status not in ("held", "expired") and r.place_id in places]
    people = customers.get_customers(uow, {r.customer_id for r in rows if r.customer_id})
    return {
        row.id: _calendar(settings, row, out, *places[row.place_id], people.get(row.customer_id or ""))
        for row, out in zip(rows, reading.outs(uow, rows, settings), strict=True)
    }


def _calendar(
    settings: Settings,
    row: Appointment,
    out: AppointmentOut,
    place_name: str,
    place_address: str,
    person: CustomerOut | None,
) -> bytes:
    attendee_name = (
        " ".join(p for p in (getattr(person, "given_name", None), getattr(person, "family_name", None)) if p)
        or None
    )
    return invitations.calendar(
        settings,
        appointment_id=row.id,
        cancelled=row.status == "cancelled",
        sequence=row.sequence,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        timezone=row.timezone,
        summary=f"{out.service_name} — {place_name}",
        description=f"{out.advisor_name}" if out.advisor_name else "",
        location=place_address,
        organizer_name=place_name,
        organizer_email=parseaddr(settings.mail_from)[1] or "no-reply@comptoir.localhost",
        attendee_name=attendee_name,
        attendee_email=getattr(person, "email", None),
        stamp=row.updated_at,
    )
