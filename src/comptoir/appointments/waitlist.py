"""appointments: the waitlist — customers waiting for a seat of a service; a seat that frees is offered
to the first in line whose days and place match (the journey tells them; the seat is not held: first
to book gets it)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select

from comptoir.appointments import events, setup
from comptoir.appointments.models import Appointment, Service, WaitlistEntry
from comptoir.appointments.schemas import WaitlistIn, WaitlistOut
from comptoir.core import clock
from comptoir.core.ids import new_id
from comptoir.core.uow import UnitOfWork


def out(row: WaitlistEntry) -> WaitlistOut:
    return WaitlistOut.model_validate(row, from_attributes=True)


def join(uow: UnitOfWork, command: WaitlistIn, customer_id: str) -> WaitlistOut:
    setup.load_service(uow, command.service_id, "service_id")
    row = WaitlistEntry(
        id=new_id("wait"),
        service_id=command.service_id,
        place_id=command.place_id,
        customer_id=customer_id,
        first_day=command.first_day,
        last_day=command.last_day,
        language=command.language,
        status="waiting",
        created_at=clock.now(),
    )
    uow.session.add(row)
    uow.session.flush()
    return out(row)


def entries_of(uow: UnitOfWork, customer_id: str) -> list[WaitlistOut]:
    rows = uow.session.scalars(
        select(WaitlistEntry)
        .where(WaitlistEntry.customer_id == customer_id)
        .order_by(WaitlistEntry.created_at)
    )
    return [out(r) for r in rows]


def offer_freed(
    uow: UnitOfWork,
    service: Service,
    freed: Appointment,
    starts_at: datetime | None = None,
    place_id: str | None = None,
) -> WaitlistOut | None:
    """Offer the time an appointment gave back (cancelled, or moved away from ``starts_at`` at
    ``place_id``) to the first customer waiting for it, not to its own customer."""
    starts_at = starts_at or freed.starts_at
    place_id = place_id or freed.place_id
    day = starts_at.astimezone(ZoneInfo(freed.timezone)).date()
    entry = uow.session.scalars(
        select(WaitlistEntry)
        .where(
            WaitlistEntry.service_id == service.id,
            WaitlistEntry.status == "waiting",
            WaitlistEntry.first_day <= day,
            WaitlistEntry.last_day >= day,
            or_(WaitlistEntry.place_id.is_(None), WaitlistEntry.place_id == place_id),
            WaitlistEntry.customer_id != (freed.customer_id or ""),
            WaitlistEntry.language.in_(service.languages),
        )
        .order_by(WaitlistEntry.created_at, WaitlistEntry.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    ).first()
    if entry is None:
        return None
    entry.status, entry.offered_at = "offered", clock.now()
    entry.offered_start, entry.offered_place_id = starts_at, place_id
    uow.session.flush()
    uow.record(
        events.WaitlistOffered(
            entry_id=entry.id,
            service_id=service.id,
            customer_id=entry.customer_id,
            place_id=place_id,
            starts_at=starts_at.isoformat(),
            language=entry.language,
        )
    )
    return out(entry)
