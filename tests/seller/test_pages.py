"""The seller app through its pages (TestClient): each page in French and English, a whole sale, and who
is refused (anonymous, a customer's key, a seller of another shop)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from comptoir.core.access import Role
from comptoir.core.db import Database
from comptoir.core.uow import UnitOfWork
from tests.conftest import make_key
from tests.orders.conftest import customer_token, headers
from tests.seller.conftest import LIN_S, MARSEILLE, RIVOLI, gtin_of
from tests.support.staff import sign_in_pages

FORBIDDEN_IN_PAGES = ("st_paris_rivoli", "ROBE-LIN-S-BLEU", "cus_", '"open_orders"', "Traceback")


def page(client: Any, url: str, lang: str, status: int = 200) -> str:
    response = client.get(url + ("&" if "?" in url else "?") + f"lang={lang}")
    assert response.status_code == status, response.text[:500]
    html = response.text
    for raw in FORBIDDEN_IN_PAGES:
        assert raw not in re.sub(r'(href|action|value|src|name|id|for|hx-get|hx-post)="[^"]*"', "", html), raw
    return html


@pytest.fixture
def seller(client: Any, published: Database) -> Any:
    sign_in_pages(client, published, Role.SELLER, [RIVOLI])
    return client


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_a_seller_finds_a_customer_and_opens_the_360(seller: Any, marie: str, lang: str) -> None:
    html = page(seller, "/seller/customers/results?q=curie", lang)
    assert "Marie Curie" in html and f"/seller/customers/{marie}" in html
    view = page(seller, f"/seller/customers/{marie}", lang)
    assert "Marie Curie" in view
    assert ("Identité et consentements" if lang == "fr" else "Identity and consents") in view


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_a_scanned_barcode_opens_the_product_with_its_stock_here(
    seller: Any, published: Database, lang: str
) -> None:
    response = seller.get(
        f"/seller/products?code={gtin_of(published, LIN_S)}&lang={lang}", follow_redirects=False
    )
    assert response.status_code == 303
    html = page(seller, response.headers["location"], lang)
    assert "59,90" in html or "59.90" in html
    assert "Comptoir Marseille" in html or "Comptoir Opéra" in html or "Comptoir" in html


def test_an_unknown_barcode_says_so_in_french(seller: Any) -> None:
    html = page(seller, "/seller/products?code=0000000000000", "fr", 404)
    assert "Aucun produit" in html


def test_a_sale_in_the_shop_sends_the_e_receipt(
    seller: Any, published: Database, marie: str, dispatcher: Any
) -> None:
    added = seller.post("/seller/cart/lines", data={"customer_id": marie, "code": gtin_of(published, LIN_S)})
    assert added.status_code == 200 and "Marie Curie" in added.text
    with UnitOfWork(published) as uow:
        from comptoir.carts import service as carts

        cart = carts.current_cart(uow, marie)
    assert cart is not None and [(x.sku, x.quantity) for x in cart.lines] == [(LIN_S, 1)]
    sold = seller.post(
        f"/seller/cart/{cart.id}/checkout",
        data={
            "customer_id": marie,
            "mode": "store_sale",
            "email": "marie.curie@orange.fr",
            "receipt": "email",
        },
        follow_redirects=False,
    )
    assert sold.status_code == 303, sold.text[:400]
    order_url = sold.headers["location"]
    dispatcher.drain()
    with UnitOfWork(published) as uow:
        from comptoir.receipts import service as receipts

        [receipt] = receipts.receipts_of(uow, seller.app.state.comptoir.settings, customer_id=marie)
    assert receipt.email == "marie.curie@orange.fr" and receipt.send_status == "sent"
    html = page(seller, order_url, "en")
    assert "Sale completed" in html and receipt.number in html


def test_pickups_and_returns_pages_answer(seller: Any) -> None:
    for lang in ("fr", "en"):
        page(seller, "/seller", lang)
        page(seller, "/seller/pickups", lang)
        page(seller, "/seller/returns", lang)
        page(seller, "/seller/cart", lang)
        page(seller, "/seller/products?q=robe", lang)


def test_anonymous_and_customer_keys_are_sent_to_sign_in(
    client: Any, published: Database, marie: str, settings: Any
) -> None:
    key = make_key(published, ["catalog:read", "carts:write", "orders:write"], channel="web")
    for url in ("/seller", "/seller/customers", f"/seller/customers/{marie}", "/seller/cart"):
        response = client.get(url, follow_redirects=False)
        assert response.status_code == 303 and "/pages/sign-in" in response.headers["location"]
        as_customer = client.get(
            url, headers=headers(key, customer_token(settings, marie)), follow_redirects=False
        )
        assert as_customer.status_code == 303


def test_a_seller_of_another_shop_is_refused_this_shop(client: Any, published: Database) -> None:
    sign_in_pages(client, published, Role.SELLER, [MARSEILLE])
    response = client.get(f"/seller/pickups?shop={RIVOLI}&lang=fr")
    assert response.status_code == 403
    assert "autre boutique" in response.text


def sell_here(seller: Any, db: Database, customer_id: str, sku: str = LIN_S) -> str:
    """A sale at Rivoli through the pages; the order's id."""
    seller.post("/seller/cart/lines", data={"customer_id": customer_id, "sku": sku, "quantity": "1"})
    with UnitOfWork(db) as uow:
        from comptoir.carts import service as carts

        cart = carts.current_cart(uow, customer_id)
    assert cart is not None
    sold = seller.post(
        f"/seller/cart/{cart.id}/checkout",
        data={"customer_id": customer_id, "mode": "store_sale", "email": ""},
        follow_redirects=False,
    )
    assert sold.status_code == 303, sold.text[:300]
    return str(sold.headers["location"]).split("/seller/orders/")[1].split("?")[0]


