"""carts: reactions to other domains' events.

* ``customers.customer_signed_in`` with the client's ``anonymous_token`` (its cart token): the
  anonymous cart joins the customer's (rules in ``policies``).
* ``customers.customers_merged``: the survivor gets the merged customers' carts and one open cart.
* ``customers.customer_erased``: the erased customers' carts and wishlists are deleted.
"""

from __future__ import annotations

from comptoir.carts import service
from comptoir.core.events import Bus
from comptoir.core.uow import UnitOfWork
from comptoir.customers.events import CustomerErased, CustomerSignedIn, CustomersMerged


def merge_at_sign_in(uow: UnitOfWork, event: CustomerSignedIn) -> None:
    if event.anonymous_token:
        service.merge_anonymous(
            uow, event.customer_id, event.anonymous_token, channel=event.channel or "system"
        )


def follow_customer_merge(uow: UnitOfWork, event: CustomersMerged) -> None:
    service.follow_customer_merge(uow, event.surviving_id, event.merged_ids)
    service.follow_wishlist_merge(uow, event.surviving_id, event.merged_ids)


def erase_carts(uow: UnitOfWork, event: CustomerErased) -> None:
    service.erase_customers(uow, event.erased_ids or [event.customer_id])
    service.erase_wishlists(uow, event.erased_ids or [event.customer_id])


def register_handlers(bus: Bus) -> None:
    bus.subscribe(CustomerSignedIn, merge_at_sign_in, name="carts.merge_at_sign_in")
    bus.subscribe(CustomersMerged, follow_customer_merge, name="carts.follow_customer_merge")
    bus.subscribe(CustomerErased, erase_carts, name="carts.erase_carts")
