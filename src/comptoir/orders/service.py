"""orders: the domain's operations (its public interface with schemas.py and events.py).

Reads (``get_order``, ``orders_of``) and ``record_returned`` live here; the checkout is in
:mod:`comptoir.orders.checkout` and the lifecycle in :mod:`comptoir.orders.lifecycle`, both
re-exported below so other domains and routes call ``comptoir.orders.service`` only.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select, update

from comptoir.core import clock
from comptoir.core.errors import Conflict, InvalidInput, not_found
from comptoir.core.uow import UnitOfWork
from comptoir.orders import policies
from comptoir.orders.checkout import checkout
from comptoir.orders.events import OrderLinesReturned
from comptoir.orders.exit_passes import (
    ExitPassOut,
    ExitPassVerdictOut,
    ExitPassVerifyIn,
    issue_exit_pass,
    verify_exit_pass,
)
from comptoir.orders.lifecycle import cancel, expire_uncollected, transition
from comptoir.orders.models import Order, OrderLine
from comptoir.orders.read import load_order, order_summaries, pick_list
from comptoir.orders.rules import load_rules, rules_version, save_rules
from comptoir.orders.schemas import OrderOut, OrderSummaryOut, ReturnedLine

__all__ = [
    "ExitPassOut",
    "ExitPassVerdictOut",
    "ExitPassVerifyIn",
    "cancel",
    "checkout",
    "customer_section",
    "expire_uncollected",
    "find_order",
    "find_order_by_number",
    "get_order",
    "issue_exit_pass",
    "list_orders",
    "load_rules",
    "orders_of",
    "pick_list",
    "record_returned",
    "rules_version",
    "save_rules",
    "transition",
    "verify_exit_pass",
]


def order_shops(order: OrderOut) -> set[str]:
    """The shops an order concerns: where it was taken, collected, and fulfilled from (a shop-bound
    caller reaches the orders of its shops only)."""
    shops = {p for f in order.fulfilments for p in (f.place_id, f.source_place_id)}
    if order.pickup_place_id:
        shops.add(order.pickup_place_id)
    if order.channel.startswith("store:"):
        shops.add(order.channel.split(":", 1)[1])
    return shops


def get_order(uow: UnitOfWork, order_id: str) -> OrderOut:
    order = load_order(uow, order_id)
    if order is None:
        raise not_found("Order", order_id)
    return order


def find_order(uow: UnitOfWork, order_id: str) -> OrderOut | None:
    return load_order(uow, order_id)


def find_order_by_number(uow: UnitOfWork, number: str) -> OrderOut | None:
    """The order whose number a customer reads out or shows ("CMD-7K2M9QXA", case and dashes forgiving)."""
    norm = policies.normalise_order_number(number)
    order_id = uow.session.execute(select(Order.id).where(Order.number == norm)).scalar_one_or_none()
    return None if order_id is None else load_order(uow, order_id)


def orders_of(uow: UnitOfWork, customer_id: str, limit: int = 20) -> list[OrderSummaryOut]:
    """The customer's orders, newest first, on every channel."""
    return order_summaries(uow, customer_id=customer_id, limit=limit)


def list_orders(
    uow: UnitOfWork,
    *,
    limit: int = 50,
    status: str | None = None,
    mode: str | None = None,
    channel: str | None = None,
    customer_id: str | None = None,
    before: str | None = None,
    place_id: str | None = None,
    number: str | None = None,
) -> list[OrderSummaryOut]:
    return order_summaries(
        uow,
        limit=limit,
        status=status,
        mode=mode,
        channel=channel,
        customer_id=customer_id,
        before=before,
        place_id=place_id,
        number=None if number is None else policies.normalise_order_number(number),
    )


def record_returned(uow: UnitOfWork, order_id: str, lines: Sequence[ReturnedLine]) -> None:
    """Add returned quantities to the order's lines (returns calls it when goods come back).

    Guarded per line: the returned quantity never exceeds what was bought, even with two returns racing.
    """
    exists = uow.session.execute(
        select(Order.id, Order.customer_id, Order.channel).where(Order.id == order_id)
    ).first()
    if exists is None:
        raise not_found("Order", order_id)
    for index, line in enumerate(lines):
        result = uow.session.execute(
            update(OrderLine)
            .where(
                OrderLine.order_id == order_id,
                OrderLine.line_id == line.line_id,
                OrderLine.returned_quantity + line.quantity <= OrderLine.quantity,
            )
            .values(returned_quantity=OrderLine.returned_quantity + line.quantity)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            known = uow.session.execute(
                select(OrderLine.quantity, OrderLine.returned_quantity).where(
                    OrderLine.order_id == order_id, OrderLine.line_id == line.line_id
                )
            ).first()
            if known is None:
                raise InvalidInput(
                    f"Order {order_id} has no line {line.line_id}.", field=f"lines/{index}/line_id"
                )
            raise Conflict(
                f"Line {line.line_id} had {known.quantity} unit(s), {known.returned_quantity} already returned: "
                f"{line.quantity} more cannot be returned.",
                slug="return-exceeds-order",
            )
    uow.session.execute(
        update(Order).where(Order.id == order_id).values(updated_at=clock.now(), version=Order.version + 1)
    )
    uow.record(
        OrderLinesReturned(
            order_id=order_id,
            customer_id=exists.customer_id,
            channel=exists.channel,
            lines=[{"line_id": line.line_id, "quantity": line.quantity} for line in lines],
        )
    )


def customer_section(uow: UnitOfWork, customer_id: str) -> dict[str, Any]:
    """This domain's section of the 360° customer view: open web orders first, then recent orders."""
    recent = order_summaries(uow, customer_id=customer_id, limit=10)
    open_orders = order_summaries(uow, customer_id=customer_id, limit=10, open_only=True)
    return {
        "open_orders": [o.model_dump(mode="json") for o in open_orders],
        "recent_orders": [o.model_dump(mode="json") for o in recent],
    }


# Reads for the back office (appended).
from comptoir.orders.reporting import (  # noqa: E402
    OrderListItem,
    PickupReadiness,
    SalesRow,
    order_timeline,
    pickup_readiness,
    sales_summary,
    search_orders,
)

__all__ += [
    "OrderListItem",
    "PickupReadiness",
    "SalesRow",
    "order_timeline",
    "pickup_readiness",
    "sales_summary",
    "search_orders",
]
