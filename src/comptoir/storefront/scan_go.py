"""Scan & go (``/shop/scan/<shop>``): the shopper scans items in a shop with their phone, pays in the
page and leaves with an exit pass (a signed QR code) that the seller app checks at the door.

A card whose bank asks for 3-D Secure is confirmed in the page (the bank's challenge in a frame, the sale
watched until the orders domain settles it); a failed confirmation brings the basket back, unpaid. Until
the bank answers, the scan page shows the waiting payment and starts no new basket (which would lose the
link to the sale).

The cart is bound to the shop (started on its ``store:<id>`` channel: the shop's prices, the shop's stock)
and reached only through a signed cookie holding its id and token, so no other shopper reaches it. The
sale is the shop's store sale, taken by the orders domain's checkout; the pass is the orders domain's.
"""

import re
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup
from pydantic import ValidationError

from comptoir.carts import service as carts_service
from comptoir.carts.schemas import CartIn, CartOut, LineIn
from comptoir.catalog import service as catalog_service
from comptoir.catalog.schemas import SearchQuery, VariantSummary
from comptoir.core import tokens
from comptoir.core.api import RequestContext
from comptoir.core.context import Actor
from comptoir.core.errors import Problem
from comptoir.core.observability import request_id_var
from comptoir.core.uow import UnitOfWork
from comptoir.inventory import service as inventory_service
from comptoir.orders import service as orders_service
from comptoir.orders.schemas import CheckoutIn, OrderOut, TenderIn
from comptoir.storefront.rendering import ShopRoute, catalog_locale, pages
from comptoir.storefront.session import WEB_SCOPES, Shopper, ShopperContext
from comptoir.stores import service as stores_service
from comptoir.stores.schemas import PlaceOut

router = APIRouter(prefix="/shop/scan", include_in_schema=False, route_class=ShopRoute)

COOKIE = "comptoir_scan_go"
PURPOSE = "storefront.scan_go"
SESSION_SECONDS = 12 * 3600
GTIN_RE = re.compile(r"^\d{8}$|^\d{12,14}$")
# The sandbox's test cards (a real provider's card form gives such a token).
TEST_CARDS = ("tok_visa", "tok_mastercard", "tok_3ds", "tok_declined")


@dataclass
class ScanSession:
    """What the signed cookie holds: the shop's cart (id and token) and, once paid, its order."""

    shop_id: str
    cart_id: str | None = None
    cart_token: str | None = None
    order_id: str | None = None


class ScanProblem(Exception):
    """A refusal shown in the page, in its language (``code`` picks the message)."""

    def __init__(self, code: str, **values: Any) -> None:
        super().__init__(code)
        self.code = code
        self.values = values


def _session(request: Request, ctx: RequestContext, shop_id: str) -> ScanSession:
    claims = tokens.verify(ctx.settings.secret_key, PURPOSE, request.cookies.get(COOKIE, ""))
    if not claims or claims.get("s") != shop_id:
        return ScanSession(shop_id=shop_id)
    return ScanSession(
        shop_id=shop_id, cart_id=claims.get("c"), cart_token=claims.get("t"), order_id=claims.get("o")
    )


def _keep(request: Request, response: Response, ctx: RequestContext, session: ScanSession) -> Response:
    claims = {"s": session.shop_id, "c": session.cart_id, "t": session.cart_token, "o": session.order_id}
    value = tokens.sign(ctx.settings.secret_key, PURPOSE, claims, SESSION_SECONDS)
    response.set_cookie(
        COOKIE,
        value,
        max_age=SESSION_SECONDS,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/shop/scan",
    )
    return response


def _in_shop(ctx: RequestContext, shop_id: str) -> RequestContext:
    """The shopper acting on the shop's channel: its prices, its stock, its till. The cart stays
    anonymous (reached through the signed cookie only), so a signed-in shopper's web cart is untouched;
    the sale is linked to them at checkout."""
    actor = Actor(
        kind="public", channel=f"store:{shop_id}", scopes=WEB_SCOPES, request_id=request_id_var.get()
    )
    return RequestContext(ctx.state, actor)


def _shop(uow: UnitOfWork, shop_id: str) -> PlaceOut:
    place = stores_service.get_places(uow, [shop_id]).get(shop_id)
    if place is None or place.kind != "store" or place.status != "open":
        raise ScanProblem("no_shop")
    return place


