"""carts: the domain's operations (its public interface with schemas.py and events.py).

Other domains call ``get_cart(uow, cart_id) -> CartOut`` (priced now by the pricing domain; raises
pricing's refusal when a line cannot be priced) and ``mark_ordered(uow, cart_id, order_id)`` (the
cart is converted; later changes are refused with 409 ``cart-closed``). ``reach_cart`` is ``get_cart``
with the calling actor's access rules applied (see ``policies``); ``order_cart`` is ``mark_ordered`` and
``reach_cart`` at once, unpriced, for a checkout a customer starts.

Every change locks the cart row first (``SELECT … FOR UPDATE`` on PostgreSQL; SQLite writers are
serialised by ``BEGIN IMMEDIATE``), checks the status and the expected version (If-Match), applies
itself and bumps the version: two channels changing one cart at once are serialised, neither update is
lost, and a client holding an old version gets 412.

A cart is priced with the channel (and store) of whoever looks at it: a seller's tablet shows the
store's prices, the website its own. Events carry the total priced for the channel that acted.

The work is done by topic in the modules named below; this module is the carts' public surface:
``reading`` (reach and pricing), ``editing`` (create, lines, coupons), ``ordering`` (a cart becomes an
order), ``merging`` (sign-in and customer merges), ``housekeeping`` (erasure, abandonment, the 360°),
``wishlists`` (the SKUs a signed-in customer keeps for later), ``anonymous`` (an anonymous cart by its token).

``share_wishlist(secret, base_url, customer_id)`` signs a link to the customer's wishlist;
``shared_wishlist(uow, secret, token, locale)`` shows its products to whoever holds it.

``wishers(uow, sku, after=None, limit=1000)`` lists who wishes for a SKU, in customer id order, a page at a
time (the index by SKU): the engagement domain tells them when it is back in stock or cheaper.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from comptoir.carts import housekeeping
from comptoir.carts.anonymous import cart_of_token
from comptoir.carts.editing import add_coupon, add_line, create_cart, remove_coupon, remove_line, set_quantity
from comptoir.carts.housekeeping import abandon_idle, erase_customers, purge_stale
from comptoir.carts.merging import attach_customer, follow_customer_merge, merge_anonymous
from comptoir.carts.models import WishlistItem
from comptoir.carts.ordering import mark_ordered, order_cart
from comptoir.carts.reading import (
    TOKEN_HEADER,
    CartClosed,
    CartLike,
    LineLike,
    current_cart,
    get_cart,
    hash_token,
    reach_cart,
    read_cart,
)
from comptoir.carts.wishlists import (
    add_to_wishlist,
    erase_wishlists,
    follow_wishlist_merge,
    remove_from_wishlist,
    share,
    shared,
    wishlist,
    wishlist_section,
    wishlisted,
)
from comptoir.core.uow import UnitOfWork

__all__ = [
    "TOKEN_HEADER",
    "CartClosed",
    "CartLike",
    "LineLike",
    "abandon_idle",
    "add_coupon",
    "add_line",
    "add_to_wishlist",
    "attach_customer",
    "cart_of_token",
    "create_cart",
    "current_cart",
    "customer_section",
    "erase_customers",
    "erase_wishlists",
    "follow_customer_merge",
    "follow_wishlist_merge",
    "get_cart",
    "hash_token",
    "mark_ordered",
    "merge_anonymous",
    "order_cart",
    "purge_stale",
    "reach_cart",
    "read_cart",
    "remove_coupon",
    "remove_from_wishlist",
    "remove_line",
    "set_quantity",
    "share_wishlist",
    "shared_wishlist",
    "wishers",
    "wishlist",
    "wishlisted",
]


def customer_section(uow: UnitOfWork, customer_id: str) -> dict[str, Any]:
    """This domain's section of the 360° view (and GDPR export): the open cart and the wishlist."""
    return {**housekeeping.customer_section(uow, customer_id), "wishlist": wishlist_section(uow, customer_id)}


def wishers(uow: UnitOfWork, sku: str, *, after: str | None = None, limit: int = 1000) -> list[str]:
    """The customers who keep ``sku`` on their wishlist, in id order: at most ``limit``, those after
    ``after`` (the last id of the previous page). One range read of the index by SKU."""
    query = select(WishlistItem.customer_id).where(WishlistItem.sku == sku)
    if after is not None:
        query = query.where(WishlistItem.customer_id > after)
    return list(uow.session.scalars(query.order_by(WishlistItem.customer_id).limit(limit)))


share_wishlist = share
shared_wishlist = shared
