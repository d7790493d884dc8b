"""live: advisor presence — available, busy, away, offline — kept in ``live_presence`` so every process
sees it.

The advisor's console sets it over its WebSocket and sends a heartbeat every few seconds; each WebSocket
connection has an id, and only the connection that set the presence can end it (a second tab closing does
not take the advisor offline). An advisor whose heartbeats stop for the presence window is set offline by
the router (:func:`comptoir.live.routing.route`) and their pending offer goes to the next advisor.
"""

from __future__ import annotations

from datetime import datetime

from comptoir.appointments import service as appointments
from comptoir.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from comptoir.core.uow import UnitOfWork
from comptoir.live import notices, policies, queue, routing
from comptoir.live.config import LiveSettings
from comptoir.live.models import Presence
from comptoir.live.notices import Notice
from comptoir.live.schemas import PresenceOut


def check_advisor(uow: UnitOfWork, advisor_id: str, settings: LiveSettings) -> None:
    """Only the live service's advisors (its skills, active) take live calls."""
    service_id, _ = queue.live_service(uow, settings)
    wanted = set(appointments.get_service(uow, service_id).skills)
    try:
        advisor = appointments.get_advisor(uow, advisor_id)
    except NotFound as exc:  # not an advisor at all
        raise Forbidden("You are not one of the live service's advisors.", slug="not-live-advisor") from exc
    if not advisor.active or not wanted.issubset(advisor.skills):
        raise Forbidden("You are not one of the live service's advisors.", slug="not-live-advisor")


def set_status(
    uow: UnitOfWork,
    advisor_id: str,
    status: str,
    connection_id: str | None,
    settings: LiveSettings,
    now: datetime,
) -> tuple[PresenceOut, list[Notice]]:
    """The advisor says they are available, away or offline (busy comes with a session). Going available
    runs the router at once: a waiting customer is offered without waiting for the timer."""
    if status not in policies.SETTABLE:
        raise InvalidInput(
            f"Status {status!r} is not one an advisor sets: {', '.join(policies.SETTABLE)}.", field="status"
        )
    check_advisor(uow, advisor_id, settings)
    row = queue.presence_row(uow, advisor_id, lock=True)
    if row is None:
        row = Presence(
            advisor_id=advisor_id,
            status="offline",
            connection_id=None,
            heartbeat_at=now,
            changed_at=now,
            idle_since=now,
        )
        uow.session.add(row)
    if row.status == "busy" and status == "available" and row.session_id:
        raise Conflict("End your session before taking the next customer.", slug="in-session")
    if status == "available" and row.status != "available":
        row.idle_since = now
    row.status, row.changed_at, row.heartbeat_at = status, now, now
    if connection_id is not None:
        row.connection_id = connection_id
    told: list[Notice] = [(notices.ADVISORS, {"type": "presence"})]
    if status != "available":
        told += routing.release_offers(uow, advisor_id)
    uow.session.flush()
    told += routing.route(uow, settings, now)
    return view(row, True), told


def heartbeat(uow: UnitOfWork, advisor_id: str, connection_id: str, now: datetime) -> bool:
    """The console is still there: False when another connection has taken over (this one is stale)."""
    row = queue.presence_row(uow, advisor_id, lock=True)
    if row is None or (row.connection_id not in (None, connection_id)):
        return False
    row.heartbeat_at, row.connection_id = now, connection_id
    return True


def disconnected(
    uow: UnitOfWork, advisor_id: str, connection_id: str, settings: LiveSettings, now: datetime
) -> list[Notice]:
    """The console's WebSocket closed: the advisor is offline at once (if that connection was theirs) and
    their pending offer goes to the next advisor. In a call they stay busy: the console reconnects and
    beats again; if it does not, the router sets them offline after the presence window."""
    row = queue.presence_row(uow, advisor_id, lock=True)
    if row is None or row.connection_id != connection_id:
        return []
    if row.status == "busy":  # in a call: the console comes back on its own (a silent one is swept)
        row.connection_id = None
        return []
    row.status, row.changed_at, row.connection_id = "offline", now, None
    told = [(notices.ADVISORS, {"type": "presence"}), *routing.release_offers(uow, advisor_id)]
    uow.session.flush()
    return told + routing.route(uow, settings, now)


def session_over(uow: UnitOfWork, advisor_id: str, now: datetime) -> None:
    """The advisor's session ended: available again, idle from now (the others go first)."""
    row = queue.presence_row(uow, advisor_id, lock=True)
    if row is not None and row.status == "busy":
        row.status, row.session_id, row.changed_at, row.idle_since = "available", None, now, now


def view(row: Presence | None, on_duty: bool) -> PresenceOut:
    if row is None:
        return PresenceOut(advisor_id="", status="offline", on_duty=on_duty)
    return PresenceOut(
        advisor_id=row.advisor_id,
        status=row.status,
        heartbeat_at=row.heartbeat_at,
        session_id=row.session_id,
        on_duty=on_duty,
    )
