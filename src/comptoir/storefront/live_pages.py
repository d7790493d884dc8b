"""Live shopping (``/shop/live``): the customer talks now with an advisor by video, or books a live slot.

The page acts on the ``live`` channel — a shopper on the live channel, signed in or not — so the request,
the session cart's lines and the order carry ``live``, with the live prices and the images licensed for it.
Asking to talk gives a ticket (signed by the live domain): it is kept in an HttpOnly cookie scoped to this
page and handed to the page's script (``data-ticket``) for the customer's WebSocket; the page's calls
(chat, products compared or wished, the cart, the checkout, the end) carry the storefront's CSRF token and
the ticket, and go to ``comptoir.live.service`` and the carts and orders services — the rules are theirs.

An anonymous shopper's session cart is reached through the same signed cookie (its id and token); a
signed-in customer fills their one cross-channel cart. Notices an operation returns are published on the
hub once its transaction has committed, as the live API does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import ValidationError

from comptoir.carts import service as carts_service
from comptoir.carts.schemas import CartIn, CartOut, LineIn
from comptoir.core import tokens
from comptoir.core.api import RequestContext
from comptoir.core.context import Actor
from comptoir.core.errors import InvalidInput, Problem
from comptoir.core.observability import request_id_var
from comptoir.core.uow import UnitOfWork
from comptoir.live import service as live_service
from comptoir.live.schemas import RequestOut, SessionOut, TalkNowIn
from comptoir.orders import service as orders_service
from comptoir.orders.schemas import AddressIn, CheckoutIn, OrderOut, TenderIn
from comptoir.storefront import checkout_forms as forms
from comptoir.storefront import shopper_cart
from comptoir.storefront.checkout_pages import ORDER_COOKIE, ORDER_PURPOSE, ORDER_TTL
from comptoir.storefront.rendering import ShopRoute, catalog_locale, gettext, pages, problem_message
from comptoir.storefront.session import WEB_SCOPES, Shopper, ShopperContext, remember_cart
from comptoir.storefront.shopper_cart import lines as cart_lines
from comptoir.stores import service as stores_service

router = APIRouter(prefix="/shop/live", include_in_schema=False, route_class=ShopRoute)

CHANNEL = "live"
COOKIE = "comptoir_live"
PURPOSE = "storefront.live"
TICKET_HEADER = "X-Live-Ticket"
TOPICS = ("conseil", "robe", "taille", "cadeau", "commande")
OPEN = ("waiting", "offered")
Text = Annotated[str, Form(max_length=200)]
Sku = Annotated[str, Form(min_length=1, max_length=64)]


@dataclass
class LiveVisit:
    """What the page's signed cookie holds: the request's ticket and, for an anonymous shopper, the
    session cart (its id and token)."""

    ticket: str | None = None
    cart_id: str | None = None
    cart_token: str | None = None


def _on_live(shop: ShopperContext) -> RequestContext:
    """The shopper acting on the live channel: the same person (signed in or not), the live channel's
    prices, images and cart lines."""
    actor = shop.ctx.actor
    live = Actor(
        kind=actor.kind,
        channel=CHANNEL,
        scopes=WEB_SCOPES | {"live:write"},
        customer_id=actor.customer_id,
        request_id=request_id_var.get(),
    )
    return RequestContext(shop.ctx.state, live)


def _visit(request: Request, ctx: RequestContext) -> LiveVisit:
    claims = tokens.verify(ctx.settings.secret_key, PURPOSE, request.cookies.get(COOKIE, ""))
    if not claims:
        return LiveVisit()
    visit = LiveVisit(ticket=claims.get("t"), cart_id=claims.get("c"), cart_token=claims.get("k"))
    sent = request.headers.get(TICKET_HEADER)
    if sent and sent != visit.ticket:  # the page's ticket and this browser's must agree
        return LiveVisit()
    return visit


def _keep(request: Request, response: Response, ctx: RequestContext, visit: LiveVisit) -> Response:
    hours = live_service.settings().ticket_hours
    claims = {"t": visit.ticket, "c": visit.cart_id, "k": visit.cart_token}
    response.set_cookie(
        COOKIE,
        tokens.sign(ctx.settings.secret_key, PURPOSE, claims, hours * 3600),
        max_age=hours * 3600,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/shop/live",
    )
    return response


def _claims(ctx: RequestContext, visit: LiveVisit) -> dict[str, Any]:
    """The ticket's claims (401 when missing or expired); another customer's ticket is refused."""
    claims = live_service.read_ticket(ctx.settings.secret_key, visit.ticket)
    if claims.get("sub") not in (None, ctx.actor.customer_id):
        raise InvalidInput("This ticket is another customer's.", field="ticket")
    return claims


# -- the page ------------------------------------------------------------------------------------------


def _state(ctx: RequestContext, visit: LiveVisit) -> tuple[RequestOut | None, SessionOut | None]:
    if not visit.ticket:
        return None, None
    try:
        claims = _claims(ctx, visit)
        with ctx.reader() as uow:
            state = live_service.request_state(uow, str(claims["req"]), claims)
            session = None
            if state.session_id:
                session = live_service.get_session(uow, state.session_id, ctx.actor, claims)
    except Problem:
        return None, None
    return state, session


def _render(request: Request, shop: ShopperContext, *, status_code: int = 200, **extra: Any) -> Response:
    ctx = _on_live(shop)
    visit = _visit(request, ctx)
    state, session = _state(ctx, visit)
    settings = live_service.settings()
    cart_html = ""
    if session is not None:
        cart_html = _cart_fragment(request, shop, ctx, visit)
    return pages.response(
        request,
        "storefront/live.html",
        status_code=status_code,
        shop=shop,
        state=state,
        session=session,
        ticket=visit.ticket if state is not None else None,
        topics=TOPICS,
        service_code=settings.service_code,
        heartbeat_seconds=settings.heartbeat_seconds,
        cart_html=cart_html,
        values=extra.pop("values", {}),
        errors=extra.pop("errors", {}),
        **extra,
    )


@router.get("", response_class=HTMLResponse)
def live_page(request: Request, shop: Shopper) -> Response:
    """Talk now or book a live slot; once asked: the place in the queue, then the session."""
    return _render(request, shop)


@router.post("/ask", response_model=None)
def ask(
    request: Request,
    shop: Shopper,
    topic: Annotated[str, Form(max_length=64)] = "conseil",
    language: Annotated[str, Form(max_length=2)] = "",
    name: Annotated[str, Form(max_length=120)] = "",
    postcode: Annotated[str, Form(max_length=10)] = "",
    share_profile: Annotated[str, Form(max_length=3)] = "",
) -> Response:
    """Ask to talk now: the ticket is kept for the page, which shows the queue (or the slots). A signed-in
    customer may let the advisor see their account during the call."""
    _ = gettext(request)
    values = {"topic": topic, "language": language, "name": name, "postcode": postcode}
    try:
        command = TalkNowIn(
            topic=topic if topic in TOPICS else "conseil",
            language=language if language in ("fr", "en") else shop.lang,
            name=name.strip(),
            origin="web",
            postcode=postcode.strip() or None,
            share_profile=share_profile == "yes" and shop.signed_in,
        )
    except ValidationError:
        errors = {"postcode": _("Enter a valid postcode.")}
        return _render(request, shop, status_code=422, values=values, errors=errors)
    ctx = _on_live(shop)
    with ctx.uow() as uow:
        out, told = live_service.ask(uow, command, ctx.actor, ctx.settings)
        uow.commit()
    live_service.publish(ctx.state, told)
    response = RedirectResponse("/shop/live", status_code=303)
    return _keep(request, response, ctx, LiveVisit(ticket=out.ticket))


@router.post("/cancel", response_model=None)
def cancel(request: Request, shop: Shopper) -> Response:
    """Give up waiting; the page offers to ask again or to book a slot."""
    ctx = _on_live(shop)
    visit = _visit(request, ctx)
    claims = _claims(ctx, visit)
    with ctx.uow() as uow:
        told = live_service.cancel(uow, str(claims["req"]), claims)
        uow.commit()
    live_service.publish(ctx.state, told)
    return RedirectResponse("/shop/live", status_code=303)


@router.post("/message", response_model=None)
def leave_message(
    request: Request,
    shop: Shopper,
    message: Annotated[str, Form(max_length=2000)] = "",
    contact: Annotated[str, Form(max_length=254)] = "",
) -> Response:
    """Leave a message instead of waiting: an advisor answers by e-mail or phone."""
    _ = gettext(request)
    ctx = _on_live(shop)
    visit = _visit(request, ctx)
    claims = _claims(ctx, visit)
    errors = {}
    if not message.strip():
        errors["message"] = _("Write your message.")
    if len(contact.strip()) < 3:
        errors["contact"] = _("Enter an e-mail address or a phone number.")
    if errors:
        values = {"message": message, "contact": contact}
        return _render(request, shop, status_code=422, values=values, errors=errors)
    with ctx.uow() as uow:
        told = live_service.leave_message(uow, str(claims["req"]), claims, message, contact)
        uow.commit()
    live_service.publish(ctx.state, told)
    return RedirectResponse("/shop/live", status_code=303)


@router.post("/restart", response_model=None)
def restart(request: Request, shop: Shopper) -> Response:
    """Forget this request (ended or answered) to ask again."""
    response = RedirectResponse("/shop/live", status_code=303)
    response.delete_cookie(COOKIE, path="/shop/live", httponly=True, samesite="lax")
    return response


# -- the session: the script's calls -------------------------------------------------------------------


def _session_call(request: Request, shop: ShopperContext) -> tuple[RequestContext, LiveVisit, dict[str, Any]]:
    ctx = _on_live(shop)
    visit = _visit(request, ctx)
    return ctx, visit, _claims(ctx, visit)


@router.get("/sessions/{session_id}")
def session_media(request: Request, shop: Shopper, session_id: str) -> JSONResponse:
    """How the page joins the session's video: the ICE servers (time-limited TURN credentials) and the
    transport policy, with the advisor's name."""
    ctx, _v, claims = _session_call(request, shop)
    with ctx.reader() as uow:
        out = live_service.get_session(uow, session_id, ctx.actor, claims)
    media = out.media.model_dump(mode="json") if out.media else None
    return JSONResponse(
        {
            "id": out.id,
            "status": out.status,
            "advisor_name": out.advisor_name,
            "media": media,
            "chat": out.chat,
        },
        headers={"Cache-Control": "no-store"},
    )


