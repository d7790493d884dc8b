"""orders: the read model (an order with its lines, fulfilments and payments) in few queries."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import func, select

from comptoir.core.uow import UnitOfWork
from comptoir.inventory import service as inventory_service
from comptoir.orders import policies
from comptoir.orders.models import Fulfilment, FulfilmentLine, Order, OrderLine
from comptoir.orders.schemas import (
    FulfilmentLineOut,
    FulfilmentOut,
    OrderLineOut,
    OrderOut,
    OrderPaymentOut,
    OrderSummaryOut,
    OrderTotalsOut,
    PickListLineOut,
    PickListOut,
    SourcingDecisionOut,
)
from comptoir.payments import service as payments_service


def _money(value: Any, currency: str) -> Any:
    return policies.money(value, currency)


def fulfilments_of(uow: UnitOfWork, order_ids: list[str]) -> dict[str, list[FulfilmentOut]]:
    if not order_ids:
        return {}
    rows = (
        uow.session.execute(
            select(Fulfilment)
            .where(Fulfilment.order_id.in_(order_ids))
            .order_by(Fulfilment.order_id, Fulfilment.id)
        )
        .scalars()
        .all()
    )
    lines: dict[str, list[FulfilmentLineOut]] = defaultdict(list)
    if rows:
        for line in uow.session.execute(
            select(FulfilmentLine)
            .where(FulfilmentLine.fulfilment_id.in_([r.id for r in rows]))
            .order_by(FulfilmentLine.fulfilment_id, FulfilmentLine.line_id)
        ).scalars():
            lines[line.fulfilment_id].append(
                FulfilmentLineOut(line_id=line.line_id, sku=line.sku, quantity=line.quantity)
            )
    out: dict[str, list[FulfilmentOut]] = defaultdict(list)
    for r in rows:
        out[r.order_id].append(
            FulfilmentOut(
                id=r.id,
                kind=r.kind,
                place_id=r.place_id,
                source_place_id=r.source_place_id,
                status=r.status,
                lines=lines[r.id],
                reservation_reference=r.reservation_reference,
                pickup_expires_at=r.pickup_expires_at,
                tracking_number=r.tracking_number,
                updated_at=r.updated_at,
            )
        )
    return out


def load_order(uow: UnitOfWork, order_id: str, *, with_payments: bool = True) -> OrderOut | None:
    order = uow.session.get(Order, order_id)
    if order is None:
        return None
    lines = (
        uow.session.execute(
            select(OrderLine).where(OrderLine.order_id == order_id).order_by(OrderLine.position)
        )
        .scalars()
        .all()
    )
    fulfilments = fulfilments_of(uow, [order_id])[order_id]
    payments: list[OrderPaymentOut] = []
    if with_payments:
        payments = [
            OrderPaymentOut(
                payment_id=p.id, method=p.method, amount=p.amount, state=p.state, next_action=p.next_action
            )
            for p in payments_service.payments_of(uow, order_id)
        ]
    cur = order.currency
    return OrderOut(
        id=order.id,
        number=order.number,
        customer_id=order.customer_id,
        channel=order.channel,
        currency=cur,
        status=order.status,
        mode=order.mode,
        payment_status=order.payment_status,
        lines=[
            OrderLineOut(
                line_id=line.line_id,
                sku=line.sku,
                quantity=line.quantity,
                unit_price=_money(line.unit_price, cur),
                discount=_money(line.discount, cur),
                total=_money(line.total, cur),
                vat_rate=line.vat_rate.normalize(),
                category_ids=list(line.category_ids or []),
                returned_quantity=line.returned_quantity,
            )
            for line in lines
        ],
        fulfilments=fulfilments,
        totals=OrderTotalsOut(
            subtotal=_money(order.subtotal, cur),
            discount_total=_money(order.discount_total, cur),
            shipping_total=_money(order.shipping_total, cur),
            tax_total=_money(order.tax_total, cur),
            total=_money(order.total, cur),
        ),
        payments=payments,
        cart_id=order.cart_id,
        seller_id=order.seller_id,
        email=order.email,
        address=order.address,
        pickup_place_id=order.pickup_place_id,
        sourcing=SourcingDecisionOut.model_validate(order.sourcing) if order.sourcing else None,
        created_at=order.created_at,
        paid_at=order.paid_at,
        version=order.version,
    )


def order_summaries(
    uow: UnitOfWork,
    *,
    customer_id: str | None = None,
    limit: int = 20,
    open_only: bool = False,
    status: str | None = None,
    mode: str | None = None,
    channel: str | None = None,
    before: str | None = None,
    place_id: str | None = None,
    number: str | None = None,
) -> list[OrderSummaryOut]:
    items = (
        select(func.coalesce(func.sum(OrderLine.quantity), 0))
        .where(OrderLine.order_id == Order.id)
        .correlate(Order)
        .scalar_subquery()
    )
    query = select(Order, items)
    if customer_id is not None:
        query = query.where(Order.customer_id == customer_id)
    if open_only:
        query = query.where(Order.status.in_(policies.OPEN_ORDER_STATUSES))
    if status is not None:
        query = query.where(Order.status == status)
    if mode is not None:
        query = query.where(Order.mode == mode)
    if channel is not None:
        query = query.where(Order.channel == channel)
    if before is not None:
        query = query.where(Order.id < before)
    if place_id is not None:  # a store's orders: taken there, or to be collected there
        query = query.where((Order.channel == f"store:{place_id}") | (Order.pickup_place_id == place_id))
    if number is not None:
        query = query.where(Order.number == number)
    rows = uow.session.execute(query.order_by(Order.id.desc()).limit(limit)).all()
    return [
        OrderSummaryOut(
            id=o.id,
            number=o.number,
            channel=o.channel,
            mode=o.mode,
            status=o.status,
            payment_status=o.payment_status,
            currency=o.currency,
            total=_money(o.total, o.currency),
            items=int(n or 0),
            created_at=o.created_at,
        )
        for o, n in rows
    ]


PICKABLE = ("placed", "allocated", "picking", "in_transit", "ready_for_pickup")


def pick_list(uow: UnitOfWork, place_id: str, statuses: tuple[str, ...] = PICKABLE) -> PickListOut:
    """What a store (or warehouse) has to prepare: fulfilments it sources or hands over, oldest first."""
    rows = uow.session.execute(
        select(Fulfilment.id, Fulfilment.order_id, Order.number)
        .join(Order, Order.id == Fulfilment.order_id)
        .where(
            (Fulfilment.source_place_id == place_id) | (Fulfilment.place_id == place_id),
            Fulfilment.status.in_(statuses),
        )
        .order_by(Fulfilment.created_at, Fulfilment.id)
        .limit(500)
    ).all()
    numbers = {r.order_id: r.number for r in rows}
    by_order = fulfilments_of(uow, sorted(numbers))
    wanted = {r.id for r in rows}
    fulfilments = [f for fs in by_order.values() for f in fs if f.id in wanted]
    # Where each SKU sits in this place (aisle-shelf-bin), so the pick list walks the shop floor in order.
    skus = sorted({line.sku for f in fulfilments for line in f.lines})
    shelves: dict[str, str] = {}
    for sku, levels in (inventory_service.stock_levels(uow, skus, [place_id]) if skus else {}).items():
        for level in levels:
            if level.location is not None:
                shelves[sku] = "-".join(
                    p for p in (level.location.aisle, level.location.shelf, level.location.bin) if p
                )
    for f in fulfilments:
        for line in f.lines:
            line.location = shelves.get(line.sku) or None
    fulfilments.sort(key=lambda f: f.id)
    lines = [
        PickListLineOut(
            order_id=oid,
            order_number=numbers[oid],
            fulfilment_id=f.id,
            kind=f.kind,
            status=f.status,
            sku=line.sku,
            quantity=line.quantity,
            location=line.location,
        )
        for oid, fs in by_order.items()
        for f in fs
        if f.id in wanted
        for line in f.lines
    ]
    lines.sort(key=lambda line: (line.location or "~", line.sku, line.fulfilment_id))
    return PickListOut(place_id=place_id, fulfilments=fulfilments, lines=lines)


def order_out(
    row: dict[str, Any],
    line_rows: list[dict[str, Any]],
    fulfilment_rows: list[dict[str, Any]],
    fulfilment_lines: list[dict[str, Any]],
    payments: list[Any],
) -> OrderOut:
    """The read model from the rows a checkout just wrote (no second trip to the database)."""
    cur = row["currency"]
    by_fulfilment: dict[str, list[FulfilmentLineOut]] = defaultdict(list)
    for line in fulfilment_lines:
        by_fulfilment[line["fulfilment_id"]].append(
            FulfilmentLineOut(line_id=line["line_id"], sku=line["sku"], quantity=line["quantity"])
        )
    return OrderOut(
        id=row["id"],
        number=row["number"],
        customer_id=row["customer_id"],
        channel=row["channel"],
        currency=cur,
        status=row["status"],
        mode=row["mode"],
        payment_status=row["payment_status"],
        lines=[
            OrderLineOut(
                line_id=x["line_id"],
                sku=x["sku"],
                quantity=x["quantity"],
                unit_price=x["unit_price"],
                discount=x["discount"],
                total=x["total"],
                vat_rate=x["vat_rate"].normalize(),
                category_ids=list(x["category_ids"]),
                returned_quantity=0,
            )
            for x in line_rows
        ],
        fulfilments=[
            FulfilmentOut(
                id=f["id"],
                kind=f["kind"],
                place_id=f["place_id"],
                source_place_id=f["source_place_id"],
                status=f["status"],
                lines=sorted(by_fulfilment[f["id"]], key=lambda x: x.line_id),
                reservation_reference=f["reservation_reference"],
                pickup_expires_at=f["pickup_expires_at"],
                tracking_number=None,
                updated_at=f["updated_at"],
            )
            for f in sorted(fulfilment_rows, key=lambda f: str(f["id"]))
        ],
        totals=OrderTotalsOut(
            subtotal=row["subtotal"],
            discount_total=row["discount_total"],
            shipping_total=row["shipping_total"],
            tax_total=row["tax_total"],
            total=row["total"],
        ),
        payments=[
            OrderPaymentOut(
                payment_id=p.id, method=p.method, amount=p.amount, state=p.state, next_action=p.next_action
            )
            for p in payments
        ],
        cart_id=row["cart_id"],
        seller_id=row["seller_id"],
        email=row["email"],
        address=row["address"],
        pickup_place_id=row["pickup_place_id"],
        sourcing=SourcingDecisionOut.model_validate(row["sourcing"]),
        created_at=row["created_at"],
        paid_at=row["paid_at"],
        version=row["version"],
    )
