"""payments: reading payments and moving them between states — the one place that writes their state.

Every transition is a guarded ``UPDATE … WHERE id = :id AND state = :seen`` (row count checked) and one
row appended to ``payments_payment_events``; on PostgreSQL the order's payments are first locked with
``SELECT … FOR UPDATE`` in primary-key order.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.engine import RowMapping

from comptoir.core import clock
from comptoir.core.errors import Conflict
from comptoir.core.money import quantize
from comptoir.core.uow import UnitOfWork
from comptoir.payments import policies
from comptoir.payments.models import Payment, payment_events_table, payments_table
from comptoir.payments.schemas import PaymentOut, PaymentState

P = Payment.__table__


class PaymentStateConflict(Conflict):
    """The payment's state does not allow the operation (e.g. capture a voided payment)."""

    slug = "payment-state-conflict"
    title = "Payment state does not allow this"


@dataclass(frozen=True)
class PaymentRow:
    id: str
    order_id: str
    customer_id: str | None
    method: str
    state: PaymentState
    currency: str
    amount: Decimal
    captured_amount: Decimal
    refunded_amount: Decimal
    provider: str | None
    provider_reference: str | None
    gift_card_id: str | None
    points: int | None
    next_action: dict[str, str] | None
    failure_reason: str | None
    channel: str
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, row: RowMapping) -> PaymentRow:
        values = dict(row)
        for name in ("amount", "captured_amount", "refunded_amount"):
            values[name] = quantize(Decimal(values[name]), values["currency"])
        return cls(**values)

    @property
    def refundable(self) -> Decimal:
        return self.captured_amount - self.refunded_amount

    def out(self) -> PaymentOut:
        def q(amount: Decimal) -> Decimal:
            return quantize(Decimal(amount), self.currency)

        return PaymentOut(
            id=self.id,
            order_id=self.order_id,
            customer_id=self.customer_id,
            method=self.method,
            state=self.state,
            currency=self.currency,
            amount=q(self.amount),
            captured_amount=q(self.captured_amount),
            refunded_amount=q(self.refunded_amount),
            refundable_amount=q(self.refundable),
            provider=self.provider,
            provider_reference=self.provider_reference,
            next_action=self.next_action,
            failure_reason=self.failure_reason,
            channel=self.channel,
            created_at=self.created_at,
            updated_at=self.updated_at,
        )


def fact(p: PaymentRow, amount: Decimal | None = None) -> dict[str, Any]:
    """The fields of a payment event about ``p`` (``amount``: the part it is about; default: all of it)."""
    return {
        "payment_id": p.id,
        "order_id": p.order_id,
        "customer_id": p.customer_id,
        "method": p.method,
        "amount": str(p.amount if amount is None else amount),
        "currency": p.currency,
        "provider_reference": p.provider_reference,
    }


def points_reference(payment_id: str) -> str:
    """The reference of a points payment's loyalty transaction."""
    return f"payment:{payment_id}"


def load(uow: UnitOfWork, *conditions: Any, lock: bool = False) -> list[PaymentRow]:
    stmt = select(P).where(*conditions).order_by(P.c.id)
    if lock and uow.dialect == "postgresql":
        stmt = stmt.with_for_update()
    return [PaymentRow.of(r) for r in uow.session.connection().execute(stmt).mappings()]


# Built once: every checkout and capture reads an order's payments.
_OF_ORDER = select(P).where(P.c.order_id == bindparam("order_id")).order_by(P.c.id)
_OF_ORDER_LOCKED = _OF_ORDER.with_for_update()
_INSERT_PAYMENT = insert(payments_table)
_INSERT_EVENT = insert(payment_events_table)


def of_order(uow: UnitOfWork, order_id: str, *, lock: bool = False) -> list[PaymentRow]:
    stmt = _OF_ORDER_LOCKED if lock and uow.dialect == "postgresql" else _OF_ORDER
    return [
        PaymentRow.of(r) for r in uow.session.connection().execute(stmt, {"order_id": order_id}).mappings()
    ]


def one(uow: UnitOfWork, payment_id: str, *, lock: bool = False) -> PaymentRow | None:
    found = load(uow, P.c.id == payment_id, lock=lock)
    return found[0] if found else None


def by_provider_reference(uow: UnitOfWork, provider: str, reference: str) -> PaymentRow | None:
    found = load(uow, P.c.provider == provider, P.c.provider_reference == reference, lock=True)
    return found[0] if found else None


