"""Races on PostgreSQL: concurrent redemptions never overdraw a gift card, concurrent refunds never
refund more than was captured, concurrent captures capture once."""

from __future__ import annotations

import threading
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from comptoir.core.db import Database
from comptoir.core.errors import Conflict
from comptoir.core.uow import UnitOfWork
from comptoir.payments import service
from comptoir.payments.models import GiftCardMovement
from comptoir.payments.providers.sandbox import Sandbox
from comptoir.payments.schemas import GiftCardRedeemIn, RefundIn
from tests.payments.conftest import authorise_in, gift, till

pytestmark = pytest.mark.postgres


def race(workers: int, work: Callable[[int], Any]) -> tuple[list[Any], list[BaseException]]:
    barrier = threading.Barrier(workers)
    results: list[Any] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def run(i: int) -> None:
        barrier.wait()
        try:
            out = work(i)
            with lock:
                results.append(out)
        except BaseException as exc:
            with lock:
                errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results, errors


def test_concurrent_redemptions_never_overdraw_a_gift_card(db: Database, issue: Any) -> None:
    # given a 50 € card and 16 tills redeeming 10 € each at the same instant
    gc = issue("50.00")

    def redeem(i: int) -> Any:
        with UnitOfWork(db) as uow:
            out = service.redeem_gift_card(
                uow, gc.code, GiftCardRedeemIn(amount=Decimal("10"), currency="EUR", reference=f"till-{i}")
            )
            uow.commit()
            return out

    results, errors = race(16, redeem)
    # then exactly five succeed, the others are refused for balance, and the balance is zero
    assert len(results) == 5
    assert len(errors) == 11 and all(isinstance(e, service.GiftCardUnavailable) for e in errors)
    assert {e.extensions["reason"] for e in errors} == {"insufficient_balance"}  # type: ignore[attr-defined]
    with UnitOfWork(db, read_only=True) as uow:
        assert service.gift_card(uow, gc.code).balance == Decimal("0.00")
        total = uow.session.execute(select(func.sum(GiftCardMovement.amount))).scalar_one()
    assert Decimal(total) == 0
    assert sorted(str(r.balance_after) for r in results) == ["0.00", "10.00", "20.00", "30.00", "40.00"]


def test_concurrent_checkouts_with_one_gift_card(db: Database, issue: Any) -> None:
    gc = issue("30.00")

    def checkout(i: int) -> Any:
        with UnitOfWork(db) as uow:
            out = service.authorise(uow, authorise_in(f"ord_{i}", gift("12", gc.code)))
            uow.commit()
            return out

    results, errors = race(8, checkout)
    assert len(results) == 2 and len(errors) == 6
    with UnitOfWork(db, read_only=True) as uow:
        assert service.gift_card(uow, gc.code).balance == Decimal("6.00")


def test_concurrent_refunds_never_exceed_what_was_captured(db: Database, sandbox: Sandbox) -> None:
    with UnitOfWork(db) as uow:
        service.authorise(uow, authorise_in("ord_1", till("100")))
        service.capture_order(uow, "ord_1")
        uow.commit()

    def refund(i: int) -> Any:
        with UnitOfWork(db) as uow:
            out = service.refund(
                uow, RefundIn(order_id="ord_1", amount=Decimal("30"), currency="EUR", reference=f"ret-{i}")
            )
            uow.commit()
            return out

    results, errors = race(8, refund)
    assert len(results) == 3
    assert errors and all(isinstance(e, Conflict) for e in errors)
    with UnitOfWork(db, read_only=True) as uow:
        [p] = service.payments_of(uow, "ord_1")
    assert (p.state, str(p.refunded_amount)) == ("partially_refunded", "90.00")


def test_concurrent_captures_capture_once(db: Database, sandbox: Sandbox) -> None:
    from tests.payments.conftest import card

    with UnitOfWork(db) as uow:
        [p] = service.authorise(uow, authorise_in("ord_1", card("45")))
        uow.commit()

    def capture(i: int) -> Any:
        with UnitOfWork(db) as uow:
            out = service.capture(uow, p.id)
            uow.commit()
            return out

    results, errors = race(6, capture)
    assert errors == [] and {r.state for r in results} == {"captured"}
    with UnitOfWork(db, read_only=True) as uow:
        journal = service.payment_events(uow, p.id)
    assert [e.to_state for e in journal] == ["authorised", "captured"]
