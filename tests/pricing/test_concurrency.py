"""Races on PostgreSQL: real threads committing orders at the same moment against one database."""

from __future__ import annotations

import threading
from decimal import Decimal
from typing import Any

import pytest

from comptoir.core.db import Database
from comptoir.core.errors import Conflict
from comptoir.core.uow import UnitOfWork
from comptoir.pricing import service
from comptoir.pricing.schemas import CouponIn
from tests.pricing.conftest import cart, price, promote

pytestmark = pytest.mark.postgres


def _race(db: Database, n: int, work: Any) -> tuple[list[int], list[str]]:
    """Run ``work(uow, i)`` in ``n`` threads released together; each commits its own transaction."""
    barrier = threading.Barrier(n)
    won: list[int] = []
    refused: list[str] = []
    lock = threading.Lock()

    def run(i: int) -> None:
        barrier.wait()
        try:
            with UnitOfWork(db) as uow:
                work(uow, i)
                uow.commit()
            with lock:
                won.append(i)
        except Conflict as exc:
            with lock:
                refused.append(exc.slug)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return won, refused


def test_a_once_per_customer_coupon_cannot_be_used_twice_by_racing_orders(shop: Database) -> None:
    # given BIENVENUE10, once per customer, and a cart priced with it (valid for the customer)
    pid = promote(
        shop,
        name="Bienvenue",
        kind="percent_off",
        params={"percent": "10", "scope": "cart"},
        requires_coupon=True,
    )
    with UnitOfWork(shop) as uow:
        service.create_coupon(uow, pid, CouponIn(code="BIENVENUE10", max_uses_per_customer=1))
        uow.commit()
    priced = price(shop, cart(("ROBE-S", 1), coupons=["BIENVENUE10"], customer_id="cus_race"))
    assert priced.applied_coupons == ["BIENVENUE10"]
    # when eight orders of that customer commit it at the same moment
    won, refused = _race(
        shop, 8, lambda uow, i: service.commit_promotions(uow, f"ord_{i}", "cus_race", priced)
    )
    # then exactly one wins, the others are refused with a stable problem type
    assert len(won) == 1
    assert refused == ["coupon-unavailable"] * 7
    with UnitOfWork(shop) as uow:
        assert service.get_coupon(uow, "BIENVENUE10").uses == 1
    # and another customer may still use it
    other = price(shop, cart(("ROBE-S", 1), coupons=["BIENVENUE10"], customer_id="cus_other"))
    assert other.applied_coupons == ["BIENVENUE10"]


def test_a_single_use_coupon_goes_to_one_of_many_customers(shop: Database) -> None:
    pid = promote(
        shop,
        name="Code unique",
        kind="fixed_off",
        params={"amount": "5", "scope": "cart"},
        requires_coupon=True,
    )
    with UnitOfWork(shop) as uow:
        service.create_coupon(uow, pid, CouponIn(code="UNIQUE5", max_uses=1))
        uow.commit()
    priced = price(shop, cart(("ROBE-S", 1), coupons=["UNIQUE5"]))
    won, refused = _race(
        shop, 6, lambda uow, i: service.commit_promotions(uow, f"ord_{i}", f"cus_{i}", priced)
    )
    assert len(won) == 1 and refused == ["coupon-unavailable"] * 5


def test_a_promotion_budget_is_never_exceeded(shop: Database) -> None:
    # given 10 € off each dress with a 50 € budget
    pid = promote(
        shop, name="10 € la robe", kind="fixed_off", params={"amount": "10", "skus": ["ROBE-S"]}, budget="50"
    )
    priced = price(shop, cart(("ROBE-S", 1)))
    assert priced.discount_total == Decimal("-10.00")
    # when twelve orders commit at once
    won, refused = _race(shop, 12, lambda uow, i: service.commit_promotions(uow, f"ord_{i}", None, priced))
    # then five get it, seven are refused, the budget used is exactly the budget
    assert len(won) == 5
    assert refused == ["promotion-budget-exhausted"] * 7
    with UnitOfWork(shop) as uow:
        promo = service.get_promotion(uow, pid)
    assert (promo.budget_used, promo.uses, promo.exhausted) == (Decimal("50.00"), 5, True)
    # and pricing stops offering it in every process (the cached set's version moved)
    assert price(shop, cart(("ROBE-S", 1))).discount_total == Decimal("0.00")
    # a cancelled order gives its share back
    with UnitOfWork(shop) as uow:
        service.release_promotions(uow, f"ord_{won[0]}")
        uow.commit()
    with UnitOfWork(shop) as uow:
        promo = service.get_promotion(uow, pid)
    assert (promo.budget_used, promo.uses, promo.exhausted) == (Decimal("40.00"), 4, False)
    assert price(shop, cart(("ROBE-S", 1))).discount_total == Decimal("-10.00")


def test_a_use_cap_is_never_exceeded(shop: Database) -> None:
    # given 10 % off the cart for the first three orders
    pid = promote(
        shop, name="Trois premiers", kind="percent_off", params={"percent": "10", "scope": "cart"}, max_uses=3
    )
    priced = price(shop, cart(("ROBE-S", 1)))
    # when eight orders commit it at once
    won, refused = _race(shop, 8, lambda uow, i: service.commit_promotions(uow, f"ord_{i}", None, priced))
    # then exactly three get it
    assert len(won) == 3 and refused == ["promotion-budget-exhausted"] * 5
    with UnitOfWork(shop) as uow:
        promo = service.get_promotion(uow, pid)
    assert (promo.uses, promo.budget_used, promo.exhausted) == (3, Decimal("17.97"), True)
