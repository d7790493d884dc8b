"""The contract other domains call: get_order, orders_of, record_returned, and order_paid exactly once."""

from __future__ import annotations

import pytest

from comptoir.core.errors import Conflict, InvalidInput, NotFound
from comptoir.core.uow import UnitOfWork
from comptoir.orders import service
from comptoir.orders.handlers import payment_changed
from comptoir.orders.schemas import ReturnedLine
from comptoir.payments.events import PaymentCaptured
from tests.catalog.conftest import recorded
from tests.orders.conftest import LIN_S, RIVOLI, SOIE_S, checkout, new_cart


def test_get_order_and_orders_of(client, stocked, marie, web) -> None:  # type: ignore[no-untyped-def]
    cart = new_cart(client, web, [(LIN_S, 2), (SOIE_S, 1)])
    placed = checkout(client, web, cart, mode="click_and_collect", pickup_place_id=RIVOLI).json()
    with UnitOfWork(stocked) as uow:
        order = service.get_order(uow, placed["id"])
        mine = service.orders_of(uow, marie, 10)
        with pytest.raises(NotFound):
            service.get_order(uow, "ord_missing")
    assert order.model_dump(mode="json") == placed
    # dresses sit under women: two category ids per line, root first, for loyalty's earning rules
    assert [len(line.category_ids) for line in order.lines] == [2, 2]
    assert [(o.id, o.items, o.total) for o in mine] == [(placed["id"], 3, order.totals.total)]


def test_record_returned_never_exceeds_what_was_bought(client, stocked, web) -> None:  # type: ignore[no-untyped-def]
    cart = new_cart(client, web, [(LIN_S, 2)])
    placed = checkout(client, web, cart, mode="click_and_collect", pickup_place_id=RIVOLI).json()
    line_id = placed["lines"][0]["line_id"]
    with UnitOfWork(stocked) as uow:
        service.record_returned(uow, placed["id"], [ReturnedLine(line_id=line_id, quantity=1)])
        uow.commit()
    with UnitOfWork(stocked) as uow:
        with pytest.raises(Conflict) as too_many:
            service.record_returned(uow, placed["id"], [ReturnedLine(line_id=line_id, quantity=2)])
        assert too_many.value.slug == "return-exceeds-order"
        with pytest.raises(InvalidInput):
            service.record_returned(uow, placed["id"], [ReturnedLine(line_id="lin_nope", quantity=1)])
    with UnitOfWork(stocked) as uow:
        assert service.get_order(uow, placed["id"]).lines[0].returned_quantity == 1
    assert [e["lines"] for e in recorded(stocked, "orders.order_lines_returned")] == [
        [{"line_id": line_id, "quantity": 1}]
    ]


def test_a_payment_captured_elsewhere_makes_the_order_paid_once(client, stocked, web, rivoli) -> None:  # type: ignore[no-untyped-def]
    from comptoir.payments import service as payments

    cart = new_cart(client, web, [(LIN_S, 1)])
    placed = checkout(client, web, cart, mode="click_and_collect", pickup_place_id=RIVOLI).json()
    with UnitOfWork(stocked) as uow:
        [captured] = payments.capture_order(uow, placed["id"])
        event = PaymentCaptured(
            payment_id=captured.id,
            order_id=placed["id"],
            customer_id=placed["customer_id"],
            method=captured.method,
            amount=str(captured.amount),
            currency="EUR",
        )
        payment_changed(uow, event)
        payment_changed(uow, event)  # delivered twice: still one order_paid
        uow.commit()
    with UnitOfWork(stocked) as uow:
        assert service.get_order(uow, placed["id"]).payment_status == "paid"
    assert len([e for e in recorded(stocked, "orders.order_paid") if e["order_id"] == placed["id"]]) == 1
