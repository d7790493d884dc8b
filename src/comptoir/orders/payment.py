"""orders and payments: taking payment at checkout, capturing when goods leave, "paid" exactly once."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import select, update

from comptoir.core import clock
from comptoir.core.errors import InvalidInput
from comptoir.core.uow import UnitOfWork
from comptoir.inventory import service as inventory_service
from comptoir.orders import policies
from comptoir.orders.events import OrderPaid, PaidLine, StoreSaleCompleted
from comptoir.orders.models import Fulfilment, Order, OrderLine
from comptoir.orders.schemas import CheckoutIn
from comptoir.payments import schemas as payments_schemas
from comptoir.payments import service as payments_service


def authorise(
    uow: UnitOfWork,
    order_id: str,
    customer_id: str | None,
    channel: str,
    currency: str,
    cmd: CheckoutIn,
    total: Decimal,
    rules: policies.OrdersRules,
) -> list[Any]:
    """Authorise the tenders (stored value is debited, cards authorised, till payments pending).

    The order row does not exist yet: the caller writes it with the payment status these give."""
    try:
        tenders = policies.split_tenders(
            cmd.mode, total, [(t.method, t.amount, t.details) for t in cmd.tenders], rules
        )
    except policies.TenderProblem as problem:
        raise InvalidInput(str(problem), field=problem.field) from None
    if not tenders:
        return []
    return payments_service.authorise(
        uow,
        payments_schemas.AuthoriseIn(
            order_id=order_id,
            customer_id=customer_id,
            tenders=[
                payments_schemas.TenderIn(method=t.method, amount=t.amount, details=t.details)
                for t in tenders
            ],
            currency=currency,
            channel=channel,
        ),
        new_order=True,  # order_id was made by this checkout
    )


def _set_payment_status(uow: UnitOfWork, order_id: str, states: Sequence[str]) -> str:
    status = policies.payment_status(states) if states else "paid"
    uow.session.execute(update(Order).where(Order.id == order_id).values(payment_status=status))
    return status


def settle(uow: UnitOfWork, order_id: str, payments: Sequence[Any] | None = None) -> str:
    """Bring the order's payment status up to date; the first time every payment is captured,
    record ``orders.order_paid`` (a guarded UPDATE on ``paid_at`` makes it happen once)."""
    if payments is None:
        payments = payments_service.payments_of(uow, order_id)
    states = [p.state for p in payments]
    status = _set_payment_status(uow, order_id, states)
    if status == "paid":
        mark_paid(uow, order_id)
    return status


def mark_paid(uow: UnitOfWork, order_id: str) -> bool:
    now = clock.now()
    result = uow.session.execute(
        update(Order)
        .where(Order.id == order_id, Order.paid_at.is_(None), Order.status != "cancelled")
        .values(paid_at=now, payment_status="paid", updated_at=now)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return False
    order = uow.session.execute(
        select(Order.customer_id, Order.channel, Order.number, Order.total, Order.currency).where(
            Order.id == order_id
        )
    ).one()
    lines = uow.session.execute(
        select(OrderLine.line_id, OrderLine.sku, OrderLine.quantity, OrderLine.total, OrderLine.category_ids)
        .where(OrderLine.order_id == order_id)
        .order_by(OrderLine.position)
    ).all()
    uow.record(
        OrderPaid(
            order_id=order_id,
            customer_id=order.customer_id,
            channel=order.channel,
            number=order.number,
            lines=[
                PaidLine(
                    line_id=line.line_id,
                    sku=line.sku,
                    quantity=line.quantity,
                    amount=str(policies.money(line.total, order.currency)),
                    category_ids=list(line.category_ids or []),
                )
                for line in lines
            ],
            total=str(policies.money(order.total, order.currency)),
            currency=order.currency,
        )
    )
    return True


def capture(uow: UnitOfWork, order_id: str) -> str:
    """Goods left (shipped, collected): capture what was authorised or pending."""
    payments = payments_service.capture_order(uow, order_id)
    return settle(uow, order_id, payments)


def settle_store_sale(uow: UnitOfWork, order_id: str, fulfilment_ids: list[str]) -> list[Any]:
    """A till sale: the goods leave now, the payment is captured, the sale is complete."""
    for fulfilment_id in fulfilment_ids:
        inventory_service.fulfil(uow, fulfilment_id, movement_reference=f"{order_id}:{fulfilment_id}")
    payments = payments_service.capture_order(uow, order_id)
    settle(uow, order_id, payments)
    now = clock.now()
    uow.session.execute(update(Order).where(Order.id == order_id).values(status="completed", updated_at=now))
    order = uow.session.execute(
        select(
            Order.customer_id,
            Order.channel,
            Order.number,
            Order.email,
            Order.receipt_by_email,
            Order.total,
            Order.currency,
            Order.pickup_place_id,
        ).where(Order.id == order_id)
    ).one()
    place_id = uow.session.execute(
        select(Fulfilment.place_id).where(Fulfilment.order_id == order_id).limit(1)
    ).scalar_one()
    uow.record(
        StoreSaleCompleted(
            order_id=order_id,
            customer_id=order.customer_id,
            channel=order.channel,
            number=order.number,
            place_id=place_id,
            receipt_email=order.email if order.receipt_by_email else None,
            total=str(policies.money(order.total, order.currency)),
            currency=order.currency,
        )
    )
    return list(payments)


def void(uow: UnitOfWork, order_id: str) -> str:
    payments = payments_service.void_order(uow, order_id)
    states = [p.state for p in payments]
    return _set_payment_status(uow, order_id, states) if states else "voided"
