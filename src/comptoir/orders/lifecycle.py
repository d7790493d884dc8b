"""The order lifecycle: fulfilment transitions with their side effects, cancellation, pickup expiry.

One guarded UPDATE per transition (``WHERE status = <the status we read>``): two staff tablets
pressing "ready" at once make one transition and one 409. Side effects follow the state machine of
:mod:`comptoir.orders.policies`: stock leaves (``inventory.fulfil``) and payment is captured when goods
are shipped or collected; stock goes back (``inventory.release``) when cancelled or uncollected.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import get_args

from sqlalchemy import insert, select, update

from comptoir.core import clock
from comptoir.core.errors import Conflict, Forbidden, not_found
from comptoir.core.uow import UnitOfWork
from comptoir.inventory import schemas as inventory_schemas
from comptoir.inventory import service as inventory_service
from comptoir.orders import events as ev
from comptoir.orders import policies
from comptoir.orders.models import Fulfilment, FulfilmentLine, Order, Transition
from comptoir.orders.payment import capture, void
from comptoir.orders.rules import load_rules
from comptoir.orders.schemas import Transition as TransitionAction
from comptoir.pricing import service as pricing_service

# What POST /fulfilments/{id}/transitions accepts: "cancel" is the order's own route, "expire" the job's.
STAFF_ACTIONS: frozenset[str] = frozenset(get_args(TransitionAction))

EVENTS: dict[str, type[ev._FulfilmentEvent]] = {
    "allocated": ev.FulfilmentAllocated,
    "picking": ev.FulfilmentPicking,
    "ready_for_pickup": ev.FulfilmentReadyForPickup,
    "collected": ev.FulfilmentCollected,
    "shipped": ev.FulfilmentShipped,
    "delivered": ev.FulfilmentDelivered,
    "in_transit": ev.FulfilmentTransferDispatched,
    "cancelled": ev.FulfilmentCancelled,
    "expired": ev.PickupExpired,
}


class TransitionNotAllowed(Conflict):
    slug = "transition-not-allowed"
    title = "This step is not possible now"


def _check_store(uow: UnitOfWork, f: Fulfilment, action: str | None = None) -> None:
    """A shop-bound caller acts only on its shops' fulfilments, and only for the steps its staff take."""
    shops = uow.actor.shops
    if shops is None and uow.actor.store_id is not None:
        shops = frozenset({uow.actor.store_id})
    if shops is None:
        return
    if not {f.place_id, f.source_place_id} & shops:
        raise Forbidden(f"Fulfilment {f.id} is handled by another place.")
    if action is None:
        return
    acting = policies.acting_place(f.kind, action, f.place_id, f.source_place_id)
    if acting is not None and acting not in shops:
        where = ", ".join(sorted(shops))
        raise Forbidden(f"{action.replace('_', ' ').capitalize()} is done at {acting}, not {where}.")


def transition(
    uow: UnitOfWork, fulfilment_id: str, action: str, *, tracking_number: str | None = None, note: str = ""
) -> str:
    """Apply ``action`` to a fulfilment; returns its order id."""
    f = uow.session.get(Fulfilment, fulfilment_id)
    if f is None:
        raise not_found("Fulfilment", fulfilment_id)
    _check_store(uow, f, action)
    previous = f.status
    try:
        target = policies.next_status(f.kind, f.status, action)
    except policies.TransitionRefused as refused:
        allowed = [a for a in refused.allowed if a in STAFF_ACTIONS]
        raise TransitionNotAllowed(
            f"A {f.kind} fulfilment in status {f.status} cannot {action}"
            + (f" (allowed: {', '.join(allowed)})." if allowed else " (no step is possible from here)."),
            state=f.status,
            allowed=allowed,
        ) from None
    now = clock.now()
    values: dict[str, object] = {"status": target, "updated_at": now, "version": f.version + 1}
    if target == "ready_for_pickup":
        values["pickup_expires_at"] = policies.pickup_deadline(now, load_rules(uow).pickup_hold_days)
    if tracking_number is not None:
        values["tracking_number"] = tracking_number
    if action == "dispatch_transfer":
        values["reservation_reference"] = _transfer_to_pickup(uow, f)
    _guarded(uow, f, target, values)
    if policies.goods_leave_on(f.kind, action):
        inventory_service.fulfil(uow, f.reservation_reference, movement_reference=f"{f.order_id}:{f.id}")
    if action == "expire":
        inventory_service.release(uow, f.reservation_reference)
    _after(uow, f.order_id, f, previous, target, now, note or action)
    if policies.goods_leave_on(f.kind, action):
        capture(uow, f.order_id)
    return f.order_id


