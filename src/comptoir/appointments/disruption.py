"""appointments: when a place closes over booked appointments (a bulk closure, a strike day, new hours),
each one is flagged, an ``appointments.disrupted`` event is published for it, and the customer is offered
the next free slots for the same service (the place first, else the nearest places)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from comptoir.appointments import availability, events, operations, policies
from comptoir.appointments.models import Appointment, Service
from comptoir.core import clock
from comptoir.core.settings import Settings
from comptoir.core.uow import UnitOfWork
from comptoir.stores import service as stores

ALTERNATIVES = 3


def check_place(uow: UnitOfWork, settings: Settings, place_id: str, reason: str) -> int:
    """Flag the booked appointments at ``place_id`` that its hours no longer allow; how many were flagged."""
    now = clock.now()
    rows = uow.session.scalars(
        select(Appointment)
        .where(Appointment.place_id == place_id, Appointment.status == "booked", Appointment.starts_at > now)
        .order_by(Appointment.starts_at)
    ).all()
    flagged = 0
    # Why it is closed: the exceptional day's own reason (a strike), else the place's status reason.
    reasons = (
        {d.date: d.reason for d in stores.get_place(uow, place_id).special_days if d.reason} if rows else {}
    )
    for row in rows:
        service = uow.session.get(Service, row.service_id)
        assert service is not None
        day = row.starts_at.date()
        windows = stores.open_windows(
            uow, [place_id], day - timedelta(days=1), day + timedelta(days=1), audience=service.audience
        ).get(place_id)
        spans = [(policies.minutes(s), policies.minutes(e)) for s, e in windows.intervals] if windows else []
        inside = policies.covers(
            policies.merge(spans), policies.minutes(row.starts_at), policies.minutes(row.ends_at)
        )
        if inside:
            if row.disrupted_at is not None:
                row.disrupted_at, row.disruption, row.alternatives = None, "", []
            continue
        if row.disrupted_at is not None:
            continue
        local_day = row.starts_at.astimezone(ZoneInfo(row.timezone)).date()
        row.disrupted_at, row.disruption = now, reasons.get(local_day, reason)
        row.alternatives = alternatives(uow, service, row)
        flagged += 1
        uow.session.flush()
        uow.record(
            operations.event_of(
                events.AppointmentDisrupted,
                row,
                service,
                settings,
                reason=row.disruption,
                alternatives=row.alternatives,
            )
        )
    return flagged


def alternatives(uow: UnitOfWork, service: Service, row: Appointment) -> list[dict[str, str]]:
    """The first free starts from the appointment's day on: at its place, else at the nearest others."""
    place = stores.open_windows(
        uow, [row.place_id], row.starts_at.date(), row.starts_at.date() - timedelta(days=1)
    )
    facts = place.get(row.place_id)
    query = availability.SlotQuery(
        service_id=service.id,
        first_day=max(row.starts_at.date(), clock.now().date()),
        days=14,
        lat=facts.latitude if facts else None,
        lon=facts.longitude if facts else None,
        language=row.language if row.language in service.languages else None,
        places_limit=3,
    )
    found = availability.search(uow, query, "system", clock.now())
    out: list[dict[str, str]] = []
    for place_slots in found.places:
        for day in place_slots.days:
            for hhmm in day.times:
                local = f"{day.date.isoformat()}T{hhmm}"
                out.append({"place_id": place_slots.place_id, "starts_at": _utc(local, place_slots.timezone)})
                if len(out) >= ALTERNATIVES:
                    return out
    return out


def _utc(local: str, timezone: str) -> str:
    return datetime.fromisoformat(local).replace(tzinfo=ZoneInfo(timezone)).astimezone(UTC).isoformat()
