"""carts: the demo retailer's open carts.

Camille Martin (the demo account, ``camille.martin@example.com``) has a cart a seller started for
her on the Paris Rivoli tablet: sign in on the website or the app and it is there. A few other demo
customers have carts filled on the website and the app. Loaded once (skipped when carts exist),
through the service, as the channel that would have done it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import select

from comptoir.carts import service
from comptoir.carts.models import Cart
from comptoir.carts.schemas import CartIn, LineIn
from comptoir.catalog import service as catalog_service
from comptoir.core.context import Actor
from comptoir.core.settings import Settings
from comptoir.core.uow import UnitOfWork
from comptoir.customers import service as customers_service

DEMO_EMAIL = "camille.martin@example.com"
DEMO_STORE = "st_paris_rivoli"
OTHERS = ("Dubois", "Bernard", "Petit")


@contextmanager
def acting_as(uow: UnitOfWork, channel: str, customer_id: str | None = None) -> Iterator[None]:
    """Record what follows as done on ``channel`` (a demo stands in for the tablet, the website…)."""
    previous = uow.actor
    uow.actor = Actor(key_id=None, channel=channel, scopes=frozenset({"*"}), customer_id=customer_id)
    try:
        yield
    finally:
        uow.actor = previous


def _customer(uow: UnitOfWork, query: str, email: str | None = None) -> str | None:
    for hit in customers_service.search(uow, query, limit=5):
        if email is None or hit.customer.email == email:
            return hit.customer.id
    return None


def load_demo(uow: UnitOfWork, settings: Settings) -> None:
    if uow.session.scalar(select(Cart.id).limit(1)) is not None:
        return
    skus = catalog_service.sku_page(uow, limit=400)[::37]
    if len(skus) < 4:
        return
    camille = _customer(uow, DEMO_EMAIL, DEMO_EMAIL)
    if camille is not None:
        with acting_as(uow, f"store:{DEMO_STORE}"):
            service.create_cart(
                uow,
                CartIn(
                    customer_id=camille,
                    lines=[LineIn(sku=skus[0], quantity=1), LineIn(sku=skus[1], quantity=2)],
                ),
            )
    for i, name in enumerate(OTHERS):
        customer_id = _customer(uow, name)
        if customer_id is None or customer_id == camille:
            continue
        first = skus[(2 + i) % len(skus)]
        with acting_as(uow, "web", customer_id):
            out, _ = service.create_cart(uow, CartIn(lines=[LineIn(sku=first, quantity=1)]))
        if i % 2 == 0:
            with acting_as(uow, "app", customer_id):
                service.add_line(uow, out.id, LineIn(sku=skus[(3 + i) % len(skus)], quantity=1))
