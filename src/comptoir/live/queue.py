"""live: talk-now requests — asked, placed in the queue, offered to one advisor at a time, taken, or
ended with live slots to book instead.

Routing (:func:`route`) runs after every change that can make an offer possible (a request, an advisor
available, an offer declined or lapsed) and on a short timer in whichever process holds the job's lease.
Everything it decides is in the database, under row locks: on PostgreSQL the waiting requests and the
available advisors are locked ``FOR UPDATE SKIP LOCKED``, so two processes routing at once never offer one
customer twice nor one advisor two customers; SQLite serialises writers. Where a transaction waits for a
lock, it takes the advisor's presence row before any request's (accepting, going away or offline), so
two of them never wait on each other; the router itself never waits (it skips what is locked). The offer is a timed claim
(``offer_expires_at``): an advisor who does not accept in time loses it, is set away (not at their desk),
and the request goes to the next advisor.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from datetime import time as dt_time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, tuple_

from comptoir.appointments import service as appointments
from comptoir.core.errors import InvalidInput, NotFound
from comptoir.core.ids import new_id
from comptoir.core.uow import UnitOfWork
from comptoir.live import notices, policies
from comptoir.live.config import LiveSettings
from comptoir.live.events import RequestUnanswered
from comptoir.live.models import Presence, Request, Session
from comptoir.live.notices import Notice
from comptoir.live.schemas import RequestOut, SlotOffer, TalkNowIn

SLOTS_OFFERED = 6


def live_service(uow: UnitOfWork, settings: LiveSettings) -> tuple[str, tuple[str, ...]]:
    found = appointments.service_by_code(uow, settings.service_code)
    if found is None:
        raise NotFound(
            f"The live service ({settings.service_code}) is not set up in appointments.",
            slug="live-not-set-up",
        )
    return found


def _locked(uow: UnitOfWork, stmt: Any) -> Any:
    if uow.dialect == "postgresql":
        return stmt.with_for_update(skip_locked=True)
    return stmt


def ask(
    uow: UnitOfWork,
    command: TalkNowIn,
    settings: LiveSettings,
    *,
    customer_id: str | None,
    channel: str,
    postcode: str | None,
    now: datetime,
) -> Request:
    """A customer asks to talk now: a waiting request when an advisor speaking their language is on duty,
    otherwise one ended at once (``unanswered``, reason closed) whose answer offers the next live slots."""
    service_id, languages = live_service(uow, settings)
    if command.language not in languages:
        raise InvalidInput(f"The live service is not offered in {command.language}.", field="language")
    on_duty = appointments.on_duty(uow, service_id, now, command.language)
    row = Request(
        id=new_id("lrq"),
        customer_id=customer_id,
        visitor_name=command.name.strip(),
        topic=command.topic,
        language=command.language,
        channel=channel,
        status="waiting" if on_duty else "unanswered",
        passed=[],
        postcode=postcode or "",
        share_profile=command.share_profile and customer_id is not None,
        created_at=now,
        ended_at=None if on_duty else now,
    )
    uow.session.add(row)
    if not on_duty:
        uow.record(_unanswered(row, "closed"))
    uow.session.flush()
    return row


def _unanswered(row: Request, reason: str) -> RequestUnanswered:
    return RequestUnanswered(
        request_id=row.id,
        customer_id=row.customer_id,
        topic=row.topic,
        language=row.language,
        channel=row.channel,
        reason=reason,
        message_left=bool(row.message),
    )


def load(uow: UnitOfWork, request_id: str, *, lock: bool = False) -> Request:
    stmt = select(Request).where(Request.id == request_id)
    if lock:
        stmt = stmt.with_for_update()
    row = uow.session.scalars(stmt).first()
    if row is None:
        raise NotFound(f"Live request {request_id} does not exist.")
    return row


def state(uow: UnitOfWork, row: Request, settings: LiveSettings, now: datetime) -> RequestOut:
    """Where the request stands: its place in the queue and the wait estimate while open, the session once
    taken, the next live slots once nobody could answer. Every waiting page asks on each heartbeat: one
    count for the place in line; who is on duty and how long sessions last are kept a few seconds."""
    out = RequestOut(
        id=row.id,
        status=row.status,
        topic=row.topic,
        language=row.language,
        session_id=row.session_id,
        created_at=row.created_at,
    )
    if row.status in policies.OPEN_REQUEST:
        service_id, _ = live_service(uow, settings)
        ahead = uow.session.scalar(
            select(func.count()).where(
                Request.status.in_(policies.OPEN_REQUEST),
                Request.language == row.language,
                tuple_(Request.created_at, Request.id) < tuple_(row.created_at, row.id),
            )
        )
        on_duty, minutes = _duty_and_length(uow, settings, service_id, row.language, now)
        out.position = 1 + int(ahead or 0)
        out.wait_minutes = policies.wait_estimate(out.position, on_duty, minutes)
        out.advisors_on_duty = on_duty
    elif row.status in ("unanswered", "cancelled", "message"):
        out.service_id, _ = live_service(uow, settings)
        out.slots = next_slots(uow, out.service_id, row.language, now)
    return out


_KEPT_SECONDS = 15  # advisors' hours and sessions' lengths change slowly: an estimate may be 15 s old
_KEPT: dict[tuple[str, str], tuple[datetime, int, float]] = {}


def _duty_and_length(
    uow: UnitOfWork, settings: LiveSettings, service_id: str, language: str, now: datetime
) -> tuple[int, float]:
    """How many advisors speaking the language are on duty, and the recent sessions' mean length."""
    kept = _KEPT.get((service_id, language))
    if kept is not None and timedelta(0) <= now - kept[0] < timedelta(seconds=_KEPT_SECONDS):
        return kept[1], kept[2]
    on_duty = len(appointments.on_duty(uow, service_id, now, language))
    minutes = _mean_minutes(uow, settings, now)
    if len(_KEPT) > 1000:
        _KEPT.clear()
    _KEPT[(service_id, language)] = (now, on_duty, minutes)
    return on_duty, minutes


