"""payments: reactions to other domains' events (merges; erasure: :mod:`comptoir.payments.erasure`)."""

from __future__ import annotations

from sqlalchemy import update

from comptoir.core.events import Bus
from comptoir.core.settings import get_settings
from comptoir.core.uow import UnitOfWork
from comptoir.customers.events import CustomerErased, CustomersMerged
from comptoir.payments import erasure
from comptoir.payments.models import gift_cards_table, payments_table


def customers_merged(uow: UnitOfWork, event: CustomersMerged) -> None:
    """Merged customers are one person now: their gift cards, vouchers and payments follow the survivor."""
    if not event.merged_ids:
        return
    conn = uow.session.connection()
    for table in (gift_cards_table, payments_table):
        conn.execute(
            update(table)
            .where(table.c.customer_id.in_(event.merged_ids))
            .values(customer_id=event.surviving_id)
        )


def register_handlers(bus: Bus) -> None:
    settings = bus.settings or get_settings()

    def erase_customer(uow: UnitOfWork, event: CustomerErased) -> None:
        erasure.erase_customers(uow, settings, event.erased_ids or [event.customer_id])

    bus.subscribe(CustomersMerged, customers_merged, name="payments.customers_merged")
    bus.subscribe(CustomerErased, erase_customer, name="payments.erase_customer")
