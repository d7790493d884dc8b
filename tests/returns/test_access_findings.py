"""The authorisation findings of the security review, each reproduced as an attacker would and refused.

Every test first shows the legitimate call working (so a refusal is about who calls, not a made-up id)."""

from __future__ import annotations

from typing import Any

import pytest

from comptoir.core.uow import UnitOfWork
from comptoir.customers import service as customers
from comptoir.customers.schemas import CustomerRecord
from comptoir.loyalty import service as loyalty
from comptoir.loyalty.schemas import AdjustmentIn
from tests.conftest import make_key
from tests.orders.conftest import (
    CARD,
    LIN_M,
    LIN_S,
    OPERA,
    PARIS_ADDRESS,
    RIVOLI,
    SOIE_M,
    WAREHOUSE,
    checkout,
    customer_token,
    headers,
    new_cart,
)
from tests.returns.conftest import STAFF, delivered_web_order, store_sale

pytestmark = pytest.mark.usefixtures("programme")

PAUL = {
    "given_name": "Paul",
    "family_name": "Attaquant",
    "email": "paul.attaquant@example.org",
    "postcode": "69001",
}
SHOPPING = ["*:read", "carts:write", "orders:write", "customers:write", "payments:read", "returns:write"]


@pytest.fixture
def paul(shop):  # type: ignore[no-untyped-def]
    with UnitOfWork(shop) as uow:
        result = customers.ingest(uow, "pos", CustomerRecord(**PAUL))
        uow.commit()
    return result.customer_id


@pytest.fixture
def web_key(db) -> str:  # type: ignore[no-untyped-def]
    return make_key(db, SHOPPING, channel="web")


