"""live: the operations behind :mod:`comptoir.live.service` — each reads the clock and the settings once,
checks who is acting, and returns what to answer and what to tell (notices, published after commit)."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select

from comptoir.core import clock
from comptoir.core.context import Actor
from comptoir.core.errors import InvalidInput, NotFound
from comptoir.core.settings import Settings
from comptoir.core.uow import UnitOfWork
from comptoir.live import baskets, media, presence, queue, routing, sessions, tickets
from comptoir.live.config import LiveSettings, live_settings
from comptoir.live.models import Request
from comptoir.live.notices import Notice
from comptoir.live.schemas import (
    BasketLine,
    BasketOut,
    MediaOut,
    OfferOut,
    PresenceOut,
    ProductCard,
    RequestOut,
    SessionOut,
    TalkNowIn,
)

Told = list[Notice]
log = logging.getLogger("comptoir.live")


def ask(uow: UnitOfWork, command: TalkNowIn, actor: Actor, settings: Settings) -> tuple[RequestOut, Told]:
    """A customer asks to talk now; the answer carries their ticket (and the live slots when closed)."""
    live, now = live_settings(), clock.now()
    customer_id = actor.customer_id if actor.kind == "customer" else None
    row = queue.ask(
        uow,
        command,
        live,
        customer_id=customer_id,
        channel=command.origin,
        postcode=command.postcode,
        now=now,
    )
    told = routing.route(uow, live, now) if row.status == "waiting" else []
    out = queue.state(uow, row, live, now)
    out.ticket = tickets.issue(settings.secret_key, row.id, customer_id, live.ticket_hours)
    return out, told


def _own_request(uow: UnitOfWork, request_id: str, claims: dict[str, Any], *, lock: bool = False) -> Request:
    if claims.get("req") != request_id:
        raise NotFound(f"Live request {request_id} does not exist.")
    return queue.load(uow, request_id, lock=lock)


def request_state(uow: UnitOfWork, request_id: str, claims: dict[str, Any]) -> RequestOut:
    return queue.state(uow, _own_request(uow, request_id, claims), live_settings(), clock.now())


def cancel(uow: UnitOfWork, request_id: str, claims: dict[str, Any]) -> Told:
    now = clock.now()
    told = queue.cancel(uow, _own_request(uow, request_id, claims, lock=True), now)
    return told + routing.route(uow, live_settings(), now)


def leave_message(
    uow: UnitOfWork, request_id: str, claims: dict[str, Any], message: str, contact: str
) -> Told:
    row = _own_request(uow, request_id, claims, lock=True)
    return queue.leave_message(uow, row, message, contact, clock.now())


def set_presence(
    uow: UnitOfWork, advisor_id: str, status: str, connection_id: str | None = None
) -> tuple[PresenceOut, Told]:
    return presence.set_status(uow, advisor_id, status, connection_id, live_settings(), clock.now())


def heartbeat(uow: UnitOfWork, advisor_id: str, connection_id: str) -> bool:
    return presence.heartbeat(uow, advisor_id, connection_id, clock.now())


def disconnected(uow: UnitOfWork, advisor_id: str, connection_id: str) -> Told:
    return presence.disconnected(uow, advisor_id, connection_id, live_settings(), clock.now())


def offers_for(uow: UnitOfWork, advisor_id: str) -> list[OfferOut]:
    now = clock.now()
    return [OfferOut(**routing.offer_view(r, now)) for r in queue.offers_of(uow, advisor_id)]


def queue_view(uow: UnitOfWork) -> dict[str, Any]:
    """The consoles' view of the queue: requests waiting or offered (oldest first) and who is present."""
    from comptoir.live.models import Presence

    now = clock.now()
    rows = uow.session.scalars(
        select(Request)
        .where(Request.status.in_(("waiting", "offered")))
        .order_by(Request.created_at)
        .limit(200)
    ).all()
    present = uow.session.scalars(select(Presence).where(Presence.status != "offline")).all()
    return {
        "requests": [
            {**routing.offer_view(r, now), "status": r.status, "offered_to": r.offered_to} for r in rows
        ],
        "advisors": [presence.view(p, True).model_dump(mode="json") for p in present],
    }


