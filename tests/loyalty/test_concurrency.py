"""Races on PostgreSQL: the same points cannot be spent twice, whatever the number of writers."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from comptoir.core.db import Database
from comptoir.core.uow import UnitOfWork
from comptoir.loyalty import service
from comptoir.loyalty.schemas import RedeemPointsIn
from tests.conftest import make_key
from tests.loyalty.conftest import ledger_state
from tests.support.concurrency import race
from tests.support.processes import start_server, stop

pytestmark = [pytest.mark.postgres, pytest.mark.usefixtures("programme")]


@pytest.fixture
def pg(db: Database) -> Database:
    if not db.is_postgres:
        pytest.skip("race tests run on PostgreSQL")
    return db


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


def test_racing_requests_to_two_api_processes_spend_the_points_once(pg, pay, tmp_path) -> None:  # type: ignore[no-untyped-def]
    # given 500 points and an API served by two worker processes
    pay("ord_1", "cus_a", "500")
    token = make_key(pg, ["loyalty:read", "loyalty:write"], "store:st_paris_rivoli")
    proc, base = start_server(pg.url, tmp_path / "server.log", workers=2)
    try:
        headers = {"Authorization": f"Bearer {token}"}

        def post(i: int) -> int:
            response = httpx.post(
                f"{base}/v1/loyalty/accounts/cus_a/redemptions",
                json={"points": 200, "reference": f"till-{i}"},
                headers=headers,
                timeout=30,
            )
            return response.status_code

        # when ten tills try to spend 200 points each at the same instant
        statuses = race(10, post)
    finally:
        stop(proc)
    # then two are paid, eight refused with 409, 100 points left, the ledger whole
    assert sorted(statuses) == [201, 201] + [409] * 8
    assert ledger_state(pg, "cus_a") == (100, 100, 100)