def _mean_minutes(uow: UnitOfWork, settings: LiveSettings, now: datetime) -> float:
    rows = uow.session.execute(
        select(Session.started_at, Session.ended_at)
        .where(Session.ended_at.is_not(None), Session.ended_at > now - timedelta(days=7))
        .order_by(Session.ended_at.desc())
        .limit(50)
    ).all()
    durations = [(e - s).total_seconds() / 60 for s, e in rows if e is not None]
    return policies.average_minutes(durations, settings.session_minutes_default)


def next_slots(uow: UnitOfWork, service_id: str, language: str, now: datetime) -> list[SlotOffer]:
    """The first live slots of the coming week (the booking pages take it from there)."""
    query = appointments.SlotQuery(service_id=service_id, first_day=now.date(), days=7, language=language)
    found = appointments.search_slots(uow, query, "web", now)
    out: list[SlotOffer] = []
    for place in found.places:
        for day in place.days:
            for time in day.times:
                out.append(
                    SlotOffer(
                        date=day.date.isoformat(),
                        time=time,
                        timezone=place.timezone,
                        place_id=place.place_id,
                        starts_at=datetime.combine(
                            day.date, dt_time.fromisoformat(time), ZoneInfo(place.timezone)
                        ),
                    )
                )
    out.sort(key=lambda s: s.starts_at)
    return out[:SLOTS_OFFERED]


def cancel(uow: UnitOfWork, row: Request, now: datetime) -> list[Notice]:
    """The customer gives up waiting; an advisor holding the offer is told it is withdrawn."""
    if row.status not in policies.OPEN_REQUEST:
        return []
    told = (
        [(notices.advisor(row.offered_to), {"type": "offer_withdrawn", "request_id": row.id})]
        if row.offered_to
        else []
    )
    row.status, row.offered_to, row.offer_expires_at, row.ended_at = "cancelled", None, None, now
    return [*told, (notices.ADVISORS, {"type": "queue"})]


def leave_message(uow: UnitOfWork, row: Request, message: str, contact: str, now: datetime) -> list[Notice]:
    """Nobody free, or the customer would rather not wait: a message for the team instead (the request
    ends; the event lets the service desk and the journeys take it from there)."""
    told = cancel(uow, row, now) if row.status in policies.OPEN_REQUEST else []
    if row.status == "accepted":
        raise InvalidInput("An advisor has taken this request: talk to them.", field="message")
    row.status, row.message, row.contact = "message", message.strip(), contact.strip()
    row.ended_at = row.ended_at or now
    uow.record(_unanswered(row, "message"))
    return told


def open_count(uow: UnitOfWork) -> int:
    return int(uow.session.scalar(select(func.count()).where(Request.status.in_(policies.OPEN_REQUEST))) or 0)


def offers_of(uow: UnitOfWork, advisor_id: str) -> Sequence[Request]:
    return list(
        uow.session.scalars(
            select(Request).where(Request.offered_to == advisor_id, Request.status == "offered")
        )
    )


def presence_row(uow: UnitOfWork, advisor_id: str, *, lock: bool = False) -> Presence | None:
    stmt = select(Presence).where(Presence.advisor_id == advisor_id)
    if lock:
        stmt = stmt.with_for_update()
    return uow.session.scalars(stmt).first()
