"""The pricing API end to end: one price everywhere, lists, resolution, promotions, coupons, problems."""

from __future__ import annotations

from typing import Any

from comptoir.core.db import Database
from tests.conftest import make_key
from tests.pricing.conftest import category_id


def _headers(db: Database, channel: str | None, scopes: list[str] | None = None) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_key(db, scopes or ['pricing:read'], channel=channel)}"}


def _setup_every_channel(client: Any, db: Database, admin: dict[str, str]) -> None:
    """Web/app list and a store list with the same base prices, promotions of every kind on all channels."""
    stores = client.post(
        "/v1/pricing/price-lists",
        json={"code": "stores-eur", "name": "Magasins", "channels": ["store"]},
        headers=admin,
    )
    assert stores.status_code == 201, stores.text
    web = client.post(
        "/v1/pricing/price-lists",
        json={"code": "web-eur", "name": "Web et appli", "channels": ["web", "app"]},
        headers=admin,
    ).json()
    prices = [
        {"sku": "ROBE-S", "amount": "59.90"},
        {"sku": "TSHIRT-M", "amount": "19.90"},
        {"sku": "CONFITURE", "amount": "4.50"},
        {"sku": "TOTE", "amount": "9.00"},
    ]
    for plist in (stores.json()["id"], web["id"]):
        put = client.put(f"/v1/pricing/price-lists/{plist}/prices", json={"prices": prices}, headers=admin)
        assert put.json()["changed"] == 4
    women = category_id(db, "women")
    for body in [
        {"name": "Femme -20 %", "kind": "percent_off", "params": {"percent": "20", "category_ids": [women]}},
        {
            "name": "3 pour 2 confitures",
            "kind": "buy_x_get_y",
            "params": {"buy": 2, "get": 1, "skus": ["CONFITURE"]},
        },
        {
            "name": "Tote offert dès 70 €",
            "kind": "gift",
            "params": {"gift_sku": "TOTE", "min_subtotal": "70"},
        },
        {
            "name": "Bienvenue",
            "kind": "percent_off",
            "params": {"percent": "10", "scope": "cart"},
            "requires_coupon": True,
        },
    ]:
        created = client.post("/v1/pricing/promotions", json=body, headers=admin)
        assert created.status_code == 201, created.text
    coupon = client.post(
        f"/v1/pricing/promotions/{created.json()['id']}/coupons", json={"code": "BIENVENUE10"}, headers=admin
    )
    assert coupon.status_code == 201, coupon.text


def test_same_cart_through_a_web_key_and_a_store_key_gives_the_same_result(  # type: ignore[no-untyped-def]
    client, shop, admin_headers
) -> None:
    # given web and store price lists with the same prices and promotions for every channel
    _setup_every_channel(client, shop, admin_headers)
    web = _headers(shop, "web")
    store = _headers(shop, "store:st_lyon")
    lines = [
        {"line_id": "a", "sku": "ROBE-S", "quantity": 1},
        {"line_id": "b", "sku": "TSHIRT-M", "quantity": 2},
        {"line_id": "c", "sku": "CONFITURE", "quantity": 3},
    ]
    # when each channel prices the same cart as its own channel, with the same coupon
    on_web = client.post(
        "/v1/pricing/quote", json={"channel": "web", "lines": lines, "coupons": ["BIENVENUE10"]}, headers=web
    )
    in_store = client.post(
        "/v1/pricing/quote",
        json={"channel": "store:st_lyon", "lines": lines, "coupons": ["BIENVENUE10"]},
        headers=store,
    )
    # and the store key asks with the web request as is
    store_as_web = client.post(
        "/v1/pricing/quote",
        json={"channel": "web", "lines": lines, "coupons": ["BIENVENUE10"]},
        headers=store,
    )
    assert on_web.status_code == in_store.status_code == 200, (on_web.text, in_store.text)
    a, b = on_web.json(), in_store.json()

    def adjustments(priced: dict[str, Any]) -> list[tuple[str, str, str, str, str]]:
        per_line = [
            (line["line_id"], adj["promotion_id"], adj["kind"], adj["label"], adj["amount"])
            for line in priced["lines"] + priced["gift_lines"]
            for adj in line["adjustments"]
        ]
        cart = [
            ("cart", adj["promotion_id"], adj["kind"], adj["label"], adj["amount"])
            for adj in priced["cart_adjustments"]
        ]
        return per_line + cart

    # then every adjustment, line and total is the same, only the price list (per channel) differs
    assert adjustments(a) == adjustments(b)
    assert [(x["sku"], x["unit_price"], x["total"], x["amount_payable"]) for x in a["lines"]] == [
        (x["sku"], x["unit_price"], x["total"], x["amount_payable"]) for x in b["lines"]
    ]
    for key in ("subtotal", "discount_total", "tax_total", "total", "applied_coupons"):
        assert a[key] == b[key], key
    assert {x["price_list_name"] for x in a["lines"]} == {"Web et appli"}
    assert {x["price_list_name"] for x in b["lines"]} == {"Magasins"}
    # exact figures: robe 59.90 -20 % = 47.92; t-shirts 39.80 -20 % = 31.84; jam 3 for 2 = 9.00
    assert [x["total"] for x in a["lines"]] == ["47.92", "31.84", "9.00"]
    assert a["gift_lines"][0]["sku"] == "TOTE" and a["gift_lines"][0]["total"] == "0.00"
    assert a["cart_adjustments"][0]["amount"] == "-8.88" and a["total"] == "79.88"
    assert store_as_web.json() == {**a, "priced_at": store_as_web.json()["priced_at"]}


