"""A return at a store's counter as one service operation: created, received there, refunded."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from comptoir.core.context import Actor
from comptoir.core.db import Database
from comptoir.core.uow import UnitOfWork
from comptoir.payments import providers
from comptoir.payments.config import SANDBOX_SECRET
from comptoir.payments.providers.base import ProviderUnavailable
from comptoir.payments.providers.http import HttpCardProvider
from comptoir.returns import service
from comptoir.returns.schemas import CounterLineIn, RefundReturnIn, TakeBackIn
from tests.catalog.conftest import recorded
from tests.orders.conftest import LIN_M, RIVOLI, WAREHOUSE, levels
from tests.returns.conftest import STAFF, delivered_web_order

SELLER = Actor(key_id=None, channel=f"store:{RIVOLI}", scopes=frozenset(STAFF))


def at_rivoli(db: Database) -> Callable[[], UnitOfWork]:
    return lambda: UnitOfWork(db, SELLER)


def take_back(order: dict[str, Any], quantity: int, condition: str = "resaleable", **body: Any) -> TakeBackIn:
    line_id = order["lines"][0]["line_id"]
    return TakeBackIn.model_validate(
        {
            "order_id": order["id"],
            "lines": [
                {"line_id": line_id, "quantity": quantity, "condition": condition, "reason": "wrong_size"}
            ],
            **body,
        }
    )


def test_taken_back_at_the_counter_is_received_here_and_refunded(  # type: ignore[no-untyped-def]
    client, stocked, marie, web, warehouse
) -> None:
    # given Marie's delivered web order of two linen dresses in M, paid by card
    order = delivered_web_order(client, web, warehouse, [(LIN_M, 2)])
    half = f"{float(order['lines'][0]['total']) / 2:.2f}"
    # when she hands one back at Rivoli's counter, resaleable
    done = service.take_back_in_store(at_rivoli(stocked), take_back(order, 1))
    # then the return is refunded to the card, received at Rivoli, the dress back in Rivoli's stock
    assert (done.status, done.method, done.place_id, done.channel) == (
        "refunded",
        "in_store",
        RIVOLI,
        f"store:{RIVOLI}",
    )
    assert str(done.total_refund) == half and done.refund_to == "original" and done.refund_id
    [line] = done.lines
    assert (line.reason, line.condition, line.accepted_quantity, line.restocked_quantity) == (
        "wrong_size",
        "resaleable",
        1,
        1,
    )
    assert levels(stocked, LIN_M)[RIVOLI] == (1, 0)
    assert levels(stocked, LIN_M)[WAREHOUSE] == (18, 0)
    # and the three steps' facts were recorded, each once
    for name in ("returns.return_created", "returns.return_received", "returns.return_refunded"):
        assert [e["return_id"] for e in recorded(stocked, name)] == [done.id]
    payments = client.get(f"/v1/orders/{order['id']}", headers=warehouse).json()["payments"]
    assert [p["state"] for p in payments] == ["partially_refunded"]


def test_nothing_accepted_at_the_counter_ends_rejected_without_a_refund(  # type: ignore[no-untyped-def]
    client, stocked, marie, web, warehouse
) -> None:
    # given Marie's delivered web order
    order = delivered_web_order(client, web, warehouse, [(LIN_M, 1)])
    # when the dress she hands back is worn
    done = service.take_back_in_store(at_rivoli(stocked), take_back(order, 1, condition="used"))
    # then the return is rejected, nothing restocked, nothing refunded, the unit may come back later
    assert (done.status, done.rejection_reason, str(done.total_refund), done.refund_id) == (
        "rejected",
        "nothing accepted at inspection",
        "0.00",
        None,
    )
    assert RIVOLI not in levels(stocked, LIN_M)
    assert recorded(stocked, "returns.return_refunded") == []
    with UnitOfWork(stocked, SELLER) as uow:
        assert service.returnability(uow, order["id"]).lines[0].returnable == 1


def test_a_refund_that_fails_leaves_the_goods_taken_back_and_the_refund_to_retry(  # type: ignore[no-untyped-def]
    client, stocked, marie, web, warehouse
) -> None:
    # given Marie's delivered web order, and the card provider unreachable when the seller refunds
    order = delivered_web_order(client, web, warehouse, [(LIN_M, 2)])
    dead = HttpCardProvider(
        "sandbox", httpx.Client(base_url="http://127.0.0.1:9", timeout=0.5), SANDBOX_SECRET
    )
    previous = providers.register_provider(dead)
    try:
        # when she hands one back at the counter
        with pytest.raises(ProviderUnavailable):
            service.take_back_in_store(at_rivoli(stocked), take_back(order, 1))
    finally:
        providers.unregister_provider("sandbox", previous)
    # then the dress is back in Rivoli's stock and the return is received, not refunded
    assert levels(stocked, LIN_M)[RIVOLI] == (1, 0)
    with UnitOfWork(stocked, SELLER) as uow:
        [received] = service.returns_of_order(uow, order["id"])
    assert (received.status, received.refund_id) == ("received", None)
    # when the provider answers again, the refund is retried and goes through once
    with UnitOfWork(stocked, SELLER) as uow:
        refunded = service.refund(uow, received.id, RefundReturnIn())
        uow.commit()
    assert refunded.status == "refunded" and refunded.refund_id


def test_a_line_given_twice_is_refused_before_anything_is_written() -> None:
    # when the counter's command names one line twice
    with pytest.raises(ValueError, match="line L1 is given twice"):
        TakeBackIn(
            order_id="ord_1",
            lines=[CounterLineIn(line_id="L1", quantity=1), CounterLineIn(line_id="L1", quantity=1)],
        )
