"""orders: reactions to other domains' events (payments moving on their own, a bank's 3-D Secure answer
for a store sale; a customer's erasure)."""

from __future__ import annotations

from sqlalchemy import select

from comptoir.core.events import Bus
from comptoir.core.settings import get_settings
from comptoir.core.uow import UnitOfWork
from comptoir.customers.events import CustomerErased
from comptoir.orders import erasure, store_sales
from comptoir.orders.models import Order
from comptoir.orders.payment import settle
from comptoir.payments.events import (
    PaymentAuthorised,
    PaymentCaptured,
    PaymentFailed,
    PaymentRefunded,
    PaymentVoided,
)


def _known(uow: UnitOfWork, order_id: str) -> bool:
    return uow.session.execute(select(Order.id).where(Order.id == order_id)).first() is not None


def payment_changed(uow: UnitOfWork, event: PaymentCaptured | PaymentRefunded | PaymentVoided) -> None:
    """A payment moved on its own (a card captured by the provider, a refund): bring the order's
    payment status up to date and, once everything is captured, record ``orders.order_paid``."""
    if _known(uow, event.order_id):
        settle(uow, event.order_id)


def bank_answered(uow: UnitOfWork, event: PaymentAuthorised | PaymentFailed) -> None:
    """The bank answered a card's 3-D Secure challenge: a store sale awaiting it is settled (authorised)
    or cancelled (failed); anything else, or a second delivery, is left as it is."""
    if event.method == "card":
        store_sales.payment_answered(uow, event.order_id)


def register_handlers(bus: Bus) -> None:
    bus.subscribe(PaymentAuthorised, bank_answered, name="orders.payment_authorised")
    bus.subscribe(PaymentFailed, bank_answered, name="orders.payment_failed")
    bus.subscribe(PaymentCaptured, payment_changed, name="orders.payment_captured")
    bus.subscribe(PaymentRefunded, payment_changed, name="orders.payment_refunded")
    bus.subscribe(PaymentVoided, payment_changed, name="orders.payment_voided")
    settings = bus.settings or get_settings()

    def erase_customer(uow: UnitOfWork, event: CustomerErased) -> None:
        erasure.erase_customers(uow, settings, event.erased_ids or [event.customer_id])

    bus.subscribe(CustomerErased, erase_customer, name="orders.erase_customer")