def journal(
    uow: UnitOfWork,
    payment: PaymentRow,
    from_state: PaymentState | None,
    to_state: PaymentState,
    amount: Decimal,
    *,
    now: datetime,
    reason: str | None = None,
    provider_reference: str | None = None,
    provider_event_id: str | None = None,
) -> None:
    uow.session.connection().execute(
        _INSERT_EVENT,
        {
            "payment_id": payment.id,
            "order_id": payment.order_id,
            "from_state": from_state,
            "to_state": to_state,
            "amount": amount,
            "provider_reference": provider_reference or payment.provider_reference,
            "provider_event_id": provider_event_id,
            "reason": reason,
            "channel": uow.actor.channel,
            "occurred_at": now,
        },
    )


def create(uow: UnitOfWork, values: dict[str, Any]) -> PaymentRow:
    now = clock.now()
    row = {
        "captured_amount": Decimal(0),
        "refunded_amount": Decimal(0),
        "provider": None,
        "provider_reference": None,
        "gift_card_id": None,
        "points": None,
        "next_action": None,
        "failure_reason": None,
        **values,
        "created_at": now,
        "updated_at": now,
    }
    uow.session.connection().execute(_INSERT_PAYMENT, row)
    payment = PaymentRow.of(row)  # type: ignore[arg-type]
    journal(uow, payment, None, payment.state, payment.amount, now=now, reason="created")
    return payment


def move(
    uow: UnitOfWork,
    payment: PaymentRow,
    target: PaymentState,
    *,
    reason: str | None = None,
    provider_event_id: str | None = None,
    journal_amount: Decimal | None = None,
    **values: Any,
) -> PaymentRow:
    """Move ``payment`` (as read) to ``target``; refuses transitions the machine forbids and lost races."""
    try:
        policies.check_transition(payment.state, target)
    except policies.TransitionRefused as exc:
        raise PaymentStateConflict(
            f"Payment {payment.id} is {payment.state}; it cannot become {target}.",
            payment_id=payment.id,
            state=payment.state,
        ) from exc
    now = clock.now()
    result = uow.session.connection().execute(
        update(Payment)
        .where(P.c.id == payment.id, P.c.state == payment.state)
        .values(state=target, updated_at=now, **values)
    )
    if result.rowcount != 1:
        raise PaymentStateConflict(
            f"Payment {payment.id} changed at the same time; read it again.", payment_id=payment.id
        )
    moved = PaymentRow(**{**payment.__dict__, **values, "state": target, "updated_at": now})
    journal(
        uow,
        moved,
        payment.state,
        target,
        journal_amount if journal_amount is not None else moved.amount,
        now=now,
        reason=reason,
        provider_event_id=provider_event_id,
    )
    return moved


def add_refunded(
    uow: UnitOfWork,
    payment: PaymentRow,
    amount: Decimal,
    *,
    reason: str,
    provider_reference: str | None = None,
    provider_event_id: str | None = None,
) -> PaymentRow:
    """Count ``amount`` more as refunded on a captured payment — never past what was captured."""
    target = policies.state_after_refund(payment.captured_amount, payment.refunded_amount + amount)
    try:
        policies.check_transition(payment.state, target)
    except policies.TransitionRefused as exc:
        raise PaymentStateConflict(
            f"Payment {payment.id} is {payment.state}; nothing can be refunded on it.", payment_id=payment.id
        ) from exc
    now = clock.now()
    result = uow.session.connection().execute(
        update(Payment)
        .where(
            P.c.id == payment.id,
            P.c.state.in_(policies.REFUNDABLE),
            func.round(P.c.captured_amount - P.c.refunded_amount - amount, 3) >= 0,
        )
        .values(refunded_amount=func.round(P.c.refunded_amount + amount, 3), state=target, updated_at=now)
    )
    if result.rowcount != 1:
        raise PaymentStateConflict(
            f"Payment {payment.id} cannot take a refund of {amount}: it changed or has less left.",
            payment_id=payment.id,
        )
    moved = PaymentRow(
        **{
            **payment.__dict__,
            "refunded_amount": payment.refunded_amount + amount,
            "state": target,
            "updated_at": now,
        }
    )
    journal(
        uow,
        moved,
        payment.state,
        target,
        amount,
        now=now,
        reason=reason,
        provider_reference=provider_reference,
        provider_event_id=provider_event_id,
    )
    return moved