@router.post("/sessions/{session_id}/chat", status_code=204)
def chat(
    request: Request, shop: Shopper, session_id: str, text: Annotated[str, Form(max_length=2000)]
) -> Response:
    ctx, _v, claims = _session_call(request, shop)
    if not text.strip():
        raise InvalidInput("Write a message.", field="text")
    with ctx.uow() as uow:
        told = live_service.chat(uow, session_id, ctx.actor, claims, text.strip())
        uow.commit()
    live_service.publish(ctx.state, told)
    return Response(status_code=204)


@router.post("/sessions/{session_id}/compare", status_code=204)
def compare(request: Request, shop: Shopper, session_id: str, sku: Sku) -> Response:
    """The customer put this product side by side with another: the advisor sees it."""
    ctx, _v, claims = _session_call(request, shop)
    with ctx.uow() as uow:
        told = live_service.note_item(uow, session_id, ctx.actor, claims, sku, "compared", None)
        uow.commit()
    live_service.publish(ctx.state, told)
    return Response(status_code=204)


@router.post("/sessions/{session_id}/wish", response_class=HTMLResponse)
def wish(request: Request, shop: Shopper, session_id: str, sku: Sku) -> Response:
    """Keep the product on the signed-in customer's wishlist (an anonymous shopper is asked to sign in)."""
    _ = gettext(request)
    ctx, _v, claims = _session_call(request, shop)
    if not shop.signed_in:
        return HTMLResponse(_("Sign in to keep products on your wishlist."), status_code=422)
    with ctx.uow() as uow:
        carts_service.add_to_wishlist(uow, str(shop.customer_id), sku, catalog_locale(shop.lang))
        told = live_service.note_item(uow, session_id, ctx.actor, claims, sku, "wished", None)
        uow.commit()
    live_service.publish(ctx.state, told)
    return HTMLResponse(_("Kept on your wishlist."))


