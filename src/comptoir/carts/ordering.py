"""carts: a cart becomes an order — converted once, then closed to changes."""

from __future__ import annotations

from decimal import Decimal
from typing import cast

from sqlalchemy import Table, bindparam, select, update

from comptoir.carts import policies
from comptoir.carts.editing import event_fields
from comptoir.carts.events import CartOrdered
from comptoir.carts.models import Cart, CartLine
from comptoir.carts.reading import CartClosed, CartLike, LineLike, acting_channel, cart_out, check_reach
from comptoir.carts.schemas import (
    CartOut,
)
from comptoir.core import clock
from comptoir.core.errors import NotFound
from comptoir.core.uow import UnitOfWork


def mark_ordered(uow: UnitOfWork, cart_id: str, order_id: str, *, total: Decimal | None = None) -> None:
    """The cart became order ``order_id`` (contract): later changes are refused (409 ``cart-closed``).
    Idempotent for the same order; another order for the same cart is refused. ``total`` (what the
    order charges) goes into ``carts.cart_ordered``; the cart is not priced again here."""
    _mark_ordered(uow, cart_id, order_id, total)


def order_cart(uow: UnitOfWork, cart_id: str, order_id: str, cart_token: str | None = None) -> CartOut:
    """``mark_ordered`` then ``reach_cart`` (the acting key's access rules, 404 when it may not reach the
    cart), for a checkout: the cart as it is now ordered (its version bumped), **unpriced** (``priced``
    null) — the checkout prices it for its delivery mode."""
    cart, lines = _mark_ordered(uow, cart_id, order_id, None)
    check_reach(uow, cart, cart_token)
    return cart_out(cart, lines, None, None)


_CARTS = cast(Table, Cart.__table__)
_LINES = cast(Table, CartLine.__table__)
# Built once: checkout runs these on every order, and building a statement costs as much as running it.
_ORDER_CART = (
    update(_CARTS)
    .where(_CARTS.c.id == bindparam("cart_id"), _CARTS.c.status.in_(policies.OPEN))
    .values(
        status="ordered",
        order_id=bindparam("new_order_id"),
        closed_at=bindparam("now"),
        version=_CARTS.c.version + 1,
        updated_at=bindparam("now"),
        updated_channel=bindparam("channel"),
    )
    .returning(*_CARTS.c)
)
_CART = select(_CARTS).where(_CARTS.c.id == bindparam("cart_id"))
_CART_LINES = (
    select(_LINES).where(_LINES.c.cart_id == bindparam("cart_id")).order_by(_LINES.c.position, _LINES.c.id)
)


def _mark_ordered(
    uow: UnitOfWork, cart_id: str, order_id: str, total: Decimal | None
) -> tuple[CartLike, list[LineLike]]:
    session = uow.session
    if session.new or session.dirty or session.deleted:
        session.flush()
    channel = acting_channel(uow)
    # One guarded UPDATE locks, checks and converts the cart (a racing checkout of the same cart waits
    # on the row, then finds it no longer open); RETURNING gives the cart without another read.
    conn = session.connection()
    row = conn.execute(
        _ORDER_CART, {"cart_id": cart_id, "new_order_id": order_id, "now": clock.now(), "channel": channel}
    ).first()
    converted = row is not None
    if row is None:
        row = conn.execute(_CART, {"cart_id": cart_id}).first()
        if row is None:
            raise NotFound(f"No cart {cart_id}.")
        if row.status != "ordered":
            raise CartClosed(row.id, row.status, merged_into=row.merged_into)
        if row.order_id != order_id:
            raise CartClosed(row.id, row.status, order_id=row.order_id)
    if session.identity_map:
        loaded = session.identity_map.get(session.identity_key(Cart, cart_id))
        if loaded is not None:
            session.expire(loaded)  # an ORM copy loaded earlier in this unit of work is now stale
    cart = cast(CartLike, row)
    lines = [cast(LineLike, r) for r in conn.execute(_CART_LINES, {"cart_id": cart_id}).all()]
    if converted:
        fields = event_fields(cart, lines, None, channel)
        fields["total"] = str(total) if total is not None else None
        uow.record(CartOrdered(**fields, order_id=order_id))
    return cart, lines
