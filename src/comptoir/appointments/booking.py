"""appointments: holding, booking, moving and cancelling — the one booking path of every channel.

A booking is decided in one transaction: the engine says who is free at the start (qualified advisors,
fairest first), then the claims make it final in the database; a collision (a race lost to another
process) tries the next advisor, and answers 409 when none is left. Nothing is written when the
answer is an error.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from comptoir.appointments import availability, claims, policies, reading, setup
from comptoir.appointments.models import Appointment, Resource, Service
from comptoir.appointments.schemas import SlotIn
from comptoir.core.errors import Conflict, InvalidInput
from comptoir.core.ids import new_id
from comptoir.core.uow import UnitOfWork


def slot_unavailable(detail: str, field: str = "starts_at") -> Conflict:
    return Conflict(detail, slug="slot-unavailable", errors=[{"pointer": f"#/{field}", "detail": detail}])


@dataclass(frozen=True)
class Taken:
    advisor_id: str
    resource_id: str | None
    session_id: str | None
    assignment: str
    timezone: str
    advisor_name: str | None = None  # when the engine read it (the answer then needs no query for it)


def check_start(service: Service, starts_at: datetime, now: datetime, channel_kind: str, field: str) -> int:
    start = policies.minutes(starts_at)
    if starts_at.second or starts_at.microsecond or start % policies.BUCKET_MIN:
        raise InvalidInput("Start on a slot time (a multiple of 5 minutes).", field=field)
    if starts_at <= now:
        raise InvalidInput("This time is in the past.", field=field)
    earliest, latest = policies.bounds(
        now, policies.notice_for(service.min_notice_min, channel_kind), service.horizon_days
    )
    if start < earliest:
        raise InvalidInput(f"Book at least {service.min_notice_min} minutes ahead.", field=field)
    if start >= latest:
        raise InvalidInput(f"Book at most {service.horizon_days} days ahead.", field=field)
    return start


def _resource_for(
    uow: UnitOfWork, service: Service, place_id: str, block: policies.Span, holder: str, now: datetime
) -> str | None:
    if service.resource_kind is None:
        return None
    rooms = uow.session.execute(
        select(Resource.id, Resource.capacity)
        .where(
            Resource.place_id == place_id, Resource.kind == service.resource_kind, Resource.active.is_(True)
        )
        .order_by(Resource.name, Resource.id)
    ).all()
    for room in rooms:
        subject = claims.resource_subject(room.id)
        try:
            claims.claim(uow, subject, block, holder, now, capacity=room.capacity)
            return str(room.id)
        except claims.Taken:
            claims.give_back(uow, holder, subject)  # what this attempt took of that room
    raise claims.Taken("resource")


def take(
    uow: UnitOfWork,
    service: Service,
    slot_place: str,
    start: int,
    language: str | None,
    advisor_id: str | None,
    holder_id: str,
    now: datetime,
    *,
    ignore: str | None = None,
) -> Taken:
    """Take the time of one appointment (``holder_id``) at ``start``, or raise 409 (nothing kept)."""
    shape = availability.shape_of(service)
    block = shape.block(start)
    if advisor_id is not None:
        setup.load_advisor(uow, advisor_id, "advisor_id")
    free, window = availability.free_candidates(
        uow, service, slot_place, start, language, advisor_id, now, ignore=ignore
    )
    if window is None:
        raise InvalidInput(f"Unknown place {slot_place}.", field="place_id")
    if service.capacity > 1:
        return _take_seat(
            uow, service, slot_place, start, language, advisor_id, holder_id, now, free, window.timezone
        )
    if not free:
        raise slot_unavailable(
            "This slot is not offered: nobody qualified is free then, or the place is closed."
        )
    candidates = _ranked(uow, free, start, window.timezone)
    for candidate, reason in candidates:
        # No savepoint (two round trips each): a lost attempt gives back what it took itself.
        subject = claims.advisor_subject(candidate.advisor_id)
        try:
            claims.claim(uow, subject, block, holder_id, now)
        except claims.Taken:
            claims.give_back(uow, holder_id, subject)
            continue
        try:
            room = _resource_for(uow, service, slot_place, block, holder_id, now)
        except claims.Taken:
            raise slot_unavailable("No room is free for this slot: choose another one.") from None
        return Taken(candidate.advisor_id, room, None, reason, window.timezone, candidate.name)
    raise slot_unavailable("This slot was just taken: choose another one.")


def _ranked(
    uow: UnitOfWork, free: list[availability.AdvisorTime], start: int, timezone: str
) -> list[tuple[policies.Candidate, str]]:
    """The free advisors, fairest first (fewest bookings in the week), each with the reason it was chosen."""
    if len(free) == 1:  # nobody to be fair to: no count to read
        return [policies.pick_advisor([policies.Candidate(free[0].row.id, free[0].row.name, 0)])]
    tz = ZoneInfo(timezone)
    counts = availability.bookings_this_week(uow, [a.row.id for a in free], policies.local_day(start, tz), tz)
    pool = [policies.Candidate(a.row.id, a.row.name, counts[a.row.id]) for a in free]
    out = []
    while pool:
        chosen, reason = policies.pick_advisor(pool)
        out.append((chosen, reason))
        pool = [c for c in pool if c.advisor_id != chosen.advisor_id]
    return out


def _take_seat(
    uow: UnitOfWork,
    service: Service,
    place_id: str,
    start: int,
    language: str | None,
    advisor_id: str | None,
    holder_id: str,
    now: datetime,
    free: list[availability.AdvisorTime],
    timezone: str,
) -> Taken:
    """A seat of a workshop: an open session's first (fullest first), else a new session for the fairest
    free advisor. The session's time is claimed once; seats by a guarded update."""
    starts_at = policies.instant(start)
    qualified = [a.row.id for a in availability.qualified(uow, service, language, advisor_id)]
    for session in claims.sessions_at(uow, service.id, place_id, starts_at, qualified):
        try:
            with uow.savepoint():
                claims.take_seat(uow, session.id)
            return Taken(
                session.advisor_id,
                session.resource_id,
                session.id,
                f"A seat in the session {session.advisor_id} leads.",
                timezone,
            )
        except claims.Taken:
            continue
    shape = availability.shape_of(service)
    block = shape.block(start)
    for candidate, reason in _ranked(uow, free, start, timezone):
        sid = claims.session_id(service.id, candidate.advisor_id, start)
        try:
            with uow.savepoint():
                if claims.open_session(
                    uow,
                    sid,
                    service_id=service.id,
                    advisor_id=candidate.advisor_id,
                    place_id=place_id,
                    starts_at=starts_at,
                    capacity=service.capacity,
                ):
                    claims.claim(uow, claims.advisor_subject(candidate.advisor_id), block, sid, now)
                    room = _resource_for(uow, service, place_id, block, sid, now)
                    if room is not None:
                        claims.set_session_room(uow, sid, room)
                room = claims.take_seat(uow, sid)
            return Taken(candidate.advisor_id, room, sid, reason, timezone, candidate.name)
        except claims.Taken:
            continue
    raise slot_unavailable("This session is full or no longer offered: choose another time.")