def _session_cart(uow: UnitOfWork, shop: ShopperContext, visit: LiveVisit) -> CartOut | None:
    """The cart filled in the session: the signed-in customer's open cart, else the anonymous one this
    page started (reached through the signed cookie only)."""
    if shop.signed_in:
        return carts_service.current_cart(uow)
    if visit.cart_id is None:
        return None
    try:
        cart = carts_service.read_cart(uow, visit.cart_id, visit.cart_token)
    except Problem:
        return None
    return cart if cart.status in ("open", "abandoned") else None


@router.post("/sessions/{session_id}/cart", response_class=HTMLResponse)
def add_to_cart(request: Request, shop: Shopper, session_id: str, sku: Sku) -> Response:
    """Add the product to the session's cart (lines on the live channel); the advisor sees it."""
    ctx, visit, claims = _session_call(request, shop)
    with ctx.uow() as uow:
        cart = _session_cart(uow, shop, visit)
        line = LineIn(sku=sku, quantity=1)
        if cart is None:
            cart, _created = carts_service.create_cart(uow, CartIn(lines=[line]))
            if not shop.signed_in:
                visit.cart_id, visit.cart_token = cart.id, cart.cart_token
        else:
            token = None if shop.signed_in else visit.cart_token
            cart = carts_service.add_line(uow, cart.id, line, cart_token=token)
        told = live_service.note_item(uow, session_id, ctx.actor, claims, sku, "added", cart.id)
        uow.commit()
    live_service.publish(ctx.state, told)
    response = HTMLResponse(_cart_fragment(request, shop, ctx, visit))
    return _keep(request, response, ctx, visit)


