"""The storefront's checkout: home delivery, click & collect or reserve & collect (a shop picked from those
offering it), paid by card through the configured provider; 3-D Secure completed in the page (the
provider's challenge in a frame, the order's payment watched until it is authorised); the confirmation.

The order pages reach an order of the signed-in customer's, or the one this browser just placed (its id
signed in the ``comptoir_order`` cookie): nobody reaches another's order by its id.
"""

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from comptoir.core import tokens
from comptoir.core.errors import NotFound, Problem
from comptoir.core.uow import UnitOfWork
from comptoir.customers import service as customers_service
from comptoir.orders import service as orders_service
from comptoir.orders.schemas import AddressIn, CheckoutIn, OrderOut, TenderIn
from comptoir.storefront import checkout_forms as forms
from comptoir.storefront import shopper_cart
from comptoir.storefront.rendering import ShopRoute, catalog_locale, gettext, pages, problem_message
from comptoir.storefront.session import Shopper, ShopperContext, forget_cart
from comptoir.stores import service as stores_service

router = APIRouter(prefix="/shop/checkout", include_in_schema=False, route_class=ShopRoute)

ORDER_COOKIE = "comptoir_order"
ORDER_PURPOSE = "storefront-order"
ORDER_TTL = 7 * 86400
Text = Annotated[str, Form(max_length=200)]


def _pickup_places(uow: UnitOfWork) -> list[Any]:
    """The shops a shopper may collect from (open, offering click & collect or reserve & collect)."""
    found = {}
    for service in ("click_and_collect", "reserve_and_collect"):
        for place in stores_service.list_places(
            uow, kind="store", service=service, status="open", limit=200
        ).items:
            found[place.id] = place
    return sorted(found.values(), key=lambda p: p.name)


