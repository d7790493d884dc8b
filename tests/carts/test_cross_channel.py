"""The cart follows the customer: started on a seller's tablet, finished on the website; an anonymous
web cart joins the customer's cart at sign-in. End to end through the API."""

from __future__ import annotations

from typing import Any

from comptoir.core.dispatcher import Dispatcher
from tests.carts.conftest import LIN_M, LIN_S, SOIE_S, STORE, headers, sign_in, sign_up
from tests.catalog.conftest import recorded


def lines_of(cart: dict[str, Any]) -> list[tuple[str, int, str]]:
    return [(x["sku"], x["quantity"], x["channel_added"]) for x in cart["lines"]]


def test_a_cart_started_on_the_store_tablet_is_finished_on_the_website(  # type: ignore[no-untyped-def]
    client, db, marie, store_key, web_key
) -> None:
    # given a seller at the Rivoli store starts a cart for Marie on the tablet
    started = client.post(
        "/v1/carts",
        json={"customer_id": marie, "lines": [{"sku": LIN_S, "quantity": 1}]},
        headers=headers(store_key),
    )
    assert started.status_code == 201, started.text
    cart = started.json()
    assert cart["customer_id"] == marie and cart["cart_token"] is None
    assert cart["channel_started"] == f"store:{STORE}" and cart["store_id"] == STORE
    assert lines_of(cart) == [(LIN_S, 1, f"store:{STORE}")]
    assert started.headers["etag"] == '"1"'

    # when Marie signs up on the website (the account joins the customer the shop knows)
    session = sign_up(client, web_key)
    assert session["customer_id"] == marie
    web = headers(web_key, customer_token=session["token"])

    # then her current cart on the website is the one the seller started
    current = client.get("/v1/carts/current", headers=web)
    assert current.status_code == 200, current.text
    assert current.json()["id"] == cart["id"]
    assert lines_of(current.json()) == [(LIN_S, 1, f"store:{STORE}")]
    assert current.json()["priced"]["channel"] == "web"

    # and she adds a dress from the website and raises the tablet's line
    added = client.post(f"/v1/carts/{cart['id']}/lines", json={"sku": SOIE_S, "quantity": 2}, headers=web)
    assert added.status_code == 200, added.text
    line_id = added.json()["lines"][0]["line_id"]
    changed = client.patch(
        f"/v1/carts/{cart['id']}/lines/{line_id}",
        json={"quantity": 2},
        headers={**web, "If-Match": added.headers["etag"]},
    )
    assert changed.status_code == 200, changed.text
    final = changed.json()
    assert lines_of(final) == [(LIN_S, 2, f"store:{STORE}"), (SOIE_S, 2, "web")]
    assert [x["channel_updated"] for x in final["lines"]] == ["web", "web"]
    assert final["version"] == 3 and changed.headers["etag"] == '"3"'
    # priced with the website's prices: 2 × 59.90 + 2 × 89.00
    assert [x["unit_price"] for x in final["priced"]["lines"]] == ["59.90", "89.00"]
    assert final["priced"]["total"] == "297.80"

    # and the seller sees the same cart on the tablet, priced for the store
    tablet = client.get("/v1/carts/current", params={"customer_id": marie}, headers=headers(store_key)).json()
    assert tablet["id"] == cart["id"] and tablet["version"] == 3
    assert tablet["priced"]["channel"] == f"store:{STORE}" and tablet["priced"]["store_id"] == STORE
    assert tablet["priced"]["total"] == "288.00"  # linen at the shops' 55.00

    # and starting "another" cart for Marie on the tablet resumes hers (one open cart per customer)
    again = client.post(
        "/v1/carts",
        json={"customer_id": marie, "lines": [{"sku": LIN_M, "quantity": 1}]},
        headers=headers(store_key),
    )
    assert again.status_code == 200 and again.json()["id"] == cart["id"]
    assert lines_of(again.json())[-1] == (LIN_M, 1, f"store:{STORE}")

    created = recorded(db, "carts.cart_created")
    assert [
        (e["cart_id"], e["customer_id"], e["channel"], e["lines_count"], e["items_count"]) for e in created
    ] == [(cart["id"], marie, f"store:{STORE}", 1, 1)]
    assert created[0]["started_for_customer"] is True and created[0]["total"] == "55.00"
    changes = [
        (e["change"], e["channel"], e["sku"], e["quantity"], e["version"])
        for e in recorded(db, "carts.cart_changed")
    ]
    assert changes == [
        ("line_added", "web", SOIE_S, 2, 2),
        ("line_changed", "web", LIN_S, 2, 3),
        ("lines_added", f"store:{STORE}", None, None, 4),
    ]


