"""Races on PostgreSQL: the same points cannot be spent twice, whatever the number of writers."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest

from comptoir.core.db import Database
from comptoir.core.uow import UnitOfWork
from comptoir.loyalty import service
from comptoir.loyalty.schemas import RedeemPointsIn
from tests.loyalty.conftest import ledger_state

pytestmark = [pytest.mark.postgres, pytest.mark.usefixtures("programme")]


@pytest.fixture
def pg(db: Database) -> Database:
    if not db.is_postgres:
        pytest.skip("race tests run on PostgreSQL")
    return db


def race(workers: int, work: Callable[[int], Any]) -> list[Any]:
    """Run ``work(i)`` in ``workers`` threads released at the same instant; results or exceptions."""
    barrier = threading.Barrier(workers)
    results: list[Any] = [None] * workers

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = work(i)
        except Exception as exc:
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def redeem_in_own_transaction(db: Database, customer_id: str, points: int, reference: str) -> Any:
    with UnitOfWork(db) as uow:
        out = service.redeem_points(
            uow, RedeemPointsIn(customer_id=customer_id, points=points, reference=reference, channel="web")
        )
        uow.commit()
        return out


def test_two_redemptions_of_the_same_points_cannot_both_succeed(pg, pay) -> None:  # type: ignore[no-untyped-def]
    # given 100 points
    pay("ord_1", "cus_a", "100")
    # when the web and a store spend the same 100 points at the same instant (8 rounds)
    for round_ in range(8):
        results = race(2, lambda i, r=round_: redeem_in_own_transaction(pg, "cus_a", 100, f"r{r}-{i}"))
        successes = [r for r in results if not isinstance(r, Exception)]
        failures = [r for r in results if isinstance(r, Exception)]
        # then exactly one is paid, the other refused as not enough points
        assert len(successes) == 1, results
        assert [type(f) for f in failures] == [service.InsufficientPoints]
        assert ledger_state(pg, "cus_a") == (0, 0, 0)
        with UnitOfWork(pg) as uow:
            service.refund_points(uow, successes[0].reference)
            uow.commit()
        assert ledger_state(pg, "cus_a") == (100, 100, 100)


def test_many_racing_redemptions_spend_exactly_the_balance_never_more(pg, pay) -> None:  # type: ignore[no-untyped-def]
    # given 1,000 points over three orders
    pay("ord_1", "cus_a", "400")
    pay("ord_2", "cus_a", "350")
    pay("ord_3", "cus_a", "250")
    # when 16 writers each try to spend 150 points
    results = race(16, lambda i: redeem_in_own_transaction(pg, "cus_a", 150, f"pay-{i}"))
    successes = [r for r in results if not isinstance(r, Exception)]
    failures = [r for r in results if isinstance(r, Exception)]
    # then six succeed (900 points), ten are refused, 100 points are left and never negative
    assert len(successes) == 6
    assert all(isinstance(f, service.InsufficientPoints) for f in failures)
    assert ledger_state(pg, "cus_a") == (100, 100, 100)
    assert sorted(s.balance_after for s in successes) == [100, 250, 400, 550, 700, 850]


def test_replays_of_one_reference_race_to_a_single_redemption(pg, pay) -> None:  # type: ignore[no-untyped-def]
    pay("ord_1", "cus_a", "500")
    results = race(6, lambda i: redeem_in_own_transaction(pg, "cus_a", 100, "same-payment"))
    assert all(not isinstance(r, Exception) for r in results), results
    assert len({r.id for r in results}) == 1
    assert ledger_state(pg, "cus_a") == (400, 400, 400)


def test_redemptions_racing_a_merge_and_a_cancellation_keep_the_ledger_whole(pg, pay) -> None:  # type: ignore[no-untyped-def]
    # given two customers about to be merged, each with points, one order about to be cancelled
    pay("ord_a", "cus_a", "300")
    pay("ord_b", "cus_b", "300")

    def work(i: int) -> Any:
        if i == 0:
            with UnitOfWork(pg) as uow:
                service.merge_accounts(uow, "cus_a", ["cus_b"], "mrg_1")
                uow.commit()
            return "merged"
        if i == 1:
            with UnitOfWork(pg) as uow:
                service.reverse_for_order(
                    uow, order_id="ord_a", cause="order_cancelled", reference="cancelled"
                )
                uow.commit()
            return "cancelled"
        customer = "cus_a" if i % 2 else "cus_b"
        return redeem_in_own_transaction(pg, customer, 100, f"pay-{i}")

    results = race(8, work)
    assert not [
        r for r in results if isinstance(r, Exception) and not isinstance(r, service.InsufficientPoints)
    ]
    balance, entries, lots = ledger_state(pg, "cus_a")
    assert balance == entries == lots >= 0
    assert ledger_state(pg, "cus_b") == (0, 0, 0)
