"""The advisor's live console (``/seller/live``): presence, the customers offered (accept or decline before
the claim runs out), the queue, then the video session — the advisor's camera (the advisor makes the WebRTC
offer), products found in the catalogue and pushed to the customer's screen, what the customer does with
them, the customer's 360° when they are known, notes and recommendations, the chat and the end.

Presence, offers and signalling travel on the console's WebSocket (``/v1/live/ws/advisor``, the pages'
staff cookie); the page's other calls come here, carry the page's CSRF token and go to
``comptoir.live.service``. Notices are published on the hub once committed, as the live API does.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import JSONResponse, Response

from comptoir.catalog import service as catalog_service
from comptoir.catalog.schemas import SearchQuery
from comptoir.core.api import RequestContext
from comptoir.core.errors import Problem
from comptoir.core.web import require_page
from comptoir.live import service as live_service
from comptoir.live.schemas import BasketLine
from comptoir.seller.common import SellerRoute, catalogue_locale, gettext, page_image, problem_message, render

router = APIRouter(prefix="/seller/live", include_in_schema=False, route_class=SellerRoute)
Advisor = Annotated[RequestContext, Depends(require_page("live", "write", roles=live_service.ADVISING))]
Id = Annotated[str, Form(min_length=1, max_length=64)]
LIVE = "live"  # the catalogue's publication channel of live sessions
REPORTED = ("shown", "compared", "added", "wished", "bought", "recommended")


def _me(ctx: RequestContext) -> str:
    assert ctx.actor.staff_id is not None  # the page's policy admits staff people only
    return ctx.actor.staff_id


def _current_session(queue: dict[str, Any], advisor_id: str) -> str | None:
    """The session the advisor is in (their presence says so), to take it up again after a reload."""
    mine = next((a for a in queue["advisors"] if a.get("advisor_id") == advisor_id), None)
    return mine.get("session_id") if mine else None


@router.get("")
def console(request: Request, ctx: Advisor) -> Response:
    """The console: presence, offers, the queue and — once a customer is taken — the session."""
    with ctx.reader() as uow:
        offers = live_service.offers_for(uow, _me(ctx))
        queue = live_service.queue_view(uow)
        session = None
        current = _current_session(queue, _me(ctx))
        if current:
            found = live_service.get_session(uow, current, ctx.actor, None)
            session = found if found.status == "active" else None
    return render(
        request,
        "seller/live.html",
        active="live",
        offers=offers,
        queue=queue,
        session=session,
        heartbeat_seconds=live_service.settings().heartbeat_seconds,
    )


@router.get("/queue")
def queue_fragment(request: Request, ctx: Advisor) -> Response:
    """The queue, read again when the console hears it changed."""
    with ctx.reader() as uow:
        queue = live_service.queue_view(uow)
    return render(request, "seller/live_queue.html", queue=queue)


@router.post("/requests/{request_id}/accept")
def accept(request_id: str, ctx: Advisor) -> JSONResponse:
    """Take the customer offered: the session, how to join its video and the customer's 360° page."""
    with ctx.uow() as uow:
        out, told = live_service.accept(uow, _me(ctx), request_id)
        uow.commit()
    live_service.publish(ctx.state, told)
    out.media = live_service.media_for(out.id, "advisor", out.advisor_name)
    return _session_json(out)


def _session_json(out: Any) -> JSONResponse:
    body = {
        "id": out.id,
        "status": out.status,
        "topic": out.topic,
        "language": out.language,
        "customer_url": f"/seller/customers/{out.customer_id}" if out.customer_id else None,
        "media": out.media.model_dump(mode="json") if out.media else None,
        "chat": out.chat,
    }
    return JSONResponse(body, headers={"Cache-Control": "no-store"})


@router.get("/sessions/{session_id}")
def session_media(session_id: str, ctx: Advisor) -> JSONResponse:
    with ctx.reader() as uow:
        out = live_service.get_session(uow, session_id, ctx.actor, None)
    return _session_json(out)


@router.post("/requests/{request_id}/decline", status_code=204)
def decline(request_id: str, ctx: Advisor) -> Response:
    with ctx.uow() as uow:
        told = live_service.decline(uow, _me(ctx), request_id)
        uow.commit()
    live_service.publish(ctx.state, told)
    return Response(status_code=204)


