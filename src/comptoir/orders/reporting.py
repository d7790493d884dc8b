"""orders: reads for the back office's dashboard and order list — aggregates computed in SQL.

An order's *shop* is the shop it was taken in (a ``store:<id>`` channel), otherwise the shop where it is
collected; a home delivery ordered online has none. Its *channel* is ``store`` for every shop, else the
channel itself (``web``, ``app``, ``call-centre``, ``live``). Cancelled orders are not sales.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from decimal import Decimal

from sqlalchemy import ColumnElement, case, func, literal, select
from sqlalchemy.orm import InstrumentedAttribute

from comptoir.core.types import Schema
from comptoir.core.uow import UnitOfWork
from comptoir.inventory import service as inventory_service
from comptoir.orders import policies
from comptoir.orders.models import Fulfilment, Order, OrderLine, Transition
from comptoir.orders.schemas import OrderSummaryOut

PICKUP_KINDS = ("pickup_from_store_stock", "pickup_after_transfer")
HANDED_OVER = ("ready_for_pickup", "collected", "expired")
STORE_PREFIX = "store:"


class SalesRow(Schema):
    """Orders of one channel, shop, mode and currency over a period."""

    channel: str
    shop_id: str | None
    mode: str
    currency: str
    orders: int
    revenue: Decimal
    units: int
    units_returned: int


class PickupReadiness(Schema):
    """One click & collect parcel: when it was ordered, promised and made ready (None: not yet)."""

    fulfilment_id: str
    order_id: str
    shop_id: str
    status: str
    placed_at: datetime
    promised_at: datetime | None
    ready_at: datetime | None

    @property
    def on_time(self) -> bool | None:
        """True/False once ready (None while not ready, or when no promise could be made)."""
        if self.ready_at is None or self.promised_at is None:
            return None
        return self.ready_at <= self.promised_at

    @property
    def ready(self) -> bool:
        """Made ready (its time recorded, or known from a later status: collected, not collected)."""
        return self.ready_at is not None or self.status in HANDED_OVER


class OrderListItem(OrderSummaryOut):
    shop_id: str | None


def _channel_kind() -> ColumnElement[str]:
    return case((Order.channel.like(f"{STORE_PREFIX}%"), literal("store")), else_=Order.channel)


def _shop() -> ColumnElement[str | None]:
    return case(
        (Order.channel.like(f"{STORE_PREFIX}%"), func.substr(Order.channel, len(STORE_PREFIX) + 1)),
        else_=Order.pickup_place_id,
    )


def _line_sum(column: InstrumentedAttribute[int]) -> ColumnElement[int]:
    """The order's lines' total of ``column`` (0 without lines), as a correlated subquery."""
    return (
        select(func.coalesce(func.sum(column), 0))
        .where(OrderLine.order_id == Order.id)
        .correlate(Order)
        .scalar_subquery()
    )


def _units() -> ColumnElement[int]:
    return _line_sum(OrderLine.quantity)


def _returned() -> ColumnElement[int]:
    return _line_sum(OrderLine.returned_quantity)


def sales_summary(
    uow: UnitOfWork, since: datetime, until: datetime, shops: Collection[str] | None = None
) -> list[SalesRow]:
    """Orders placed in ``[since, until)`` grouped by channel, shop, mode and currency: their count,
    revenue (order totals), units bought and units since returned. ``shops`` keeps those shops' orders."""
    per_order = (
        select(
            _channel_kind().label("channel"),
            _shop().label("shop_id"),
            Order.mode.label("mode"),
            Order.currency.label("currency"),
            Order.total.label("total"),
            _units().label("units"),
            _returned().label("returned"),
        )
        .where(Order.created_at >= since, Order.created_at < until, Order.status != "cancelled")
        .subquery()
    )
    c = per_order.c
    query = select(
        c.channel,
        c.shop_id,
        c.mode,
        c.currency,
        func.count().label("orders"),
        func.coalesce(func.sum(c.total), 0).label("revenue"),
        func.coalesce(func.sum(c.units), 0).label("units"),
        func.coalesce(func.sum(c.returned), 0).label("returned"),
    ).group_by(c.channel, c.shop_id, c.mode, c.currency)
    if shops is not None:
        query = query.where(c.shop_id.in_(sorted(shops)))
    rows = uow.session.execute(query.order_by(c.channel, c.shop_id, c.mode, c.currency)).all()
    return [
        SalesRow(
            channel=r.channel,
            shop_id=r.shop_id,
            mode=r.mode,
            currency=r.currency,
            orders=int(r.orders),
            revenue=policies.money(Decimal(r.revenue), r.currency),
            units=int(r.units),
            units_returned=int(r.returned),
        )
        for r in rows
    ]


