"""returns: the order's facts and the claims on its lines — the one lock on units being returned.

Creating a return *claims* the units on ``returns_claims`` with a guarded UPDATE (``claimed + n <=
bought``), so two returns of the same line racing from two channels can never take back more than was
bought; refusing or cancelling gives the claim back.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import select, update

from comptoir.core import clock
from comptoir.core.db import insert_ignore
from comptoir.core.errors import not_found
from comptoir.core.uow import UnitOfWork
from comptoir.orders import service as orders_service
from comptoir.orders.schemas import OrderOut
from comptoir.returns import policies
from comptoir.returns.models import SHIPPING_LINE, Claim
from comptoir.returns.rules import current_policy
from comptoir.returns.schemas import ReturnabilityLineOut, ReturnabilityOut


def order_for_return(uow: UnitOfWork, order_id: str) -> OrderOut:
    order = orders_service.get_order(uow, order_id)
    customer = uow.actor.customer_id
    if customer is not None and order.customer_id != customer:
        raise not_found("Order", order_id)
    return order


def window_start(order: OrderOut) -> datetime:
    handed_over = [f.updated_at for f in order.fulfilments if f.status in ("delivered", "collected")]
    return policies.window_start(order.created_at, handed_over)


def ensure_claims(uow: UnitOfWork, order: OrderOut) -> dict[str, Claim]:
    insert_ignore(
        uow.session,
        Claim,
        [
            {
                "order_id": order.id,
                "line_id": line.line_id,
                "bought": line.quantity,
                "line_total": line.total,
                "claimed": 0,
                "refunded": 0,
                "refunded_amount": Decimal(0),
            }
            for line in order.lines
        ]
        + [
            {
                "order_id": order.id,
                "line_id": SHIPPING_LINE,
                "bought": 1,
                "line_total": order.totals.shipping_total,
                "claimed": 0,
                "refunded": 0,
                "refunded_amount": Decimal(0),
            }
        ],
    )
    rows = uow.session.scalars(select(Claim).where(Claim.order_id == order.id)).all()
    return {row.line_id: row for row in rows}


def claims_read(uow: UnitOfWork, order_id: str) -> dict[str, int]:
    rows = uow.session.execute(select(Claim.line_id, Claim.claimed).where(Claim.order_id == order_id)).all()
    return {r.line_id: r.claimed for r in rows}


def claim(uow: UnitOfWork, order_id: str, line_id: str, quantity: int) -> bool:
    """The one lock: take ``quantity`` units of a line for a return, if still unclaimed."""
    result = uow.session.execute(
        update(Claim)
        .where(Claim.order_id == order_id, Claim.line_id == line_id, Claim.claimed + quantity <= Claim.bought)
        .values(claimed=Claim.claimed + quantity)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def release(uow: UnitOfWork, order_id: str, line_id: str, quantity: int) -> None:
    if quantity > 0:
        uow.session.execute(
            update(Claim)
            .where(Claim.order_id == order_id, Claim.line_id == line_id, Claim.claimed >= quantity)
            .values(claimed=Claim.claimed - quantity)
            .execution_options(synchronize_session=False)
        )


def returnability(uow: UnitOfWork, order_id: str) -> ReturnabilityOut:
    """What of the order may come back now, by which methods, and why not for the rest."""
    order = order_for_return(uow, order_id)
    policy = current_policy(uow)
    origin = policies.origin_of(order.mode)
    started = window_start(order)
    claimed = claims_read(uow, order.id)
    now = clock.now()
    lines = []
    latest_end = None
    for line in order.lines:
        taken = claimed.get(line.line_id, line.returned_quantity)
        facts = policies.LineFacts(line.line_id, line.sku, tuple(line.category_ids), line.quantity, taken)
        refusal = policies.line_refusal(policy, origin, facts, started_at=started, now=now, quantity=1)
        end = policies.window_end(started, policies.window_days(policy, origin, line.category_ids))
        latest_end = end if latest_end is None or end > latest_end else latest_end
        lines.append(
            ReturnabilityLineOut(
                line_id=line.line_id,
                sku=line.sku,
                bought=line.quantity,
                already_returned=taken,
                returnable=0 if refusal else line.quantity - taken,
                unit_price=policies.unit_price(line.total, line.quantity, order.currency),
                refusal=refusal,
            )
        )
    if order.status == "cancelled":
        for out in lines:
            out.returnable, out.refusal = 0, "order-cancelled"
    return ReturnabilityOut(
        order_id=order.id,
        order_number=order.number,
        origin=origin,
        window_ends_at=latest_end,
        methods=policies.allowed_methods(policy, origin),
        lines=lines,
    )
