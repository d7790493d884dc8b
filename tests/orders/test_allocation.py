"""Checkout's stock steps: a hold refused because a concurrent checkout took the planned units is
planned again against fresh stock before anything is refused."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from comptoir.core.db import Database
from comptoir.core.uow import UnitOfWork
from comptoir.inventory import service as inventory
from comptoir.inventory.schemas import MovementIn
from comptoir.orders import allocation, cache
from comptoir.orders.allocation import OutOfStockForOrder, Places
from comptoir.orders.policies import OrdersRules
from comptoir.orders.schemas import CheckoutIn
from comptoir.orders.sourcing import Demand
from tests.orders.conftest import LIN_S, OPERA, RIVOLI, SOIE_M, WAREHOUSE, levels

NOW = datetime(2026, 12, 6, 10, 0, tzinfo=UTC)


def _sell(uow: UnitOfWork, sku: str, place_id: str, quantity: int) -> None:
    inventory.record_movement(
        uow,
        MovementIn(kind="sale", sku=sku, place_id=place_id, quantity=quantity, reference=f"till-{place_id}"),
    )


def test_a_refused_hold_is_planned_again_against_fresh_stock(stocked: Database) -> None:
    # given a click & collect of 2 linen S at Rivoli, planned from Rivoli's own 2 units
    cmd = CheckoutIn(cart_id="cart_x", mode="click_and_collect", pickup_place_id=RIVOLI)
    demand = [Demand("l1", LIN_S, 2)]
    rules = OrdersRules()
    with UnitOfWork(stocked) as uow:
        at = Places(pickup=cache.places(uow, [RIVOLI])[RIVOLI])
        plan = allocation.plan_order(uow, cmd, rules, demand, at)
        assert plan.places == [RIVOLI]
        # when the till sells one of them before the hold (what a concurrent checkout does)
        _sell(uow, LIN_S, RIVOLI, 1)
        plan, planned = allocation.hold(uow, "ord_x", cmd, rules, demand, at, plan, NOW)
        uow.commit()
    # then the order is planned again: Rivoli's last unit, and one transferred from the warehouse
    assert plan.places == [RIVOLI, WAREHOUSE]
    assert [(r["kind"], r["source_place_id"]) for r in planned.rows] == [
        ("pickup_from_store_stock", RIVOLI),
        ("pickup_after_transfer", WAREHOUSE),
    ]
    assert levels(stocked, LIN_S)[RIVOLI] == (1, 1)
    assert levels(stocked, LIN_S)[WAREHOUSE] == (20, 1)


def test_it_is_refused_only_when_the_network_cannot_serve_it_any_more(stocked: Database) -> None:
    # given a reserve & collect of 3 silk M at Opéra, planned from its 3 units
    cmd = CheckoutIn(cart_id="cart_y", mode="reserve_and_collect", pickup_place_id=OPERA)
    demand = [Demand("l1", SOIE_M, 3)]
    rules = OrdersRules()
    with UnitOfWork(stocked) as uow:
        at = Places(pickup=cache.places(uow, [OPERA])[OPERA])
        plan = allocation.plan_order(uow, cmd, rules, demand, at)
        # when one is sold meanwhile: reserve & collect holds in the pickup store only
        _sell(uow, SOIE_M, OPERA, 1)
        with pytest.raises(OutOfStockForOrder) as refused:
            allocation.hold(uow, "ord_y", cmd, rules, demand, at, plan, NOW)
    # then the refusal says what is missing, and nothing was held
    assert refused.value.detail == f"Not enough stock to serve the order: {SOIE_M} (missing 1)."
    assert levels(stocked, SOIE_M)[OPERA] == (3, 0)