def test_a_return_anywhere_is_taken_back_and_refunded(seller: Any, published: Database, marie: str) -> None:
    order_id = sell_here(seller, published, marie)
    with UnitOfWork(published) as uow:
        from comptoir.orders import service as orders

        order = orders.get_order(uow, order_id)
    found = seller.get(f"/seller/returns?q={order.number.lower()}", follow_redirects=False)
    assert found.headers["location"] == f"/seller/returns/orders/{order_id}"
    form = page(seller, f"/seller/returns/orders/{order_id}", "fr")
    assert "Reprendre et rembourser" in form
    line_id = order.lines[0].line_id
    done = seller.post(
        f"/seller/returns/orders/{order_id}?lang=en",
        data={f"qty:{line_id}": "1", f"reason:{line_id}": "wrong_size", f"condition:{line_id}": "resaleable"},
    )
    assert done.status_code == 200 and "Refunded" in done.text


def test_nothing_given_back_is_said_in_french(seller: Any, published: Database, marie: str) -> None:
    order_id = sell_here(seller, published, marie)
    refused = seller.post(f"/seller/returns/orders/{order_id}?lang=fr", data={})
    assert refused.status_code == 422 and "Indiquez le nombre" in refused.text


def test_an_order_of_another_shop_is_not_shown(client: Any, published: Database, marie: str) -> None:
    sign_in_pages(client, published, Role.SELLER, [RIVOLI])
    order_id = sell_here(client, published, marie)
    sign_in_pages(client, published, Role.SELLER, [MARSEILLE])
    response = client.get(f"/seller/orders/{order_id}?lang=fr")
    assert response.status_code == 404 and "Introuvable" in response.text


def test_a_coupon_that_does_not_exist_is_refused_in_the_page(
    seller: Any, published: Database, marie: str
) -> None:
    seller.post("/seller/cart/lines", data={"customer_id": marie, "sku": LIN_S, "quantity": "2"})
    with UnitOfWork(published) as uow:
        from comptoir.carts import service as carts

        cart = carts.current_cart(uow, marie)
    assert cart is not None
    answer = seller.post(
        f"/seller/cart/{cart.id}/coupons?lang=fr", data={"customer_id": marie, "code": "NOPE-123"}
    )
    assert answer.status_code in (404, 409, 422) and "Traceback" not in answer.text
    assert "Panier de Marie Curie" in answer.text


