"""The shopper's cart, whichever channel started it: a signed-in customer's open cart (their anonymous
cart from this browser joins it first), else the anonymous cart whose token the browser holds."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from comptoir.carts import service as carts_service
from comptoir.carts.schemas import CartIn, CartOut, LineIn
from comptoir.catalog import service as catalog_service
from comptoir.core.uow import UnitOfWork
from comptoir.storefront.catalog_views import shop_media
from comptoir.storefront.session import ShopperContext


def current(uow: UnitOfWork, shop: ShopperContext) -> CartOut | None:
    """The shopper's open cart, or ``None``. For a signed-in shopper, an anonymous cart still held by
    this browser is merged into theirs first (the rule of a sign-in: ``carts.merge_anonymous``)."""
    if shop.customer_id is not None:
        if shop.cart_token:
            carts_service.merge_anonymous(uow, shop.customer_id, shop.cart_token, channel="web")
        return carts_service.current_cart(uow)
    if shop.cart_token:
        return carts_service.cart_of_token(uow, shop.cart_token)
    return None


def add(uow: UnitOfWork, shop: ShopperContext, sku: str, quantity: int) -> tuple[CartOut, str | None]:
    """Add a SKU to the shopper's cart, starting one if need be; ``(cart, new anonymous token)``."""
    cart = current(uow, shop)
    line = LineIn(sku=sku, quantity=quantity)
    if cart is None:
        created, _ = carts_service.create_cart(uow, CartIn(lines=[line]))
        return created, created.cart_token
    return carts_service.add_line(uow, cart.id, line, cart_token=shop.cart_token), None


@dataclass
class Line:
    line_id: str
    sku: str
    quantity: int
    name: str
    brand: str | None
    size: str | None
    colour: str | None
    image_url: str | None
    product_url: str | None
    unit_price: Any
    total: Any
    compare_at: Any
    reference: Any


def lines(uow: UnitOfWork, cart: CartOut, locale: str) -> list[Line]:
    """The cart's lines with their product's name, photo, size and colour, and their priced amounts."""
    variants = catalog_service.get_variants(uow, [line.sku for line in cart.lines], locale, channel="web")
    priced = {p.line_id: p for p in cart.priced.lines} if cart.priced is not None else {}
    out = []
    for line in cart.lines:
        v = variants.get(line.sku)
        p = priced.get(line.line_id)
        out.append(
            Line(
                line_id=line.line_id,
                sku=line.sku,
                quantity=line.quantity,
                name=v.name if v else line.sku,
                brand=v.brand if v else None,
                size=v.size if v else None,
                colour=v.colour if v else None,
                image_url=shop_media(v.image_url) if v else None,
                product_url=f"/shop/p/{v.product_code}" if v else None,
                unit_price=p.unit_price if p else None,
                total=p.total if p else None,
                compare_at=p.compare_at_price if p else None,
                reference=p.reference_price if p else None,
            )
        )
    return out
