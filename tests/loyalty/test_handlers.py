"""Loyalty reacting to other domains' events, delivered by the dispatcher as in production."""

from __future__ import annotations

from typing import Any

import pytest

from comptoir.core.events import DomainEvent
from comptoir.core.ids import new_id
from comptoir.core.uow import UnitOfWork
from comptoir.customers.events import CustomersMerged
from comptoir.loyalty import handlers, service
from tests.loyalty.conftest import HOME, ledger_state

orders_events = pytest.importorskip("comptoir.orders.events")

pytestmark = pytest.mark.usefixtures("programme")


def publish(db, *events: DomainEvent) -> None:  # type: ignore[no-untyped-def]
    with UnitOfWork(db) as uow:
        uow.record(*events)
        uow.commit()


def order_paid(order_id: str, customer_id: str | None, *lines: tuple[str, str, list[str]]) -> DomainEvent:
    return orders_events.OrderPaid(  # type: ignore[no-any-return]
        order_id=order_id,
        customer_id=customer_id,
        channel="store:st_paris_rivoli",
        number=f"N-{order_id}",
        lines=[
            {"line_id": f"l{i}", "sku": sku, "quantity": 1, "amount": amount, "category_ids": cats}
            for i, (sku, amount, cats) in enumerate(lines, start=1)
        ],
        total=str(sum(float(a) for _, a, _ in lines)),
        currency="EUR",
    )


class ReturnRefunded:
    """The payload the contract gives ``returns.return_refunded`` (the returns domain publishes it)."""

    def __init__(self, **data: Any) -> None:
        self.event_id = new_id("evt")
        self._data = data

    def data(self) -> dict[str, Any]:
        return self._data


def test_points_follow_paid_cancelled_and_refunded_orders(db, app, dispatcher, step) -> None:  # type: ignore[no-untyped-def]
    # given two paid orders, one delivered twice by an at-least-once publisher, one anonymous
    publish(db, order_paid("ord_1", "cus_a", ("PULL-M", "80.00", []), ("PLAID", "40.00", [HOME])))
    publish(db, order_paid("ord_2", "cus_a", ("ECHARPE", "25.00", [])))
    publish(db, order_paid("ord_anon", None, ("ECHARPE", "25.00", [])))
    dispatcher.drain()
    # then 80 + 40 x 2 + 25 points, once each
    assert ledger_state(db, "cus_a") == (185, 185, 185)
    # when the second order is cancelled and the plaid of the first refunded
    publish(
        db,
        orders_events.OrderCancelled(
            order_id="ord_2",
            customer_id="cus_a",
            channel="web",
            number="N-ord_2",
            reason="customer",
            was_paid=True,
        ),
    )
    dispatcher.drain()
    with step() as uow:
        handlers.reverse_on_return_refunded(
            uow,
            ReturnRefunded(  # type: ignore[arg-type]
                order_id="ord_1",
                customer_id="cus_a",
                return_id="ret_1",
                lines=[{"sku": "PLAID", "quantity": 1, "amount": "40.00"}],
                total="40.00",
                currency="EUR",
            ),
        )
    # then 25 and 80 points are taken back: 80 are left
    assert ledger_state(db, "cus_a") == (80, 80, 80)
    with step() as uow:
        kinds = [(e.kind, e.points, e.reason) for e in service.history(uow, "cus_a").items]
    assert kinds == [
        ("reverse", -80, "return_refunded"),
        ("reverse", -25, "order_cancelled"),
        ("earn", 25, None),
        ("earn", 160, None),
    ]


def test_a_customers_merge_merges_the_ledgers(db, app, dispatcher, step, pay) -> None:  # type: ignore[no-untyped-def]
    pay("ord_a", "cus_a", "100")
    pay("ord_b", "cus_b", "250")
    publish(
        db,
        CustomersMerged(surviving_id="cus_a", merged_ids=["cus_b"], merge_id="mrg_1", reason="same e-mail"),
    )
    dispatcher.drain()
    assert ledger_state(db, "cus_a") == (350, 350, 350)
    with step() as uow:
        assert service.account(uow, "cus_b").customer_id == "cus_a"
