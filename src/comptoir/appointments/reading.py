"""appointments: reading appointments — one, a customer's, a place's day or week, an advisor's day —
and the 360° section."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select

from comptoir.appointments import invitations
from comptoir.appointments.models import Advisor, Appointment, Service
from comptoir.appointments.schemas import Alternative, AppointmentOut, ProductNote
from comptoir.core import clock
from comptoir.core.errors import not_found
from comptoir.core.settings import Settings, get_settings
from comptoir.core.uow import UnitOfWork

_NAMES_READ = "appointments.advisor_names"  # the transaction's advisors' names already read


def remember_advisor(uow: UnitOfWork, advisor_id: str, name: str | None) -> None:
    """An advisor's name as this transaction read it (the booking engine does): the answer reuses it."""
    if name is not None:
        uow.session.info.setdefault(_NAMES_READ, {})[advisor_id] = name


def _names(uow: UnitOfWork, rows: Sequence[Appointment]) -> tuple[dict[str, Service], dict[str, str]]:
    """The rows' services (from the session's identity map when the caller loaded them: no query) and
    their advisors' names (those this transaction has not read yet in one query)."""
    services: dict[str, Service] = {}
    for service_id in {r.service_id for r in rows}:
        found = uow.session.get(Service, service_id)
        if found is not None:
            services[service_id] = found
    known: dict[str, str] = uow.session.info.get(_NAMES_READ, {})
    advisors = {r.advisor_id: known[r.advisor_id] for r in rows if r.advisor_id in known}
    missing = {r.advisor_id for r in rows} - advisors.keys()
    if missing:
        query = select(Advisor.id, Advisor.name).where(Advisor.id.in_(missing))
        advisors.update({advisor_id: name for advisor_id, name in uow.session.execute(query)})
    return services, advisors


def outs(
    uow: UnitOfWork, rows: Sequence[Appointment], settings: Settings | None = None
) -> list[AppointmentOut]:
    settings = settings or get_settings()
    services, advisors = _names(uow, rows)
    out = []
    for row in rows:
        service = services[row.service_id]
        lang = row.language if row.language in service.names else "fr"
        out.append(
            AppointmentOut(
                id=row.id,
                status=row.status,
                service_id=row.service_id,
                service_code=service.code,
                service_name=service.names.get(lang) or service.names.get("fr", service.code),
                place_id=row.place_id,
                advisor_id=row.advisor_id,
                advisor_name=advisors.get(row.advisor_id, ""),
                resource_id=row.resource_id,
                starts_at=row.starts_at,
                ends_at=row.ends_at,
                timezone=row.timezone,
                customer_id=row.customer_id,
                channel=row.channel,
                language=row.language,
                customer_note=row.customer_note,
                advisor_notes=row.advisor_notes,
                assignment=row.assignment,
                sequence=row.sequence,
                hold_expires_at=row.hold_expires_at,
                disrupted_at=row.disrupted_at,
                disruption=row.disruption,
                alternatives=[Alternative.model_validate(a) for a in row.alternatives or []],
                products=[ProductNote.model_validate(p) for p in row.products or []],
                invitation_url=None
                if row.status in ("held", "expired")
                else invitations.url(settings, row.id),
                version=row.version,
                created_at=row.created_at,
            )
        )
    return out


def load(uow: UnitOfWork, appointment_id: str, *, for_update: bool = False) -> Appointment:
    query = select(Appointment).where(Appointment.id == appointment_id)
    if for_update:
        query = query.with_for_update()
    row = uow.session.scalars(query).first()
    if row is None:
        raise not_found("Appointment", appointment_id)
    return row


def get_appointment(uow: UnitOfWork, appointment_id: str, settings: Settings | None = None) -> AppointmentOut:
    """One appointment; ``settings`` sign its invitation's link (default: the process's)."""
    return outs(uow, [load(uow, appointment_id)], settings)[0]


def get_appointments(
    uow: UnitOfWork, appointment_ids: Iterable[str], settings: Settings | None = None
) -> dict[str, AppointmentOut]:
    """:func:`get_appointment` of many at once (two queries), by id; unknown ids are left out."""
    ids = sorted(set(appointment_ids))
    rows = list(uow.session.scalars(select(Appointment).where(Appointment.id.in_(ids)))) if ids else []
    return {out.id: out for out in outs(uow, rows, settings)}


def list_appointments(
    uow: UnitOfWork,
    *,
    customer_id: str | None = None,
    place_ids: Sequence[str] | None = None,
    advisor_id: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    statuses: Sequence[str] | None = None,
    limit: int = 200,
    settings: Settings | None = None,
) -> list[AppointmentOut]:
    """Appointments by start time (holds left out unless asked for)."""
    query = select(Appointment).order_by(Appointment.starts_at, Appointment.id).limit(limit)
    if customer_id is not None:
        query = query.where(Appointment.customer_id == customer_id)
    if place_ids is not None:
        query = query.where(Appointment.place_id.in_(list(place_ids)))
    if advisor_id is not None:
        query = query.where(Appointment.advisor_id == advisor_id)
    if start is not None:
        query = query.where(Appointment.starts_at >= start)
    if end is not None:
        query = query.where(Appointment.starts_at < end)
    wanted = list(statuses) if statuses else ["booked", "checked_in", "completed", "no_show", "cancelled"]
    query = query.where(Appointment.status.in_(wanted))
    return outs(uow, list(uow.session.scalars(query)), settings)


def customer_section(uow: UnitOfWork, customer_id: str) -> dict[str, Any]:
    """The 360° view's part: upcoming and past appointments, with the advisors' notes."""
    now = clock.now()
    items = list_appointments(uow, customer_id=customer_id, limit=500)
    upcoming = [a for a in items if a.starts_at >= now and a.status in ("booked", "checked_in")]
    past = [a for a in reversed(items) if a not in upcoming]
    return {
        "upcoming": [a.model_dump(mode="json") for a in upcoming],
        "past": [a.model_dump(mode="json") for a in past[:50]],
    }
