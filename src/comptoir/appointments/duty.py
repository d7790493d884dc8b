"""appointments: who is on duty for a service at an instant — for the live service's talk-now calls.

An advisor is on duty when they are active, qualified for the service (its skills, a language it is
offered in), their hours cover the instant at one of their places (an exception replacing its day), and no
leave or appointment of theirs holds that instant. The place's own time zone reads their hours, as the slot
engine does (:mod:`comptoir.appointments.availability`), within the place's opening hours, so the answer agrees with the slots offered."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from comptoir.appointments import availability, policies
from comptoir.appointments.models import Service
from comptoir.core.uow import UnitOfWork
from comptoir.stores import service as stores


@dataclass(frozen=True)
class OnDuty:
    advisor_id: str
    name: str
    skills: tuple[str, ...]
    languages: tuple[str, ...]
    place_id: str  # where they work now (the studio's shop)


def service_by_code(uow: UnitOfWork, code: str) -> tuple[str, tuple[str, ...]] | None:
    """The service's id and languages, by its code (None: no such service, or not active)."""
    row = uow.session.execute(
        select(Service.id, Service.languages).where(Service.code == code, Service.active.is_(True))
    ).first()
    return (row[0], tuple(row[1] or ())) if row is not None else None


def on_duty(uow: UnitOfWork, service_id: str, at: datetime, language: str | None = None) -> list[OnDuty]:
    """The advisors of the service working at ``at`` and free then (``language``: who speak it)."""
    service = uow.session.get(Service, service_id)
    if service is None or not service.active:
        return []
    advisors = availability.qualified(uow, service, language, None)
    if not advisors:
        return []
    availability.load_busy(uow, advisors, at, at + timedelta(minutes=1), at)
    places = sorted({p for a in advisors for p in a.row.place_ids})
    day = at.date()
    windows = stores.open_windows(uow, places, day - timedelta(days=1), day + timedelta(days=1))
    now_min = policies.minutes(at)
    out = []
    for a in advisors:
        if policies.covers(a.busy, now_min, now_min + 1):
            continue
        for place_id in a.row.place_ids:
            window = windows.get(place_id)
            if window is None:
                continue
            tz = ZoneInfo(window.timezone)
            local = at.astimezone(tz).date()
            days = (local - timedelta(days=1), local)
            spans = policies.working_spans(a.weekly, a.exceptions, place_id, tz, days)
            opening = [(policies.minutes(s), policies.minutes(e)) for s, e in window.intervals]
            if policies.covers(spans, now_min, now_min + 1) and policies.covers(
                opening, now_min, now_min + 1
            ):
                out.append(OnDuty(a.row.id, a.row.name, a.row.skills, a.row.languages, place_id))
                break
    return out
