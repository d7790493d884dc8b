"""The storefront's cart: the shopper's own (the customer's open cart on any channel when signed in, else
the anonymous cart this browser holds), its quantities and coupons. Every change is a form post (CSRF
double submit) answered with a redirect, or the cart again with the error in the page's language."""

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from comptoir.carts import service as carts_service
from comptoir.carts.schemas import CartOut
from comptoir.core.errors import InvalidInput, NotFound
from comptoir.core.uow import UnitOfWork
from comptoir.storefront import shopper_cart
from comptoir.storefront.rendering import ShopRoute, catalog_locale, gettext, pages, problem_message
from comptoir.storefront.session import Shopper, ShopperContext, forget_cart, remember_cart

router = APIRouter(prefix="/shop/cart", include_in_schema=False, route_class=ShopRoute)

Quantity = Annotated[int, Form(ge=0, le=99)]


def _cart_page(
    request: Request,
    shop: ShopperContext,
    uow: UnitOfWork,
    cart: CartOut | None,
    *,
    error: str | None = None,
    coupon: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    lines = shopper_cart.lines(uow, cart, catalog_locale(shop.lang)) if cart is not None else []
    return pages.response(
        request,
        "storefront/cart.html",
        status_code=status_code,
        shop=shop,
        cart=cart,
        lines=lines,
        error=error,
        coupon=coupon,
    )


def _settled(response: Response, shop: ShopperContext) -> Response:
    """A signed-in shopper's anonymous cart has joined theirs: the browser forgets its token."""
    if shop.customer_id is not None and shop.cart_token:
        forget_cart(response)
    return response


@router.get("", response_class=HTMLResponse)
def cart(request: Request, shop: Shopper) -> Response:
    with shop.ctx.uow() as uow:
        current = shopper_cart.current(uow, shop)
        response = _cart_page(request, shop, uow, current)
        uow.commit()
    return _settled(response, shop)


@router.post("/lines")
def add_line(
    shop: Shopper,
    sku: Annotated[str, Form(min_length=1, max_length=64)],
    quantity: Annotated[int, Form(ge=1, le=99)] = 1,
) -> Response:
    with shop.ctx.uow() as uow:
        _, token = shopper_cart.add(uow, shop, sku, quantity)
        uow.commit()
    response = RedirectResponse("/shop/cart", status_code=303)
    if token:
        remember_cart(response, token)
    return _settled(response, shop)


def _own_cart(uow: UnitOfWork, shop: ShopperContext) -> CartOut:
    found = shopper_cart.current(uow, shop)
    if found is None:
        raise NotFound("No cart.")
    return found


@router.post("/lines/{line_id}")
def set_quantity(request: Request, shop: Shopper, line_id: str, quantity: Quantity) -> Response:
    with shop.ctx.uow() as uow:
        current = _own_cart(uow, shop)
        if quantity == 0:
            carts_service.remove_line(uow, current.id, line_id, cart_token=shop.cart_token)
        else:
            carts_service.set_quantity(uow, current.id, line_id, quantity, cart_token=shop.cart_token)
        uow.commit()
    return _settled(RedirectResponse("/shop/cart", status_code=303), shop)


@router.post("/lines/{line_id}/remove")
def remove_line(shop: Shopper, line_id: str) -> Response:
    with shop.ctx.uow() as uow:
        current = _own_cart(uow, shop)
        carts_service.remove_line(uow, current.id, line_id, cart_token=shop.cart_token)
        uow.commit()
    return _settled(RedirectResponse("/shop/cart", status_code=303), shop)


@router.post("/coupons")
def add_coupon(request: Request, shop: Shopper, code: Annotated[str, Form(max_length=64)] = "") -> Response:
    _ = gettext(request)
    code = code.strip().upper()
    with shop.ctx.uow() as uow:
        current = _own_cart(uow, shop)
        if not code:
            return _cart_page(request, shop, uow, current, error=_("Enter a code."), status_code=422)
        try:
            carts_service.add_coupon(uow, current.id, code, cart_token=shop.cart_token)
        except InvalidInput as problem:
            uow.rollback()
            return _cart_page(
                request,
                shop,
                uow,
                current,
                error=problem_message(request, problem),
                coupon=code,
                status_code=422,
            )
        uow.commit()
    return _settled(RedirectResponse("/shop/cart", status_code=303), shop)


@router.post("/coupons/{code}/remove")
def remove_coupon(shop: Shopper, code: str) -> Response:
    with shop.ctx.uow() as uow:
        current = _own_cart(uow, shop)
        carts_service.remove_coupon(uow, current.id, code, cart_token=shop.cart_token)
        uow.commit()
    return _settled(RedirectResponse("/shop/cart", status_code=303), shop)
