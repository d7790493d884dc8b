"""live: reactions to other domains' events — a cart filled in a session became an order (the sale is
credited to the session's advisor and shop); a person's erasure blanks what live held on them."""

from __future__ import annotations

from comptoir.carts.events import CartOrdered
from comptoir.core.events import Bus
from comptoir.core.uow import UnitOfWork
from comptoir.customers.events import CustomerErased
from comptoir.live import service


def register_handlers(bus: Bus) -> None:
    def ordered(uow: UnitOfWork, event: CartOrdered) -> None:
        service.credit_order(uow, event.cart_id, event.order_id, event.total, event.currency)

    def erase_customer(uow: UnitOfWork, event: CustomerErased) -> None:
        service.erase(uow, event.erased_ids or [event.customer_id])

    bus.subscribe(CartOrdered, ordered, name="live.credit_order")
    bus.subscribe(CustomerErased, erase_customer, name="live.erase_customer")