def _open_cart(uow: UnitOfWork, session: ScanSession) -> CartOut | None:
    if session.cart_id is None:
        return None
    try:
        cart = carts_service.read_cart(uow, session.cart_id, session.cart_token)
    except Problem:
        return None
    return cart if cart.status in ("open", "abandoned") and cart.store_id == session.shop_id else None


def variant_for_gtin(uow: UnitOfWork, gtin: str, locale: str) -> VariantSummary:
    """The sellable variant with this barcode (the catalogue's search indexes GTINs), else a refusal."""
    code = gtin.strip()
    if not GTIN_RE.match(code):
        raise ScanProblem("bad_gtin", gtin=code)
    found = catalog_service.search(uow, SearchQuery(q=code, locale=locale, limit=5))
    skus = catalog_service.skus_of_products(uow, [hit.product_id for hit in found.hits])
    variants = catalog_service.get_variants(uow, [s for group in skus.values() for s in group], locale)
    variant = next((v for v in variants.values() if v.gtin == code), None)
    if variant is None:
        raise ScanProblem("unknown_gtin", gtin=code)
    if not variant.sellable:
        raise ScanProblem("not_for_sale", name=variant.name)
    return variant


def _check_stock(uow: UnitOfWork, shop_id: str, sku: str, name: str, quantity: int) -> None:
    available = inventory_service.stock_level(uow, sku, shop_id).available
    if available < quantity:
        raise ScanProblem("no_stock", name=name, available=available)


def _view(uow: UnitOfWork, lang: str, store: PlaceOut, cart: CartOut | None) -> dict[str, Any]:
    lines: list[dict[str, Any]] = []
    if cart is not None and cart.lines:
        variants = catalog_service.get_variants(uow, [line.sku for line in cart.lines], catalog_locale(lang))
        priced = {p.line_id: p for p in (cart.priced.lines if cart.priced else [])}
        for line in cart.lines:
            variant = variants.get(line.sku)
            p = priced.get(line.line_id)
            lines.append(
                {
                    "id": line.line_id,
                    "name": variant.name if variant else line.sku,
                    "detail": " · ".join(x for x in (variant.colour, variant.size) if x) if variant else "",
                    "image_url": variant.image_url if variant else None,
                    "quantity": line.quantity,
                    "unit_price": p.unit_price if p else None,
                    "total": p.total if p else None,
                }
            )
    return {"store": store, "cart": cart, "lines": lines, "priced": cart.priced if cart else None}


def _render(
    request: Request,
    shopper: ShopperContext,
    shop_id: str,
    *,
    problem: ScanProblem | None = None,
    session: ScanSession | None = None,
    sale: OrderOut | None = None,
    status: int | None = None,
) -> HTMLResponse:
    """The scan page. ``session`` and ``sale``: the session and its sale as the caller has just read
    them (:func:`_session_sale`; ``sale`` None: it has none), else read here."""
    ctx = shopper.ctx
    known = session is not None
    session = session or _session(request, ctx, shop_id)
    with _in_shop(ctx, shop_id).reader() as uow:
        try:
            store = _shop(uow, shop_id)
        except ScanProblem:
            return pages.response(request, "storefront/scan/no_shop.html", status_code=404, shop=shopper)
        context = _view(uow, shopper.lang, store, _open_cart(uow, session))
        if not known:
            sale = _paid_sale(uow, session)
        state = None if sale is None else _sale_state(sale)
        context["paid"] = state == "done"
        context["waiting"] = sale if state == "waiting" else None
    status = status or (200 if problem is None else 422)
    return pages.response(
        request,
        "storefront/scan/cart.html",
        status_code=status,
        problem=problem,
        cards=TEST_CARDS,
        shop=shopper,
        **context,
    )


@router.get("/{shop_id}", response_class=HTMLResponse, response_model=None)
def start(request: Request, shopper: Shopper, shop_id: str) -> Response:
    """The shop's scan & go page (opened from the QR code at its entrance); while the shopper's payment
    waits for the bank, the page says so and links to it."""
    session, order = _session_sale(request, shopper, shop_id)
    if order is not None and _sale_state(order) == "failed":
        return _unpaid(shop_id)
    return _render(request, shopper, shop_id, session=session, sale=order)