def _pickup_places(uow: UnitOfWork) -> list[Any]:
    found = {
        p.id: p
        for p in stores_service.list_places(
            uow, kind="store", service="click_and_collect", status="open", limit=200
        ).items
    }
    return sorted(found.values(), key=lambda p: p.name)


def _cart_fragment(
    request: Request,
    shop: ShopperContext,
    ctx: RequestContext,
    visit: LiveVisit,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    error: str | None = None,
    order: OrderOut | None = None,
) -> str:
    """The session cart with its checkout form (or the order just placed), rendered in the page's
    language with the locale's money format."""
    with ctx.reader() as uow:
        cart = None if order is not None else _session_cart(uow, shop, visit)
        lines = cart_lines(uow, cart, catalog_locale(shop.lang)) if cart is not None else []
        places = _pickup_places(uow) if cart is not None and cart.lines else []
        pickup = (
            stores_service.get_place(uow, order.pickup_place_id) if order and order.pickup_place_id else None
        )
    return pages.render(
        "storefront/live_cart.html",
        lang=shop.lang,
        request=request,
        shop=shop,
        cart=cart,
        lines=lines,
        places=places,
        order=order,
        pickup=pickup,
        values=values or {"mode": "click_and_collect", "card": "tok_visa"},
        errors=errors or {},
        error=error,
        cards=forms.test_cards(gettext(request)),
    )


def _checkout_command(cart: CartOut, values: dict[str, str], request: Request) -> CheckoutIn:
    mode = values["mode"]
    address = None
    if mode == "home_delivery":
        address = AddressIn(
            name=values["name"].strip(),
            line1=values["line1"].strip(),
            postcode=values["postcode"].strip(),
            city=values["city"].strip(),
        )
    return_url = str(request.base_url).rstrip("/") + "/shop/checkout/return"
    return CheckoutIn(
        cart_id=cart.id,
        mode=mode,
        address=address,
        pickup_place_id=values["pickup_place_id"] or None if mode == "click_and_collect" else None,
        tenders=[TenderIn(method="card", details={"card_token": values["card"], "return_url": return_url})],
        email=values["email"].strip() or None,
    )