def route(uow: UnitOfWork) -> Told:
    return routing.route(uow, live_settings(), clock.now())


def accept(uow: UnitOfWork, advisor_id: str, request_id: str) -> tuple[SessionOut, Told]:
    row, told = routing.accept(uow, advisor_id, request_id, live_settings(), clock.now())
    uow.session.flush()
    return sessions.out(uow, row), told


def decline(uow: UnitOfWork, advisor_id: str, request_id: str) -> Told:
    return routing.decline(uow, advisor_id, request_id, live_settings(), clock.now())


def session_side(uow: UnitOfWork, session_id: str, actor: Actor, ticket_claims: dict[str, Any] | None) -> str:
    row = sessions.load(uow, session_id)
    return sessions.side_of(row, actor, ticket_claims.get("req") if ticket_claims else None)


def get_session(uow: UnitOfWork, session_id: str, actor: Actor, claims: dict[str, Any] | None) -> SessionOut:
    row = sessions.load(uow, session_id)
    side = sessions.side_of(row, actor, claims.get("req") if claims else None)
    out = sessions.out(uow, row, side)
    out.media = media_for(row.id, side, row.advisor_name if side == "advisor" else "")
    return out


def media_for(session_id: str, side: str, name: str, settings: LiveSettings | None = None) -> MediaOut:
    live = settings or live_settings()
    return media.provider(live).join(f"live-{session_id}", f"{side}-{session_id}", name or side, clock.now())


def push(
    uow: UnitOfWork, session_id: str, actor: Actor, sku: str, settings: Settings
) -> tuple[ProductCard, Told]:
    row = sessions.load(uow, session_id)
    if sessions.side_of(row, actor, None) != "advisor":
        raise NotFound(f"Live session {session_id} does not exist.")
    try:
        return sessions.push(uow, row, sku, settings, clock.now())
    except InvalidInput:  # refused, the session goes on; logged for the advisor's support
        log.warning("live push refused", extra={"session_id": session_id, "sku": sku[:64]})
        raise


def note_item(
    uow: UnitOfWork,
    session_id: str,
    actor: Actor,
    claims: dict[str, Any] | None,
    sku: str,
    kind: str,
    cart_id: str | None,
) -> Told:
    row = sessions.load(uow, session_id, lock=True)
    side = sessions.side_of(row, actor, claims.get("req") if claims else None)
    return sessions.note_item(uow, row, sku, kind, side, cart_id, clock.now())


def set_notes(
    uow: UnitOfWork, session_id: str, actor: Actor, notes: str, recommended: list[str]
) -> SessionOut:
    row = sessions.load(uow, session_id, lock=True)
    if sessions.side_of(row, actor, None) != "advisor":
        raise NotFound(f"Live session {session_id} does not exist.")
    sessions.set_notes(uow, row, notes, recommended, clock.now())
    uow.session.flush()
    return sessions.out(uow, row)


def chat(uow: UnitOfWork, session_id: str, actor: Actor, claims: dict[str, Any] | None, text: str) -> Told:
    row = sessions.load(uow, session_id)
    side = sessions.side_of(row, actor, claims.get("req") if claims else None)
    return sessions.chat(uow, row, side, text, clock.now())


def end_session(
    uow: UnitOfWork, session_id: str, actor: Actor, claims: dict[str, Any] | None
) -> tuple[SessionOut, Told]:
    row = sessions.load(uow, session_id, lock=True)
    side = sessions.side_of(row, actor, claims.get("req") if claims else None)
    told = sessions.end(uow, row, clock.now())
    told += routing.route(uow, live_settings(), clock.now())
    uow.session.flush()
    return sessions.out(uow, row, side), told


def basket_link(
    uow: UnitOfWork, session_id: str, actor: Actor, lines: list[BasketLine], settings: Settings
) -> tuple[BasketOut, Told]:
    """The advisor's basket for the customer, as a signed checkout link shown on the customer's page."""
    row = sessions.load(uow, session_id)
    if sessions.side_of(row, actor, None) != "advisor":
        raise NotFound(f"Live session {session_id} does not exist.")
    return baskets.make(uow, row, lines, settings.secret_key, settings.base_url, clock.now())