def _form_page(
    request: Request,
    shop: ShopperContext,
    uow: UnitOfWork,
    values: dict[str, Any],
    *,
    errors: dict[str, str] | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    current = shopper_cart.current(uow, shop)
    if current is None or not current.lines:
        return RedirectResponse("/shop/cart", status_code=303)
    return pages.response(
        request,
        "storefront/checkout.html",
        status_code=status_code,
        shop=shop,
        cart=current,
        lines=shopper_cart.lines(uow, current, catalog_locale(shop.lang)),
        places=_pickup_places(uow),
        values=values,
        errors=errors or {},
        error=error,
        cards=forms.test_cards(gettext(request)),
    )


@router.get("", response_class=HTMLResponse)
def checkout_form(request: Request, shop: Shopper) -> Response:
    values: dict[str, Any] = {"mode": "home_delivery", "card": "tok_visa"}
    with shop.ctx.uow() as uow:
        if shop.customer_id is not None:
            customer = customers_service.get_customer(uow, shop.customer_id)
            values["email"] = customer.email or ""
            values["name"] = " ".join(n for n in (customer.given_name, customer.family_name) if n)
        response = _form_page(request, shop, uow, values)
        uow.commit()
    return response


@router.post("")
def place_order(
    request: Request,
    shop: Shopper,
    mode: Annotated[str, Form(max_length=40)] = "",
    name: Text = "",
    line1: Text = "",
    line2: Text = "",
    postcode: Annotated[str, Form(max_length=16)] = "",
    city: Text = "",
    phone: Annotated[str, Form(max_length=40)] = "",
    pickup_place_id: Annotated[str, Form(max_length=64)] = "",
    email: Annotated[str, Form(max_length=254)] = "",
    card: Annotated[str, Form(max_length=40)] = "",
    cart_version: Annotated[int | None, Form(ge=0)] = None,
) -> Response:
    _ = gettext(request)
    values = {
        "mode": mode, "name": name, "line1": line1, "line2": line2, "postcode": postcode, "city": city,
        "phone": phone, "pickup_place_id": pickup_place_id, "email": email, "card": card,
    }  # fmt: skip
    with shop.ctx.uow() as uow:
        current = shopper_cart.current(uow, shop)
        if current is None or not current.lines:
            return RedirectResponse("/shop/cart", status_code=303)
        errors = forms.check(values, signed_in=shop.customer_id is not None, gettext=_)
        command = None
        if not errors:
            command, errors = _command(current.id, cart_version, values, request, _)
        if command is None:
            return _form_page(request, shop, uow, values, errors=errors, status_code=422)
        try:
            order = orders_service.checkout(uow, command, cart_token=shop.cart_token)
        except Problem as problem:
            uow.rollback()
            field = forms.field_of(problem)
            message = problem_message(request, problem)
            return _form_page(
                request,
                shop,
                uow,
                values,
                errors={field: message} if field else None,
                error=None if field else message,
                status_code=problem.status if 400 <= problem.status < 500 else 409,
            )
        uow.commit()
    response = RedirectResponse(_next_page(order), status_code=303)
    response.set_cookie(
        ORDER_COOKIE,
        tokens.sign(shop.ctx.settings.secret_key, ORDER_PURPOSE, {"order": order.id}, ORDER_TTL),
        max_age=ORDER_TTL,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/shop",
    )
    if shop.cart_token:
        forget_cart(response)
    return response


def _command(
    cart_id: str, cart_version: int | None, values: dict[str, Any], request: Request, _: Any
) -> tuple[CheckoutIn | None, dict[str, str]]:
    mode = values["mode"]
    try:
        address = None
        if mode == "home_delivery":
            address = AddressIn(
                name=values["name"].strip(),
                line1=values["line1"].strip(),
                line2=values["line2"].strip(),
                postcode=values["postcode"].strip(),
                city=values["city"].strip(),
                phone=values["phone"].strip() or None,
            )
        tenders = []
        if mode in forms.PAID_ONLINE:
            return_url = str(request.base_url).rstrip("/") + "/shop/checkout/return"
            tenders = [
                TenderIn(method="card", details={"card_token": values["card"], "return_url": return_url})
            ]
        command = CheckoutIn(
            cart_id=cart_id,
            cart_version=cart_version,
            mode=mode,
            address=address,
            pickup_place_id=values["pickup_place_id"] or None if mode != "home_delivery" else None,
            tenders=tenders,
            email=values["email"].strip() or None,
        )
    except ValidationError as invalid:
        return None, forms.validation_errors(invalid, _)
    return command, {}


def _next_page(order: OrderOut) -> str:
    if any(p.next_action and p.state == "pending" for p in order.payments):
        return f"/shop/checkout/pay/{order.id}"
    return f"/shop/checkout/done/{order.id}"


def _own_order(request: Request, shop: ShopperContext, uow: UnitOfWork, order_id: str) -> OrderOut:
    """The order if it is the signed-in customer's, or the one this browser placed; 404 otherwise."""
    order = orders_service.find_order(uow, order_id)
    if order is not None:
        if shop.customer_id is not None and order.customer_id == shop.customer_id:
            return order
        claims = tokens.verify(
            shop.ctx.settings.secret_key, ORDER_PURPOSE, request.cookies.get(ORDER_COOKIE) or ""
        )
        if claims is not None and claims.get("order") == order.id:
            return order
    raise NotFound(f"No order {order_id}.")


def _payment_state(order: OrderOut) -> str:
    """``waiting`` (3-D Secure to complete), ``failed`` or ``done``."""
    cards = [p for p in order.payments if p.method == "card"]
    if any(p.state == "failed" for p in cards):
        return "failed"
    if any(p.state == "pending" and p.next_action for p in cards):
        return "waiting"
    return "done"


@router.get("/pay/{order_id}", response_class=HTMLResponse)
def pay(request: Request, shop: Shopper, order_id: str) -> Response:
    with shop.ctx.reader() as uow:
        order = _own_order(request, shop, uow, order_id)
    state = _payment_state(order)
    if state == "done":
        return RedirectResponse(f"/shop/checkout/done/{order.id}", status_code=303)
    challenge = next((p.next_action.get("url") for p in order.payments if p.next_action), None)
    return pages.response(
        request, "storefront/pay.html", shop=shop, order=order, state=state, challenge=challenge
    )


@router.get("/pay/{order_id}/status", response_class=HTMLResponse)
def pay_status(request: Request, shop: Shopper, order_id: str) -> Response:
    """Polled by the payment page: the confirmation once the bank has authenticated the card."""
    with shop.ctx.reader() as uow:
        order = _own_order(request, shop, uow, order_id)
    state = _payment_state(order)
    done = f"/shop/checkout/done/{order.id}"
    if not request.headers.get("hx-request"):  # the page's own link, without HTMX
        return RedirectResponse(
            done if state == "done" else f"/shop/checkout/pay/{order.id}", status_code=303
        )
    if state == "done":
        return HTMLResponse("", headers={"HX-Redirect": done})
    return pages.response(request, "storefront/_pay_status.html", shop=shop, order=order, state=state)


@router.get("/return")
def back_from_the_bank(request: Request, shop: Shopper) -> Response:
    """Where the card provider sends the shopper back after 3-D Secure: the order's payment page (the cart
    when this browser placed no order, e.g. a bookmarked or expired return address)."""
    claims = tokens.verify(
        shop.ctx.settings.secret_key, ORDER_PURPOSE, request.cookies.get(ORDER_COOKIE) or ""
    )
    if claims is None or "order" not in claims:
        return RedirectResponse("/shop/cart", status_code=303)
    return RedirectResponse(f"/shop/checkout/pay/{claims['order']}", status_code=303)


@router.get("/done/{order_id}", response_class=HTMLResponse)
def confirmation(request: Request, shop: Shopper, order_id: str) -> Response:
    locale = catalog_locale(shop.lang)
    with shop.ctx.reader() as uow:
        order = _own_order(request, shop, uow, order_id)
        if _payment_state(order) == "waiting":
            return RedirectResponse(f"/shop/checkout/pay/{order.id}", status_code=303)
        names = forms.line_names(uow, order, locale)
        pickup = stores_service.get_place(uow, order.pickup_place_id) if order.pickup_place_id else None
    return pages.response(
        request,
        "storefront/confirmation.html",
        shop=shop,
        order=order,
        names=names,
        pickup=pickup,
        failed=_payment_state(order) == "failed",
    )
