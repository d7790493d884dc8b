"""The seller's tablet page: find the customer, start a cart for her, add and remove lines, in French."""

from __future__ import annotations

from typing import Any

from comptoir.core.uow import UnitOfWork
from comptoir.inventory import service as inventory
from comptoir.inventory.schemas import Location, MovementIn, SettingsIn
from comptoir.stores import service as stores
from tests.carts.conftest import LIN_S, SOIE_S, STORE, headers, sign_up
from tests.stores.factories import place_in
from tests.support.staff import sign_in_pages


def test_a_seller_starts_a_cart_on_the_tablet_that_the_customer_finds_on_the_website(  # type: ignore[no-untyped-def]
    client, db, marie, store_key, web_key
) -> None:
    # given a seller signed in on the tablet; the old address leads to the seller app
    sign_in_pages(client, db, "seller", [STORE])
    old = client.get("/pages/carts", params={"customer_id": marie}, follow_redirects=False)
    assert old.status_code == 303 and old.headers["location"] == f"/seller/cart?customer_id={marie}"
    found = client.get("/seller/customers", params={"q": "Marie Curie", "lang": "fr"})
    assert found.status_code == 200
    assert "Rechercher un client" in found.text and f"/seller/cart?customer_id={marie}" in found.text

    # when she opens Marie, who has no cart, and starts one with a dress
    page = client.get("/seller/cart", params={"customer_id": marie})
    assert "Pas encore de panier" in page.text
    started = client.post(
        "/seller/cart/lines",
        data={"customer_id": marie, "sku": LIN_S, "quantity": "2"},
        follow_redirects=True,
    )
    assert started.status_code == 200
    assert "Panier de Marie Curie" in started.text and "Robe en lin d&#39;été" in started.text

    # and adds another by its SKU; an unknown code is refused with a readable message
    cart = client.get("/v1/carts/current", params={"customer_id": marie}, headers=headers(store_key)).json()
    added = client.post(
        "/seller/cart/lines", data={"customer_id": marie, "code": SOIE_S}, follow_redirects=True
    )
    assert added.status_code == 200
    refused = client.post("/seller/cart/lines", data={"customer_id": marie, "code": "NOPE-1"})
    assert refused.status_code == 404 and "Aucun produit ne porte le code-barres NOPE-1." in refused.text

    # then Marie, signed in on the website, finds the seller's cart
    session = sign_up(client, web_key)
    web = client.get("/v1/carts/current", headers=headers(web_key, customer_token=session["token"])).json()
    assert web["id"] == cart["id"]
    assert [(x["sku"], x["quantity"], x["channel_added"]) for x in web["lines"]] == [
        (LIN_S, 2, f"store:{STORE}"),
        (SOIE_S, 1, f"store:{STORE}"),
    ]

    # and the seller takes a line out (quantity 0)
    removed = client.post(
        f"/seller/cart/{cart['id']}/lines/{web['lines'][1]['line_id']}",
        data={"customer_id": marie, "quantity": "0"},
        follow_redirects=True,
    )
    assert removed.status_code == 200
    after: dict[str, Any] = client.get(f"/v1/carts/{cart['id']}", headers=headers(store_key)).json()
    assert [x["sku"] for x in after["lines"]] == [LIN_S]


def test_the_tablet_shows_what_the_shop_has_on_its_shelves(client, db, marie, store_key) -> None:  # type: ignore[no-untyped-def]
    # given the Rivoli shop holds 3 linen dresses on aisle B, shelf 2, bin 14, and no silk ones
    with UnitOfWork(db) as uow:
        stores.create_place(uow, place_in(STORE))
        inventory.record_movement(
            uow,
            MovementIn(kind="receipt", sku=LIN_S, place_id=STORE, quantity=3, reference="rcv-1", reason=""),
        )
        inventory.set_stock_settings(
            uow, LIN_S, STORE, SettingsIn(location=Location(aisle="B", shelf="2", bin="14"))
        )
        uow.commit()
    sign_in_pages(client, db, "seller", [STORE])

    # when the seller opens Marie's cart holding both dresses
    client.post(
        "/v1/carts",
        json={"customer_id": marie, "lines": [{"sku": LIN_S, "quantity": 1}, {"sku": SOIE_S, "quantity": 1}]},
        headers=headers(store_key),
    )
    page = client.get("/seller/cart", params={"customer_id": marie, "lang": "fr"})

    # then each line says what the shop has and where
    assert page.status_code == 200
    assert "3 dans cette boutique" in page.text and "allée B, étagère 2, bac 14" in page.text
    assert "Pas en stock ici" in page.text


def test_the_page_needs_a_signed_in_key(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/pages/carts", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/pages/sign-in")