def new_appointment(
    uow: UnitOfWork,
    service: Service,
    slot: SlotIn,
    now: datetime,
    *,
    status: str,
    channel: str,
    channel_kind: str,
    field: str = "starts_at",
) -> Appointment:
    """Take the slot and write the appointment (held or booked)."""
    availability.check_bookable(service, channel_kind, slot.language)
    start = check_start(service, slot.starts_at, now, channel_kind, field)
    appointment_id = new_id("apt")
    taken = take(uow, service, slot.place_id, start, slot.language, slot.advisor_id, appointment_id, now)
    reading.remember_advisor(uow, taken.advisor_id, taken.advisor_name)
    shape = availability.shape_of(service)
    block = shape.block(start)
    row = Appointment(
        id=appointment_id,
        service_id=service.id,
        place_id=slot.place_id,
        advisor_id=taken.advisor_id,
        resource_id=taken.resource_id,
        session_id=taken.session_id,
        starts_at=slot.starts_at,
        ends_at=slot.starts_at + timedelta(minutes=service.duration_min),
        block_start=policies.instant(block[0]),
        block_end=policies.instant(block[1]),
        timezone=taken.timezone,
        status=status,
        hold_expires_at=now + timedelta(minutes=policies.HOLD_MINUTES) if status == "held" else None,
        customer_id=None,
        channel=channel,
        language=slot.language or (service.languages[0] if service.languages else "fr"),
        assignment=taken.assignment,
        sequence=0,
        alternatives=[],
    )
    uow.session.add(row)
    return row


def move(
    uow: UnitOfWork,
    row: Appointment,
    service: Service,
    start: int,
    place_id: str,
    advisor_id: str | None,
    now: datetime,
) -> None:
    """Give back the appointment's time and take the new one (both in this transaction: a failure keeps
    the old time)."""
    claims.release(uow, row)
    row.session_id = None
    taken = take(uow, service, place_id, start, row.language, advisor_id, row.id, now, ignore=row.id)
    reading.remember_advisor(uow, taken.advisor_id, taken.advisor_name)
    shape = availability.shape_of(service)
    block = shape.block(start)
    row.place_id = place_id
    row.advisor_id = taken.advisor_id
    row.resource_id = taken.resource_id
    row.session_id = taken.session_id
    row.starts_at = policies.instant(start)
    row.ends_at = row.starts_at + timedelta(minutes=service.duration_min)
    row.block_start, row.block_end = policies.instant(block[0]), policies.instant(block[1])
    row.timezone = taken.timezone
    row.assignment = taken.assignment