@pytest.fixture
def attacker(web_key, settings, paul) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Paul signed in on the website with his own token."""
    return headers(web_key, customer_token(settings, paul))


def _points(db, customer_id: str) -> int:  # type: ignore[no-untyped-def]
    with UnitOfWork(db) as uow:
        return int(loyalty.account(uow, customer_id).balance)


def test_checkout_never_spends_another_customers_points(
    client, stocked, marie, attacker, web_key, db
) -> None:  # type: ignore[no-untyped-def]
    with UnitOfWork(db) as uow:
        loyalty.adjust(uow, marie, AdjustmentIn(points=500, reason="goodwill"))
        uow.commit()
    points = {"method": "loyalty_points", "amount": "5.00"}
    for who in (attacker, headers(web_key)):
        cart = new_cart(client, who, [(LIN_S, 1)])
        response = checkout(
            client,
            who,
            cart,
            mode="home_delivery",
            address=PARIS_ADDRESS,
            customer_id=marie,
            tenders=[points],
        )
        assert response.status_code == 403, response.text
    assert _points(db, marie) == 500


def test_a_customer_sees_and_spends_only_their_own_vouchers(  # type: ignore[no-untyped-def]
    client, stocked, marie, paul, attacker, web, warehouse
) -> None:
    issued = client.post(
        "/v1/payments/gift-cards",
        json={
            "amount": "30.00",
            "currency": "EUR",
            "kind": "voucher",
            "with_pin": False,
            "customer_id": marie,
            "reference": "refund-ret-1",
        },
        headers=warehouse,
    )
    assert issued.status_code == 201, issued.text
    code = issued.json()["code"]
    # Marie sees her voucher; Paul asking for Marie's vouchers gets only his own (none).
    assert code in client.get("/v1/payments/gift-cards", params={"customer_id": marie}, headers=web).text
    listed = client.get("/v1/payments/gift-cards", params={"customer_id": marie}, headers=attacker)
    assert listed.status_code == 200 and listed.json() == []
    assert client.get(f"/v1/payments/gift-cards/{code}", headers=attacker).status_code == 404
    # The code alone does not pay Paul's order: a personal voucher without a PIN pays its owner's only.
    cart = new_cart(client, attacker, [(LIN_S, 1)])
    tender = {"method": "gift_card", "amount": "30.00", "details": {"gift_card_code": code}}
    paid = checkout(
        client, attacker, cart, mode="home_delivery", address=PARIS_ADDRESS, tenders=[tender, CARD]
    )
    assert paid.status_code in (409, 422), paid.text
    assert "personal" in paid.text


def test_a_customer_cannot_receive_or_refund_their_own_return(  # type: ignore[no-untyped-def]
    client, stocked, marie, web, web_returns, warehouse, warehouse_staff
) -> None:
    order = delivered_web_order(client, web, warehouse, [(LIN_M, 1)])
    started = client.post(
        "/v1/returns",
        json={
            "order_id": order["id"],
            "method": "by_post",
            "place_id": WAREHOUSE,
            "lines": [{"line_id": order["lines"][0]["line_id"], "quantity": 1}],
        },
        headers=web_returns,
    )
    assert started.status_code == 201, started.text
    return_id = started.json()["id"]
    receive: dict[str, list[object]] = {"inspections": []}  # all resaleable
    assert (
        client.post(f"/v1/returns/{return_id}/receive", json=receive, headers=web_returns).status_code == 403
    )
    assert client.post(f"/v1/returns/{return_id}/refund", json={}, headers=web_returns).status_code == 403
    # the warehouse receives it: the staff action works
    assert (
        client.post(f"/v1/returns/{return_id}/receive", json=receive, headers=warehouse_staff).status_code
        == 200
    )


def test_only_the_back_office_changes_the_return_policy(  # type: ignore[no-untyped-def]
    client, stocked, web_returns, rivoli_staff, warehouse_staff
) -> None:
    rivoli, warehouse = rivoli_staff, warehouse_staff
    current = client.get("/v1/returns/policy", headers=warehouse)
    body = {"excluded_category_ids": []}
    etag = {"If-Match": current.headers["ETag"]}
    for caller in (web_returns, rivoli):
        assert client.put("/v1/returns/policy", json=body, headers={**caller, **etag}).status_code == 403
    assert client.put("/v1/returns/policy", json=body, headers={**warehouse, **etag}).status_code == 200


def test_a_web_key_without_a_token_reaches_no_order(client, stocked, web, web_key) -> None:  # type: ignore[no-untyped-def]
    cart = new_cart(client, web, [(LIN_S, 1)])
    order = checkout(client, web, cart, mode="home_delivery", address=PARIS_ADDRESS, tenders=[CARD]).json()
    anonymous = headers(web_key)
    assert client.get(f"/v1/orders/{order['id']}", headers=web).status_code == 200
    assert client.get(f"/v1/orders/{order['id']}", headers=anonymous).status_code == 401
    assert client.get(f"/v1/payments/orders/{order['id']}", headers=anonymous).status_code == 401
    assert client.post(f"/v1/orders/{order['id']}/cancel", json={}, headers=anonymous).status_code == 401
    assert client.get("/v1/orders", headers=anonymous).status_code == 401
    assert client.get("/v1/receipts", headers=anonymous).status_code == 401
    assert client.get("/v1/returns", headers=anonymous).status_code == 401


def test_another_customers_order_is_not_found(client, stocked, web, attacker) -> None:  # type: ignore[no-untyped-def]
    cart = new_cart(client, web, [(LIN_S, 1)])
    order = checkout(client, web, cart, mode="home_delivery", address=PARIS_ADDRESS, tenders=[CARD]).json()
    assert client.get(f"/v1/orders/{order['id']}", headers=attacker).status_code == 404
    assert client.get(f"/v1/payments/orders/{order['id']}", headers=attacker).status_code == 404
    assert client.post(f"/v1/orders/{order['id']}/cancel", json={}, headers=attacker).status_code == 404
    assert order["id"] not in client.get("/v1/orders", headers=attacker).text


def test_a_shop_key_acts_for_its_own_shop_only(client, stocked, rivoli, opera, web) -> None:  # type: ignore[no-untyped-def]
    # an order collected at Opéra, held on Opéra's stock
    cart = new_cart(client, web, [(SOIE_M, 1)])
    placed = checkout(client, web, cart, mode="click_and_collect", pickup_place_id=OPERA, tenders=[CARD])
    assert placed.status_code == 201, placed.text
    order = placed.json()
    fulfilment = order["fulfilments"][0]["id"]
    # Rivoli's key may not move Opéra's goods, read or release its hold, nor reserve Opéra's stock
    moved = client.post(
        f"/v1/orders/fulfilments/{fulfilment}/transitions", json={"action": "allocate"}, headers=rivoli
    )
    assert moved.status_code in (403, 404), moved.text
    assert client.get(f"/v1/orders/{order['id']}", headers=rivoli).status_code == 404
    reservation = order["id"]
    assert client.post(f"/v1/inventory/reservations/{reservation}/release", headers=rivoli).status_code in (
        403,
        404,
    )
    held = client.post(
        "/v1/inventory/reservations",
        json={"reference": "grab", "lines": [{"sku": SOIE_M, "place_id": OPERA, "quantity": 1}]},
        headers=rivoli,
    )
    assert held.status_code == 403
    # its own lists are its shop's
    sold_at_rivoli = store_sale(client, rivoli, [(LIN_S, 1)])
    listed = client.get("/v1/orders", headers=rivoli).json()["items"]
    assert {o["id"] for o in listed} == {sold_at_rivoli["id"]}
    assert client.get("/v1/orders", params={"place_id": OPERA}, headers=rivoli).status_code == 403
    assert client.get("/v1/returns", params={"place_id": OPERA}, headers=rivoli).status_code == 403
    # Opéra's own key moves its goods
    assert (
        client.post(
            f"/v1/orders/fulfilments/{fulfilment}/transitions", json={"action": "allocate"}, headers=opera
        ).status_code
        == 200
    )


def test_receipts_are_seen_by_their_customer_and_their_shop(  # type: ignore[no-untyped-def]
    client, db, stocked, marie, opera, web, attacker
) -> None:
    rivoli = headers(make_key(db, [*STAFF, "receipts:write"], channel=f"store:{RIVOLI}"))
    sale = store_sale(client, rivoli, [(LIN_S, 1)], customer_id=marie)
    issued = client.post(
        "/v1/receipts", json={"order_id": sale["id"], "email": "marie.curie@orange.fr"}, headers=rivoli
    )
    assert issued.status_code == 201, issued.text
    receipt = issued.json()["id"]
    assert client.get(f"/v1/receipts/{receipt}", headers=web).status_code == 200
    assert client.get(f"/v1/receipts/{receipt}", headers=attacker).status_code == 404
    assert client.get(f"/v1/receipts/{receipt}", headers=opera).status_code == 404
    assert client.get("/v1/receipts", headers=opera).json()["items"] == []


def _expect(response: Any, status: int) -> None:
    assert response.status_code == status, response.text
