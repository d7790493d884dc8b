"""Every return path end to end through the API: an order (web or till) → a return started on some
channel → the goods received and inspected at the return place → the refund; stock, the order's
returned quantities, payments, vouchers, loyalty points and the 360° view as expected."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from comptoir.core import clock
from comptoir.core.db import Database
from comptoir.core.uow import UnitOfWork
from comptoir.loyalty import service as loyalty
from comptoir.returns import service
from tests.catalog.conftest import recorded
from tests.conftest import make_key
from tests.orders.conftest import LIN_M, LIN_S, OPERA, RIVOLI, SOIE_S, WAREHOUSE, headers, levels
from tests.returns.conftest import STAFF, delivered_web_order, store_sale


def start_return(
    client: Any, h: dict[str, str], order: dict[str, Any], lines: list[tuple[int, int]], **body: Any
) -> Any:
    payload = {
        "order_id": order["id"],
        "lines": [{"line_id": order["lines"][i]["line_id"], "quantity": q} for i, q in lines],
        **body,
    }
    return client.post("/v1/returns", json=payload, headers=h)


def ok(response: Any, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    return dict(response.json())


def test_online_order_returned_in_a_store_refunded_to_the_card(  # type: ignore[no-untyped-def]
    client, stocked, marie, programme, web, web_returns, warehouse, rivoli_staff, dispatcher
) -> None:
    # given Marie's delivered web order of two linen dresses in M, paid by card, points earned
    order = delivered_web_order(client, web, warehouse, [(LIN_M, 2)])
    dispatcher.drain()
    with UnitOfWork(stocked) as uow:
        points_before = loyalty.account(uow, marie).balance
    assert points_before == 239
    line_total = order["lines"][0]["total"]
    # when she brings one back to the Rivoli store, where the seller starts the return
    created = ok(start_return(client, rivoli_staff, order, [(0, 1)], method="in_store"), 201)
    # then the return place is the seller's store, and every channel sees the return at once
    assert created["status"] == "requested" and created["place_id"] == RIVOLI
    assert created["channel"] == f"store:{RIVOLI}" and created["origin"] == "online"
    assert created["customer_id"] == marie
    on_web = ok(client.get("/v1/returns", headers=web_returns))["items"]
    assert [r["id"] for r in on_web] == [created["id"]]

    # when the seller checks the dress (resaleable) and refunds it to the card
    received = ok(client.post(f"/v1/returns/{created['id']}/receive", json={}, headers=rivoli_staff))
    # then it is back in Rivoli's stock (not the warehouse's) and the order knows one unit came back
    assert received["status"] == "received"
    assert (
        received["lines"][0]["condition"] == "resaleable" and received["lines"][0]["restocked_quantity"] == 1
    )
    assert levels(stocked, LIN_M)[RIVOLI] == (1, 0)
    assert levels(stocked, LIN_M)[WAREHOUSE] == (18, 0)
    order_now = ok(client.get(f"/v1/orders/{order['id']}", headers=warehouse))
    assert order_now["lines"][0]["returned_quantity"] == 1
    refunded = ok(client.post(f"/v1/returns/{created['id']}/refund", json={}, headers=rivoli_staff))
    half = f"{float(line_total) / 2:.2f}"
    assert refunded["status"] == "refunded" and refunded["total_refund"] == half
    assert refunded["refund_to"] == "original" and refunded["voucher_code"] is None
    assert refunded["shipping_refund"] == "0.00"  # one dress of two: the delivery stays paid
    payments = ok(client.get(f"/v1/orders/{order['id']}", headers=warehouse))["payments"]
    assert [p["state"] for p in payments] == ["partially_refunded"]
    [fact] = [e for e in recorded(stocked, "returns.return_refunded") if e["return_id"] == created["id"]]
    assert fact["total"] == half and fact["lines"] == [
        {"line_id": order["lines"][0]["line_id"], "sku": LIN_M, "quantity": 1, "amount": half}
    ]

    # when loyalty handles the refund, the points of the refunded dress are taken back
    dispatcher.drain()
    with UnitOfWork(stocked) as uow:
        assert loyalty.account(uow, marie).balance == 119
    assert [e["cause"] for e in recorded(stocked, "loyalty.points_reversed")] == ["return_refunded"]
    # and the seller's 360° view shows the return
    with UnitOfWork(stocked) as uow:
        section = service.customer_section(uow, marie)
    assert [(r["number"], r["status"], r["total_refund"]) for r in section["recent_returns"]] == [
        (created["number"], "refunded", half)
    ]
    # and a replayed refund changes nothing
    again = ok(client.post(f"/v1/returns/{created['id']}/refund", json={}, headers=rivoli_staff))
    assert again["refund_id"] == refunded["refund_id"]


def test_online_order_returned_by_post_to_the_warehouse_as_a_voucher(  # type: ignore[no-untyped-def]
    client, stocked, marie, web, web_returns, warehouse, warehouse_staff
) -> None:
    # given the retailer's returns warehouse and a delivered order of a linen S and a silk S
    ok(client.put("/v1/returns/policy", json={"returns_warehouse_id": WAREHOUSE}, headers=warehouse_staff))
    order = delivered_web_order(client, web, warehouse, [(LIN_S, 1), (SOIE_S, 1)])
    # when Marie asks on the website to send both back, refunded as a voucher
    created = ok(
        start_return(client, web_returns, order, [(0, 1), (1, 1)], method="by_post", refund_to="voucher"), 201
    )
    assert created["place_id"] == WAREHOUSE and created["channel"] == "web"
    # (the sourcing engine shipped both from Rivoli, which holds them and is near Marie)
    assert {f["source_place_id"] for f in order["fulfilments"]} == {RIVOLI}
    assert levels(stocked, LIN_S)[RIVOLI] == (1, 0)
    # when the parcel arrives: the linen is fine, the silk is damaged
    silk_line = order["lines"][1]["line_id"]
    received = ok(
        client.post(
            f"/v1/returns/{created['id']}/receive",
            json={"inspections": [{"line_id": silk_line, "condition": "damaged"}]},
            headers=warehouse_staff,
        )
    )
    # then the linen is back on the warehouse's shelves; the silk is written off (refunded, not restocked)
    lines = {x["sku"]: x for x in received["lines"]}
    assert (lines[LIN_S]["action"], lines[LIN_S]["restocked_quantity"]) == ("restock", 1)
    assert (
        lines[SOIE_S]["action"],
        lines[SOIE_S]["restocked_quantity"],
        lines[SOIE_S]["accepted_quantity"],
    ) == (
        "write_off",
        0,
        1,
    )
    assert levels(stocked, LIN_S)[WAREHOUSE] == (21, 0)
    assert levels(stocked, SOIE_S)[WAREHOUSE] == (5, 0)
    assert levels(stocked, LIN_S)[RIVOLI] == (1, 0)
    # when refunded: a voucher for everything paid, delivery included (she withdrew from the whole order)
    refunded = ok(client.post(f"/v1/returns/{created['id']}/refund", headers=warehouse_staff))
    assert refunded["refund_to"] == "voucher" and refunded["voucher_code"]
    assert refunded["shipping_refund"] == order["totals"]["shipping_total"] != "0.00"
    assert refunded["total_refund"] == order["totals"]["total"]


def test_store_purchase_returned_in_another_store(  # type: ignore[no-untyped-def]
    client, stocked, marie, rivoli, opera_staff, warehouse
) -> None:
    # given a silk dress bought at the Rivoli till by Marie
    sale = store_sale(client, rivoli, [(SOIE_S, 1)], customer_id=marie)
    assert levels(stocked, SOIE_S)[RIVOLI] == (0, 0)
    # when she brings it back to the Opéra store
    created = ok(start_return(client, opera_staff, sale, [(0, 1)], method="in_store"), 201)
    assert created["origin"] == "store" and created["place_id"] == OPERA
    ok(client.post(f"/v1/returns/{created['id']}/receive", json={}, headers=opera_staff))
    refunded = ok(client.post(f"/v1/returns/{created['id']}/refund", headers=opera_staff))
    # then it is restocked at Opéra, the return place, and refunded in full
    assert levels(stocked, SOIE_S)[OPERA] == (1, 0)
    assert levels(stocked, SOIE_S)[RIVOLI] == (0, 0)
    assert refunded["total_refund"] == sale["lines"][0]["total"]


def test_store_purchase_by_post_refused_unless_the_policy_allows_it(  # type: ignore[no-untyped-def]
    client, stocked, marie, rivoli, warehouse_staff
) -> None:
    sale = store_sale(client, rivoli, [(LIN_S, 1)], customer_id=marie)
    # given the default policy: till sales come back to a store only
    refused = start_return(client, warehouse_staff, sale, [(0, 1)], method="by_post", place_id=WAREHOUSE)
    assert refused.status_code == 409, refused.text
    problem = refused.json()
    assert (
        problem["type"] == "urn:comptoir:problem:not-returnable" and problem["reason"] == "method-not-allowed"
    )
    assert problem["errors"][0]["pointer"] == "#/method"
    # when the retailer allows till sales by post (If-Match on the policy)
    current = client.get("/v1/returns/policy", headers=warehouse_staff)
    assert current.headers["ETag"] == '"0"'
    changed = client.put(
        "/v1/returns/policy",
        json={"store_sales_by_post": True, "returns_warehouse_id": WAREHOUSE},
        headers={**warehouse_staff, "If-Match": '"0"'},
    )
    assert changed.status_code == 200 and changed.headers["ETag"] == '"1"'
    # then the same return by post is accepted, to the returns warehouse
    created = ok(start_return(client, warehouse_staff, sale, [(0, 1)], method="by_post"), 201)
    assert created["method"] == "by_post" and created["place_id"] == WAREHOUSE


def test_refusals_name_the_rule_and_write_nothing(  # type: ignore[no-untyped-def]
    client, db: Database, stocked, marie, web, warehouse, rivoli_staff
) -> None:
    order = delivered_web_order(client, web, warehouse, [(LIN_M, 1)])
    # more than bought
    too_many = start_return(client, rivoli_staff, order, [(0, 2)], method="in_store")
    assert too_many.status_code == 409 and too_many.json()["type"].endswith("return-exceeds-bought")
    # an unknown line, and an in-store return without a store
    unknown = client.post(
        "/v1/returns",
        json={"order_id": order["id"], "lines": [{"line_id": "nope", "quantity": 1}], "method": "in_store"},
        headers=rivoli_staff,
    )
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["pointer"] == "#/lines/0/line_id"
    # handed back "in store" at a warehouse
    back_office = headers(make_key(stocked, STAFF))
    at_warehouse = start_return(client, back_office, order, [(0, 1)], method="in_store", place_id=WAREHOUSE)
    assert at_warehouse.status_code == 422 and at_warehouse.json()["errors"][0]["pointer"] == "#/place_id"
    # an excluded category (hygiene, personalised…)
    category = order["lines"][0]["category_ids"][0]
    ok(client.put("/v1/returns/policy", json={"excluded_category_ids": [category]}, headers=back_office))
    excluded = start_return(client, rivoli_staff, order, [(0, 1)], method="in_store")
    assert excluded.status_code == 409 and excluded.json()["reason"] == "excluded-category"
    ok(client.put("/v1/returns/policy", json={"online_window_days": 30}, headers=back_office))
    # the window passed
    delivered_at = datetime.fromisoformat(order["fulfilments"][0]["updated_at"])
    clock.set_clock(lambda: delivered_at + timedelta(days=31))
    try:
        late = start_return(client, rivoli_staff, order, [(0, 1)], method="in_store")
    finally:
        clock.set_clock(None)
    assert late.status_code == 409 and late.json()["reason"] == "window-passed"
    # nothing was written by the refusals
    assert ok(client.get(f"/v1/returns?order_id={order['id']}", headers=rivoli_staff))["items"] == []
    # and within the rules it goes through
    ok(start_return(client, rivoli_staff, order, [(0, 1)], method="in_store"), 201)


def test_a_refused_or_cancelled_return_gives_the_units_back(  # type: ignore[no-untyped-def]
    client, stocked, marie, web, web_returns, warehouse, warehouse_staff
) -> None:
    ok(client.put("/v1/returns/policy", json={"returns_warehouse_id": WAREHOUSE}, headers=warehouse_staff))
    order = delivered_web_order(client, web, warehouse, [(LIN_M, 1)])
    first = ok(start_return(client, web_returns, order, [(0, 1)], method="by_post"), 201)
    # the unit is claimed: a second return is refused
    assert start_return(client, web_returns, order, [(0, 1)], method="by_post").status_code == 409
    # Marie cancels before sending: the unit may be returned again
    assert ok(client.post(f"/v1/returns/{first['id']}/cancel", headers=web_returns))["status"] == "cancelled"
    second = ok(start_return(client, web_returns, order, [(0, 1)], method="by_post"), 201)
    # the parcel arrives with a worn dress: refused at inspection, no refund, nothing restocked
    inspected = ok(
        client.post(
            f"/v1/returns/{second['id']}/receive",
            json={"inspections": [{"line_id": order["lines"][0]["line_id"], "condition": "used"}]},
            headers=warehouse_staff,
        )
    )
    assert inspected["status"] == "rejected" and inspected["lines"][0]["accepted_quantity"] == 0
    assert levels(stocked, LIN_M)[WAREHOUSE] == (19, 0)
    refund = client.post(f"/v1/returns/{second['id']}/refund", headers=warehouse_staff)
    assert refund.status_code == 409 and refund.json()["type"].endswith("return-state-conflict")
    assert (refund.json()["status"], refund.json()["state"]) == (409, "rejected")


def test_a_customer_sees_only_their_own_returns(
    client, stocked, marie, web, warehouse, rivoli_staff, db
) -> None:  # type: ignore[no-untyped-def]
    order = delivered_web_order(client, web, warehouse, [(LIN_M, 1)])
    created = ok(start_return(client, rivoli_staff, order, [(0, 1)], method="in_store"), 201)
    from tests.conftest import make_key
    from tests.orders.conftest import customer_token, headers

    other = headers(
        make_key(db, ["*:read", "returns:write"], channel="web"),
        customer_token(client.app.state.comptoir.settings, "cus_other"),
    )
    assert client.get(f"/v1/returns/{created['id']}", headers=other).status_code == 404
    assert ok(client.get("/v1/returns", headers=other))["items"] == []


def test_a_parcel_never_sent_is_cancelled_by_the_job_and_the_units_freed(  # type: ignore[no-untyped-def]
    client, stocked, marie, web, web_returns, warehouse, warehouse_staff
) -> None:
    ok(
        client.put(
            "/v1/returns/policy",
            json={"returns_warehouse_id": WAREHOUSE, "unsent_post_return_days": 14},
            headers=warehouse_staff,
        )
    )
    order = delivered_web_order(client, web, warehouse, [(LIN_M, 1)])
    created = ok(start_return(client, web_returns, order, [(0, 1)], method="by_post"), 201)
    # when the hourly job runs 13 days later, nothing happens; 15 days later, the return is cancelled
    start = datetime.fromisoformat(created["created_at"])
    for days, expected in ((13, 0), (15, 1)):
        clock.set_clock(lambda d=days: start + timedelta(days=d))  # type: ignore[misc]
        try:
            with UnitOfWork(stocked) as uow:
                assert service.expire_unsent(uow) == expected
                uow.commit()
        finally:
            clock.set_clock(None)
    cancelled = ok(client.get(f"/v1/returns/{created['id']}", headers=warehouse_staff))
    assert cancelled["status"] == "cancelled" and cancelled["rejection_reason"].startswith(
        "parcel not received"
    )
    # then the dress may be returned again
    ok(start_return(client, web_returns, order, [(0, 1)], method="by_post"), 201)


def test_the_return_is_in_the_seller_s_360_view_at_once(  # type: ignore[no-untyped-def]
    client, stocked, marie, web, warehouse, rivoli_staff, opera_staff
) -> None:
    # given a return started at Rivoli and not yet received
    order = delivered_web_order(client, web, warehouse, [(LIN_M, 1)])
    created = ok(start_return(client, rivoli_staff, order, [(0, 1)], method="in_store"), 201)
    # when a seller at Opéra opens Marie's 360° view
    view = ok(client.get(f"/v1/customers/{marie}/360", headers=opera_staff))
    # then the returns section lists it, open, next to her orders
    section = view["sections"]["returns"]
    assert [(r["number"], r["status"], r["place_id"]) for r in section["recent_returns"]] == [
        (created["number"], "requested", RIVOLI)
    ]
    assert section["open_returns"] == 1
    assert order["id"] in [o["id"] for o in view["sections"]["orders"]["recent_orders"]]
