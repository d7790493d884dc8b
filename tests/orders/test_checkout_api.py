"""Checkout refusals leave nothing behind; Idempotency-Key; cancellation; rules; staff pages."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from comptoir.core.db import Database
from comptoir.core.uow import UnitOfWork
from comptoir.orders.models import Order
from comptoir.pricing import service as pricing
from comptoir.pricing.demo import FREE_DELIVERY_FROM_60
from comptoir.pricing.schemas import PriceIn, PricesIn
from tests.catalog.conftest import recorded
from tests.orders.conftest import (
    CARD,
    LIN_M,
    LIN_S,
    OPERA,
    PARIS_ADDRESS,
    RIVOLI,
    SOIE_S,
    WAREHOUSE,
    checkout,
    levels,
    new_cart,
    step,
)


def orders_count(db: Database) -> int:
    with db.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(Order)).scalar_one())


def test_the_same_idempotency_key_gives_the_same_order_once(client, stocked, web) -> None:  # type: ignore[no-untyped-def]
    cart = new_cart(client, web, [(LIN_S, 1)])
    first = checkout(
        client, web, cart, mode="click_and_collect", pickup_place_id=RIVOLI, idempotency_key="chk-1"
    )
    again = checkout(
        client, web, cart, mode="click_and_collect", pickup_place_id=RIVOLI, idempotency_key="chk-1"
    )
    assert first.status_code == 201, first.text
    assert again.status_code == 201 and again.headers["idempotent-replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    assert orders_count(stocked) == 1
    assert levels(stocked, LIN_S)[RIVOLI] == (2, 1)


def test_a_cart_is_ordered_once(client, stocked, web) -> None:  # type: ignore[no-untyped-def]
    cart = new_cart(client, web, [(LIN_S, 1)])
    assert checkout(client, web, cart, mode="click_and_collect", pickup_place_id=RIVOLI).status_code == 201
    second = checkout(
        client, web, {**cart, "version": None}, mode="click_and_collect", pickup_place_id=RIVOLI
    )
    assert second.status_code == 409
    assert second.json()["type"] == "urn:comptoir:problem:cart-closed"
    assert orders_count(stocked) == 1


def test_out_of_stock_leaves_no_order_no_hold_and_an_open_cart(client, stocked, web) -> None:  # type: ignore[no-untyped-def]
    # given a cart with more silk S than the whole network holds (1 at Rivoli + 5 at the warehouse)
    cart = new_cart(client, web, [(LIN_S, 1), (SOIE_S, 7)])
    response = checkout(client, web, cart, mode="home_delivery", address=PARIS_ADDRESS, tenders=[CARD])
    # then 409 names what is missing, and nothing was written
    assert response.status_code == 409, response.text
    problem = response.json()
    assert problem["type"] == "urn:comptoir:problem:out-of-stock"
    assert problem["detail"] == "Not enough stock to serve the order: ROBE-SOIE-S-BLEU (missing 1)."
    assert problem["skus"] == [SOIE_S]
    assert orders_count(stocked) == 0
    assert levels(stocked, LIN_S)[WAREHOUSE] == (20, 0)
    assert levels(stocked, SOIE_S)[WAREHOUSE] == (5, 0)
    assert client.get(f"/v1/carts/{cart['id']}", headers=web).json()["status"] == "open"
    assert recorded(stocked, "orders.order_placed") == []


def test_a_stale_cart_version_is_refused(client, stocked, web) -> None:  # type: ignore[no-untyped-def]
    cart = new_cart(client, web, [(LIN_S, 1)])
    response = checkout(
        client,
        web,
        {**cart, "version": cart["version"] - 1},
        mode="click_and_collect",
        pickup_place_id=RIVOLI,
    )
    assert response.status_code == 409
    assert response.json()["type"] == "urn:comptoir:problem:cart-changed"
    assert response.json()["current_version"] == cart["version"]
    assert orders_count(stocked) == 0


def test_bad_input_names_the_field(client, stocked, web) -> None:  # type: ignore[no-untyped-def]
    cart = new_cart(client, web, [(LIN_S, 1)])
    no_address = checkout(client, web, cart, mode="home_delivery", tenders=[CARD])
    assert no_address.status_code == 422
    pickup_unknown = checkout(client, web, cart, mode="click_and_collect", pickup_place_id="st_nowhere")
    assert pickup_unknown.status_code == 422
    assert pickup_unknown.json()["errors"] == [
        {"pointer": "#/pickup_place_id", "detail": "Place st_nowhere does not exist."}
    ]
    no_reserve = checkout(client, web, cart, mode="reserve_and_collect", pickup_place_id=OPERA)
    assert no_reserve.status_code == 422
    assert no_reserve.json()["errors"][0]["detail"] == "Comptoir Opéra does not offer reserve and collect."
    unpaid = checkout(client, web, cart, mode="home_delivery", address=PARIS_ADDRESS)
    assert unpaid.status_code == 422
    assert unpaid.json()["errors"] == [{"pointer": "#/tenders", "detail": "Say how the order is paid."}]
    warehouse_pickup = checkout(client, web, cart, mode="click_and_collect", pickup_place_id=WAREHOUSE)
    assert warehouse_pickup.status_code == 422
    assert orders_count(stocked) == 0
    assert client.get(f"/v1/carts/{cart['id']}", headers=web).json()["status"] == "open"


def test_cancelling_releases_stock_and_voids_the_card(client, stocked, web, warehouse) -> None:  # type: ignore[no-untyped-def]
    cart = new_cart(client, web, [(LIN_M, 1)])
    order = checkout(client, web, cart, mode="home_delivery", address=PARIS_ADDRESS, tenders=[CARD]).json()
    step(client, warehouse, order["fulfilments"][0]["id"], "allocate")
    assert levels(stocked, LIN_M)[WAREHOUSE] == (20, 1)
    response = client.post(
        f"/v1/orders/{order['id']}/cancel", json={"reason": "changed my mind"}, headers=web
    )
    assert response.status_code == 200, response.text
    cancelled = response.json()
    assert cancelled["status"] == "cancelled" and cancelled["payment_status"] == "voided"
    assert [f["status"] for f in cancelled["fulfilments"]] == ["cancelled"]
    assert levels(stocked, LIN_M)[WAREHOUSE] == (20, 0)
    [event] = [e for e in recorded(stocked, "orders.order_cancelled") if e["order_id"] == order["id"]]
    assert event["reason"] == "changed my mind" and event["was_paid"] is False


def test_shipped_goods_cannot_be_cancelled_and_steps_follow_the_machine(
    client, stocked, web, warehouse
) -> None:  # type: ignore[no-untyped-def]
    cart = new_cart(client, web, [(LIN_M, 1)])
    order = checkout(client, web, cart, mode="home_delivery", address=PARIS_ADDRESS, tenders=[CARD]).json()
    fulfilment = order["fulfilments"][0]["id"]
    skipped = client.post(
        f"/v1/orders/fulfilments/{fulfilment}/transitions", json={"action": "ship"}, headers=warehouse
    )
    assert skipped.status_code == 409
    # RFC 9457: `status` is the HTTP status; the fulfilment's own state has its own member, and only
    # the steps this route takes are offered ("cancel" is POST /orders/{id}/cancel).
    assert (skipped.json()["status"], skipped.json()["state"]) == (409, "placed")
    assert skipped.json()["allowed"] == ["allocate"]
    assert skipped.json()["detail"] == (
        "A ship_from_warehouse fulfilment in status placed cannot ship (allowed: allocate)."
    )
    for action in ("allocate", "pick", "ship"):
        step(client, warehouse, fulfilment, action)
    refused = client.post(f"/v1/orders/{order['id']}/cancel", json={}, headers=web)
    assert refused.status_code == 409
    assert refused.json()["type"] == "urn:comptoir:problem:transition-not-allowed"


def test_a_store_acts_only_on_its_own_fulfilments(client, stocked, web, opera) -> None:  # type: ignore[no-untyped-def]
    cart = new_cart(client, web, [(LIN_S, 1)])
    order = checkout(client, web, cart, mode="click_and_collect", pickup_place_id=RIVOLI).json()
    response = client.post(
        f"/v1/orders/fulfilments/{order['fulfilments'][0]['id']}/transitions",
        json={"action": "allocate"},
        headers=opera,
    )
    assert response.status_code == 403
    assert client.get(f"/v1/orders/pick-lists/{RIVOLI}", headers=opera).status_code == 403
    # and a shop front (the website) never moves goods
    moved = client.post(
        f"/v1/orders/fulfilments/{order['fulfilments'][0]['id']}/transitions",
        json={"action": "allocate"},
        headers=web,
    )
    assert moved.status_code == 403 and moved.json()["type"] == "urn:comptoir:problem:wrong-principal"


def test_rules_are_read_and_replaced_with_if_match(client, stocked, warehouse, rivoli) -> None:  # type: ignore[no-untyped-def]
    got = client.get("/v1/orders/rules", headers=warehouse)
    assert got.status_code == 200 and got.headers["etag"] == '"0"'
    rules = got.json()
    rules["pickup_hold_days"] = 3
    rules["sourcing"]["ship_from_store"] = False
    put = client.put("/v1/orders/rules", json=rules, headers={**warehouse, "If-Match": '"0"'})
    assert put.status_code == 200, put.text
    assert put.headers["etag"] == '"1"'
    stale = client.put("/v1/orders/rules", json=rules, headers={**warehouse, "If-Match": '"0"'})
    assert stale.status_code == 412
    assert client.put("/v1/orders/rules", json=rules, headers=rivoli).status_code == 403
    rules["sourcing"]["parcel_cost"] = -1
    bad = client.put("/v1/orders/rules", json=rules, headers=warehouse)
    assert bad.status_code == 422
    assert client.get("/v1/orders/rules", headers=warehouse).json()["pickup_hold_days"] == 3


def test_without_ship_from_store_the_warehouse_ships(client, stocked, web, warehouse) -> None:  # type: ignore[no-untyped-def]
    rules = client.get("/v1/orders/rules", headers=warehouse).json()
    rules["sourcing"]["ship_from_store"] = False
    assert client.put("/v1/orders/rules", json=rules, headers=warehouse).status_code == 200
    cart = new_cart(client, web, [(LIN_S, 1)])
    order = checkout(client, web, cart, mode="home_delivery", address=PARIS_ADDRESS, tenders=[CARD]).json()
    assert [(f["kind"], f["source_place_id"]) for f in order["fulfilments"]] == [
        ("ship_from_warehouse", WAREHOUSE)
    ]
    reasons = {c["place_id"]: c["reason"] for c in order["sourcing"]["candidates"]}
    assert reasons[RIVOLI] == "excluded: ship-from-store is off in the sourcing rules"


def test_the_store_tablet_pick_list_page_in_french(client, stocked, web, rivoli, db) -> None:  # type: ignore[no-untyped-def]
    cart = new_cart(client, web, [(LIN_S, 1)])
    order = checkout(client, web, cart, mode="click_and_collect", pickup_place_id=RIVOLI).json()
    from tests.support.staff import sign_in_pages

    sign_in_pages(client, db, "seller", [RIVOLI])
    page = client.get("/pages/orders/picking?lang=fr")
    assert page.status_code == 200, page.text
    assert "Commandes à préparer" in page.text and order["number"] in page.text
    assert "Affecter" in page.text
    done = client.post(f"/pages/orders/picking/{order['fulfilments'][0]['id']}", data={"action": "allocate"})
    assert done.status_code == 200
    assert "Fait : Affecter" in done.text
    listing = client.get("/pages/orders?lang=en")
    assert listing.status_code == 200 and order["number"] in listing.text


def test_an_anonymous_web_cart_checks_out_with_its_cart_token(client, stocked, db) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import make_key
    from tests.orders.conftest import headers

    shop_front = headers(
        make_key(db, ["*:read", "carts:write", "orders:write", "payments:write"], channel="web")
    )
    started = client.post("/v1/carts", json={"lines": [{"sku": LIN_S, "quantity": 1}]}, headers=shop_front)
    assert started.status_code == 201, started.text
    cart = started.json()
    body = {"cart_id": cart["id"], "mode": "click_and_collect", "pickup_place_id": RIVOLI}
    without = client.post("/v1/orders/checkout", json=body, headers=shop_front)
    assert without.status_code == 404
    placed = client.post(
        "/v1/orders/checkout", json=body, headers={**shop_front, "X-Cart-Token": cart["cart_token"]}
    )
    assert placed.status_code == 201, placed.text
    assert placed.json()["customer_id"] is None and placed.json()["channel"] == "web"


def test_find_an_order_by_the_number_on_the_receipt(client, stocked, web) -> None:  # type: ignore[no-untyped-def]
    from comptoir.core.uow import UnitOfWork
    from comptoir.orders import service

    cart = new_cart(client, web, [(LIN_S, 1)])
    order = checkout(client, web, cart, mode="click_and_collect", pickup_place_id=RIVOLI).json()
    spoken = order["number"].removeprefix("CMD-").lower()
    with UnitOfWork(stocked) as uow:
        found = service.find_order_by_number(uow, spoken)
        assert found is not None and found.id == order["id"]
        assert service.find_order_by_number(uow, "CMD-00000000") is None


def test_the_order_list_filters_by_store_and_by_number(client, stocked, web, warehouse) -> None:  # type: ignore[no-untyped-def]
    # given one order to collect at Rivoli and one delivered home from the warehouse
    at_rivoli = checkout(
        client, web, new_cart(client, web, [(LIN_S, 1)]), mode="click_and_collect", pickup_place_id=RIVOLI
    ).json()
    at_home = checkout(
        client,
        web,
        new_cart(client, web, [(LIN_M, 1)]),
        mode="home_delivery",
        address=PARIS_ADDRESS,
        tenders=[CARD],
    ).json()

    # when staff list the orders of Rivoli, then by each number (as read out, lower case, no prefix)
    by_store = client.get("/v1/orders", params={"place_id": RIVOLI}, headers=warehouse)
    by_number = client.get(
        "/v1/orders", params={"number": at_home["number"].removeprefix("CMD-").lower()}, headers=warehouse
    )
    by_unknown = client.get("/v1/orders", params={"number": "CMD-00000000"}, headers=warehouse)

    # then each filter keeps exactly the matching orders
    assert [o["id"] for o in by_store.json()["items"]] == [at_rivoli["id"]]
    assert [o["id"] for o in by_number.json()["items"]] == [at_home["id"]]
    assert by_unknown.status_code == 200 and by_unknown.json()["items"] == []


@pytest.mark.parametrize("method", ["standard", "express"])
def test_the_demos_free_delivery_from_60_applies_at_checkout(client, stocked, web, method) -> None:  # type: ignore[no-untyped-def]
    # given the demo's "Livraison offerte dès 60 €" on the website, and a linen M at 69.70
    with UnitOfWork(stocked) as uow:
        pricing.create_promotion(uow, FREE_DELIVERY_FROM_60)
        pricing.set_prices(uow, "base", PricesIn(prices=[PriceIn(sku=LIN_M, amount=Decimal("69.70"))]))
        uow.commit()
    cart = new_cart(client, web, [(SOIE_S, 1), (LIN_M, 1)])
    # when Marie has the 158.70 € order delivered home
    response = checkout(
        client,
        web,
        cart,
        mode="home_delivery",
        shipping_method=method,
        address=PARIS_ADDRESS,
        tenders=[CARD],
    )
    # then she pays no shipping
    assert response.status_code == 201, response.text
    totals = response.json()["totals"]
    assert (totals["subtotal"], totals["shipping_total"], totals["total"]) == ("158.70", "0.00", "158.70")


def test_checkout_refuses_a_delivery_method_outside_the_vocabulary(client, stocked, web) -> None:  # type: ignore[no-untyped-def]
    cart = new_cart(client, web, [(LIN_S, 1)])
    response = checkout(
        client, web, cart, mode="home_delivery", shipping_method="home_delivery", address=PARIS_ADDRESS
    )
    assert response.status_code == 422
    assert "shipping_method" in response.text
    assert orders_count(stocked) == 0
