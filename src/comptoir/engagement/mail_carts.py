"""engagement: the message templates of carts and wishlists: abandoned cart, back in stock, price drop (a
:class:`~.mail_types.Family` each: ``cart`` and ``wish``).

* ``abandoned_cart`` lists the cart's lines as they are when it is sent — each product at the price the
  customer pays on the website now, with the Omnibus reference when discounted — its total as the website
  prices it (promotions and coupons included), and a link back to the cart on the website (through the
  sign-in page, which goes straight on to the cart when the customer is signed in already).
* ``back_in_stock`` and ``price_drop`` show the wished-for product at the customer's price now. A price
  drop announces a prior price only as the pricing domain's Omnibus reference (the lowest price of the 30
  days before the discount) — never the price the watch last knew, which may not be the month's lowest.

Their facts are loaded when the message is sent (:mod:`comptoir.engagement.facts_carts`).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from babel.support import NullTranslations

from comptoir.core.i18n import format_money
from comptoir.engagement.mail_types import (
    SAMPLE_SITE,
    Copy,
    Family,
    MessageContext,
    ProductBlock,
    offer,
    sample_block,
    sample_message,
)

ABANDONED_CART = "abandoned_cart"
BACK_IN_STOCK = "back_in_stock"
PRICE_DROP = "price_drop"


@dataclass(frozen=True)
class CartItem:
    product: ProductBlock  # priced for one unit
    quantity: int

    def __post_init__(self) -> None:
        if self.quantity < 1:
            raise ValueError("a cart line holds at least one item")


@dataclass(frozen=True)
class CartFacts:
    """The cart as it is when the message is sent."""

    items: tuple[CartItem, ...]
    total: Decimal | None  # as the website prices it now (promotions, coupons); None: it cannot be priced
    currency: str  # ISO 4217
    cart_url: str  # absolute: the cart on the website


@dataclass(frozen=True)
class WishFacts:
    """A product on the customer's wishlist, back in stock or cheaper, at the customer's price now."""

    product: ProductBlock
    wishlist_url: str  # absolute
    price_before: Decimal | None = None  # price drop: the public web price before the drop


# -- checks and links ----------------------------------------------------------------------------------------


def _check_cart(template: str, facts: Any) -> None:
    if not isinstance(facts, CartFacts) or not facts.items:
        raise ValueError(f"{template} needs the cart's lines (the cart is gone, ordered or empty)")


def _check_wish(template: str, facts: Any) -> None:
    if not isinstance(facts, WishFacts):
        raise ValueError(f"{template} needs the wished-for product (gone, unsold or off the wishlist)")
    drop = facts.price_before
    if template == PRICE_DROP and (drop is None or facts.product.price >= drop):
        raise ValueError("price_drop needs a price lower now than before the drop")


def _cart_links(facts: Any) -> list[str | None]:
    if not isinstance(facts, CartFacts):
        return []
    return [facts.cart_url] + [link for i in facts.items for link in (i.product.url, i.product.image_url)]


def _wish_links(facts: Any) -> list[str | None]:
    if not isinstance(facts, WishFacts):
        return []
    return [facts.wishlist_url, facts.product.url, facts.product.image_url]


# -- values: the facts formatted for a language -------------------------------------------------------------


def _cart_values(t: NullTranslations, facts: CartFacts, lang: str) -> dict[str, Any]:
    lines = []
    for item in facts.items:
        line = offer(item.product, lang)
        if item.quantity > 1:
            line["price"] = t.gettext("%(quantity)s × %(price)s") % {
                "quantity": item.quantity,
                "price": line["price"],
            }
        lines.append(line | {"quantity": item.quantity})
    count = sum(item.quantity for item in facts.items)
    return {
        "lines": lines,
        "count": count,
        "lead": lines[0]["name"],
        "others": count - facts.items[0].quantity,
        "total": format_money(facts.total, facts.currency, lang) if facts.total is not None else "",
        "url": facts.cart_url,
    }


def _wish_values(t: NullTranslations, facts: WishFacts, lang: str) -> dict[str, Any]:
    product = offer(facts.product, lang)
    return {
        "product": product,
        "name": product["name"],
        "price": product["price"],
        "url": facts.product.url,
        "wishlist_url": facts.wishlist_url,
    }


# -- the short texts: subject, preheader, SMS, push ----------------------------------------------------------


def _abandoned_cart(t: NullTranslations, v: dict[str, Any]) -> Copy:
    cart = v["cart"]
    if cart["others"]:
        still = t.ngettext(
            "%(product)s and %(n)s other item are still in your cart.",
            "%(product)s and %(n)s other items are still in your cart.",
            cart["others"],
        ) % {"product": cart["lead"], "n": cart["others"]}
    else:
        still = t.gettext("%(product)s is still in your cart.") % {"product": cart["lead"]}
    if cart["total"]:
        sms = t.gettext(
            "%(brand)s: your cart (%(total)s) is waiting for you. Pick up where you left off: %(url)s"
        )
    else:
        sms = t.gettext("%(brand)s: your cart is waiting for you. Pick up where you left off: %(url)s")
    name = v["first_name"]
    return Copy(
        subject=t.gettext("%(name)s, your cart is waiting for you") % {"name": name}
        if name
        else t.gettext("Your cart is waiting for you"),
        preheader=still,
        sms=sms % {"brand": v["brand"], "total": cart["total"], "url": cart["url"]},
        push_title=t.gettext("Your cart is waiting for you"),
        push_body=still,
    )


def _back_in_stock(t: NullTranslations, v: dict[str, Any]) -> Copy:
    wish = v["wish"]
    sms = t.gettext(
        "%(brand)s: %(product)s from your wishlist is back in stock (%(price)s). Order it: %(url)s"
    )
    return Copy(
        subject=t.gettext("%(product)s is back in stock") % {"product": wish["name"]},
        preheader=t.gettext("It is on your wishlist: order it before it runs out again."),
        sms=sms % {"brand": v["brand"], "product": wish["name"], "price": wish["price"], "url": wish["url"]},
        push_title=t.gettext("Back in stock"),
        push_body=t.gettext("%(product)s from your wishlist is available again.") % {"product": wish["name"]},
    )


def _price_drop(t: NullTranslations, v: dict[str, Any]) -> Copy:
    wish = v["wish"]
    product = wish["product"]
    if product["reference"]:
        now = t.gettext("now %(price)s instead of %(reference)s") % product
    else:
        now = t.gettext("now %(price)s") % product
    sms = t.gettext("%(brand)s: the price of %(product)s from your wishlist has gone down, %(now)s: %(url)s")
    return Copy(
        subject=t.gettext("The price of %(product)s has gone down") % {"product": wish["name"]},
        preheader=t.gettext("It is on your wishlist: %(now)s.") % {"now": now},
        sms=sms % {"brand": v["brand"], "product": wish["name"], "now": now, "url": wish["url"]},
        push_title=t.gettext("Price drop"),
        push_body=t.gettext("%(product)s from your wishlist: %(now)s.")
        % {"product": wish["name"], "now": now},
    )


# -- the preview's sample: Claire, at Maison Lumière -----------------------------------------------------------

_SITE = SAMPLE_SITE


def sample_cart(template: str, lang: str) -> MessageContext:
    """Claire left the Opaline pendant (on offer: 189 € instead of 239 €) and two Céleste table lamps in
    her cart: 367 € in all."""
    items = (
        CartItem(sample_block("suspension-opaline", "Suspension Opaline", "189.00", "239.00", "cart"), 1),
        CartItem(sample_block("lampe-celeste", "Lampe à poser Céleste", "89.00", None, "cart"), 2),
    )
    facts = CartFacts(items=items, total=Decimal("367.00"), currency="EUR", cart_url=f"{_SITE}/panier")
    return sample_message("cart", facts)


def sample_wish(template: str, lang: str) -> MessageContext:
    """The black Arc floor lamp on Claire's wishlist is back in stock (349 €); or the Opaline pendant she
    wishes for is down from 239 € to 189 € (its Omnibus reference 239 €)."""
    if template == PRICE_DROP:
        product = sample_block("suspension-opaline", "Suspension Opaline", "189.00", "239.00", "wished")
        before: Decimal | None = Decimal("239.00")
    else:
        product = sample_block("lampadaire-arc", "Lampadaire Arc noir", "349.00", None, "wished")
        before = None
    facts = WishFacts(product=product, wishlist_url=f"{_SITE}/compte/envies", price_before=before)
    return sample_message("wish", facts)


FAMILIES: tuple[Family, ...] = (
    Family(
        key="cart",
        copies={ABANDONED_CART: _abandoned_cart},
        check=_check_cart,
        values=_cart_values,
        sample=sample_cart,
        links=_cart_links,
    ),
    Family(
        key="wish",
        copies={BACK_IN_STOCK: _back_in_stock, PRICE_DROP: _price_drop},
        check=_check_wish,
        values=_wish_values,
        sample=sample_wish,
        links=_wish_links,
    ),
)
