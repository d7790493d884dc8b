"""receipts: reactions to other domains' events, and the sending of its own receipts.

``orders.store_sale_completed`` is subscribed by its type string and read from its primitive fields
(``order_id``, ``receipt_email``): receipts needs none of orders' classes. Mail goes out in the
handler of ``receipts.receipt_issued``, after the sale's transaction committed; a failed send raises
so the dispatcher retries it. ``customers.customer_erased``: the person's receipts lose their e-mail and
links (:mod:`comptoir.receipts.erasure`).
"""

from __future__ import annotations

from comptoir.core.events import Bus, DomainEvent
from comptoir.core.mail import mailer_from_settings
from comptoir.core.settings import Settings, get_settings
from comptoir.core.uow import UnitOfWork
from comptoir.customers.events import CustomerErased
from comptoir.receipts import erasure, service
from comptoir.receipts.events import ReceiptIssued
from comptoir.receipts.schemas import IssueReceiptIn


def register_handlers(bus: Bus) -> None:
    settings: Settings = bus.settings or get_settings()

    def issue_on_store_sale(uow: UnitOfWork, event: DomainEvent) -> None:
        data = event.data()
        service.issue_receipt(
            uow, settings, IssueReceiptIn(order_id=data["order_id"], email=data.get("receipt_email") or None)
        )

    def send_on_issued(uow: UnitOfWork, event: DomainEvent) -> None:
        assert isinstance(event, ReceiptIssued)
        if event.email:
            service.send_receipt(uow, settings, mailer_from_settings(settings), event.receipt_id, event.email)

    def erase_customer(uow: UnitOfWork, event: CustomerErased) -> None:
        erasure.erase_customers(uow, settings, event.erased_ids or [event.customer_id])

    bus.subscribe("orders.store_sale_completed", issue_on_store_sale, name="receipts.issue_on_store_sale")
    bus.subscribe(ReceiptIssued, send_on_issued, name="receipts.send_on_issued")
    bus.subscribe(CustomerErased, erase_customer, name="receipts.erase_customer")
