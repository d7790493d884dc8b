"""Checkouts that must not wait for each other, on PostgreSQL with real threads or processes."""

from __future__ import annotations

import threading
import time
from decimal import Decimal
from typing import Any

import pytest

from comptoir.carts import service as carts
from comptoir.carts.schemas import CartIn, LineIn
from comptoir.core.context import Actor
from comptoir.core.db import Database
from comptoir.core.uow import UnitOfWork
from comptoir.orders import service
from comptoir.orders.schemas import AddressIn, CheckoutIn, TenderIn
from comptoir.payments import providers
from comptoir.pricing import service as pricing
from comptoir.pricing.schemas import PromotionIn
from tests.orders.conftest import CARD, LIN_S, PARIS_ADDRESS
from tests.support.concurrency import race

pytestmark = pytest.mark.postgres
WEB = Actor(key_id=None, channel="web", scopes=frozenset({"*"}))


class SlowCard:
    """The configured card provider, answering authorisations after ``delay`` seconds (a slow bank)."""

    def __init__(self, inner: Any, delay: float) -> None:
        self.inner, self.name, self.delay = inner, inner.name, delay
        self.calls: list[tuple[float, float]] = []
        self._lock = threading.Lock()

    def authorise(self, **kwargs: Any) -> Any:
        started = time.monotonic()
        time.sleep(self.delay)
        out = self.inner.authorise(**kwargs)
        with self._lock:
            self.calls.append((started, time.monotonic()))
        return out

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def _web_carts(db: Database, n: int) -> list[tuple[str, str]]:
    """Anonymous web carts of one linen S: (id, cart token)."""
    with UnitOfWork(db, WEB) as uow:
        made = [carts.create_cart(uow, CartIn(lines=[LineIn(sku=LIN_S, quantity=1)]))[0] for _ in range(n)]
        uow.commit()
    return [(c.id, c.cart_token or "") for c in made]


def test_a_site_wide_promotion_does_not_serialise_checkouts_during_a_slow_card_authorisation(
    stocked: Database,
) -> None:
    if not stocked.is_postgres:
        pytest.skip("row locks across transactions: PostgreSQL")
    # given 10 % off every cart, without budget or cap, and a bank taking a second to authorise a card
    with UnitOfWork(stocked) as uow:
        promotion = pricing.create_promotion(
            uow,
            PromotionIn(
                name="Soldes", kind="percent_off", params={"percent": "10", "scope": "cart"}, channels=["web"]
            ),
        )
        uow.commit()
    slow = SlowCard(providers.card_provider(), delay=1.0)
    previous = providers.register_provider(slow)  # type: ignore[arg-type]
    cart_ids = _web_carts(stocked, 2)

    def checkout(i: int) -> Any:
        with UnitOfWork(stocked, WEB) as uow:
            order = service.checkout(
                uow,
                CheckoutIn(
                    cart_id=cart_ids[i][0],
                    mode="home_delivery",
                    address=AddressIn(**PARIS_ADDRESS),
                    tenders=[TenderIn(**CARD)],
                ),
                cart_token=cart_ids[i][1],
            )
            uow.commit()
        return order

    # when two customers check out at the same instant
    try:
        orders = race(2, checkout)
    finally:
        providers.unregister_provider(slow.name, previous)

    # then both orders are placed with the discount, and the second authorisation did not wait for the
    # first order to commit: the two authorisations ran at the same time
    assert [type(o).__name__ for o in orders] == ["OrderOut", "OrderOut"], orders
    assert [o.totals.discount_total for o in orders] == [Decimal("-5.99")] * 2
    (_, first_end), (second_start, _) = sorted(slow.calls)
    assert second_start < first_end
    with UnitOfWork(stocked) as uow:
        assert pricing.get_promotion(uow, promotion.id).uses == 2
