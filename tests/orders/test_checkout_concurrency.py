"""Checkouts that must not wait for each other, on PostgreSQL with real threads or processes."""

from __future__ import annotations

import threading
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from comptoir.carts import service as carts
from comptoir.carts.schemas import CartIn, LineIn
from comptoir.core.context import Actor
from comptoir.core.db import Database
from comptoir.core.uow import UnitOfWork
from comptoir.inventory import service as inventory
from comptoir.inventory.schemas import MovementIn
from comptoir.orders import service
from comptoir.orders.policies import OrdersRules
from comptoir.orders.schemas import AddressIn, CheckoutIn, TenderIn
from comptoir.payments import providers
from comptoir.pricing import service as pricing
from comptoir.pricing.schemas import PromotionIn
from tests.conftest import make_key
from tests.orders.conftest import CARD, LIN_S, PARIS_ADDRESS, RIVOLI, WAREHOUSE, levels
from tests.support.concurrency import race
from tests.support.processes import start_server, stop

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


CLIENTS, ROUNDS, UNITS = 8, 3, 5


def test_eight_clients_collecting_at_a_shop_holding_enough_are_never_refused(
    stocked: Database, tmp_path: Path
) -> None:
    if not stocked.is_postgres:
        pytest.skip("concurrent API clients: PostgreSQL")
    # given Rivoli holds exactly what 8 clients × 3 orders × 5 linen S need, the warehouse 20 more, and
    # handling in stores costs enough that a cost-only plan would send 5 units from the warehouse
    demand = CLIENTS * ROUNDS * UNITS
    with UnitOfWork(stocked) as uow:
        inventory.record_movement(
            uow,
            MovementIn(kind="receipt", sku=LIN_S, place_id=RIVOLI, quantity=demand - 2, reference="asn-c&c"),
        )
        rules = OrdersRules()
        rules.sourcing.store_unit_cost = 3.0
        service.save_rules(uow, rules, expected_version=None)
        uow.commit()
    assert levels(stocked, LIN_S)[RIVOLI] == (demand, 0)
    server, base = start_server(stocked.url, tmp_path / "server.log")
    key = {
        "Authorization": f"Bearer {make_key(stocked, ['*:read', 'carts:write', 'orders:write'], channel='web')}"
    }

    def client(i: int) -> list[str]:
        outcomes = []
        with httpx.Client(base_url=base, headers=key, timeout=60) as http:
            for _ in range(ROUNDS):
                cart = http.post("/v1/carts", json={"lines": [{"sku": LIN_S, "quantity": UNITS}]}).json()
                placed = http.post(
                    "/v1/orders/checkout",
                    json={"cart_id": cart["id"], "mode": "click_and_collect", "pickup_place_id": RIVOLI},
                    headers={"X-Cart-Token": cart["cart_token"]},
                )
                body = placed.json()
                outcomes.append(
                    ",".join(f"{f['kind']}@{f['source_place_id']}" for f in body["fulfilments"])
                    if placed.status_code == 201
                    else f"{placed.status_code} {body.get('detail')}"
                )
        return outcomes

    # when the 8 clients check out at the same time, through the API
    try:
        results = race(CLIENTS, client)
    finally:
        stop(server)

    # then every checkout is served from Rivoli's own shelf, none refused, and Rivoli holds them all
    outcomes = Counter(o for r in results for o in (r if isinstance(r, list) else [repr(r)]))
    assert outcomes == {f"pickup_from_store_stock@{RIVOLI}": CLIENTS * ROUNDS}
    assert levels(stocked, LIN_S)[RIVOLI] == (demand, demand)
    assert levels(stocked, LIN_S)[WAREHOUSE] == (20, 0)
