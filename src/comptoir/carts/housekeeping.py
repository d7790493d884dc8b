"""carts: erasure, abandonment, purging, and the customer's 360° section."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import and_, delete, or_, select

from comptoir.carts import policies
from comptoir.carts.editing import event_fields
from comptoir.carts.events import CartAbandoned
from comptoir.carts.models import Cart, CartLine
from comptoir.carts.reading import lines_of, open_cart_of, try_price
from comptoir.catalog import service as catalog_service
from comptoir.core import clock
from comptoir.core.uow import UnitOfWork


def erase_customers(uow: UnitOfWork, customer_ids: Sequence[str]) -> int:
    """GDPR erasure: the carts of these customers go (orders keep what they need on their own)."""
    ids = list(uow.session.scalars(select(Cart.id).where(Cart.customer_id.in_(list(customer_ids)))))
    if not ids:
        return 0
    uow.session.execute(delete(CartLine).where(CartLine.cart_id.in_(ids)))
    uow.session.execute(delete(Cart).where(Cart.id.in_(ids)))
    return len(ids)


# -- abandonment -------------------------------------------------------------------------------------------


def abandon_idle(uow: UnitOfWork, idle_after: timedelta, *, limit: int = 500) -> int:
    """Mark open carts with lines, unchanged for ``idle_after``, as abandoned (a later change re-opens
    them); one ``carts.cart_abandoned`` each. Skips carts being changed right now."""
    now = clock.now()
    has_lines = select(CartLine.id).where(CartLine.cart_id == Cart.id).exists()
    stmt = (
        select(Cart)
        .where(Cart.status == "open", Cart.updated_at <= now - idle_after, has_lines)
        .order_by(Cart.updated_at, Cart.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    carts = list(uow.session.scalars(stmt))
    for cart in carts:
        lines = lines_of(uow, cart.id)
        priced, _ = try_price(uow, cart, lines)
        cart.status, cart.abandoned_at = "abandoned", now
        uow.record(
            CartAbandoned(
                **event_fields(cart, lines, priced, cart.updated_channel),
                channel_started=cart.channel_started,
                skus=[line.sku for line in lines],
                idle_seconds=int((now - cart.updated_at).total_seconds()),
            )
        )
    uow.session.flush()
    return len(carts)


def purge_stale(uow: UnitOfWork, older_than: timedelta, *, limit: int = 500) -> int:
    """Delete anonymous carts nobody claimed (not ordered) and carts closed as merged, unchanged for
    ``older_than``: their lines are elsewhere or were never anyone's."""
    cutoff = clock.now() - older_than
    ids = list(
        uow.session.scalars(
            select(Cart.id)
            .where(
                Cart.updated_at < cutoff,
                or_(
                    Cart.status == "merged",
                    and_(Cart.customer_id.is_(None), Cart.status.in_(policies.OPEN)),
                ),
            )
            .order_by(Cart.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    if ids:
        uow.session.execute(delete(CartLine).where(CartLine.cart_id.in_(ids)))
        uow.session.execute(delete(Cart).where(Cart.id.in_(ids)))
    return len(ids)


# -- 360° --------------------------------------------------------------------------------------------------


def customer_section(uow: UnitOfWork, customer_id: str) -> dict[str, Any]:
    """This domain's section of the 360° customer view: the open cart, its lines and total."""
    cart = open_cart_of(uow, customer_id)
    if cart is None:
        return {"open_cart": None}
    lines = lines_of(uow, cart.id)
    priced, problem = try_price(uow, cart, lines)
    names = {sku: v.name for sku, v in catalog_service.get_variants(uow, [x.sku for x in lines]).items()}
    totals = {p.line_id: p.total for p in priced.lines} if priced is not None else {}
    return {
        "open_cart": {
            "id": cart.id,
            "status": cart.status,
            "channel_started": cart.channel_started,
            "store_id": cart.store_id,
            "updated_at": cart.updated_at.isoformat(),
            "updated_channel": cart.updated_channel,
            "currency": cart.currency,
            "items_count": sum(x.quantity for x in lines),
            "lines": [
                {
                    "line_id": x.id,
                    "sku": x.sku,
                    "name": names.get(x.sku, x.sku),
                    "quantity": x.quantity,
                    "channel_added": x.channel_added,
                    "total": str(totals[x.id]) if x.id in totals else None,
                }
                for x in lines
            ],
            "coupons": list(cart.coupons),
            "total": str(priced.total) if priced is not None else None,
            "pricing_problem": problem,
        }
    }
