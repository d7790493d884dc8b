"""Concurrent changes to one cart from several channels on PostgreSQL: no update is lost."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from comptoir.carts import service
from comptoir.carts.schemas import CartIn, LineIn
from comptoir.core.context import Actor
from comptoir.core.errors import PreconditionFailed
from comptoir.core.uow import UnitOfWork
from comptoir.pricing import service as pricing
from tests.carts.conftest import LIN_S, SOIE_S, STORE, headers, sign_up
from tests.catalog.conftest import recorded
from tests.support.concurrency import race
from tests.support.processes import start_server, stop

pytestmark = pytest.mark.postgres

TABLET = Actor(key_id="key_tablet", channel=f"store:{STORE}", scopes=frozenset({"*"}))


def web_of(customer_id: str) -> Actor:
    return Actor(key_id="key_web", channel="web", scopes=frozenset({"*"}), customer_id=customer_id)


@pytest.fixture
def pg(db):  # type: ignore[no-untyped-def]
    if not db.is_postgres:
        pytest.skip("race tests run on PostgreSQL")
    return db


def start_cart(db: Any, customer_id: str) -> str:
    with UnitOfWork(db, TABLET) as uow:
        out, _ = service.create_cart(uow, CartIn(customer_id=customer_id))
        uow.commit()
    return out.id


def test_the_tablet_and_the_website_adding_at_once_lose_no_update(pg, marie) -> None:  # type: ignore[no-untyped-def]
    # given Marie's cart, started on the tablet
    cart_id = start_cart(pg, marie)

    # when 16 clients — the seller's tablet and Marie's browser, alternately — add at the same instant
    def add(i: int) -> int:
        actor = TABLET if i % 2 == 0 else web_of(marie)
        with UnitOfWork(pg, actor) as uow:
            out = service.add_line(uow, cart_id, LineIn(sku=LIN_S if i % 4 < 2 else SOIE_S, quantity=1))
            uow.commit()
        return out.version

    versions = race(16, add)

    # then every addition counted, each got its own version, and one event per change
    assert sorted(versions) == list(range(2, 18)), versions
    with UnitOfWork(pg, TABLET, read_only=True) as uow:
        cart = service.get_cart(uow, cart_id)
    assert sorted((x.sku, x.quantity) for x in cart.lines) == [(LIN_S, 8), (SOIE_S, 8)]
    assert cart.version == 17
    assert sorted(e["version"] for e in recorded(pg, "carts.cart_changed")) == list(range(2, 18))


def test_racing_checkouts_of_one_cart_order_it_once(pg, marie) -> None:  # type: ignore[no-untyped-def]
    cart_id = start_cart(pg, marie)
    with UnitOfWork(pg, TABLET) as uow:
        service.add_line(uow, cart_id, LineIn(sku=LIN_S, quantity=1))
        uow.commit()

    # when eight checkouts convert the cart at the same instant, each for its own order
    def order(i: int) -> str | None:
        with UnitOfWork(pg, TABLET) as uow:
            out = service.order_cart(uow, cart_id, f"ord_{i}")
            uow.commit()
        return out.order_id

    results = race(8, order)

    # then one converted it; the others waited on the row and were told it is that order's
    [winner] = [r for r in results if isinstance(r, str)]
    refused = [r for r in results if not isinstance(r, str)]
    assert len(refused) == 7 and {(r.slug, r.extensions["order_id"]) for r in refused} == {
        ("cart-closed", winner)
    }
    assert [e["order_id"] for e in recorded(pg, "carts.cart_ordered")] == [winner]


def test_with_if_match_exactly_one_of_the_racing_changes_wins(pg, marie) -> None:  # type: ignore[no-untyped-def]
    cart_id = start_cart(pg, marie)

    def add(i: int) -> int:
        actor = TABLET if i % 2 == 0 else web_of(marie)
        with UnitOfWork(pg, actor) as uow:
            out = service.add_line(uow, cart_id, LineIn(sku=LIN_S, quantity=1), expected_version=1)
            uow.commit()
        return out.version

    results = race(8, add)
    assert results.count(2) == 1
    assert sum(isinstance(r, PreconditionFailed) for r in results) == 7
    with UnitOfWork(pg, TABLET, read_only=True) as uow:
        assert [(x.sku, x.quantity) for x in service.get_cart(uow, cart_id).lines] == [(LIN_S, 1)]


def test_two_channels_starting_a_cart_for_one_customer_share_one(pg, marie) -> None:  # type: ignore[no-untyped-def]
    # when the tablet and the website start "a" cart for Marie at the same instant, 8 times
    def start(i: int) -> tuple[str, bool]:
        actor = TABLET if i % 2 == 0 else web_of(marie)
        body = CartIn(customer_id=marie if i % 2 == 0 else None, lines=[LineIn(sku=LIN_S, quantity=1)])
        with UnitOfWork(pg, actor) as uow:
            out, created = service.create_cart(uow, body)
            uow.commit()
        return out.id, created

    results = race(8, start)

    # then one cart was created and the others added to it
    assert all(isinstance(r, tuple) for r in results), results
    assert len({cart_id for cart_id, _ in results}) == 1
    assert sum(created for _, created in results) == 1
    with UnitOfWork(pg, TABLET, read_only=True) as uow:
        cart = service.get_cart(uow, results[0][0])
    assert [(x.sku, x.quantity) for x in cart.lines] == [(LIN_S, 8)]


@pytest.mark.skipif(
    not hasattr(pricing, "price_cart"), reason="the API servers price with the pricing domain"
)
def test_api_processes_racing_on_one_cart_lose_no_update(  # type: ignore[no-untyped-def]
    pg, marie, store_key, web_key, client, tmp_path: Path
) -> None:
    # given Marie's cart started on the tablet and her web session, and two API processes
    cart = client.post("/v1/carts", json={"customer_id": marie}, headers=headers(store_key)).json()
    session = sign_up(client, web_key)
    servers = [start_server(pg.url, tmp_path / f"server-{n}.log") for n in range(2)]
    try:
        channels = [headers(store_key), headers(web_key, customer_token=session["token"])]

        # when 16 clients on the two channels, spread over two API processes, add a unit at once
        def add(i: int) -> int:
            response = httpx.post(
                f"{servers[i % 2][1]}/v1/carts/{cart['id']}/lines",
                json={"sku": LIN_S, "quantity": 1},
                headers=channels[(i // 2) % 2],
                timeout=60,
            )
            return response.status_code

        statuses = race(16, add)
    finally:
        for proc, _ in servers:
            stop(proc)

    # then all succeeded and the line holds 16
    assert statuses == [200] * 16
    final = client.get(f"/v1/carts/{cart['id']}", headers=headers(store_key)).json()
    assert [(x["sku"], x["quantity"]) for x in final["lines"]] == [(LIN_S, 16)]
    assert final["version"] == 17
