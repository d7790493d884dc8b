"""A store sale paid by a card that needs 3-D Secure (scan & go): placed with its stock held and its
payment pending, settled once the bank authorises the card, cancelled (stock released) when it does not;
the bank's answer delivered twice, or twice at once, settles the sale once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from comptoir.core import clock
from comptoir.core.context import Actor
from comptoir.core.db import Database
from comptoir.core.uow import UnitOfWork
from comptoir.inventory import service as inventory
from comptoir.orders import policies, service
from comptoir.orders.handlers import bank_answered
from comptoir.orders.store_sales import payment_answered
from comptoir.payments import service as payments
from comptoir.payments.events import PaymentAuthorised
from comptoir.payments.providers.sandbox import embedded_sandbox
from tests.catalog.conftest import recorded
from tests.orders.conftest import LIN_S, RIVOLI, checkout, levels, new_cart
from tests.storefront.conftest import deliver_sandbox_events
from tests.support.concurrency import race

CARD_3DS = {"method": "card", "details": {"card_token": "tok_3ds", "return_url": "http://shop.test/back"}}
SYSTEM = Actor(key_id=None, channel="system", scopes=frozenset({"*"}))


def _sale_awaiting_the_bank(client: Any, rivoli: dict[str, str], stocked: Database) -> dict[str, Any]:
    cart = new_cart(client, rivoli, [(LIN_S, 1)])
    response = checkout(client, rivoli, cart, mode="store_sale", tenders=[CARD_3DS])
    assert response.status_code == 201, response.text
    sale = dict(response.json())
    # placed, not settled: the goods wait for the payment, held in the shop's stock
    assert (sale["status"], sale["payment_status"]) == ("placed", "pending")
    assert [f["status"] for f in sale["fulfilments"]] == ["awaiting_payment"]
    assert levels(stocked, LIN_S)[RIVOLI] == (2, 1)
    [card] = sale["payments"]
    assert card["state"] == "pending" and card["next_action"]["url"]
    return sale


def _bank(sale: dict[str, Any], outcome: str) -> None:
    sandbox = embedded_sandbox()
    assert sandbox is not None
    challenge = sale["payments"][0]["next_action"]["url"]  # the bank's page names the intent
    sandbox.authenticate(challenge.split("/3ds/")[1].split("?")[0].split("/")[0], outcome)


def _completed(db: Database, order_id: str) -> list[dict[str, Any]]:
    return [e for e in recorded(db, "orders.store_sale_completed") if e["order_id"] == order_id]


def test_a_3ds_store_sale_completes_once_the_bank_authorises(
    client: Any, stocked: Database, rivoli: dict[str, str], dispatcher: Any
) -> None:
    sale = _sale_awaiting_the_bank(client, rivoli, stocked)
    dispatcher.drain()  # the pending authorisation's own event changes nothing
    with UnitOfWork(stocked) as uow:
        assert service.get_order(uow, sale["id"]).status == "placed"
    # when the shopper passes the challenge and the provider tells Comptoir
    _bank(sale, "success")
    deliver_sandbox_events(client)
    dispatcher.drain()
    # then the sale is settled as a card paid at once would have been
    with UnitOfWork(stocked) as uow:
        order = service.get_order(uow, sale["id"])
    assert (order.status, order.payment_status) == ("completed", "paid")
    assert [f.status for f in order.fulfilments] == ["collected"]
    assert [p.state for p in order.payments] == ["captured"]
    assert levels(stocked, LIN_S)[RIVOLI] == (1, 0)
    assert len(_completed(stocked, sale["id"])) == 1
    assert len([e for e in recorded(stocked, "orders.order_paid") if e["order_id"] == sale["id"]]) == 1
    # and a second delivery of the bank's answer does nothing
    event = PaymentAuthorised(
        payment_id=order.payments[0].payment_id,
        order_id=sale["id"],
        customer_id=None,
        method="card",
        amount=str(order.payments[0].amount),
        currency="EUR",
        state="authorised",
    )
    with UnitOfWork(stocked, SYSTEM) as uow:
        bank_answered(uow, event)
        uow.commit()
    deliver_sandbox_events(client)
    dispatcher.drain()
    assert len(_completed(stocked, sale["id"])) == 1
    assert levels(stocked, LIN_S)[RIVOLI] == (1, 0)


def test_a_failed_authentication_cancels_the_sale_and_frees_the_stock(
    client: Any, stocked: Database, rivoli: dict[str, str], dispatcher: Any
) -> None:
    sale = _sale_awaiting_the_bank(client, rivoli, stocked)
    _bank(sale, "failure")
    deliver_sandbox_events(client)
    dispatcher.drain()
    with UnitOfWork(stocked) as uow:
        order = service.get_order(uow, sale["id"])
    assert (order.status, order.payment_status) == ("cancelled", "voided")
    assert [f.status for f in order.fulfilments] == ["cancelled"]
    assert levels(stocked, LIN_S)[RIVOLI] == (2, 0)
    assert _completed(stocked, sale["id"]) == []
    assert [e["reason"] for e in recorded(stocked, "orders.order_cancelled")] == ["payment not authorised"]
    dispatcher.drain()  # delivered again: still one cancellation
    with UnitOfWork(stocked, SYSTEM) as uow:
        assert payment_answered(uow, sale["id"]) == "none"


def test_a_sale_still_waiting_for_the_bank_is_left_alone(
    client: Any, stocked: Database, rivoli: dict[str, str]
) -> None:
    sale = _sale_awaiting_the_bank(client, rivoli, stocked)
    with UnitOfWork(stocked, SYSTEM) as uow:
        assert payment_answered(uow, sale["id"]) == "waiting"
        with pytest.raises(payments.PaymentStateConflict):
            payments.capture_order(uow, sale["id"])


def test_a_confirmation_after_the_hold_lapsed_sells_nothing(
    client: Any, stocked: Database, rivoli: dict[str, str], dispatcher: Any
) -> None:
    sale = _sale_awaiting_the_bank(client, rivoli, stocked)
    # the shopper takes longer than the checkout hold lasts: the units go back on sale
    with UnitOfWork(stocked) as uow:
        assert inventory.expire_due(uow, now=clock.now() + timedelta(hours=1)) == 1
        uow.commit()
    _bank(sale, "success")
    deliver_sandbox_events(client)
    dispatcher.drain()
    # then the authorised card is released and the sale cancelled, rather than selling unheld stock
    with UnitOfWork(stocked) as uow:
        order = service.get_order(uow, sale["id"])
    assert (order.status, order.payment_status) == ("cancelled", "voided")
    assert levels(stocked, LIN_S)[RIVOLI] == (2, 0)
    assert _completed(stocked, sale["id"]) == []


@pytest.mark.postgres
def test_the_bank_answer_delivered_twice_at_once_settles_once(
    client: Any, stocked: Database, rivoli: dict[str, str]
) -> None:
    sale = _sale_awaiting_the_bank(client, rivoli, stocked)
    _bank(sale, "success")
    deliver_sandbox_events(client)  # the payment is authorised; the handlers have not run yet

    def deliver(_: int) -> str:
        with UnitOfWork(stocked, SYSTEM) as uow:
            outcome = payment_answered(uow, sale["id"])
            uow.commit()
        return outcome

    assert sorted(race(2, deliver)) == ["none", "settled"]
    assert len(_completed(stocked, sale["id"])) == 1
    assert levels(stocked, LIN_S)[RIVOLI] == (1, 0)


def test_a_store_sale_waits_for_a_pending_card_only() -> None:
    assert policies.store_sale_payment([("card", "authorised")]) == "settle"
    assert policies.store_sale_payment([("pay_in_store", "pending")]) == "settle"
    assert policies.store_sale_payment([("gift_card", "captured"), ("card", "pending")]) == "wait"
    assert policies.store_sale_payment([("card", "failed")]) == "cancel"
    assert policies.store_sale_payment([]) == "settle"
