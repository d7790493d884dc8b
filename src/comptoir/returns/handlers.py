"""returns: reactions to other domains' events (a customer's erasure: :mod:`comptoir.returns.erasure`)."""

from __future__ import annotations

from comptoir.core.events import Bus
from comptoir.core.settings import get_settings
from comptoir.core.uow import UnitOfWork
from comptoir.customers.events import CustomerErased
from comptoir.returns import erasure


def register_handlers(bus: Bus) -> None:
    settings = bus.settings or get_settings()

    def erase_customer(uow: UnitOfWork, event: CustomerErased) -> None:
        erasure.erase_customers(uow, settings, event.erased_ids or [event.customer_id])

    bus.subscribe(CustomerErased, erase_customer, name="returns.erase_customer")
