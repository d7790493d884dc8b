"""Every fulfilment mode end to end through the API: cart → checkout → each step staff take → stock,
payment and events as the customer and the retailer expect them."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from comptoir.core import clock
from comptoir.core.db import Database
from comptoir.core.uow import UnitOfWork
from comptoir.inventory import service as inventory
from comptoir.inventory.schemas import SettingsIn
from comptoir.orders import service
from tests.catalog.conftest import recorded
from tests.orders.conftest import (
    CARD,
    LIN_M,
    LIN_S,
    MARIE,
    MARSEILLE,
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
from tests.support.staff import make_person


def kinds(order: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    return [(f["kind"], f["source_place_id"], f["place_id"], f["status"]) for f in order["fulfilments"]]


def event_types(db: Database, order_id: str, *types: str) -> list[str]:
    return [t for t in types for e in recorded(db, t) if e["order_id"] == order_id]


def test_home_delivery_from_the_warehouse(client, stocked, marie, web, warehouse) -> None:  # type: ignore[no-untyped-def]
    # given Marie's web cart with two linen dresses in M, which only the warehouse and Marseille hold
    cart = new_cart(client, web, [(LIN_M, 2)])
    # when she checks out for home delivery in Paris, paying by card
    response = checkout(client, web, cart, mode="home_delivery", address=PARIS_ADDRESS, tenders=[CARD])
    # then one parcel leaves the warehouse; Marseille (660 km) is beyond the ship-from-store radius
    assert response.status_code == 201, response.text
    order = response.json()
    assert order["mode"] == "home_delivery" and order["channel"] == "web" and order["customer_id"] == marie
    assert order["status"] == "placed" and order["payment_status"] == "authorised"
    assert kinds(order) == [("ship_from_warehouse", WAREHOUSE, WAREHOUSE, "placed")]
    assert [(x["sku"], x["quantity"]) for x in order["lines"]] == [(LIN_M, 2)]
    assert order["totals"]["shipping_total"] != "0"
    reasons = {c["place_id"]: c["reason"] for c in order["sourcing"]["candidates"]}
    assert reasons[WAREHOUSE].startswith("chosen: ships 2 of 2 unit(s); warehouse at 39")
    assert reasons[MARSEILLE] == "excluded: 659 km away, beyond the 300 km ship-from-store radius"
    assert levels(stocked, LIN_M)[WAREHOUSE] == (20, 2)

    # when the warehouse allocates, picks and ships the parcel
    fulfilment = order["fulfilments"][0]["id"]
    step(client, warehouse, fulfilment, "allocate")
    picking = step(client, warehouse, fulfilment, "pick")
    assert picking["status"] == "in_progress"
    shipped = step(client, warehouse, fulfilment, "ship", tracking_number="6A12345678901")
    # then the stock left, the card was captured and the order is paid
    assert levels(stocked, LIN_M)[WAREHOUSE] == (18, 0)
    assert shipped["payment_status"] == "paid" and shipped["paid_at"] is not None
    assert [p["state"] for p in shipped["payments"]] == ["captured"]
    assert shipped["fulfilments"][0]["tracking_number"] == "6A12345678901"
    paid = [e for e in recorded(stocked, "orders.order_paid") if e["order_id"] == order["id"]]
    assert len(paid) == 1 and paid[0]["total"] == order["totals"]["total"]
    assert [(x["sku"], x["quantity"]) for x in paid[0]["lines"]] == [(LIN_M, 2)]

    # when it is delivered, the order is complete; every transition was published
    delivered = step(client, warehouse, fulfilment, "deliver")
    assert delivered["status"] == "completed"
    assert event_types(
        stocked,
        order["id"],
        "orders.order_placed",
        "orders.fulfilment_allocated",
        "orders.fulfilment_picking",
        "orders.fulfilment_shipped",
        "orders.fulfilment_delivered",
    ) == [
        "orders.order_placed",
        "orders.fulfilment_allocated",
        "orders.fulfilment_picking",
        "orders.fulfilment_shipped",
        "orders.fulfilment_delivered",
    ]


def test_ship_from_store(client, stocked, marie, web, rivoli) -> None:  # type: ignore[no-untyped-def]
    # given a cart with a linen S and a silk S: Rivoli (2.5 km) holds both, the warehouse (390 km) too
    cart = new_cart(client, web, [(LIN_S, 1), (SOIE_S, 1)])
    # when Marie checks out for home delivery
    order = checkout(client, web, cart, mode="home_delivery", address=PARIS_ADDRESS, tenders=[CARD]).json()
    # then the nearby store ships the one parcel
    assert kinds(order) == [("ship_from_store", RIVOLI, RIVOLI, "placed")]
    assert order["sourcing"]["parcels"] == 1
    assert levels(stocked, LIN_S)[RIVOLI] == (2, 1)
    # and it shows on Rivoli's pick list, in the order of the shelves
    with UnitOfWork(stocked) as uow:
        inventory.set_stock_settings(
            uow, LIN_S, RIVOLI, SettingsIn(location={"aisle": "B", "shelf": "2", "bin": "07"})
        )
        inventory.set_stock_settings(uow, SOIE_S, RIVOLI, SettingsIn(location={"aisle": "A", "shelf": "4"}))
        uow.commit()
    picks = client.get(f"/v1/orders/pick-lists/{RIVOLI}", headers=rivoli).json()
    assert [(x["location"], x["sku"], x["quantity"]) for x in picks["lines"]] == [
        ("A-4", SOIE_S, 1),
        ("B-2-07", LIN_S, 1),
    ]
    fulfilment = order["fulfilments"][0]["id"]
    for action in ("allocate", "pick", "ship"):
        final = step(client, rivoli, fulfilment, action)
    assert final["payment_status"] == "paid"
    assert levels(stocked, LIN_S)[RIVOLI] == (1, 0)
    assert levels(stocked, SOIE_S)[RIVOLI] == (0, 0)
    assert client.get(f"/v1/orders/pick-lists/{RIVOLI}", headers=rivoli).json()["lines"] == []


def test_click_and_collect_from_the_store_stock(client, stocked, marie, web, rivoli) -> None:  # type: ignore[no-untyped-def]
    # given Marie orders a linen S to collect at Rivoli, which has it, paying there
    cart = new_cart(client, web, [(LIN_S, 1)])
    response = checkout(client, web, cart, mode="click_and_collect", pickup_place_id=RIVOLI)
    assert response.status_code == 201, response.text
    order = response.json()
    # then the store picks it from its own stock, and the payment waits for the till
    assert kinds(order) == [("pickup_from_store_stock", RIVOLI, RIVOLI, "placed")]
    assert order["payment_status"] == "pending"
    assert [(p["method"], p["state"]) for p in order["payments"]] == [("pay_at_pickup", "pending")]
    fulfilment = order["fulfilments"][0]["id"]
    step(client, rivoli, fulfilment, "allocate")
    step(client, rivoli, fulfilment, "pick")
    ready = step(client, rivoli, fulfilment, "ready")
    assert ready["status"] == "ready_for_pickup"
    assert ready["fulfilments"][0]["pickup_expires_at"] is not None
    [event] = [
        e for e in recorded(stocked, "orders.fulfilment_ready_for_pickup") if e["order_id"] == order["id"]
    ]
    assert event["place_id"] == RIVOLI and event["pickup_expires_at"] is not None
    # when Marie comes and pays at the counter
    collected = step(client, rivoli, fulfilment, "collect")
    # then the goods left the store's stock and the order is paid and complete
    assert collected["status"] == "completed" and collected["payment_status"] == "paid"
    assert levels(stocked, LIN_S)[RIVOLI] == (1, 0)


def test_click_and_collect_transferred_from_elsewhere(  # type: ignore[no-untyped-def]
    client, stocked, marie, web, warehouse, opera
) -> None:
    # given Opéra has no linen M: the warehouse (390 km) can send it; Marseille is beyond the transfer radius
    cart = new_cart(client, web, [(LIN_M, 1)])
    order = checkout(
        client, web, cart, mode="click_and_collect", pickup_place_id=OPERA, tenders=[CARD]
    ).json()
    assert kinds(order) == [("pickup_after_transfer", WAREHOUSE, OPERA, "placed")]
    assert levels(stocked, LIN_M)[WAREHOUSE] == (20, 1)
    fulfilment = order["fulfilments"][0]["id"]
    # when the warehouse sends the transfer and Opéra receives it
    sent = step(client, warehouse, fulfilment, "dispatch_transfer")
    assert kinds(sent) == [("pickup_after_transfer", WAREHOUSE, OPERA, "in_transit")]
    # then the unit moved to Opéra's books and is held there for Marie
    assert levels(stocked, LIN_M)[WAREHOUSE] == (19, 0)
    assert levels(stocked, LIN_M)[OPERA] == (1, 1)
    received = step(client, opera, fulfilment, "receive_transfer")
    assert received["fulfilments"][0]["status"] == "allocated"
    step(client, opera, fulfilment, "pick")
    step(client, opera, fulfilment, "ready")
    done = step(client, opera, fulfilment, "collect")
    assert done["status"] == "completed" and done["payment_status"] == "paid"
    assert levels(stocked, LIN_M)[OPERA] == (0, 0)


def test_reserve_and_collect_is_held_then_paid_at_the_till(client, stocked, marie, web, rivoli) -> None:  # type: ignore[no-untyped-def]
    # given Marie reserves the silk S Rivoli has on its shelf
    cart = new_cart(client, web, [(SOIE_S, 1)])
    order = checkout(client, web, cart, mode="reserve_and_collect", pickup_place_id=RIVOLI).json()
    # then it is held at once, nothing paid yet
    assert kinds(order) == [("reserve_and_collect", RIVOLI, RIVOLI, "ready_for_pickup")]
    assert order["status"] == "ready_for_pickup" and order["payment_status"] == "pending"
    assert [(p["method"], p["state"]) for p in order["payments"]] == [("pay_in_store", "pending")]
    assert levels(stocked, SOIE_S)[RIVOLI] == (1, 1)
    [held] = [
        e for e in recorded(stocked, "orders.fulfilment_ready_for_pickup") if e["order_id"] == order["id"]
    ]
    assert held["kind"] == "reserve_and_collect" and held["pickup_expires_at"] is not None
    # when she comes and pays at the till
    done = step(client, rivoli, order["fulfilments"][0]["id"], "collect")
    # then the sale is complete and paid
    assert done["status"] == "completed" and done["payment_status"] == "paid"
    assert levels(stocked, SOIE_S)[RIVOLI] == (0, 0)


def test_an_uncollected_reservation_expires_and_restocks(client, stocked, marie, web) -> None:  # type: ignore[no-untyped-def]
    cart = new_cart(client, web, [(LIN_S, 2)])
    order = checkout(client, web, cart, mode="reserve_and_collect", pickup_place_id=RIVOLI).json()
    assert levels(stocked, LIN_S)[RIVOLI] == (2, 2)
    deadline = order["fulfilments"][0]["pickup_expires_at"]
    assert deadline is not None
    # when the expiry job runs after the deadline
    with UnitOfWork(stocked) as uow:
        assert service.expire_uncollected(uow, now=clock.now() + timedelta(days=3)) == 1
        uow.commit()
    # then the units are back on the shelf, the order is cancelled, and the customer can be told
    assert levels(stocked, LIN_S)[RIVOLI] == (2, 0)
    after = client.get(f"/v1/orders/{order['id']}", headers=web).json()
    assert after["status"] == "cancelled"
    assert kinds(after) == [("reserve_and_collect", RIVOLI, RIVOLI, "expired")]
    assert [e["fulfilment_id"] for e in recorded(stocked, "orders.pickup_expired")] == [
        after["fulfilments"][0]["id"]
    ]
    # and running it again finds nothing more to do
    with UnitOfWork(stocked) as uow:
        assert service.expire_uncollected(uow, now=clock.now() + timedelta(days=3)) == 0


def test_order_in_store_for_home_delivery(client, stocked, marie, rivoli) -> None:  # type: ignore[no-untyped-def]
    seller = make_person(stocked, "seller", [RIVOLI]).id
    # given a seller at Rivoli builds a cart for Marie on the tablet with a dress the store does not hold
    cart = new_cart(client, rivoli, [(LIN_M, 1)], customer_id=marie)
    # when the seller orders it for delivery to Marie's home, Marie paying by card on the tablet
    response = checkout(
        client,
        rivoli,
        cart,
        mode="home_delivery",
        address=PARIS_ADDRESS,
        tenders=[CARD],
        seller_id=seller,
    )
    assert response.status_code == 201, response.text
    order = response.json()
    # then the endless aisle ships from the warehouse, and the order belongs to the store and its seller
    assert order["channel"] == f"store:{RIVOLI}" and order["seller_id"] == seller
    assert order["customer_id"] == marie
    assert kinds(order) == [("ship_from_warehouse", WAREHOUSE, WAREHOUSE, "placed")]
    placed = [e for e in recorded(stocked, "orders.order_placed") if e["order_id"] == order["id"]]
    assert placed[0]["seller_id"] == seller and placed[0]["channel"] == f"store:{RIVOLI}"


def test_order_in_store_for_later_pickup(client, stocked, marie, rivoli) -> None:  # type: ignore[no-untyped-def]
    seller = make_person(stocked, "seller", [RIVOLI]).id
    # given the seller orders a linen M for Marie to collect at Rivoli next week (not on its shelves)
    cart = new_cart(client, rivoli, [(LIN_M, 1)], customer_id=marie)
    order = checkout(
        client, rivoli, cart, mode="click_and_collect", pickup_place_id=RIVOLI, seller_id=seller
    ).json()
    # then it comes from the warehouse to Rivoli, paid when Marie collects
    assert kinds(order) == [("pickup_after_transfer", WAREHOUSE, RIVOLI, "placed")]
    assert order["payment_status"] == "pending"
    # and the store's tablet sees it among the orders to prepare
    picks = client.get(f"/v1/orders/pick-lists/{RIVOLI}", headers=rivoli).json()
    assert [f["id"] for f in picks["fulfilments"]] == [order["fulfilments"][0]["id"]]


def test_in_store_sale_linked_to_the_customer(client, stocked, marie, rivoli) -> None:  # type: ignore[no-untyped-def]
    # given a till basket at Rivoli with a linen S, the customer known and wanting an e-receipt
    cart = new_cart(client, rivoli, [(LIN_S, 1)])
    response = checkout(
        client,
        rivoli,
        cart,
        mode="store_sale",
        customer_id=marie,
        email=MARIE["email"],
        receipt_by_email=True,
        tenders=[{"method": "pay_in_store"}],
    )
    assert response.status_code == 201, response.text
    sale = response.json()
    # then the sale is complete and paid at once, out of the store's stock, and linked to Marie
    assert sale["mode"] == "store_sale" and sale["status"] == "completed" and sale["payment_status"] == "paid"
    assert sale["customer_id"] == marie
    assert kinds(sale) == [("carry_out", RIVOLI, RIVOLI, "collected")]
    assert levels(stocked, LIN_S)[RIVOLI] == (1, 0)
    [completed] = [e for e in recorded(stocked, "orders.store_sale_completed") if e["order_id"] == sale["id"]]
    assert completed["place_id"] == RIVOLI and completed["customer_id"] == marie
    assert completed["receipt_email"] == MARIE["email"]
    assert len([e for e in recorded(stocked, "orders.order_paid") if e["order_id"] == sale["id"]]) == 1
    # and Marie's 360° view shows it among her recent orders
    with UnitOfWork(stocked) as uow:
        section = service.customer_section(uow, marie)
    assert [o["id"] for o in section["recent_orders"]] == [sale["id"]]


def test_in_store_sale_without_a_known_customer(client, stocked, rivoli) -> None:  # type: ignore[no-untyped-def]
    cart = new_cart(client, rivoli, [(SOIE_S, 1)])
    sale = checkout(client, rivoli, cart, mode="store_sale", tenders=[{"method": "pay_in_store"}]).json()
    assert sale["customer_id"] is None and sale["status"] == "completed"
    [completed] = [e for e in recorded(stocked, "orders.store_sale_completed") if e["order_id"] == sale["id"]]
    assert completed["receipt_email"] is None and completed["customer_id"] is None


def test_a_reserve_and_collect_hold_lasts_the_retailers_hours_even_beyond_72(
    client, stocked, web, warehouse
) -> None:  # type: ignore[no-untyped-def]
    # given the retailer holds reserved goods for 96 hours (inventory's own default is 72)
    rules = client.get("/v1/orders/rules", headers=warehouse).json()
    rules["reserve_hold_hours"] = 96
    put = client.put("/v1/orders/rules", json=rules, headers={**warehouse, "If-Match": '"0"'})
    assert put.status_code == 200, put.text
    # when Marie reserves the silk S on Rivoli's shelf
    before = clock.now()
    cart = new_cart(client, web, [(SOIE_S, 1)])
    order = checkout(client, web, cart, mode="reserve_and_collect", pickup_place_id=RIVOLI).json()
    [fulfilment] = order["fulfilments"]
    # then inventory holds the units exactly until the order's pickup deadline, 96 hours on
    held = client.get(
        f"/v1/inventory/reservations/{fulfilment['reservation_reference']}", headers=warehouse
    ).json()
    assert held["expires_at"] == fulfilment["pickup_expires_at"]
    expires = datetime.fromisoformat(held["expires_at"])
    assert timedelta(hours=96) <= expires - before < timedelta(hours=96, minutes=1)
    # and the stock expiry job run 80 hours on (past inventory's 72) still finds it held
    with UnitOfWork(stocked) as uow:
        assert inventory.expire_due(uow, now=before + timedelta(hours=80)) == 0
    assert levels(stocked, SOIE_S)[RIVOLI] == (1, 1)


def test_each_place_sees_only_the_transfer_steps_its_staff_take(client, stocked, web, db) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import make_key
    from tests.orders.conftest import headers
    from tests.support.staff import sign_in_pages

    # given a click & collect at Opéra of a linen M only the warehouse holds: a transfer
    cart = new_cart(client, web, [(LIN_M, 1)])
    order = checkout(
        client, web, cart, mode="click_and_collect", pickup_place_id=OPERA, tenders=[CARD]
    ).json()
    assert kinds(order) == [("pickup_after_transfer", WAREHOUSE, OPERA, "placed")]
    fulfilment = order["fulfilments"][0]["id"]
    opera_key = make_key(db, ["*:read", "orders:write", "inventory:write"], channel=f"store:{OPERA}")

    # when a seller at Opéra opens its picking page
    opera_seller = sign_in_pages(client, db, "shop_manager", [OPERA])
    opera_page = client.get("/pages/orders/picking?lang=en")
    # then the order is listed, without the "Send the transfer" button Opéra's key may not use
    assert opera_page.status_code == 200 and order["number"] in opera_page.text
    assert "Send the transfer" not in opera_page.text
    refused = client.post(
        f"/v1/orders/fulfilments/{fulfilment}/transitions",
        json={"action": "dispatch_transfer"},
        headers=headers(opera_key),
    )
    assert refused.status_code == 403
    assert refused.json()["detail"] == f"Dispatch transfer is done at {WAREHOUSE}, not {OPERA}."

    # and the warehouse's page has the button; once sent, Opéra's page offers to receive it
    sign_in_pages(client, db, "shop_manager", [WAREHOUSE])
    warehouse_page = client.get("/pages/orders/picking?lang=en")
    assert "Send the transfer" in warehouse_page.text
    sent = client.post(f"/pages/orders/picking/{fulfilment}", data={"action": "dispatch_transfer"})
    assert sent.status_code == 200 and "Done: Send the transfer" in sent.text
    client.cookies.set("comptoir_staff", opera_seller.token)
    client.headers.pop("X-CSRF-Token", None)
    assert "Transfer received" in client.get("/pages/orders/picking?lang=en").text
