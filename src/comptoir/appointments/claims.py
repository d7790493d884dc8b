"""appointments: taking and giving back time, in the database.

A claim is a row per 5-minute bucket of a subject (an advisor, a room) and seat; its primary key makes
two overlapping bookings collide in the database whatever process they run in (``INSERT … ON
CONFLICT DO NOTHING`` answers which rows were taken). A workshop's seats are taken by a guarded update
of its session's ``booked``. Holds that expired still own their claims until swept: a booking that
collides with one sweeps it and tries again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from comptoir.appointments import policies
from comptoir.appointments.models import Appointment, Claim, Session
from comptoir.appointments.policies import Span
from comptoir.core.uow import UnitOfWork


class Taken(Exception):
    """The time (or the seat) went to someone else."""


def advisor_subject(advisor_id: str) -> str:
    return f"advisor:{advisor_id}"


def resource_subject(resource_id: str) -> str:
    return f"resource:{resource_id}"


def session_id(service_id: str, advisor_id: str, start_min: int) -> str:
    digest = hashlib.sha256(f"{service_id}|{advisor_id}|{start_min}".encode()).hexdigest()[:40]
    return f"ses_{digest}"


def _insert(uow: UnitOfWork, rows: list[dict[str, Any]]) -> set[int]:
    """Insert the claims that are free; the buckets (epoch minutes) actually taken."""
    if not rows:
        return set()
    insert = pg_insert if uow.dialect == "postgresql" else sqlite_insert
    stmt = insert(Claim).on_conflict_do_nothing().returning(Claim.bucket)
    # On the session's connection, as Core: the rows are plain values, no ORM object holds them (the
    # ORM's bulk path would only add its bookkeeping).
    return {policies.minutes(b) for (b,) in uow.session.connection().execute(stmt, rows)}


def sweep_expired(uow: UnitOfWork, subject: str, block: Span, now: datetime) -> int:
    """Expire the holds past their time that own claims of ``subject`` in ``block``; how many."""
    holders = select(Claim.holder_id).where(
        Claim.subject == subject,
        Claim.bucket >= policies.instant(block[0]),
        Claim.bucket < policies.instant(block[1]),
    )
    expired = uow.session.scalars(
        select(Appointment).where(
            Appointment.status == "held",
            Appointment.hold_expires_at <= now,
            Appointment.id.in_(holders),
        )
    ).all()
    for row in expired:
        release(uow, row)
        row.status = "expired"
    uow.session.flush()
    return len(expired)


def claim(
    uow: UnitOfWork, subject: str, block: Span, holder_id: str, now: datetime, *, capacity: int = 1
) -> None:
    """Take every bucket of ``block`` for ``holder_id`` (any free seat of each, up to ``capacity``), or
    raise :class:`Taken` (the caller's savepoint or transaction then gives back what was taken)."""
    wanted = set(policies.buckets(block))
    for attempt in range(2):
        for seat in range(capacity):
            rows = [
                {"subject": subject, "bucket": policies.instant(b), "seat": seat, "holder_id": holder_id}
                for b in sorted(wanted)
            ]
            wanted -= _insert(uow, rows)
            if not wanted:
                return
        if attempt == 0 and not sweep_expired(uow, subject, block, now):
            break
    raise Taken(subject)


def give_back(uow: UnitOfWork, holder_id: str, subject: str) -> None:
    """Delete what ``holder_id`` took of ``subject`` (an attempt that did not get all its buckets)."""
    uow.session.execute(delete(Claim).where(Claim.holder_id == holder_id, Claim.subject == subject))


def release(uow: UnitOfWork, row: Appointment) -> None:
    """Give back an appointment's time: its claims, and its seat of a workshop (the session and the
    session's claims go with its last seat)."""
    uow.session.execute(delete(Claim).where(Claim.holder_id == row.id))
    if row.session_id is not None:
        leave_session(uow, row.session_id)


def leave_session(uow: UnitOfWork, sid: str) -> None:
    uow.session.execute(
        update(Session).where(Session.id == sid, Session.booked > 0).values(booked=Session.booked - 1)
    )
    left = uow.session.scalar(select(Session.booked).where(Session.id == sid))
    if left == 0:
        uow.session.execute(delete(Claim).where(Claim.holder_id == sid))
        uow.session.execute(delete(Session).where(Session.id == sid))


def open_session(
    uow: UnitOfWork,
    sid: str,
    *,
    service_id: str,
    advisor_id: str,
    place_id: str,
    starts_at: datetime,
    capacity: int,
) -> bool:
    """Create the workshop occurrence if nobody has (True: this transaction did, and must claim its time)."""
    insert = pg_insert if uow.dialect == "postgresql" else sqlite_insert
    stmt = (
        insert(Session)
        .values(
            id=sid,
            service_id=service_id,
            advisor_id=advisor_id,
            place_id=place_id,
            starts_at=starts_at,
            capacity=capacity,
            booked=0,
        )
        .on_conflict_do_nothing()
        .returning(Session.id)
    )
    return uow.session.execute(stmt).first() is not None


def take_seat(uow: UnitOfWork, sid: str) -> str | None:
    """One seat of a workshop, by a guarded update (never more than its capacity), or :class:`Taken`;
    the session's room."""
    done = uow.session.execute(
        update(Session)
        .where(Session.id == sid, Session.booked < Session.capacity)
        .values(booked=Session.booked + 1)
        .returning(Session.resource_id)
    ).first()
    if done is None:
        raise Taken(sid)
    room: str | None = done.resource_id
    return room


def set_session_room(uow: UnitOfWork, sid: str, resource_id: str) -> None:
    uow.session.execute(update(Session).where(Session.id == sid).values(resource_id=resource_id))


def sessions_at(
    uow: UnitOfWork, service_id: str, place_id: str, starts_at: datetime, advisor_ids: Sequence[str]
) -> list[Session]:
    return list(
        uow.session.scalars(
            select(Session)
            .where(
                Session.service_id == service_id,
                Session.place_id == place_id,
                Session.starts_at == starts_at,
                Session.advisor_id.in_(list(advisor_ids)),
                Session.booked < Session.capacity,
            )
            .order_by(Session.booked.desc(), Session.id)
        )
    )
