"""Invariants under any sequence of operations: the balance is the sum of the ledger, never negative."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from comptoir.core.uow import UnitOfWork
from comptoir.loyalty import policies, service
from comptoir.loyalty.policies import LotState, PaidLine, RefundedLine
from comptoir.loyalty.schemas import AdjustmentIn, RedeemPointsIn
from tests.loyalty.conftest import ledger_state

operation = st.one_of(
    st.tuples(st.just("earn"), st.integers(1, 800), st.booleans()),
    st.tuples(st.just("redeem"), st.integers(50, 600), st.booleans()),
    st.tuples(st.just("refund"), st.integers(0, 20), st.booleans()),
    st.tuples(st.just("cancel"), st.integers(0, 20), st.booleans()),
    st.tuples(st.just("return"), st.integers(1, 800), st.booleans()),
    st.tuples(st.just("adjust"), st.integers(-300, 300).filter(bool), st.booleans()),
    st.tuples(st.just("age"), st.integers(1, 400), st.booleans()),
    st.tuples(st.just("merge"), st.integers(1, 500), st.booleans()),
    st.tuples(st.just("unmerge"), st.integers(0, 20), st.booleans()),
)


@pytest.mark.usefixtures("programme")
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=st.lists(operation, min_size=1, max_size=14))
def test_the_balance_is_the_sum_of_the_ledger_under_any_operations(db, now, ops) -> None:  # type: ignore[no-untyped-def]
    customer = f"cus_{uuid.uuid4().hex[:12]}"
    orders: list[str] = []
    redemptions: list[str] = []
    merges: list[tuple[str, str]] = []

    def step() -> UnitOfWork:
        return UnitOfWork(db)

    for n, (kind, value, flag) in enumerate(ops):
        ref = f"{customer}-{n}"
        with step() as uow:
            try:
                if kind == "earn":
                    service.earn_for_order(
                        uow,
                        order_id=ref,
                        customer_id=customer,
                        channel="web",
                        currency="EUR",
                        lines=[PaidLine("l1", "SKU", 1, Decimal(value), ("cat_home",) if flag else ())],
                    )
                    orders.append(ref)
                elif kind == "redeem":
                    before = service.account(uow, customer).balance
                    try:
                        service.redeem_points(
                            uow,
                            RedeemPointsIn(customer_id=customer, points=value, reference=ref, channel="web"),
                        )
                        redemptions.append(ref)
                        assert before >= value
                    except service.InsufficientPoints:
                        assert before < value
                elif kind == "refund" and redemptions:
                    service.refund_points(uow, redemptions[value % len(redemptions)])
                elif kind == "cancel" and orders:
                    service.reverse_for_order(
                        uow,
                        order_id=orders[value % len(orders)],
                        cause="order_cancelled",
                        reference="cancelled",
                    )
                elif kind == "return" and orders:
                    service.reverse_for_order(
                        uow,
                        order_id=orders[value % len(orders)],
                        cause="return_refunded",
                        reference=ref,
                        refunded=[RefundedLine("SKU", Decimal(value) / 2, "l1")],
                    )
                elif kind == "adjust":
                    service.adjust(uow, customer, AdjustmentIn(points=value, reason="property test"))
                elif kind == "age":
                    now.advance(days=value * 3)
                    service.expire_points(uow)
                elif kind == "merge":
                    other = f"{ref}-other"
                    service.earn_for_order(
                        uow,
                        order_id=f"{other}-order",
                        customer_id=other,
                        channel="app",
                        currency="EUR",
                        lines=[PaidLine("l1", "SKU", 1, Decimal(value))],
                    )
                    service.merge_accounts(uow, customer, [other], f"mrg-{ref}")
                    merges.append((other, f"mrg-{ref}"))
                elif kind == "unmerge" and merges:
                    other, merge_id = merges[value % len(merges)]
                    service.unmerge_accounts(uow, customer, [other], merge_id)
                uow.commit()
            except service.InsufficientPoints:
                uow.rollback()
        for member in [customer, *(other for other, _ in merges)]:
            balance, entries, lots = ledger_state(db, member)
            assert balance == entries == lots
            assert balance >= 0


@given(
    lots=st.lists(st.tuples(st.integers(0, 500), st.one_of(st.none(), st.integers(0, 1000))), max_size=8),
    points=st.integers(0, 3000),
)
def test_taking_points_never_takes_more_than_the_lots_hold(lots, points) -> None:  # type: ignore[no-untyped-def]
    states = [
        LotState(
            f"lot_{i:03d}",
            remaining,
            None if day is None else datetime.fromordinal(730000 + day).replace(tzinfo=UTC),
        )
        for i, (remaining, day) in enumerate(lots)
    ]
    uses = policies.take(states, points)
    held = {s.id: s.remaining for s in states}
    assert sum(n for _, n in uses) == min(points, sum(held.values()))
    assert all(0 < n <= held[lot] for lot, n in uses)
    # first-expiring-first: a lot is only touched once every sooner-expiring lot is empty
    order = [s.id for s in policies.fifo_order(states) if s.remaining > 0]
    assert [lot for lot, _ in uses] == order[: len(uses)]
