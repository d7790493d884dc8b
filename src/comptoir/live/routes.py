"""live: the HTTP API of talk-now calls and video sessions (the WebSockets are in :mod:`.sockets`).

Who may call: a customer's page — the channel's publishable key, with the customer token when signed in —
asks to talk and then acts with the request's ticket (``X-Live-Ticket``); the live service's advisors (staff
people) set their presence, take offers and run sessions; supervisors (back office, administrators, shop
managers for their shops) watch the queue and reach any session. Every change that someone's screen shows
is published on the hub once committed.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Depends, Header, Path, Response

from comptoir.core.access import Role
from comptoir.core.api import PROBLEM_RESPONSES, RequestContext, allow
from comptoir.core.errors import Forbidden, Unavailable
from comptoir.live import media, service, tickets
from comptoir.live.hubs import publish
from comptoir.live.schemas import (
    BasketIn,
    BasketOut,
    ChatIn,
    ItemIn,
    MessageIn,
    NotesIn,
    OfferOut,
    PresenceIn,
    PresenceOut,
    ProductCard,
    PushIn,
    RequestOut,
    SessionOut,
    TalkNowIn,
)

router = APIRouter(prefix="/v1/live", tags=["live"], responses=PROBLEM_RESPONSES)
ADVISING = service.ADVISING
Shopper = Annotated[RequestContext, Depends(allow("live", "write", "publishable", "customer"))]
Advisor = Annotated[RequestContext, Depends(allow("live", "write", "staff", roles=ADVISING))]
Supervisor = Annotated[
    RequestContext,
    Depends(
        allow("live", "read", "staff", "secret", roles=(Role.SHOP_MANAGER, Role.BACK_OFFICE, Role.ADMIN))
    ),
]
Either = Annotated[
    RequestContext, Depends(allow("live", "write", "publishable", "customer", "staff", roles=ADVISING))
]
Ticket = Annotated[str | None, Header(alias=tickets.HEADER, description="The ticket given with the request")]
Id = Annotated[str, Path(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_-]+$")]


def _claims(ctx: RequestContext, ticket: str | None) -> dict[str, Any]:
    claims = tickets.read(ctx.settings.secret_key, ticket)
    if ctx.actor.kind == "customer" and claims.get("sub") not in (None, ctx.actor.customer_id):
        raise Forbidden("This ticket is another customer's.", slug="other-customer")
    return claims


def _claims_if_shopper(ctx: RequestContext, ticket: str | None) -> dict[str, Any] | None:
    return _claims(ctx, ticket) if ctx.actor.kind in ("publishable", "customer") else None


def _me(ctx: RequestContext) -> str:
    assert ctx.actor.staff_id is not None  # the policy admits staff people only
    return ctx.actor.staff_id


@router.post(
    "/requests", status_code=201, summary="Ask to talk now (answers the ticket, or the next live slots)"
)
def ask(body: TalkNowIn, ctx: Shopper) -> RequestOut:
    with ctx.uow() as uow:
        out, told = service.ask(uow, body, ctx.actor, ctx.settings)
        uow.commit()
    publish(ctx.state, told)
    return out


@router.get("/requests/{request_id}", summary="Where the request stands: place in the queue, wait, session")
def request_state(request_id: Id, ctx: Shopper, ticket: Ticket = None) -> RequestOut:
    claims = _claims(ctx, ticket)
    with ctx.reader() as uow:
        return service.request_state(uow, request_id, claims)


@router.delete("/requests/{request_id}", status_code=204, summary="Give up waiting")
def cancel(request_id: Id, ctx: Shopper, ticket: Ticket = None) -> Response:
    claims = _claims(ctx, ticket)
    with ctx.uow() as uow:
        told = service.cancel(uow, request_id, claims)
        uow.commit()
    publish(ctx.state, told)
    return Response(status_code=204)


@router.post("/requests/{request_id}/message", status_code=204, summary="Leave a message instead of waiting")
def leave_message(request_id: Id, body: MessageIn, ctx: Shopper, ticket: Ticket = None) -> Response:
    claims = _claims(ctx, ticket)
    with ctx.uow() as uow:
        told = service.leave_message(uow, request_id, claims, body.message, body.contact)
        uow.commit()
    publish(ctx.state, told)
    return Response(status_code=204)


@router.put("/presence/me", summary="The advisor's presence: available, away or offline")
def set_presence(body: PresenceIn, ctx: Advisor) -> PresenceOut:
    with ctx.uow() as uow:
        out, told = service.set_presence(uow, _me(ctx), body.status)
        uow.commit()
    publish(ctx.state, told)
    return out


@router.get("/offers/me", summary="The customers offered to the advisor now")
def my_offers(ctx: Advisor) -> list[OfferOut]:
    with ctx.reader() as uow:
        return service.offers_for(uow, _me(ctx))


@router.get("/queue", summary="Requests waiting or offered, and the advisors present")
def queue_view(ctx: Supervisor) -> dict[str, Any]:
    with ctx.reader() as uow:
        return service.queue_view(uow)


@router.post(
    "/requests/{request_id}/accept", status_code=201, summary="Take the customer offered: a session starts"
)
def accept(request_id: Id, ctx: Advisor) -> SessionOut:
    with ctx.uow() as uow:
        out, told = service.accept(uow, _me(ctx), request_id)
        uow.commit()
    publish(ctx.state, told)
    try:
        out.media = service.media_for(out.id, "advisor", out.advisor_name)
    except Unavailable:  # the session is taken all the same: the console asks for its video again
        out.media = None
    return out


@router.post(
    "/requests/{request_id}/decline", status_code=204, summary="Let the customer go to another advisor"
)
def decline(request_id: Id, ctx: Advisor) -> Response:
    with ctx.uow() as uow:
        told = service.decline(uow, _me(ctx), request_id)
        uow.commit()
    publish(ctx.state, told)
    return Response(status_code=204)


@router.get("/sessions/{session_id}", summary="A session, its products and report, and how to join its video")
def get_session(session_id: Id, ctx: Either, ticket: Ticket = None) -> SessionOut:
    claims = _claims_if_shopper(ctx, ticket)
    with ctx.reader() as uow:
        return service.get_session(uow, session_id, ctx.actor, claims)


@router.post(
    "/sessions/{session_id}/pushes", status_code=201, summary="Show a product on the customer's screen"
)
def push(session_id: Id, body: PushIn, ctx: Advisor) -> ProductCard:
    with ctx.uow() as uow:
        card, told = service.push(uow, session_id, ctx.actor, body.sku, ctx.settings)
        uow.commit()
    publish(ctx.state, told)
    return card


@router.post(
    "/sessions/{session_id}/items",
    status_code=204,
    summary="The customer compared, wished or added a product",
)
def note_item(session_id: Id, body: ItemIn, ctx: Either, ticket: Ticket = None) -> Response:
    claims = _claims_if_shopper(ctx, ticket)
    with ctx.uow() as uow:
        told = service.note_item(uow, session_id, ctx.actor, claims, body.sku, body.kind, body.cart_id)
        uow.commit()
    publish(ctx.state, told)
    return Response(status_code=204)


@router.put("/sessions/{session_id}/notes", summary="The advisor's notes and recommended products")
def set_notes(session_id: Id, body: NotesIn, ctx: Advisor) -> SessionOut:
    with ctx.uow() as uow:
        out = service.set_notes(uow, session_id, ctx.actor, body.notes, body.recommended)
        uow.commit()
    return out


@router.post("/sessions/{session_id}/chat", status_code=204, summary="A chat message to the other side")
def chat(session_id: Id, body: ChatIn, ctx: Either, ticket: Ticket = None) -> Response:
    claims = _claims_if_shopper(ctx, ticket)
    with ctx.uow() as uow:
        told = service.chat(uow, session_id, ctx.actor, claims, body.text)
        uow.commit()
    publish(ctx.state, told)
    return Response(status_code=204)


@router.post("/sessions/{session_id}/end", summary="End the session: its report is written")
def end(session_id: Id, ctx: Either, after: BackgroundTasks, ticket: Ticket = None) -> SessionOut:
    claims = _claims_if_shopper(ctx, ticket)
    with ctx.uow() as uow:
        out, told = service.end_session(uow, session_id, ctx.actor, claims)
        uow.commit()
    publish(ctx.state, told)
    after.add_task(media.end_room, out.id)  # committed: the media server's room goes, after the answer
    return out


@router.post(
    "/sessions/{session_id}/basket", status_code=201, summary="A basket for the customer, as a checkout link"
)
def basket(session_id: Id, body: BasketIn, ctx: Advisor) -> BasketOut:
    with ctx.uow() as uow:
        out, told = service.basket_link(uow, session_id, ctx.actor, body.lines, ctx.settings)
        uow.commit()
    publish(ctx.state, told)
    return out
