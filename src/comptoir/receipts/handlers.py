"""receipts: reactions to other domains' events, and the sending of its own receipts.

``orders.store_sale_completed`` is subscribed by its type string and read from its primitive fields
(``order_id``, ``receipt_email``): receipts needs none of orders' classes. The receipt's e-mail is
engagement's e-receipt journey's (started by ``receipts.receipt_issued`` with an e-mail): what became of
it — engagement's ``message_sent`` or ``message_not_sent`` for that journey, about the receipt — is
published here as ``receipts.receipt_sent`` or ``receipts.receipt_send_failed``, which mark the receipt.
``customers.customer_erased``: the person's receipts lose their e-mail and links
(:mod:`comptoir.receipts.erasure`).
"""

from __future__ import annotations

from comptoir.core.events import Bus, DomainEvent
from comptoir.core.settings import Settings, get_settings
from comptoir.core.uow import UnitOfWork
from comptoir.customers.events import CustomerErased
from comptoir.engagement.events import MessageNotSent, MessageSent
from comptoir.receipts import erasure, service
from comptoir.receipts.events import ReceiptSendFailed, ReceiptSent
from comptoir.receipts.schemas import IssueReceiptIn

E_RECEIPT_JOURNEY = "e_receipt"  # engagement's journey that writes the receipts' e-mails


def register_handlers(bus: Bus) -> None:
    settings: Settings = bus.settings or get_settings()

    def issue_on_store_sale(uow: UnitOfWork, event: DomainEvent) -> None:
        data = event.data()
        service.issue_receipt(
            uow, settings, IssueReceiptIn(order_id=data["order_id"], email=data.get("receipt_email") or None)
        )

    def e_receipt_sent(uow: UnitOfWork, event: MessageSent) -> None:
        if event.journey_code == E_RECEIPT_JOURNEY and event.channel == "email":
            service.e_receipt_sent(uow, event.subject, event.occurrence, event.reference)

    def e_receipt_not_sent(uow: UnitOfWork, event: MessageNotSent) -> None:
        if event.journey_code == E_RECEIPT_JOURNEY and event.channel == "email":
            service.e_receipt_not_sent(uow, event.subject, event.occurrence, event.reference)

    def mark_sent(uow: UnitOfWork, event: DomainEvent) -> None:
        assert isinstance(event, ReceiptSent)
        service.mark_sent(uow, event)

    def mark_send_failed(uow: UnitOfWork, event: DomainEvent) -> None:
        assert isinstance(event, ReceiptSendFailed)
        service.mark_send_failed(uow, event)

    def erase_customer(uow: UnitOfWork, event: CustomerErased) -> None:
        erasure.erase_customers(uow, settings, event.erased_ids or [event.customer_id])

    bus.subscribe("orders.store_sale_completed", issue_on_store_sale, name="receipts.issue_on_store_sale")
    bus.subscribe(MessageSent, e_receipt_sent, name="receipts.e_receipt_sent")
    bus.subscribe(MessageNotSent, e_receipt_not_sent, name="receipts.e_receipt_not_sent")
    bus.subscribe(ReceiptSent, mark_sent, name="receipts.mark_sent")
    bus.subscribe(ReceiptSendFailed, mark_send_failed, name="receipts.mark_send_failed")
    bus.subscribe(CustomerErased, erase_customer, name="receipts.erase_customer")
