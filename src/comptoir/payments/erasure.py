"""payments: a person's erasure and export (GDPR).

Payments, refunds and gift cards are accounting records and stay, tied to the erased customer's id
(a record with no personal data left). What a provider sent about the person's payments (its
notifications may carry a name, an e-mail, a card's holder) is emptied, keeping type and outcome.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select, update

from comptoir.core import erasure
from comptoir.core.settings import Settings
from comptoir.core.uow import UnitOfWork
from comptoir.payments import service
from comptoir.payments.models import Payment, ProviderEvent


def erase_customers(uow: UnitOfWork, settings: Settings, customer_ids: Sequence[str]) -> int:
    payment_ids = list(uow.session.scalars(select(Payment.id).where(Payment.customer_id.in_(customer_ids))))
    if payment_ids:
        uow.session.execute(
            update(ProviderEvent).where(ProviderEvent.payment_id.in_(payment_ids)).values(payload={})
        )
        uow.session.execute(update(Payment).where(Payment.id.in_(payment_ids)).values(next_action=None))
        erasure.redact(uow, settings, ids=[*customer_ids, *payment_ids], values=[])
    return len(payment_ids)


def export(uow: UnitOfWork, customer_id: str) -> dict[str, Any]:
    """The customer's payments (with their history), refunds and gift cards or vouchers."""
    orders = list(
        uow.session.scalars(
            select(Payment.order_id)
            .where(Payment.customer_id == customer_id)
            .distinct()
            .order_by(Payment.order_id)
        )
    )
    payments = [p for order_id in orders for p in service.payments_of(uow, order_id)]
    return {
        "payments": [
            {
                **p.model_dump(mode="json"),
                "history": [e.model_dump(mode="json") for e in service.payment_events(uow, p.id)],
            }
            for p in payments
        ],
        "refunds": [
            r.model_dump(mode="json") for order_id in orders for r in service.refunds_of(uow, order_id)
        ],
        "gift_cards": [g.model_dump(mode="json") for g in service.customer_gift_cards(uow, customer_id)],
    }