def test_a_receipt_number_finds_its_customer(
    seller: Any, published: Database, marie: str, dispatcher: Any
) -> None:
    order_id = sell_here(seller, published, marie)
    dispatcher.drain()
    with UnitOfWork(published) as uow:
        from comptoir.receipts import service as receipts

        receipt = receipts.receipt_for_order(uow, order_id)
    assert receipt is not None
    spoken = receipt.number.lower().replace("-", " ")
    html = page(seller, f"/seller/customers/results?q={spoken}", "fr")
    assert f"/seller/customers/{marie}" in html and "ticket" in html


def test_the_product_photo_is_served_to_signed_in_staff_only(client: Any, published: Database) -> None:
    response = client.get("/seller/media/ast_unknown", follow_redirects=False)
    assert response.status_code == 303
    sign_in_pages(client, published, Role.SELLER, [RIVOLI])
    missing = client.get("/seller/media/ast_unknown?lang=fr")
    assert missing.status_code == 404 and "Introuvable" in missing.text


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_a_note_is_added_to_the_customer_and_shown_with_its_author(
    seller: Any, marie: str, lang: str
) -> None:
    view = page(seller, f"/seller/customers/{marie}", lang)
    assert ("Aucune note pour l’instant." if lang == "fr" else "No note yet.") in view
    added = seller.post(
        f"/seller/customers/{marie}/notes?lang={lang}",
        data={"body": "Préfère le lin lavé, taille S."},
        headers={"HX-Request": "true"},
    )
    assert added.status_code == 200, added.text[:500]
    assert "Préfère le lin lavé, taille S." in added.text and "Test seller" in added.text
    assert ("Note ajoutée." if lang == "fr" else "Note added.") in added.text
    plain = seller.post(
        f"/seller/customers/{marie}/notes?lang={lang}",
        data={"body": "Rappeler jeudi."},
        follow_redirects=False,
    )
    assert plain.status_code == 303 and plain.headers["location"].startswith(f"/seller/customers/{marie}")
    view = page(seller, f"/seller/customers/{marie}", lang)
    assert view.index("Rappeler jeudi.") < view.index("Préfère le lin lavé, taille S.")  # newest first


@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize("body", ["   ", "x" * 2001])
def test_an_empty_or_too_long_note_gives_the_form_again(
    seller: Any, marie: str, lang: str, body: str
) -> None:
    for hx in ({"HX-Request": "true"}, {}):
        answer = seller.post(f"/seller/customers/{marie}/notes?lang={lang}", data={"body": body}, headers=hx)
        assert answer.status_code == 422
        messages = {
            ("fr", True): "Écrivez la note avant de l’ajouter.",
            ("en", True): "Write the note before adding it.",
            ("fr", False): "Une note tient en 2000 caractères au plus : raccourcissez-la.",
            ("en", False): "A note holds at most 2000 characters: shorten it.",
        }
        assert messages[(lang, not body.strip())] in answer.text
        assert 'name="body"' in answer.text


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_wishlist_is_shown_by_name_and_price(
    seller: Any, published: Database, marie: str, lang: str
) -> None:
    from comptoir.carts import service as carts_service

    with UnitOfWork(published) as uow:
        carts_service.add_to_wishlist(uow, marie, LIN_S)
        uow.commit()
    view = page(seller, f"/seller/customers/{marie}", lang)  # no SKU code, no raw id in the text
    assert ("Liste d’envies" if lang == "fr" else "Wishlist") in view
    section = view[view.index('id="wishlist"') :]
    assert ("Robe" if lang == "fr" else "dress").lower() in section.lower()
    assert "59,90" in section or "59.90" in section