def _guarded(uow: UnitOfWork, f: Fulfilment, target: str, values: dict[str, object]) -> None:
    result = uow.session.execute(
        update(Fulfilment)
        .where(Fulfilment.id == f.id, Fulfilment.status == f.status, Fulfilment.version == f.version)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise TransitionNotAllowed(f"Fulfilment {f.id} changed meanwhile: reload it and try again.")
    uow.session.expire(f)


def _transfer_to_pickup(uow: UnitOfWork, f: Fulfilment) -> str:
    """The goods leave the source for the pickup store: the stock moves there (booked by the place that
    sends it) and is held there for the customer, so nobody else can promise it meanwhile."""
    inv, schemas = inventory_service, inventory_schemas
    lines = uow.session.execute(
        select(FulfilmentLine.sku, FulfilmentLine.quantity).where(FulfilmentLine.fulfilment_id == f.id)
    ).all()
    per_sku: dict[str, int] = defaultdict(int)
    for sku, qty in lines:
        per_sku[sku] += qty
    inv.release(uow, f.reservation_reference)
    for sku, qty in sorted(per_sku.items()):
        inv.transfer(
            uow,
            schemas.TransferIn(
                sku=sku,
                from_place_id=f.source_place_id,
                to_place_id=f.place_id,
                quantity=qty,
                reference=f"{f.id}:transfer",
            ),
        )
    reference = f"{f.id}:pickup"
    inv.reserve(
        uow,
        schemas.ReserveIn(
            reference=reference,
            lines=[
                schemas.ReserveLine(sku=sku, place_id=f.place_id, quantity=qty)
                for sku, qty in sorted(per_sku.items())
            ],
            kind="order",
            expires_at=None,
        ),
    )
    return reference


def _after(
    uow: UnitOfWork, order_id: str, f: Fulfilment, _from: str, target: str, now: datetime, note: str
) -> None:
    """Record the transition, recompute the order status, publish the event."""
    fresh = uow.session.execute(
        select(
            Fulfilment.status,
            Fulfilment.source_place_id,
            Fulfilment.pickup_expires_at,
            Fulfilment.tracking_number,
        ).where(Fulfilment.id == f.id)
    ).one()
    order = uow.session.execute(
        select(Order.customer_id, Order.channel, Order.status).where(Order.id == order_id)
    ).one()
    statuses = (
        uow.session.execute(select(Fulfilment.status).where(Fulfilment.order_id == order_id)).scalars().all()
    )
    status = policies.order_status(statuses)
    if status != order.status:
        uow.session.execute(
            update(Order)
            .where(Order.id == order_id)
            .values(status=status, updated_at=now, version=Order.version + 1)
        )
    record_transition(uow, order_id, f.id, _from, target, now, note)
    cls = EVENTS.get(target)
    if cls is None:
        return
    extra: dict[str, object] = {}
    if cls is ev.FulfilmentReadyForPickup:
        extra["pickup_expires_at"] = fresh.pickup_expires_at.isoformat() if fresh.pickup_expires_at else None
    if cls is ev.FulfilmentShipped:
        extra["tracking_number"] = fresh.tracking_number
    uow.record(
        cls(
            order_id=order_id,
            customer_id=order.customer_id,
            channel=order.channel,
            fulfilment_id=f.id,
            kind=f.kind,
            place_id=f.place_id,
            source_place_id=fresh.source_place_id,
            **extra,
        )
    )


def record_transition(
    uow: UnitOfWork,
    order_id: str,
    fulfilment_id: str,
    from_status: str,
    to_status: str,
    at: datetime,
    note: str,
) -> None:
    """A fulfilment's audit row: from which status to which, when, through which channel and why."""
    uow.session.execute(
        insert(Transition).values(
            order_id=order_id,
            fulfilment_id=fulfilment_id,
            from_status=from_status,
            to_status=to_status,
            at=at,
            channel=uow.actor.channel,
            note=note[:200],
        )
    )


def cancel(uow: UnitOfWork, order_id: str, reason: str = "") -> None:
    """Cancel every fulfilment whose goods have not left; release stock, promotions and payments."""
    order = uow.session.get(Order, order_id)
    if order is None:
        raise not_found("Order", order_id)
    store = uow.actor.store_id
    fulfilments = (
        uow.session.execute(
            select(Fulfilment)
            .where(Fulfilment.order_id == order_id)
            .order_by(Fulfilment.id)
            .with_for_update()
        )
        .scalars()
        .all()
    )
    if store is not None and not any(store in (f.place_id, f.source_place_id) for f in fulfilments):
        raise Forbidden(f"Order {order.number} is handled by other places.")
    if order.status == "cancelled":
        raise TransitionNotAllowed(f"Order {order.number} is already cancelled.")
    left = [f for f in fulfilments if f.status in ("shipped", "delivered", "collected")]
    if left:
        raise TransitionNotAllowed(
            f"Order {order.number} cannot be cancelled: goods already left ({', '.join(f.status for f in left)}); "
            "make a return instead."
        )
    now = clock.now()
    was_paid = order.paid_at is not None
    for f in fulfilments:
        if f.status in policies.TERMINAL:
            continue
        previous = f.status
        policies.next_status(f.kind, f.status, "cancel")
        _guarded(uow, f, "cancelled", {"status": "cancelled", "updated_at": now, "version": f.version + 1})
        inventory_service.release(uow, f.reservation_reference)
        _after(uow, order_id, f, previous, "cancelled", now, reason or "cancel")
    pricing_service.release_promotions(uow, order_id)
    void(uow, order_id)
    uow.session.execute(
        update(Order).where(Order.id == order_id).values(status="cancelled", cancelled_at=now, updated_at=now)
    )
    uow.record(
        ev.OrderCancelled(
            order_id=order_id,
            customer_id=order.customer_id,
            channel=order.channel,
            number=order.number,
            reason=reason,
            was_paid=was_paid,
        )
    )


def expire_uncollected(uow: UnitOfWork, *, now: datetime | None = None, limit: int = 200) -> int:
    """Pickups ready past their deadline go back to stock; their held payments are released."""
    now = now or clock.now()
    query = (
        select(Fulfilment.id)
        .where(Fulfilment.status == "ready_for_pickup", Fulfilment.pickup_expires_at < now)
        .order_by(Fulfilment.id)
        .limit(limit)
    )
    if uow.dialect == "postgresql":
        query = query.with_for_update(skip_locked=True)
    expired = 0
    for fulfilment_id in uow.session.execute(query).scalars().all():
        order_id = transition(uow, fulfilment_id, "expire", note="not collected in time")
        statuses = (
            uow.session.execute(select(Fulfilment.status).where(Fulfilment.order_id == order_id))
            .scalars()
            .all()
        )
        if policies.order_status(statuses) == "cancelled":  # nothing of the order will be handed over
            pricing_service.release_promotions(uow, order_id)
            void(uow, order_id)
            uow.session.execute(update(Order).where(Order.id == order_id).values(cancelled_at=now))
        expired += 1
    return expired