@router.post("/sessions/{session_id}/checkout", response_class=HTMLResponse)
def checkout(
    request: Request,
    shop: Shopper,
    session_id: str,
    mode: Annotated[str, Form(max_length=40)] = "",
    pickup_place_id: Annotated[str, Form(max_length=64)] = "",
    name: Text = "",
    line1: Text = "",
    postcode: Annotated[str, Form(max_length=16)] = "",
    city: Text = "",
    email: Annotated[str, Form(max_length=254)] = "",
    card: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    """Check out the session's cart without leaving the call: click & collect or home delivery, paid by
    card; the order is the live channel's and is credited to the session."""
    _ = gettext(request)
    ctx, visit, _c = _session_call(request, shop)
    values = {"mode": mode, "pickup_place_id": pickup_place_id, "name": name, "line1": line1,
              "line2": "", "postcode": postcode, "city": city, "email": email, "card": card}  # fmt: skip
    errors = forms.check(values, signed_in=shop.signed_in, gettext=_) if mode != "reserve_and_collect" else {}
    if mode == "reserve_and_collect":
        errors = {"mode": forms.messages(_)["mode"]}
    fragment: dict[str, Any] = {"values": values, "errors": errors}
    order = None
    with ctx.uow() as uow:
        cart = _session_cart(uow, shop, visit)
        if cart is not None and cart.lines and not errors:
            try:
                order = orders_service.checkout(
                    uow, _checkout_command(cart, values, request), cart_token=visit.cart_token
                )
                uow.commit()
            except ValidationError as invalid:
                fragment["errors"] = forms.validation_errors(invalid, _)
            except Problem as problem:
                uow.rollback()
                field = forms.field_of(problem)
                message = problem_message(request, problem)
                fragment["errors"] = {field: message} if field else {}
                fragment["error"] = None if field else message
    if order is None:
        html = _cart_fragment(request, shop, ctx, visit, **fragment)
        return HTMLResponse(html, status_code=422 if fragment["errors"] or fragment.get("error") else 200)
    response = HTMLResponse(_cart_fragment(request, shop, ctx, visit, order=order))
    response.set_cookie(  # the order's pages (3-D Secure, confirmation) reach it from this browser
        ORDER_COOKIE,
        tokens.sign(ctx.settings.secret_key, ORDER_PURPOSE, {"order": order.id}, ORDER_TTL),
        max_age=ORDER_TTL,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/shop",
    )
    visit.cart_id = visit.cart_token = None
    return _keep(request, response, ctx, visit)


@router.post("/sessions/{session_id}/end", status_code=204)
def end(request: Request, shop: Shopper, session_id: str) -> Response:
    """The customer hangs up: the session's report is written, the advisor is free again."""
    ctx, _v, claims = _session_call(request, shop)
    with ctx.uow() as uow:
        _out, told = live_service.end_session(uow, session_id, ctx.actor, claims)
        uow.commit()
    live_service.publish(ctx.state, told)
    return Response(status_code=204)


@router.get("/basket/{token}", response_model=None)
def open_basket(request: Request, shop: Shopper, token: str) -> Response:
    """The advisor's checkout link: the basket's lines go into the opener's cart (on the live channel, the
    session's from now on), then the cart and its checkout. A forged or expired link answers 404."""
    session_id, lines = live_service.read_basket(shop.ctx.settings.secret_key, token)
    ctx = _on_live(shop)
    new_token = None
    with ctx.uow() as uow:
        cart = None
        for line in lines:
            cart, started = shopper_cart.add(uow, shop, line.sku, line.quantity)
            if started:  # the first line started an anonymous cart: the others go in it
                new_token = started
                shop = ShopperContext(shop.ctx, started, shop.lang)
        if cart is not None:
            live_service.basket_filled(uow, session_id, cart.id)
        uow.commit()
    response = RedirectResponse("/shop/cart", status_code=303)
    if new_token:
        remember_cart(response, new_token, request)
    return response