def test_quote_problems_name_the_field(client, shop) -> None:  # type: ignore[no-untyped-def]
    headers = _headers(shop, "web")
    unknown = client.post(
        "/v1/pricing/quote",
        json={"channel": "web", "lines": [{"line_id": "a", "sku": "NOPE", "quantity": 1}]},
        headers=headers,
    )
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["pointer"] == "#/lines/0/sku"
    bad = client.post(
        "/v1/pricing/quote",
        json={"channel": "web", "lines": [{"line_id": "a", "sku": "ROBE-S", "quantity": 0}]},
        headers=headers,
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["pointer"] == "#/lines/0/quantity"
    forbidden = client.post("/v1/pricing/price-lists", json={"code": "x", "name": "X"}, headers=headers)
    assert forbidden.status_code == 403


def test_price_resolution_and_promotion_admin(client, shop, admin_headers) -> None:  # type: ignore[no-untyped-def]
    _setup_every_channel(client, shop, admin_headers)
    why = client.get(
        "/v1/pricing/prices/ROBE-S", params={"channel": "store:st_lyon"}, headers=admin_headers
    ).json()
    assert (why["price"], why["price_list_code"], why["vat_rate"], why["price_excl_tax"]) == (
        "59.90",
        "stores-eur",
        "20",
        "49.92",
    )
    assert [c["price_list_code"] for c in why["candidates"] if c["applies"]] == ["stores-eur", "base-eur"]
    page = client.get("/v1/pricing/promotions", params={"running": "true"}, headers=admin_headers).json()
    promos = page["items"]
    assert (len(promos), page["next_cursor"]) == (4, None)
    pid = promos[0]["id"]
    stale = client.patch(
        f"/v1/pricing/promotions/{pid}", json={"priority": 5}, headers={**admin_headers, "If-Match": '"9"'}
    )
    assert stale.status_code == 412
    stopped = client.post(f"/v1/pricing/promotions/{pid}/stop", headers=admin_headers).json()
    assert stopped["status"] == "stopped" and not stopped["running"]
    bad = client.post(
        "/v1/pricing/promotions",
        json={"name": "x", "kind": "percent_off", "params": {"percent": "150"}},
        headers=admin_headers,
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["pointer"] == "#/params/percent"
    batch = client.post(
        f"/v1/pricing/promotions/{promos[1]['id']}/coupon-batches",
        json={"count": 25, "prefix": "NOEL-"},
        headers=admin_headers,
    ).json()
    assert len(set(batch["codes"])) == 25 and all(c.startswith("NOEL-") for c in batch["codes"])
    coupon = client.get(f"/v1/pricing/coupons/{batch['codes'][0]}", headers=admin_headers).json()
    assert (coupon["max_uses"], coupon["uses"], coupon["status"]) == (1, 0, "active")
