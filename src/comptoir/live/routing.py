"""live: the router — offers waiting customers to available advisors, one timed claim at a time; takes an
accepted offer into a session; gives a declined or lapsed offer to the next advisor.

See :mod:`comptoir.live.queue` for the locking that makes it safe with several processes routing at once.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from comptoir.appointments import service as appointments
from comptoir.core.errors import Conflict
from comptoir.core.ids import new_id
from comptoir.core.uow import UnitOfWork
from comptoir.live import notices, policies, queue
from comptoir.live.config import LiveSettings
from comptoir.live.events import SessionStarted
from comptoir.live.models import Presence, Request, Session
from comptoir.live.notices import Notice
from comptoir.live.queue import _locked, _unanswered


def route(uow: UnitOfWork, settings: LiveSettings, now: datetime) -> list[Notice]:
    """One pass of the router: lapsed offers and silent advisors first, requests waited out, then new
    offers. Returns what to tell whom once committed."""
    told = _lapse_offers(uow, now)
    told += _sweep_silent(uow, settings, now)
    told += _wait_out(uow, settings, now)
    told += _offer(uow, settings, now)
    return told


def _back_to_queue(row: Request) -> None:
    if row.offered_to and row.offered_to not in row.passed:
        row.passed = [*row.passed, row.offered_to]
    row.status, row.offered_to, row.offer_expires_at = "waiting", None, None


def _lapse_offers(uow: UnitOfWork, now: datetime) -> list[Notice]:
    """Offers not accepted in time: the request goes back to the queue (to someone else), the advisor is
    set away — not at their desk — until they say they are available again."""
    lapsed = uow.session.scalars(
        _locked(uow, select(Request).where(Request.status == "offered", Request.offer_expires_at <= now))
    ).all()
    told: list[Notice] = []
    for row in lapsed:
        advisor_id = row.offered_to
        _back_to_queue(row)
        if advisor_id is None:
            continue
        # skipped when the advisor's row is locked: they are changing their presence themselves (locks go
        # advisor first, then requests, everywhere else — waiting here could deadlock)
        presence = uow.session.scalars(
            _locked(uow, select(Presence).where(Presence.advisor_id == advisor_id))
        ).first()
        if presence is not None and presence.status == "available":
            presence.status, presence.changed_at = "away", now
        told.append(
            (notices.advisor(advisor_id), {"type": "offer_lapsed", "request_id": row.id, "status": "away"})
        )
    return told


def _sweep_silent(uow: UnitOfWork, settings: LiveSettings, now: datetime) -> list[Notice]:
    """Advisors whose heartbeats stopped (a closed laptop, a lost network) are offline: their pending offer
    goes to the next advisor."""
    silent_since = now - timedelta(seconds=settings.presence_window_seconds)
    silent = uow.session.scalars(
        _locked(
            uow, select(Presence).where(Presence.status != "offline", Presence.heartbeat_at < silent_since)
        )
    ).all()
    told: list[Notice] = []
    for presence in silent:
        presence.status, presence.changed_at, presence.connection_id = "offline", now, None
        told += release_offers(uow, presence.advisor_id)
    if silent:
        told.append((notices.ADVISORS, {"type": "presence"}))
    return told


def release_offers(uow: UnitOfWork, advisor_id: str) -> list[Notice]:
    """An advisor who left: the offers they held go back to the queue, to someone else."""
    told: list[Notice] = []
    for row in uow.session.scalars(
        select(Request).where(Request.offered_to == advisor_id, Request.status == "offered").with_for_update()
    ).all():
        _back_to_queue(row)
        told.append((notices.request(row.id), {"type": "queue"}))
    return told


def _wait_out(uow: UnitOfWork, settings: LiveSettings, now: datetime) -> list[Notice]:
    """Requests nobody took within the waiting time end: their page offers the next live slots."""
    cutoff = now - timedelta(minutes=settings.waiting_minutes)
    stale = uow.session.scalars(
        _locked(uow, select(Request).where(Request.status == "waiting", Request.created_at < cutoff))
    ).all()
    told: list[Notice] = []
    for row in stale:
        row.status, row.ended_at = "unanswered", now
        uow.record(_unanswered(row, "timeout"))
        told.append((notices.request(row.id), {"type": "unanswered"}))
    return told


def _offer(uow: UnitOfWork, settings: LiveSettings, now: datetime) -> list[Notice]:
    waiting = uow.session.scalars(
        _locked(
            uow, select(Request).where(Request.status == "waiting").order_by(Request.created_at).limit(200)
        )
    ).all()
    if not waiting:
        return []
    service_id, _ = queue.live_service(uow, settings)
    on_duty = {d.advisor_id: d for d in appointments.on_duty(uow, service_id, now)}
    if not on_duty:
        return []
    fresh = now - timedelta(seconds=settings.presence_window_seconds)
    present = uow.session.scalars(
        _locked(
            uow,
            select(Presence).where(
                Presence.status == "available",
                Presence.heartbeat_at >= fresh,
                Presence.advisor_id.in_(list(on_duty)),
            ),
        )
    ).all()
    # read once the advisors' rows are locked: an offer another router made to one of them is committed
    # before its lock is released, so it is seen here
    holding = set(uow.session.scalars(select(Request.offered_to).where(Request.status == "offered")))
    candidates = [
        policies.Candidate(p.advisor_id, on_duty[p.advisor_id].languages, p.idle_since)
        for p in present
        if p.advisor_id not in holding
    ]
    by_id = {r.id: r for r in waiting}
    told: list[Notice] = []
    expires = now + timedelta(seconds=settings.claim_seconds)
    chosen = policies.match(
        [policies.Waiting(r.id, r.language, r.created_at, tuple(r.passed)) for r in waiting], candidates
    )
    for request_id, advisor_id in chosen:
        row = by_id[request_id]
        row.status, row.offered_to, row.offer_expires_at = "offered", advisor_id, expires
        told.append((notices.advisor(advisor_id), {"type": "offer", **offer_view(row, now)}))
    if chosen:
        told.append((notices.ADVISORS, {"type": "queue"}))
    told += [(notices.request(r.id), {"type": "queue"}) for r in waiting]
    return told


def offer_view(row: Request, now: datetime) -> dict[str, object]:
    return {
        "request_id": row.id,
        "topic": row.topic,
        "language": row.language,
        "customer_id": row.customer_id if row.share_profile else None,  # their profile: with their consent
        "visitor_name": row.visitor_name,
        "waited_seconds": int((now - row.created_at).total_seconds()),
        "expires_at": row.offer_expires_at.isoformat() if row.offer_expires_at else None,
    }


def accept(
    uow: UnitOfWork, advisor_id: str, request_id: str, settings: LiveSettings, now: datetime
) -> tuple[Session, list[Notice]]:
    """The advisor takes the customer: a session starts, the advisor is busy. Refused (409) when the
    offer went to someone else, lapsed, or the customer left meanwhile."""
    presence = queue.presence_row(uow, advisor_id, lock=True)  # the advisor's row first, then the request's
    row = queue.load(uow, request_id, lock=True)
    if row.status != "offered" or row.offered_to != advisor_id:
        raise Conflict("This customer is no longer offered to you.", slug="offer-gone")
    if policies.offer_lapsed(row.offer_expires_at, now):
        raise Conflict("The offer lapsed: the customer was offered to someone else.", slug="offer-gone")
    service_id, _ = queue.live_service(uow, settings)
    duty = {d.advisor_id: d for d in appointments.on_duty(uow, service_id, now)}.get(advisor_id)
    advisor = appointments.get_advisor(uow, advisor_id)
    session = Session(
        id=new_id("lse"),
        request_id=row.id,
        advisor_id=advisor_id,
        advisor_name=advisor.name,
        shop_id=duty.place_id if duty else (advisor.place_ids[0] if advisor.place_ids else None),
        customer_id=row.customer_id,
        topic=row.topic,
        language=row.language,
        status="active",
        postcode=row.postcode,
        profile_shared=row.share_profile,
        recommended=[],
        order_ids=[],
        started_at=now,
    )
    uow.session.add(session)
    row.status, row.session_id, row.offer_expires_at = "accepted", session.id, None
    if presence is not None:
        presence.status, presence.session_id, presence.changed_at = "busy", session.id, now
    uow.record(
        SessionStarted(
            session_id=session.id,
            request_id=row.id,
            advisor_id=advisor_id,
            shop_id=session.shop_id,
            customer_id=row.customer_id,
            topic=row.topic,
            language=row.language,
            channel=row.channel,
            waited_seconds=int((now - row.created_at).total_seconds()),
        )
    )
    told: list[Notice] = [
        (
            notices.request(row.id),
            {"type": "session", "session_id": session.id, "advisor_name": advisor.name},
        ),
        (notices.ADVISORS, {"type": "queue"}),
    ]
    return session, told


def decline(
    uow: UnitOfWork, advisor_id: str, request_id: str, settings: LiveSettings, now: datetime
) -> list[Notice]:
    """The advisor lets this customer go to someone else (they stay available for the next)."""
    row = queue.load(uow, request_id, lock=True)
    if row.status != "offered" or row.offered_to != advisor_id:
        raise Conflict("This customer is no longer offered to you.", slug="offer-gone")
    _back_to_queue(row)
    return [(notices.request(row.id), {"type": "queue"}), *route(uow, settings, now)]
