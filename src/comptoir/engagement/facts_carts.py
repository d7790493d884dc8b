"""engagement: what the messages of carts and wishlists: abandoned cart, back in stock, price drop are written
from, read when they are sent.

* ``cart``: the cart the journey follows, as it is now — ``None`` (the message is skipped) once it is
  ordered, merged into another, emptied, gone or no longer the customer's. Each line is named in the
  customer's language with an image licensed for e-mail, at the price the customer pays on the website now
  (the Omnibus reference when discounted); the total is the website's price of the whole cart (promotions and
  coupons included). The link goes back to the cart on the website, through the sign-in page (straight on
  to the cart when the customer is signed in).
* ``wish``: the wished-for product at the customer's price now — ``None`` once it is off their wishlist, no
  longer sold or priced; for a back-in-stock message, once it can no longer be ordered online; for a price
  drop, once the customer's price is no longer below the price before the drop.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import quote

from comptoir.carts import service as carts
from comptoir.catalog import service as catalog
from comptoir.core.errors import NotFound, Problem
from comptoir.core.settings import Settings
from comptoir.core.uow import UnitOfWork
from comptoir.customers.schemas import CustomerOut
from comptoir.engagement import wish_rules
from comptoir.engagement.mail_carts import CartFacts, CartItem, WishFacts
from comptoir.engagement.mail_types import Loader, ProductBlock
from comptoir.inventory import service as inventory
from comptoir.pricing import service as pricing
from comptoir.pricing.schemas import CartLineIn, PriceCartIn

WEB = "web"
OPEN = ("open", "abandoned")


def _base(settings: Settings) -> str:
    return settings.base_url.rstrip("/")


def _absolute(settings: Settings, url: str | None) -> str | None:
    if not url:
        return None
    return url if url.startswith(("https://", "http://")) else f"{_base(settings)}/{url.lstrip('/')}"


def cart_url(settings: Settings) -> str:
    """The customer's cart on the website: the sign-in page goes straight on to it when signed in."""
    return f"{_base(settings)}/shop/sign-in?next={quote('/shop/cart', safe='/')}"


def wishlist_url(settings: Settings) -> str:
    return f"{_base(settings)}/shop/account/wishlist"


def product_blocks(
    uow: UnitOfWork, settings: Settings, customer_id: str, skus: Sequence[str], kind: str, lang: str
) -> dict[str, ProductBlock]:
    """Each SKU still sold and priced on the website, named in ``lang`` with an image licensed for e-mail,
    at the price the customer pays there now and, when discounted, its Omnibus reference."""
    variants = catalog.get_variants(uow, list(skus), lang, channel="email")
    prices = pricing.shelf_prices(
        uow,
        list(skus),
        currency=settings.default_currency,
        channel=WEB,
        store_id=None,
        customer_id=customer_id,
    )
    blocks = {}
    for sku in skus:
        variant, price = variants.get(sku), prices.get(sku)
        if variant is None or price is None or not variant.sellable:
            continue
        blocks[sku] = ProductBlock(
            name=variant.name,
            url=f"{_base(settings)}/shop/p/{variant.product_code}",
            image_url=_absolute(settings, variant.image_url),
            price=price.price,
            currency=price.currency,
            reference_price=price.reference_price if price.discounted else None,
            kind=kind,
        )
    return blocks


def available_online(uow: UnitOfWork, sku: str) -> int:
    """Units of ``sku`` that can be promised for delivery (warehouses, shops that ship): orderable online."""
    found = inventory.network_availability(uow, [sku])
    return sum(entry.available for entry in found if entry.sku == sku)


def load_cart(
    uow: UnitOfWork, settings: Settings, customer: CustomerOut, facts: dict[str, Any], lang: str
) -> CartFacts | None:
    cart_id = facts.get("cart_id")
    if not isinstance(cart_id, str):
        return None
    try:
        cart = carts.read_cart(uow, cart_id)
    except NotFound:
        return None
    if cart.status not in OPEN or cart.customer_id != customer.id or not cart.lines:
        return None
    skus = [line.sku for line in cart.lines]
    blocks = product_blocks(uow, settings, customer.id, skus, "cart", lang)
    items = tuple(CartItem(blocks[line.sku], line.quantity) for line in cart.lines if line.sku in blocks)
    if not items:
        return None
    try:
        priced = pricing.price_cart(
            uow,
            PriceCartIn(
                currency=cart.currency,
                channel=WEB,
                customer_id=customer.id,
                lines=[
                    CartLineIn(line_id=line.line_id, sku=line.sku, quantity=line.quantity)
                    for line in cart.lines
                ],
                coupons=list(cart.coupons),
            ),
        )
        total: Decimal | None = priced.total
    except Problem:
        total = None  # a line the website cannot price: the lines are shown, not a total
    return CartFacts(items=items, total=total, currency=cart.currency, cart_url=cart_url(settings))


def _amount(raw: object) -> Decimal | None:
    try:
        return Decimal(str(raw)) if raw is not None else None
    except InvalidOperation:
        return None


def load_wish(
    uow: UnitOfWork, settings: Settings, customer: CustomerOut, facts: dict[str, Any], lang: str
) -> WishFacts | None:
    sku, kind = facts.get("sku"), facts.get("kind")
    if not isinstance(sku, str) or kind not in wish_rules.KINDS:
        return None
    if not carts.wishlisted(uow, customer.id, [sku]):
        return None  # taken off the wishlist (or bought and removed) since
    block = product_blocks(uow, settings, customer.id, [sku], "wished", lang).get(sku)
    if block is None:
        return None
    before = None
    if kind == wish_rules.BACK_IN_STOCK and available_online(uow, sku) <= 0:
        return None  # sold out again before the message went
    if kind == wish_rules.PRICE_DROP:
        before = _amount(facts.get("price_before"))
        if (
            before is None
            or block.currency != facts.get("currency")
            or not wish_rules.still_cheaper(before, block.price)
        ):
            return None  # the customer's price is no longer below the price before the drop
    return WishFacts(product=block, wishlist_url=wishlist_url(settings), price_before=before)


LOADERS: dict[str, Loader] = {"cart": load_cart, "wish": load_wish}