@router.get("/search")
def search(request: Request, ctx: Advisor, q: str = "") -> Response:
    """Products to push: the catalogue's search (as the seller app's product lookup, over every active
    product — a session may show what is not published on the website), each variant sold."""
    variants: list[Any] = []
    with ctx.reader() as uow:
        query = SearchQuery(q=q.strip()[:200], locale=catalogue_locale(request), status="active", limit=24)
        hits = catalog_service.search(uow, query).hits if q.strip() else []
        skus = catalog_service.skus_of_products(uow, [h.product_id for h in hits])
        wanted = [s for h in hits for s in skus.get(h.product_id, [])][:60]
        found = catalog_service.get_variants(uow, wanted, catalogue_locale(request), channel=LIVE)
        variants = [found[s] for s in wanted if s in found and found[s].sellable]
    return render(request, "seller/live_products.html", q=q, variants=variants, image=page_image)


@router.post("/sessions/{session_id}/push")
def push(request: Request, session_id: str, ctx: Advisor, sku: Id) -> Response:
    """Show a product on the customer's screen."""
    try:
        with ctx.uow() as uow:
            card, told = live_service.push(uow, session_id, ctx.actor, sku, ctx.settings)
            uow.commit()
    except Problem as exc:
        return render(
            request, "seller/live_said.html", status_code=exc.status, message=problem_message(request, exc)
        )
    live_service.publish(ctx.state, told)
    _ = gettext(request)
    return render(
        request, "seller/live_said.html", message=_("Shown to the customer: %(name)s") % {"name": card.name}
    )


@router.post("/sessions/{session_id}/notes")
def notes(
    request: Request,
    session_id: str,
    ctx: Advisor,
    notes: Annotated[str, Form(max_length=10_000)] = "",
    recommended: Annotated[list[str] | None, Form(max_length=50)] = None,
) -> Response:
    """The advisor's notes and the products they recommend (kept for the report and the follow-up)."""
    _ = gettext(request)
    try:
        with ctx.uow() as uow:
            live_service.set_notes(uow, session_id, ctx.actor, notes, [s for s in recommended or [] if s])
            uow.commit()
    except Problem as exc:
        return render(
            request, "seller/live_said.html", status_code=exc.status, message=problem_message(request, exc)
        )
    return render(request, "seller/live_said.html", message=_("Notes saved."))


@router.post("/sessions/{session_id}/basket")
def basket(
    request: Request,
    session_id: str,
    ctx: Advisor,
    sku: Annotated[list[str] | None, Form(max_length=20)] = None,
) -> Response:
    """The ticked products as a basket for the customer: a checkout link shown on their page."""
    _ = gettext(request)
    lines = [BasketLine(sku=s) for s in dict.fromkeys(sku or []) if s]
    if not lines:
        return render(
            request, "seller/live_said.html", status_code=422, message=_("Tick the products first.")
        )
    try:
        with ctx.uow() as uow:
            out, told = live_service.basket_link(uow, session_id, ctx.actor, lines, ctx.settings)
            uow.commit()
    except Problem as exc:
        return render(
            request, "seller/live_said.html", status_code=exc.status, message=problem_message(request, exc)
        )
    live_service.publish(ctx.state, told)
    message = _("The basket is on the customer's screen. Its link, to send again if need be: %(url)s")
    return render(request, "seller/live_said.html", message=message % {"url": out.url})


@router.post("/sessions/{session_id}/chat", status_code=204)
def chat(
    session_id: str, ctx: Advisor, text: Annotated[str, Form(min_length=1, max_length=2000)]
) -> Response:
    with ctx.uow() as uow:
        told = live_service.chat(uow, session_id, ctx.actor, None, text.strip() or text)
        uow.commit()
    live_service.publish(ctx.state, told)
    return Response(status_code=204)


@router.post("/sessions/{session_id}/end")
def end(request: Request, session_id: str, ctx: Advisor) -> Response:
    """End the session: its report (what was shown, added, bought) is written and shown."""
    with ctx.uow() as uow:
        out, told = live_service.end_session(uow, session_id, ctx.actor, None)
        uow.commit()
    live_service.publish(ctx.state, told)
    with ctx.reader() as uow:
        report = out.report or {}
        skus = [s for kind in REPORTED for s in report.get(kind, [])]
        names = {
            s: v.name for s, v in catalog_service.get_variants(uow, skus, catalogue_locale(request)).items()
        }
    return render(request, "seller/live_report.html", session=out, names=names, reported=REPORTED)