def _while_the_bank_answers(request: Request, shopper: ShopperContext, shop_id: str) -> Response | None:
    """No new basket while the session's sale waits for the bank (it would lose the sale): the page with
    the waiting payment (409); once the bank refused the card, the basket comes back first."""
    session, order = _session_sale(request, shopper, shop_id)
    state = None if order is None else _sale_state(order)
    if state == "waiting":
        return _render(request, shopper, shop_id, session=session, sale=order, status=409)
    return _unpaid(shop_id) if state == "failed" else None


def _unpaid(shop_id: str) -> RedirectResponse:
    return RedirectResponse(f"/shop/scan/{shop_id}/unpaid", status_code=303)


def _back(shop_id: str) -> RedirectResponse:
    return RedirectResponse(f"/shop/scan/{shop_id}", status_code=303)


@router.post("/{shop_id}/items", response_model=None)
def scan_item(
    request: Request,
    shopper: Shopper,
    shop_id: str,
    gtin: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    """A scanned (or typed) barcode: one more of that item in the shop's cart."""
    if (answer := _while_the_bank_answers(request, shopper, shop_id)) is not None:
        return answer
    ctx = shopper.ctx
    session = _session(request, ctx, shop_id)
    try:
        with _in_shop(ctx, shop_id).uow() as uow:
            _shop(uow, shop_id)
            variant = variant_for_gtin(uow, gtin, catalog_locale(shopper.lang))
            cart = _open_cart(uow, session)
            held = next((line.quantity for line in cart.lines if line.sku == variant.sku), 0) if cart else 0
            _check_stock(uow, shop_id, variant.sku, variant.name, held + 1)
            if cart is None:
                created, _ = carts_service.create_cart(
                    uow, CartIn(lines=[LineIn(sku=variant.sku, quantity=1)])
                )
                session.cart_id, session.cart_token, session.order_id = created.id, created.cart_token, None
            else:
                carts_service.add_line(
                    uow, cart.id, LineIn(sku=variant.sku, quantity=1), cart_token=session.cart_token
                )
            uow.commit()
    except ScanProblem as problem:
        return _render(request, shopper, shop_id, problem=problem)
    except Problem as problem:
        return _render(request, shopper, shop_id, problem=ScanProblem("refused", detail=problem.detail))
    return _keep(request, _back(shop_id), ctx, session)


@router.post("/{shop_id}/lines/{line_id}", response_model=None)
def change_line(
    request: Request,
    shopper: Shopper,
    shop_id: str,
    line_id: str,
    quantity: Annotated[int, Form(ge=0, le=99)],
) -> Response:
    """A new quantity for a line (0 removes it)."""
    if (answer := _while_the_bank_answers(request, shopper, shop_id)) is not None:
        return answer
    ctx = shopper.ctx
    session = _session(request, ctx, shop_id)
    try:
        with _in_shop(ctx, shop_id).uow() as uow:
            cart = _open_cart(uow, session)
            line = next((x for x in cart.lines if x.line_id == line_id), None) if cart else None
            if cart is None or line is None:
                raise ScanProblem("no_line")
            if quantity == 0:
                carts_service.remove_line(uow, cart.id, line_id, cart_token=session.cart_token)
            else:
                name = catalog_service.get_variants(uow, [line.sku], catalog_locale(shopper.lang))[
                    line.sku
                ].name
                _check_stock(uow, shop_id, line.sku, name, quantity)
                carts_service.set_quantity(uow, cart.id, line_id, quantity, cart_token=session.cart_token)
            uow.commit()
    except ScanProblem as problem:
        return _render(request, shopper, shop_id, problem=problem)
    return _back(shop_id)


@router.post("/{shop_id}/pay", response_model=None)
def pay(
    request: Request,
    shopper: Shopper,
    shop_id: str,
    card_token: Annotated[str, Form(max_length=64)] = "",
    email: Annotated[str, Form(max_length=254)] = "",
) -> Response:
    """Pay the shop's cart by card: the shop's store sale, completed at once (or once the bank has
    confirmed the card); then the exit pass."""
    if (answer := _while_the_bank_answers(request, shopper, shop_id)) is not None:
        return answer
    ctx = shopper.ctx
    session = _session(request, ctx, shop_id)
    try:
        return_url = str(request.base_url).rstrip("/") + f"/shop/scan/{shop_id}/return"
        command = _checkout_command(shop_id, card_token, email, shopper.customer_id, return_url)
        with _in_shop(ctx, shop_id).uow() as uow:
            cart = _open_cart(uow, session)
            if cart is None or not cart.lines:
                raise ScanProblem("empty")
            order = orders_service.checkout(
                uow,
                command.model_copy(update={"cart_id": cart.id, "cart_version": cart.version}),
                cart_token=session.cart_token,
            )
            uow.commit()
    except ScanProblem as problem:
        return _render(request, shopper, shop_id, problem=problem)
    except Problem as problem:
        return _render(request, shopper, shop_id, problem=_payment_problem(problem))
    session.order_id = order.id
    # a card awaiting 3-D Secure: the sale is placed, its stock held, until the bank answers
    after = "pass" if _sale_state(order) == "done" else "payment"
    return _keep(request, RedirectResponse(f"/shop/scan/{shop_id}/{after}", status_code=303), ctx, session)


def _checkout_command(
    shop_id: str, card_token: str, email: str, customer_id: str | None, return_url: str
) -> CheckoutIn:
    if not card_token.strip():
        raise ScanProblem("no_card")
    try:
        return CheckoutIn(
            cart_id="pending",
            mode="store_sale",
            place_id=shop_id,
            tenders=[
                TenderIn(method="card", details={"card_token": card_token.strip(), "return_url": return_url})
            ],
            customer_id=customer_id,  # a signed-in shopper finds the sale in their account
            email=email.strip() or None,
            receipt_by_email=bool(email.strip()),
        )
    except ValidationError:
        raise ScanProblem("bad_email") from None


def _payment_problem(problem: Problem) -> ScanProblem:
    if problem.slug == "payment-declined":
        return ScanProblem("declined")
    if problem.slug in ("out-of-stock", "out-of-stock-for-order"):
        return ScanProblem("sold_out")
    return ScanProblem("refused", detail=problem.detail)


@router.get("/{shop_id}/pass", response_class=HTMLResponse, response_model=None)
def exit_pass(request: Request, shopper: Shopper, shop_id: str) -> Response:
    """The exit pass of the shopper's paid sale: a QR code and the items, to show at the door."""
    ctx = shopper.ctx
    session = _session(request, ctx, shop_id)
    if session.order_id is None:
        return _no_pass(request, shopper, shop_id)
    with _in_shop(ctx, shop_id).uow() as uow:
        store = stores_service.get_places(uow, [shop_id]).get(shop_id)
        order = orders_service.find_order(uow, session.order_id)
        if store is None or order is None or order.cart_id != session.cart_id:
            return _no_pass(request, shopper, shop_id)
        state = _sale_state(order)
        if state != "done":  # the bank has not confirmed the card yet, or refused it
            where = "payment" if state == "waiting" else "unpaid"
            return RedirectResponse(f"/shop/scan/{shop_id}/{where}", status_code=303)
        issued = orders_service.issue_exit_pass(uow, order.id, ctx.settings.secret_key)
        items = _order_items(uow, shopper.lang, order)
        uow.commit()
    import segno

    qr = Markup(segno.make(issued.token, error="m").svg_inline(scale=5, title=order.number))
    return pages.response(
        request,
        "storefront/scan/pass.html",
        shop=shopper,
        store=store,
        order=order,
        exit_pass=issued,
        items=items,
        qr=qr,
    )


def _sale_state(order: OrderOut) -> str:
    """``done`` (the sale is completed: its pass may be shown), ``failed`` (the bank did not confirm the
    card: the orders domain cancelled the sale) or ``waiting`` (for the bank's 3-D Secure answer)."""
    if order.status == "completed":
        return "done"
    return "failed" if order.status == "cancelled" else "waiting"


def _session_sale(
    request: Request, shopper: ShopperContext, shop_id: str
) -> tuple[ScanSession, OrderOut | None]:
    """The sale this browser's scan & go session paid for in this shop (None: no such sale)."""
    session = _session(request, shopper.ctx, shop_id)
    if session.order_id is None:
        return session, None
    with _in_shop(shopper.ctx, shop_id).reader() as uow:
        return session, _paid_sale(uow, session)


def _paid_sale(uow: UnitOfWork, session: ScanSession) -> OrderOut | None:
    if session.order_id is None:
        return None
    order = orders_service.find_order(uow, session.order_id)
    return order if order is not None and order.cart_id == session.cart_id else None


@router.get("/{shop_id}/payment", response_class=HTMLResponse, response_model=None)
def payment(request: Request, shopper: Shopper, shop_id: str) -> Response:
    """The bank's 3-D Secure challenge in a frame, the sale watched until the bank has answered."""
    _, order = _session_sale(request, shopper, shop_id)
    if order is None:
        return _back(shop_id)
    state = _sale_state(order)
    if state != "waiting":
        return RedirectResponse(f"/shop/scan/{shop_id}/pass", 303) if state == "done" else _unpaid(shop_id)
    challenge = next((p.next_action.get("url") for p in order.payments if p.next_action), None)
    return pages.response(
        request,
        "storefront/scan/payment.html",
        shop=shopper,
        shop_id=shop_id,
        order=order,
        state=state,
        challenge=challenge,
        status_url=f"/shop/scan/{shop_id}/payment/status",
    )


@router.get("/{shop_id}/payment/status", response_class=HTMLResponse, response_model=None)
def payment_status(request: Request, shopper: Shopper, shop_id: str) -> Response:
    """Polled by the payment page: to the exit pass once the sale is completed, back to the basket when
    the bank refused the card."""
    _, order = _session_sale(request, shopper, shop_id)
    state = "failed" if order is None else _sale_state(order)
    hx = bool(request.headers.get("hx-request"))
    if state != "waiting" or not hx:  # the page's own link, without HTMX, goes where the sale is
        where = f"/shop/scan/{shop_id}/" + {"done": "pass", "failed": "unpaid", "waiting": "payment"}[state]
        return HTMLResponse("", headers={"HX-Redirect": where}) if hx else RedirectResponse(where, 303)
    return pages.response(
        request,
        "storefront/_pay_status.html",
        shop=shopper,
        order=order,
        state=state,
        status_url=f"/shop/scan/{shop_id}/payment/status",
    )


@router.get("/{shop_id}/return", response_model=None)
def back_from_the_bank(request: Request, shopper: Shopper, shop_id: str) -> Response:
    """Where the card provider sends the shopper back after 3-D Secure: the sale's payment page (the
    basket when this browser paid for no sale here)."""
    _, order = _session_sale(request, shopper, shop_id)
    return RedirectResponse(f"/shop/scan/{shop_id}/payment", 303) if order else _back(shop_id)


@router.get("/{shop_id}/unpaid", response_class=HTMLResponse, response_model=None)
def unpaid(request: Request, shopper: Shopper, shop_id: str) -> Response:
    """The bank did not confirm the card, so the sale was cancelled: the same items in a new basket,
    with the reason. Once only: the session then holds the new basket and no sale."""
    session, order = _session_sale(request, shopper, shop_id)
    if order is None or _sale_state(order) != "failed":
        return _back(shop_id)
    lines = [LineIn(sku=line.sku, quantity=line.quantity) for line in order.lines if line.total > 0]
    with _in_shop(shopper.ctx, shop_id).uow() as uow:
        # free gifts (a line paid 0) are the promotions' own: they come back when the basket is priced
        created, _ = carts_service.create_cart(uow, CartIn(lines=lines))
        uow.commit()
    session.cart_id, session.cart_token, session.order_id = created.id, created.cart_token, None
    response = _render(
        request, shopper, shop_id, problem=ScanProblem("not_confirmed"), session=session, status=200
    )
    return _keep(request, response, shopper.ctx, session)


def _no_pass(request: Request, shopper: ShopperContext, shop_id: str) -> HTMLResponse:
    return pages.response(
        request, "storefront/scan/no_pass.html", status_code=404, shop_id=shop_id, shop=shopper
    )


def _order_items(uow: UnitOfWork, lang: str, order: OrderOut) -> list[dict[str, Any]]:
    variants = catalog_service.get_variants(uow, [line.sku for line in order.lines], catalog_locale(lang))
    return [
        {
            "name": variants[line.sku].name if line.sku in variants else line.sku,
            "image_url": variants[line.sku].image_url if line.sku in variants else None,
            "quantity": line.quantity,
            "total": line.total,
        }
        for line in order.lines
    ]