def pickup_readiness(
    uow: UnitOfWork, since: datetime, until: datetime, shops: Collection[str] | None = None
) -> list[PickupReadiness]:
    """The click & collect parcels of orders placed in ``[since, until)``: the first time each was ready
    (one grouped query), and the promise the shop's opening hours made when the order was placed."""
    ready_at = func.min(Transition.at).label("ready_at")
    query = (
        select(
            Fulfilment.id,
            Fulfilment.order_id,
            Fulfilment.place_id,
            Fulfilment.status,
            Order.created_at,
            ready_at,
        )
        .join(Order, Order.id == Fulfilment.order_id)
        .outerjoin(
            Transition,
            (Transition.fulfilment_id == Fulfilment.id) & (Transition.to_status == "ready_for_pickup"),
        )
        .where(
            Fulfilment.kind.in_(PICKUP_KINDS),
            Order.created_at >= since,
            Order.created_at < until,
            Order.status != "cancelled",
            Fulfilment.status != "cancelled",
        )
        .group_by(
            Fulfilment.id, Fulfilment.order_id, Fulfilment.place_id, Fulfilment.status, Order.created_at
        )
        .order_by(Order.created_at, Fulfilment.id)
    )
    if shops is not None:
        query = query.where(Fulfilment.place_id.in_(sorted(shops)))
    rows = uow.session.execute(query).all()
    promised = inventory_service.pickup_promises_at(uow, [(r.place_id, r.created_at) for r in rows])
    return [
        PickupReadiness(
            fulfilment_id=r.id,
            order_id=r.order_id,
            shop_id=r.place_id,
            status=r.status,
            placed_at=r.created_at,
            promised_at=promise,
            ready_at=r.ready_at,
        )
        for r, promise in zip(rows, promised, strict=True)
    ]


def search_orders(
    uow: UnitOfWork,
    *,
    channel: str | None = None,
    shops: Collection[str] | None = None,
    status: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 50,
    before: str | None = None,
) -> list[OrderListItem]:
    """Orders newest first, filtered by channel (``store`` for every shop), shops, status and period."""
    shop = _shop().label("shop_id")
    query = select(Order, _units().label("items"), shop)
    if channel is not None:
        query = query.where(_channel_kind() == channel)
    if shops is not None:
        query = query.where(_shop().in_(sorted(shops)))
    if status is not None:
        query = query.where(Order.status == status)
    if since is not None:
        query = query.where(Order.created_at >= since)
    if until is not None:
        query = query.where(Order.created_at < until)
    if before is not None:
        query = query.where(Order.id < before)
    rows = uow.session.execute(query.order_by(Order.id.desc()).limit(limit)).all()
    return [
        OrderListItem(
            id=o.id,
            number=o.number,
            channel=o.channel,
            mode=o.mode,
            status=o.status,
            payment_status=o.payment_status,
            currency=o.currency,
            total=policies.money(o.total, o.currency),
            items=int(items or 0),
            created_at=o.created_at,
            shop_id=shop_id,
        )
        for o, items, shop_id in rows
    ]


def order_timeline(uow: UnitOfWork, order_id: str) -> list[tuple[datetime, str | None, str | None, str]]:
    """Every status change of the order and its parcels, oldest first:
    (when, fulfilment id or None, from status, to status)."""
    rows = uow.session.execute(
        select(Transition.at, Transition.fulfilment_id, Transition.from_status, Transition.to_status)
        .where(Transition.order_id == order_id)
        .order_by(Transition.at, Transition.id)
    ).all()
    return [(r.at, r.fulfilment_id, r.from_status, r.to_status) for r in rows]
