"""orders: reactions to other domains' events (payments moving on their own; a customer's erasure)."""

from __future__ import annotations

from sqlalchemy import select

from comptoir.core.events import Bus
from comptoir.core.settings import get_settings
from comptoir.core.uow import UnitOfWork
from comptoir.customers.events import CustomerErased
from comptoir.orders import erasure
from comptoir.orders.models import Order
from comptoir.orders.payment import settle
from comptoir.payments.events import PaymentCaptured, PaymentRefunded, PaymentVoided


def _known(uow: UnitOfWork, order_id: str) -> bool:
    return uow.session.execute(select(Order.id).where(Order.id == order_id)).first() is not None


def payment_changed(uow: UnitOfWork, event: PaymentCaptured | PaymentRefunded | PaymentVoided) -> None:
    """A payment moved on its own (a card captured by the provider, a refund): bring the order's
    payment status up to date and, once everything is captured, record ``orders.order_paid``."""
    if _known(uow, event.order_id):
        settle(uow, event.order_id)


def register_handlers(bus: Bus) -> None:
    bus.subscribe(PaymentCaptured, payment_changed, name="orders.payment_captured")
    bus.subscribe(PaymentRefunded, payment_changed, name="orders.payment_refunded")
    bus.subscribe(PaymentVoided, payment_changed, name="orders.payment_voided")
    settings = bus.settings or get_settings()

    def erase_customer(uow: UnitOfWork, event: CustomerErased) -> None:
        erasure.erase_customers(uow, settings, event.erased_ids or [event.customer_id])

    bus.subscribe(CustomerErased, erase_customer, name="orders.erase_customer")
