"""Checkout under real concurrency on PostgreSQL: eight processes racing for the last unit, and an API
process killed with SIGKILL in the middle of a checkout."""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from comptoir.carts import service as carts
from comptoir.carts.schemas import CartIn, LineIn
from comptoir.core.context import Actor
from comptoir.core.db import Database
from comptoir.core.uow import UnitOfWork
from comptoir.orders.models import Fulfilment, Order
from tests.conftest import make_key
from tests.orders.conftest import LIN_S, RIVOLI, levels
from tests.support.processes import start_server, stop

RACERS = 8
STORE_ACTOR = Actor(key_id=None, channel=f"store:{RIVOLI}", scopes=frozenset({"*"}))


def _store_carts(db: Database, n: int, sku: str) -> list[str]:
    ids = []
    with UnitOfWork(db, STORE_ACTOR) as uow:
        for _ in range(n):
            ids.append(carts.create_cart(uow, CartIn(lines=[LineIn(sku=sku, quantity=1)]))[0].id)
        uow.commit()
    return ids


def _race(url: str, cart_id: str, barrier: Any, results: Any) -> None:
    """One process: wait for the others, then check out its cart for pickup at Rivoli."""
    from comptoir.core.errors import Problem
    from comptoir.orders import service
    from comptoir.orders.schemas import CheckoutIn

    db = Database(url, pool_size=1)
    command = CheckoutIn(cart_id=cart_id, mode="click_and_collect", pickup_place_id=RIVOLI)
    barrier.wait(timeout=60)
    try:
        with UnitOfWork(db, STORE_ACTOR) as uow:
            order = service.checkout(uow, command)
            uow.commit()
        results.put(("ordered", order.id))
    except Problem as problem:
        results.put((problem.slug, problem.detail))
    except Exception as exc:
        results.put(("crash", repr(exc)))
    finally:
        db.dispose()


def _orders(db: Database) -> int:
    with db.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(Order)).scalar_one())


@pytest.mark.postgres
def test_eight_processes_race_for_the_last_unit(stocked: Database) -> None:
    if not stocked.is_postgres:
        pytest.skip("a race between processes needs PostgreSQL")
    # given Rivoli has the last linen S (the warehouse's stock is elsewhere, not offered for pickup here)
    with UnitOfWork(stocked) as uow:
        from comptoir.orders import service
        from comptoir.orders.policies import OrdersRules

        rules = OrdersRules()
        rules.sourcing.transfer_for_pickup = False
        service.save_rules(uow, rules, expected_version=None)
        uow.commit()
    assert levels(stocked, LIN_S)[RIVOLI] == (2, 0)
    with UnitOfWork(stocked) as uow:
        from comptoir.inventory import service as inventory
        from comptoir.inventory.schemas import MovementIn

        inventory.record_movement(
            uow, MovementIn(kind="sale", sku=LIN_S, place_id=RIVOLI, quantity=1, reference="till-earlier")
        )
        uow.commit()
    assert levels(stocked, LIN_S)[RIVOLI] == (1, 0)
    cart_ids = _store_carts(stocked, RACERS, LIN_S)

    # when eight processes check out at the same instant
    ctx = mp.get_context("spawn")
    barrier = ctx.Barrier(RACERS)
    results = ctx.Queue()
    procs = [ctx.Process(target=_race, args=(stocked.url, cid, barrier, results)) for cid in cart_ids]
    for p in procs:
        p.start()
    outcomes = [results.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=30)

    # then exactly one order exists, the others were told the stock ran out, and stock never went negative
    kinds = sorted(kind for kind, _ in outcomes)
    assert kinds == ["ordered"] + ["out-of-stock"] * (RACERS - 1), outcomes
    assert _orders(stocked) == 1
    assert levels(stocked, LIN_S)[RIVOLI] == (1, 1)
    with UnitOfWork(stocked) as uow:
        from comptoir.inventory import service as inventory

        [level] = inventory.stock_levels(uow, [LIN_S], [RIVOLI])[LIN_S]
        assert level.available == 0
        # and the seven losing carts are still open, ready to be changed
        statuses = sorted(carts.get_cart(uow, cid).status for cid in cart_ids)
    assert statuses == ["open"] * (RACERS - 1) + ["ordered"]


@pytest.mark.postgres
def test_a_process_killed_mid_checkout_leaves_no_order_and_no_reservation(
    stocked: Database, tmp_path: Path
) -> None:
    if not stocked.is_postgres:
        pytest.skip("killing an API process needs PostgreSQL")
    # given an API process that will pause inside checkout, once the stock is held but before commit
    pause = tmp_path / "checkout-paused"
    server, base = start_server(
        stocked.url, tmp_path / "server.log", launcher=("tests.support.paused_checkout", str(pause))
    )
    key = make_key(stocked, ["*"], channel=f"store:{RIVOLI}")
    [cart_id] = _store_carts(stocked, 1, LIN_S)
    body = {"cart_id": cart_id, "mode": "click_and_collect", "pickup_place_id": RIVOLI}
    outcome: dict[str, Any] = {}

    def client() -> None:
        try:
            outcome["response"] = httpx.post(
                f"{base}/v1/orders/checkout",
                json=body,
                headers={"Authorization": f"Bearer {key}"},
                timeout=60,
            )
        except httpx.HTTPError as exc:
            outcome["error"] = exc

    try:
        thread = threading.Thread(target=client)
        thread.start()
        deadline = time.monotonic() + 60
        while not pause.exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert pause.exists(), "checkout never reached the pause point"
        # the reservation is written, inside the open transaction (invisible to others)
        assert levels(stocked, LIN_S)[RIVOLI] == (2, 0)

        # when the process is killed with SIGKILL in the middle of the checkout
        assert int(pause.read_text()) == server.pid
        os.kill(server.pid, signal.SIGKILL)
        server.wait(timeout=10)
        thread.join(timeout=30)
    finally:
        stop(server)
    assert "error" in outcome and "response" not in outcome

    # then PostgreSQL rolled the whole checkout back: no order, no fulfilment, no reservation
    assert _orders(stocked) == 0
    with stocked.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Fulfilment)).scalar_one() == 0
    deadline = time.monotonic() + 10
    while levels(stocked, LIN_S)[RIVOLI] != (2, 0) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert levels(stocked, LIN_S)[RIVOLI] == (2, 0)
    with UnitOfWork(stocked) as uow:
        assert carts.get_cart(uow, cart_id).status == "open"

    # and the same cart checks out at once in another process: nothing is left locked
    pause.unlink(missing_ok=True)
    from comptoir.orders import service
    from comptoir.orders.schemas import CheckoutIn

    with UnitOfWork(stocked, STORE_ACTOR) as uow:
        order = service.checkout(
            uow, CheckoutIn(cart_id=cart_id, mode="click_and_collect", pickup_place_id=RIVOLI)
        )
        uow.commit()
    assert order.status == "placed"
    assert levels(stocked, LIN_S)[RIVOLI] == (2, 1)
