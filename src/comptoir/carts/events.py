"""carts: the facts this domain publishes.

Every event carries what a customer journey needs without calling back: the cart, its customer (or
null while anonymous), the channel that acted, the number of lines and items, and the total priced at
that moment (a string, null when the cart could not be priced).
"""

from typing import ClassVar

from comptoir.core.events import DomainEvent


class _CartFact(DomainEvent):
    cart_id: str
    customer_id: str | None
    channel: str
    currency: str
    lines_count: int
    items_count: int
    total: str | None


class CartCreated(_CartFact):
    event_type: ClassVar[str] = "carts.cart_created"
    store_id: str | None = None
    started_for_customer: bool = False  # a seller (store, call centre) started it for a named customer


class CartChanged(_CartFact):
    """``change``: line_added, line_changed, line_removed, lines_added (a cart started again for a
    customer who had one), coupon_added, coupon_removed, customer_attached (an anonymous cart became
    a customer's); ``sku``/``quantity`` for single line changes."""

    event_type: ClassVar[str] = "carts.cart_changed"
    change: str
    sku: str | None = None
    quantity: int | None = None
    version: int


class CartMerged(_CartFact):
    """``merged_cart_id``'s lines went into ``cart_id`` (``reason``: sign_in, customer_identified by
    staff, customers_merged)."""

    event_type: ClassVar[str] = "carts.cart_merged"
    merged_cart_id: str
    reason: str
    lines_added: int
    lines_summed: int


class CartAbandoned(_CartFact):
    """Untouched for ``idle_seconds``; ``channel`` is the channel of the last change."""

    event_type: ClassVar[str] = "carts.cart_abandoned"
    channel_started: str
    skus: list[str]
    idle_seconds: int


class CartOrdered(_CartFact):
    event_type: ClassVar[str] = "carts.cart_ordered"
    order_id: str
