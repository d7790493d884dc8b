"""The seller's cart: build the customer's cart (search, scan, quantities, coupons) — the same cart they
see on the website and the app — then either sell it here (paid at the till, the e-receipt sent) or
order it in store, delivered home or collected in another shop from the network's stock.

Same services as the API: carts editing, orders checkout (which converts the cart), receipts."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from comptoir.carts import service as carts_service
from comptoir.carts.schemas import CartIn, CartOut, LineIn
from comptoir.catalog import service as catalog_service
from comptoir.core.api import RequestContext
from comptoir.core.errors import InvalidInput, NotFound, Problem
from comptoir.core.web import require_page
from comptoir.customers import service as customers_service
from comptoir.inventory import service as inventory_service
from comptoir.orders import service as orders_service
from comptoir.orders.schemas import CheckoutIn
from comptoir.seller.common import (
    SellerRoute,
    catalogue_locale,
    gettext,
    page_image,
    problem_message,
    render,
    shop_of,
)
from comptoir.seller.products import sku_of_code
from comptoir.stores import service as stores_service

router = APIRouter(prefix="/seller/cart", include_in_schema=False, route_class=SellerRoute)
Reader = Annotated[RequestContext, Depends(require_page("carts", "read"))]
Writer = Annotated[RequestContext, Depends(require_page("carts", "write"))]
Seller = Annotated[RequestContext, Depends(require_page("orders", "write"))]
MODES = ("store_sale", "click_and_collect", "home_delivery")


def _page(
    request: Request,
    ctx: RequestContext,
    customer_id: str,
    *,
    error: str | None = None,
    status_code: int = 200,
    form: dict[str, str] | None = None,
) -> Response:
    shop = shop_of(ctx)
    customer = cart = None
    names: dict[str, Any] = {}
    here: dict[str, Any] = {}
    shops: list[Any] = []
    with ctx.reader() as uow:
        if customer_id:
            customer = customers_service.get_customer(uow, customer_id)
            cart = carts_service.current_cart(uow, customer.id)
        if cart is not None:
            skus = [x.sku for x in cart.lines]
            names = catalog_service.get_variants(uow, skus, catalogue_locale(request))
            if shop:
                levels = inventory_service.stock_levels(uow, skus, [shop])
                here = {sku: rows[0] for sku, rows in levels.items() if rows}
            if cart.lines:  # where an order may be collected: the open shops offering click & collect
                shops = [
                    p
                    for p in stores_service.all_places(uow, kind="store")
                    if p.status == "open" and "click_and_collect" in p.services
                ]
        shop_place = stores_service.get_places(uow, [shop]).get(shop) if shop else None
    totals = {p.line_id: p for p in cart.priced.lines} if cart and cart.priced else {}
    return render(
        request,
        "seller/cart.html",
        status_code=status_code,
        active="cart",
        customer=customer,
        cart=cart,
        variants=names,
        here=here,
        totals=totals,
        shops=shops,
        shop=shop_place,
        error=error,
        form=form or {},
        image=page_image,
    )


def _back(customer_id: str, anchor: str = "") -> RedirectResponse:
    return RedirectResponse(f"/seller/cart?customer_id={customer_id}{anchor}", status_code=303)


def _refused(request: Request, ctx: RequestContext, customer_id: str, exc: Exception, **kw: Any) -> Response:
    if isinstance(exc, NotFound) and not customer_id:
        raise exc
    if isinstance(exc, Problem):
        return _page(
            request, ctx, customer_id, error=problem_message(request, exc), status_code=exc.status, **kw
        )
    _ = gettext(request)
    return _page(request, ctx, customer_id, error=_("Check what you entered."), status_code=422, **kw)


@router.get("")
def cart_page(request: Request, ctx: Reader, customer_id: str = "") -> Response:
    return _page(request, ctx, customer_id)


def _open_cart(ctx: RequestContext, customer_id: str) -> CartOut | None:
    with ctx.reader() as uow:
        return carts_service.current_cart(uow, customer_id)


@router.post("/lines")
def add_line(
    request: Request,
    ctx: Writer,
    customer_id: Annotated[str, Form(max_length=64)],
    code: Annotated[str, Form(max_length=64)] = "",
    sku: Annotated[str, Form(max_length=64)] = "",
    quantity: Annotated[int, Form(ge=1, le=99)] = 1,
) -> Response:
    """Add a product by its barcode, its SKU, or the SKU chosen on its page; starts the cart if needed."""
    try:
        with ctx.uow() as uow:
            found = sku or sku_of_code(uow, code)
            if not found:
                _ = gettext(request)
                return _page(
                    request,
                    ctx,
                    customer_id,
                    status_code=404,
                    error=_("No product has the barcode %(code)s.") % {"code": code.strip()},
                )
            line = LineIn(sku=found, quantity=quantity)
            cart = carts_service.current_cart(uow, customer_id)
            if cart is None:
                carts_service.create_cart(uow, CartIn(customer_id=customer_id, lines=[line]))
            else:
                carts_service.add_line(uow, cart.id, line)
            uow.commit()
    except (Problem, ValidationError) as exc:
        return _refused(request, ctx, customer_id, exc)
    return _back(customer_id)


@router.post("/{cart_id}/lines/{line_id}")
def set_quantity(
    request: Request,
    cart_id: str,
    line_id: str,
    ctx: Writer,
    customer_id: Annotated[str, Form(max_length=64)],
    quantity: Annotated[int, Form(ge=0, le=99)],
) -> Response:
    """A new quantity for a line; 0 takes it out."""
    try:
        with ctx.uow() as uow:
            if quantity == 0:
                carts_service.remove_line(uow, cart_id, line_id)
            else:
                carts_service.set_quantity(uow, cart_id, line_id, quantity)
            uow.commit()
    except Problem as exc:
        return _refused(request, ctx, customer_id, exc)
    return _back(customer_id)


@router.post("/{cart_id}/coupons")
def add_coupon(
    request: Request,
    cart_id: str,
    ctx: Writer,
    customer_id: Annotated[str, Form(max_length=64)],
    code: Annotated[str, Form(min_length=1, max_length=64)],
    remove: Annotated[str, Form()] = "",
) -> Response:
    try:
        with ctx.uow() as uow:
            if remove:
                carts_service.remove_coupon(uow, cart_id, code.strip())
            else:
                carts_service.add_coupon(uow, cart_id, code.strip())
            uow.commit()
    except Problem as exc:
        return _refused(request, ctx, customer_id, exc)
    return _back(customer_id)


def checkout_command(ctx: RequestContext, cart: CartOut, form: dict[str, str]) -> CheckoutIn:
    """The checkout the seller asked for, as the API's body: a sale here paid at the till, or an order
    taken here for home delivery or pickup in another shop (paid at pickup or at the till now)."""
    mode = form.get("mode", "")
    if mode not in MODES:
        raise InvalidInput("Choose how the customer gets the goods.", field="mode")
    email = form.get("email", "").strip() or None
    body: dict[str, Any] = {
        "cart_id": cart.id,
        "cart_version": cart.version,
        "mode": mode,
        "customer_id": cart.customer_id,
        "email": email,
        "seller_id": ctx.actor.staff_id if ctx.actor.store_id else None,
    }
    if mode == "store_sale":
        body["place_id"] = shop_of(ctx)
        body["tenders"] = [{"method": "pay_in_store"}]
        body["receipt_by_email"] = bool(email and form.get("receipt") == "email")
        body["email"] = email if body["receipt_by_email"] else None  # a sale's e-mail is the receipt's
    elif mode == "click_and_collect":
        body["pickup_place_id"] = form.get("pickup_place_id") or None
    else:
        body["address"] = {
            "name": form.get("name", ""),
            "line1": form.get("line1", ""),
            "postcode": form.get("postcode", ""),
            "city": form.get("city", ""),
        }
        # Home delivery is paid when ordering: the card read by the shop's payment terminal (its token).
        token = form.get("card_token", "").strip()
        body["tenders"] = [{"method": "card", "details": {"card_token": token}}] if token else []
    return CheckoutIn.model_validate(body)


@router.post("/{cart_id}/checkout")
async def checkout(request: Request, cart_id: str, ctx: Seller) -> Response:
    form = {k: str(v) for k, v in (await request.form()).items() if k != "csrf_token"}
    customer_id = form.get("customer_id", "")
    try:
        with ctx.uow() as uow:
            cart = carts_service.read_cart(uow, cart_id)
            if cart.customer_id != customers_service.resolve_id(uow, customer_id or cart.customer_id or ""):
                raise NotFound(f"No cart {cart_id} for this customer.")
            order = orders_service.checkout(uow, checkout_command(ctx, cart, form))
            uow.commit()
    except (Problem, ValidationError) as exc:
        return _refused(request, ctx, customer_id, exc, form=form)
    return RedirectResponse(f"/seller/orders/{order.id}?done=1", status_code=303)