def test_an_anonymous_web_cart_merges_into_the_customers_cart_at_sign_in(  # type: ignore[no-untyped-def]
    client, db, marie, store_key, web_key, dispatcher: Dispatcher
) -> None:
    # given Marie has an open cart started in the shop (1 × LIN_S, coupon SHOP5 kept for later)
    shop_cart = client.post(
        "/v1/carts",
        json={"customer_id": marie, "lines": [{"sku": LIN_S, "quantity": 1}]},
        headers=headers(store_key),
    ).json()
    sign_up(client, web_key)

    # and, not signed in, she fills an anonymous cart on the website
    anon = client.post(
        "/v1/carts",
        json={"lines": [{"sku": LIN_S, "quantity": 2}, {"sku": SOIE_S, "quantity": 1}]},
        headers=headers(web_key),
    )
    assert anon.status_code == 201, anon.text
    token = anon.json()["cart_token"]
    assert token and anon.json()["customer_id"] is None and anon.json()["anonymous"] is True
    anon_id = anon.json()["id"]
    # the anonymous cart is reached with its token only
    assert client.get(f"/v1/carts/{anon_id}", headers=headers(web_key)).status_code == 404
    assert client.get(f"/v1/carts/{anon_id}", headers=headers(web_key, cart_token=token)).status_code == 200

    # when she signs in on the website, handing over the anonymous cart's token
    session = sign_in(client, web_key, anonymous_token=token)
    dispatcher.drain()

    # then her one open cart holds both: same SKU summed, the web line added keeping its channel
    web = headers(web_key, customer_token=session["token"])
    current = client.get("/v1/carts/current", headers=web).json()
    assert current["id"] == shop_cart["id"]
    assert lines_of(current) == [(LIN_S, 3, f"store:{STORE}"), (SOIE_S, 1, "web")]
    assert current["version"] == 2

    # and the anonymous cart is closed as merged, pointing at hers
    closed = client.get(f"/v1/carts/{anon_id}", headers=headers(web_key, cart_token=token)).json()
    assert closed["status"] == "merged" and closed["merged_into"] == shop_cart["id"] and closed["lines"] == []
    refused = client.post(
        f"/v1/carts/{anon_id}/lines",
        json={"sku": LIN_M, "quantity": 1},
        headers=headers(web_key, cart_token=token),
    )
    assert refused.status_code == 409 and refused.json()["type"].endswith("cart-closed")
    assert refused.json()["merged_into"] == shop_cart["id"]

    merged = recorded(db, "carts.cart_merged")
    assert [
        (
            e["cart_id"],
            e["merged_cart_id"],
            e["customer_id"],
            e["reason"],
            e["lines_added"],
            e["lines_summed"],
        )
        for e in merged
    ] == [(shop_cart["id"], anon_id, marie, "sign_in", 1, 1)]
    assert merged[0]["lines_count"] == 2 and merged[0]["items_count"] == 4

    # and signing in again with the same token changes nothing (the merge is idempotent)
    sign_in(client, web_key, anonymous_token=token)
    dispatcher.drain()
    assert client.get("/v1/carts/current", headers=web).json()["version"] == 2


def test_without_a_cart_the_anonymous_cart_becomes_the_customers(  # type: ignore[no-untyped-def]
    client, db, marie, app_key, web_key
) -> None:
    # given an anonymous cart on the app and Marie without any cart
    anon = client.post(
        "/v1/carts", json={"lines": [{"sku": SOIE_S, "quantity": 1}]}, headers=headers(app_key)
    ).json()
    session = sign_up(client, app_key)

    # when the app merges it explicitly right after sign-in
    merged = client.post(
        "/v1/carts/merge",
        headers=headers(app_key, customer_token=session["token"], cart_token=anon["cart_token"]),
    )

    # then the anonymous cart is now Marie's, and its token no longer reaches it
    assert merged.status_code == 200, merged.text
    body = merged.json()
    assert body["merged_cart_id"] is None and body["cart"]["id"] == anon["id"]
    assert body["cart"]["customer_id"] == marie and body["cart"]["anonymous"] is False
    assert (
        client.get(
            f"/v1/carts/{anon['id']}", headers=headers(app_key, cart_token=anon["cart_token"])
        ).status_code
        == 404
    )
    assert [(e["change"], e["customer_id"]) for e in recorded(db, "carts.cart_changed")] == [
        ("customer_attached", marie)
    ]
    # and merging again finds no anonymous cart
    again = client.post(
        "/v1/carts/merge",
        headers=headers(app_key, customer_token=session["token"], cart_token=anon["cart_token"]),
    )
    assert again.status_code == 404 and again.json()["type"].endswith("no-anonymous-cart")


def test_a_seller_names_the_customer_of_an_anonymous_tablet_cart(  # type: ignore[no-untyped-def]
    client, db, marie, store_key, app_key
) -> None:
    # given Marie's cart from the app, and a cart the seller filled on the tablet before asking her name
    session = sign_up(client, app_key)
    app = headers(app_key, customer_token=session["token"])
    hers = client.post("/v1/carts", json={"lines": [{"sku": SOIE_S, "quantity": 1}]}, headers=app).json()
    tablet = client.post(
        "/v1/carts", json={"lines": [{"sku": LIN_S, "quantity": 1}]}, headers=headers(store_key)
    ).json()
    assert tablet["customer_id"] is None

    # when the seller names Marie
    named = client.post(
        f"/v1/carts/{tablet['id']}/customer",
        json={"customer_id": marie},
        headers={**headers(store_key), "If-Match": '"1"'},
    )

    # then the tablet's lines join her cart, which she sees in the app
    assert named.status_code == 200, named.text
    assert named.json()["merged_cart_id"] == tablet["id"] and named.json()["cart"]["id"] == hers["id"]
    current = client.get("/v1/carts/current", headers=app).json()
    assert lines_of(current) == [(SOIE_S, 1, "app"), (LIN_S, 1, f"store:{STORE}")]
    assert [e["reason"] for e in recorded(db, "carts.cart_merged")] == ["customer_identified"]

    # and a public key cannot name a cart's customer
    anon = client.post("/v1/carts", json={}, headers=headers(app_key)).json()
    refused = client.post(
        f"/v1/carts/{anon['id']}/customer",
        json={"customer_id": marie},
        headers=headers(app_key, cart_token=anon["cart_token"]),
    )
    assert refused.status_code == 403
