"""receipts: reactions to other domains' events, and the sending of its own receipts.

``orders.store_sale_completed`` is subscribed by its type string and read from its primitive fields
(``order_id``, ``receipt_email``): receipts needs none of orders' classes. The handler of
``receipts.receipt_issued`` renders the e-mail (PDF attached) and queues it in its transaction; the
dispatcher sends it after that commit and publishes ``receipts.receipt_sent`` (or
``receipts.receipt_send_failed`` once it gives up), which mark the receipt here.
``customers.customer_erased``: the person's receipts lose their e-mail and links
(:mod:`comptoir.receipts.erasure`).
"""

from __future__ import annotations

from comptoir.core.events import Bus, DomainEvent
from comptoir.core.settings import Settings, get_settings
from comptoir.core.uow import UnitOfWork
from comptoir.customers.events import CustomerErased
from comptoir.receipts import erasure, service
from comptoir.receipts.events import ReceiptIssued, ReceiptSendFailed, ReceiptSent
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
            service.queue_receipt(uow, settings, event.receipt_id, event.email)

    def mark_sent(uow: UnitOfWork, event: DomainEvent) -> None:
        assert isinstance(event, ReceiptSent)
        service.mark_sent(uow, event)

    def mark_send_failed(uow: UnitOfWork, event: DomainEvent) -> None:
        assert isinstance(event, ReceiptSendFailed)
        service.mark_send_failed(uow, event)

    def erase_customer(uow: UnitOfWork, event: CustomerErased) -> None:
        erasure.erase_customers(uow, settings, event.erased_ids or [event.customer_id])

    bus.subscribe("orders.store_sale_completed", issue_on_store_sale, name="receipts.issue_on_store_sale")
    bus.subscribe(ReceiptIssued, send_on_issued, name="receipts.send_on_issued")
    bus.subscribe(ReceiptSent, mark_sent, name="receipts.mark_sent")
    bus.subscribe(ReceiptSendFailed, mark_send_failed, name="receipts.mark_send_failed")
    bus.subscribe(CustomerErased, erase_customer, name="receipts.erase_customer")
