"""Promotion usage: only a promotion with a budget or a use cap keeps guarded counters (and locks its
row); an uncapped one is counted from its redemptions, so orders using it never wait for each other."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select, text

from comptoir.core.db import Database
from comptoir.core.errors import Conflict
from comptoir.core.uow import UnitOfWork
from comptoir.pricing import service
from comptoir.pricing.models import Coupon, Promotion
from comptoir.pricing.schemas import CouponIn, PromotionPatch
from tests.pricing.conftest import cart, price, promote

SITE_WIDE = {"name": "Soldes -10 %", "kind": "percent_off", "params": {"percent": "10", "scope": "cart"}}


def _row_counters(db: Database, promotion_id: str) -> tuple[int, Decimal]:
    with db.engine.connect() as conn:
        row = conn.execute(
            select(Promotion.uses, Promotion.budget_used).where(Promotion.id == promotion_id)
        ).one()
    return int(row.uses), Decimal(row.budget_used)


def test_an_uncapped_promotion_is_counted_from_its_redemptions_without_writing_its_row(
    shop: Database,
) -> None:
    # given a site-wide 10 % off, no budget and no cap, on a 59.90 dress
    pid = promote(shop, **SITE_WIDE)
    priced = price(shop, cart(("ROBE-S", 1)))
    assert priced.discount_total == Decimal("-5.99")
    # when three orders use it and one is cancelled
    for n in range(3):
        with UnitOfWork(shop) as uow:
            service.commit_promotions(uow, f"ord_{n}", None, priced)
            uow.commit()
    with UnitOfWork(shop) as uow:
        service.release_promotions(uow, "ord_1")
        uow.commit()
    # then the promotion reports two uses and 11.98 given, while its row was never written
    with UnitOfWork(shop) as uow:
        promo = service.get_promotion(uow, pid)
        listed = [p for p in service.list_promotions(uow) if p.id == pid]
    assert (promo.uses, promo.budget_used, promo.exhausted) == (2, Decimal("11.98"), False)
    assert [(p.uses, p.budget_used) for p in listed] == [(2, Decimal("11.98"))]
    assert _row_counters(shop, pid) == (0, Decimal("0"))


def test_a_cap_added_later_starts_from_the_uses_already_made(shop: Database) -> None:
    # given an uncapped promotion used by two orders
    pid = promote(shop, **SITE_WIDE)
    priced = price(shop, cart(("ROBE-S", 1)))
    for n in range(2):
        with UnitOfWork(shop) as uow:
            service.commit_promotions(uow, f"ord_{n}", None, priced)
            uow.commit()
    # when the retailer caps it at three orders
    with UnitOfWork(shop) as uow:
        capped = service.update_promotion(uow, pid, PromotionPatch(max_uses=3))
        uow.commit()
    # then it counts the two already made: one more order gets it, the next is refused
    assert (capped.uses, capped.budget_used, capped.exhausted) == (2, Decimal("11.98"), False)
    with UnitOfWork(shop) as uow:
        service.commit_promotions(uow, "ord_2", None, priced)
        uow.commit()
    with UnitOfWork(shop) as uow, pytest.raises(Conflict) as refused:
        service.commit_promotions(uow, "ord_3", None, priced)
    assert refused.value.slug == "promotion-budget-exhausted"
    with UnitOfWork(shop) as uow:
        after = service.get_promotion(uow, pid)
    assert (after.uses, after.exhausted) == (3, True)


def _second_order_waits(db: Database, priced, run: str) -> bool:  # type: ignore[no-untyped-def]
    """Order 1 commits the promotions and keeps its transaction open; does order 2 have to wait?"""
    with UnitOfWork(db) as first:
        service.commit_promotions(first, f"ord_{run}_first", None, priced)
        with UnitOfWork(db) as second:
            second.session.execute(text("SET LOCAL lock_timeout = '300ms'"))
            try:
                service.commit_promotions(second, f"ord_{run}_second", None, priced)
            except Exception as exc:  # lock_not_available: it would have waited for order 1's commit
                assert "lock" in str(exc).lower()
                return True
            second.commit()
        first.commit()
    return False


@pytest.mark.postgres
def test_only_a_capped_promotion_makes_concurrent_orders_wait(shop: Database) -> None:
    if not shop.is_postgres:
        pytest.skip("row locks: PostgreSQL (SQLite has one writer at a time)")
    # given a site-wide promotion, and the same one capped at 100 orders
    uncapped = promote(shop, **SITE_WIDE)
    # when order 2 commits it while order 1 is still open, then the same with a cap
    waited_uncapped = _second_order_waits(shop, price(shop, cart(("ROBE-S", 1))), "uncapped")
    with UnitOfWork(shop) as uow:
        service.update_promotion(uow, uncapped, PromotionPatch(max_uses=100))
        uow.commit()
    waited_capped = _second_order_waits(shop, price(shop, cart(("ROBE-S", 1))), "capped")
    # then only the cap serialises: it guards the 100th use
    assert (waited_uncapped, waited_capped) == (False, True)


def _shared_code(db: Database, code: str, **limits: int) -> None:
    pid = promote(
        db,
        name=f"Code {code}",
        kind="fixed_off",
        params={"amount": "5", "scope": "cart"},
        requires_coupon=True,
    )
    with UnitOfWork(db) as uow:
        service.create_coupon(uow, pid, CouponIn(code=code, **limits))
        uow.commit()


def test_a_shared_code_without_a_cap_is_counted_from_its_redemptions(shop: Database) -> None:
    # given SOLDES5, usable by anyone as often as they like
    _shared_code(shop, "SOLDES5")
    priced = price(shop, cart(("ROBE-S", 1), coupons=["SOLDES5"]))
    assert priced.applied_coupons == ["SOLDES5"]
    # when three orders use it and one is cancelled
    for n in range(3):
        with UnitOfWork(shop) as uow:
            service.commit_promotions(uow, f"ord_{n}", f"cus_{n}", priced)
            uow.commit()
    with UnitOfWork(shop) as uow:
        service.release_promotions(uow, "ord_0")
        uow.commit()
    # then it reports two uses, and its row was never written
    with UnitOfWork(shop) as uow:
        assert service.get_coupon(uow, "SOLDES5").uses == 2
    with shop.engine.connect() as conn:
        assert conn.execute(select(Coupon.uses).where(Coupon.code == "SOLDES5")).scalar_one() == 0


@pytest.mark.postgres
def test_only_a_capped_code_makes_concurrent_orders_wait(shop: Database) -> None:
    if not shop.is_postgres:
        pytest.skip("row locks: PostgreSQL (SQLite has one writer at a time)")
    # given a shared code without a cap, and one capped at 100 uses
    _shared_code(shop, "SOLDES5")
    _shared_code(shop, "CENT5", max_uses=100)
    # when order 2 commits each while order 1 is still open
    free = _second_order_waits(shop, price(shop, cart(("ROBE-S", 1), coupons=["SOLDES5"])), "free")
    capped = _second_order_waits(shop, price(shop, cart(("ROBE-S", 1), coupons=["CENT5"])), "cent")
    # then only the capped code serialises them
    assert (free, capped) == (False, True)
