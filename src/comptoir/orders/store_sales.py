"""A store sale whose card awaited the bank's 3-D Secure challenge (scan & go): settled or cancelled when
the bank answers (``payments.payment_authorised`` / ``payments.payment_failed``, see
:mod:`comptoir.orders.handlers`).

The sale was placed with its carry-out fulfilments ``awaiting_payment`` and its stock held. The bank's
answer is delivered at least once, possibly twice at the same time: the order's row is locked and the
fulfilments move with a guarded UPDATE (``WHERE status = 'awaiting_payment'``), so the sale is settled
(goods out, payment captured, completed, ``orders.store_sale_completed``) or cancelled exactly once and a
second delivery does nothing.

A shopper may also never answer the challenge: :func:`cancel_unanswered` (the
``orders.cancel_unanswered_store_sales`` job) cancels the sales still waiting once they are older than a
checkout hold lasts, by the same operation (hold released, card voided), skipping on PostgreSQL the
sales another worker or the bank's answer is handling.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import exists, select, update

from comptoir.core import clock
from comptoir.core.errors import Conflict
from comptoir.core.uow import UnitOfWork
from comptoir.inventory import service as inventory_service
from comptoir.orders import policies
from comptoir.orders.lifecycle import cancel, record_transition
from comptoir.orders.models import Fulfilment, Order
from comptoir.orders.payment import settle_store_sale
from comptoir.payments import service as payments_service

AWAITING = "awaiting_payment"


def payment_answered(uow: UnitOfWork, order_id: str, *, give_up: bool = False) -> str:
    """Bring a store sale awaiting its card's authentication up to date with its payments: ``settled``,
    ``cancelled``, ``waiting`` (the bank has not answered), or ``none`` (not such a sale, or already done).
    With ``give_up`` a sale the bank has still not answered for is cancelled rather than left waiting."""
    query = select(Order.mode, Order.status).where(Order.id == order_id)
    seen = uow.session.execute(query).first()  # every card's answer comes here: lock store sales only
    if seen is None or seen.mode != "store_sale" or seen.status != "placed":
        return "none"
    order = uow.session.execute(query.with_for_update()).first()
    if order is None or order.status != "placed":
        return "none"
    awaiting = uow.session.execute(
        select(Fulfilment.id, Fulfilment.kind, Fulfilment.reservation_reference)
        .where(Fulfilment.order_id == order_id, Fulfilment.status == AWAITING)
        .order_by(Fulfilment.id)
    ).all()
    if not awaiting:
        return "none"
    payments = payments_service.payments_of(uow, order_id)
    outcome = policies.store_sale_payment((p.method, p.state) for p in payments)
    if outcome == "wait" and not give_up:
        return "waiting"
    if outcome == "settle":
        try:
            with uow.savepoint():
                _collect(uow, order_id, [(f.id, f.kind) for f in awaiting])
                settle_store_sale(uow, order_id, [f.reservation_reference for f in awaiting])
            return "settled"
        except Conflict as refused:  # the hold lapsed while the bank was asked: nothing is sold
            if refused.slug != "reservation-not-held":
                raise
    reason = {"cancel": "payment not authorised", "wait": "payment not confirmed in time"}
    cancel(uow, order_id, reason=reason.get(outcome, "stock hold lapsed"))
    return "cancelled"


def cancel_unanswered(uow: UnitOfWork, *, now: datetime | None = None, limit: int = 100) -> int:
    """Cancel (hold released, card voided) up to ``limit`` store sales still awaiting their card's
    authentication longer than a checkout hold lasts, oldest first; a sale the bank has answered for
    meanwhile is settled or cancelled as its answer says. Returns how many were settled or cancelled."""
    lifetime = inventory_service.hold_lifetime(policies.hold_kind("carry_out"))
    if lifetime is None:  # such holds never lapse: nothing is overdue
        return 0
    awaiting = exists().where(Fulfilment.order_id == Order.id, Fulfilment.status == AWAITING)
    query = (
        select(Order.id)
        .where(
            Order.status == "placed",
            Order.mode == "store_sale",
            Order.created_at < (now or clock.now()) - lifetime,
            awaiting,
        )
        .order_by(Order.created_at, Order.id)
        .limit(limit)
    )
    if uow.dialect == "postgresql":  # another worker's batch, or the bank's answer, is left to them
        query = query.with_for_update(skip_locked=True, of=Order)
    answered = 0
    for order_id in uow.session.execute(query).scalars().all():
        answered += payment_answered(uow, order_id, give_up=True) in ("settled", "cancelled")
    return answered


def _collect(uow: UnitOfWork, order_id: str, fulfilments: list[tuple[str, str]]) -> None:
    """The goods leave with the customer: every awaiting fulfilment collected, or a conflict."""
    now = clock.now()
    for fulfilment_id, kind in fulfilments:
        target = policies.next_status(kind, AWAITING, "collect")
        moved = uow.session.execute(
            update(Fulfilment)
            .where(Fulfilment.id == fulfilment_id, Fulfilment.status == AWAITING)
            .values(status=target, updated_at=now, version=Fulfilment.version + 1)
            .execution_options(synchronize_session=False)
        )
        if moved.rowcount != 1:  # type: ignore[attr-defined]
            raise Conflict(f"Fulfilment {fulfilment_id} changed meanwhile.", slug="fulfilment-changed")
        record_transition(uow, order_id, fulfilment_id, AWAITING, target, now, "payment authorised")
