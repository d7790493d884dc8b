"""loyalty: reactions to other domains' events.

Subscribed by event type string and read from the event's primitive fields, as the contract gives
them (``docs/domain-contracts.md``): loyalty needs none of the publishers' classes.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from comptoir.core.events import Bus, DomainEvent
from comptoir.core.settings import get_settings
from comptoir.core.uow import UnitOfWork
from comptoir.loyalty import erasure, service
from comptoir.loyalty.policies import PaidLine, RefundedLine


def _payload(event: DomainEvent) -> dict[str, Any]:
    return {**event.data(), "event_id": event.event_id}


def _amount(line: dict[str, Any], *names: str) -> Decimal:
    for name in names:
        if line.get(name) is not None:
            try:
                return Decimal(str(line[name]))
            except InvalidOperation:
                break
    return Decimal(0)


def earn_on_order_paid(uow: UnitOfWork, event: DomainEvent) -> None:
    data = _payload(event)
    if not data.get("customer_id"):
        return
    service.earn_for_order(
        uow,
        order_id=data["order_id"],
        customer_id=data["customer_id"],
        channel=data.get("channel"),
        currency=data.get("currency", ""),
        lines=[
            PaidLine(
                line_id=str(line.get("line_id") or line.get("sku")),
                sku=str(line.get("sku")),
                quantity=int(line.get("quantity") or 0),
                amount=_amount(line, "amount", "amount_paid", "total"),
                category_ids=tuple(line.get("category_ids") or ()),
            )
            for line in data.get("lines", [])
        ],
    )


def reverse_on_order_cancelled(uow: UnitOfWork, event: DomainEvent) -> None:
    data = _payload(event)
    service.reverse_for_order(uow, order_id=data["order_id"], cause="order_cancelled", reference="cancelled")


def reverse_on_return_refunded(uow: UnitOfWork, event: DomainEvent) -> None:
    """Take back points in proportion to the amount refunded (the return's id makes it once only)."""
    data = _payload(event)
    lines = [
        RefundedLine(
            sku=str(line.get("sku")),
            amount=_amount(line, "amount", "amount_refunded", "refunded"),
            line_id=line.get("line_id"),
        )
        for line in data.get("lines", [])
    ]
    if not lines and data.get("total") is not None:
        lines = [RefundedLine(sku="", amount=_amount(data, "total"))]
    reference = data.get("return_id") or data.get("refund_id") or data["event_id"]
    service.reverse_for_order(
        uow,
        order_id=data["order_id"],
        cause="return_refunded",
        reference=f"return:{reference}",
        refunded=lines,
    )


def merge_on_customers_merged(uow: UnitOfWork, event: DomainEvent) -> None:
    data = _payload(event)
    service.merge_accounts(
        uow, data["surviving_id"], data["merged_ids"], data.get("merge_id") or data["event_id"]
    )


def unmerge_on_customers_unmerged(uow: UnitOfWork, event: DomainEvent) -> None:
    data = _payload(event)
    service.unmerge_accounts(
        uow, data["surviving_id"], data["restored_ids"], data.get("merge_id") or data["event_id"]
    )


def register_handlers(bus: Bus) -> None:
    settings = bus.settings or get_settings()

    def erase_on_customer_erased(uow: UnitOfWork, event: DomainEvent) -> None:
        data = _payload(event)
        erasure.erase_customers(uow, settings, data.get("erased_ids") or [data["customer_id"]])

    bus.subscribe(
        "customers.customer_erased", erase_on_customer_erased, name="loyalty.erase_on_customer_erased"
    )
    bus.subscribe("orders.order_paid", earn_on_order_paid, name="loyalty.earn_on_order_paid")
    bus.subscribe(
        "orders.order_cancelled", reverse_on_order_cancelled, name="loyalty.reverse_on_order_cancelled"
    )
    bus.subscribe(
        "returns.return_refunded", reverse_on_return_refunded, name="loyalty.reverse_on_return_refunded"
    )
    bus.subscribe(
        "customers.customers_merged", merge_on_customers_merged, name="loyalty.merge_on_customers_merged"
    )
    bus.subscribe(
        "customers.customers_unmerged",
        unmerge_on_customers_unmerged,
        name="loyalty.unmerge_on_customers_unmerged",
    )
