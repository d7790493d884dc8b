"""The storefront through its pages: catalogue in French and English, facets, the Omnibus reference of a
discounted price, stock near a postcode, the cart, the checkout (validation, 3-D Secure in the page,
confirmation), the wishlist, and a shopper reaching nobody else's cart or order."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from comptoir.core.settings import Settings
from comptoir.payments.providers.sandbox import embedded_sandbox
from comptoir.storefront.session import CART_COOKIE
from tests.storefront.conftest import (
    LIN_M,
    LIN_S,
    RIVOLI,
    SOIE_M,
    add_to_cart,
    deliver_sandbox_events,
    post,
    sign_in,
    text_of,
)

pytestmark = pytest.mark.usefixtures("boutique")


def page(client: TestClient, url: str, status: int = 200) -> str:
    answer = client.get(url, follow_redirects=False)
    assert answer.status_code == status, (url, answer.status_code, answer.text[:500])
    return text_of(answer.text)


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("fr", {"home": "Acheter par catégorie", "search": "Rechercher", "dress": "Robe en lin d'été", "cart": "Votre panier est vide"}),
        ("en", {"home": "Shop by category", "search": "Search", "dress": "Summer linen dress", "cart": "Your cart is empty"}),
    ],
)  # fmt: skip
def test_every_page_speaks_the_shoppers_language(
    client: TestClient, lang: str, words: dict[str, str]
) -> None:
    home = page(client, f"/shop?lang={lang}")
    assert words["home"] in home and words["dress"] in home
    assert words["dress"] in page(client, f"/shop/c/dresses?lang={lang}")
    found = page(client, f"/shop/search?q=lin&lang={lang}")
    assert words["search"] in found and words["dress"] in found
    product = page(client, f"/shop/p/ROBE-LIN?lang={lang}")
    assert words["dress"] in product and "ROBE-LIN-S-BLEU" not in product
    assert words["cart"] in page(client, f"/shop/cart?lang={lang}")
    missing = page(client, f"/shop/p/NOPE?lang={lang}", 404)
    assert ("n'existe pas" if lang == "fr" else "does not exist") in missing


def test_search_offers_facets_and_filters_by_them(client: TestClient) -> None:
    everything = page(client, "/shop/search?q=robe&lang=en")
    assert "2 products" in everything
    for facet in ("Brand", "Atelier Rivage", "Boréale", "Price"):
        assert facet in everything
    silk = page(client, "/shop/search?q=robe&brand=Bor%C3%A9ale&lang=en")
    assert "1 product" in silk and "Silk dress" in silk and "Summer linen dress" not in silk
    # the price bands: the linen dress (59.90) is in 30–60, the silk one (69.00 on sale) in 60–100
    cheap = page(client, "/shop/search?q=robe&price=1&lang=en")
    assert "Summer linen dress" in cheap and "Silk dress" not in cheap
    assert "No product matches" in page(client, "/shop/search?q=robe&brand=Nobody&lang=en")


def test_a_discounted_price_shows_the_regular_and_reference_prices(client: TestClient) -> None:
    silk = page(client, f"/shop/p/ROBE-SOIE?sku={SOIE_M}&lang=fr")
    assert "69,00 €" in silk and "89,00 €" in silk and "Prix de référence 89,00 €" in silk
    linen = page(client, f"/shop/p/ROBE-LIN?sku={LIN_S}&lang=fr")
    assert "59,90 €" in linen and "Prix de référence" not in linen


def test_available_near_a_postcode(client: TestClient) -> None:
    near = client.get(
        f"/shop/p/ROBE-LIN/near?sku={LIN_S}&postcode=75001&lang=en", headers={"HX-Request": "true"}
    )
    assert near.status_code == 200
    assert "Comptoir Rivoli" in near.text and "3 available" in text_of(near.text)
    by_position = client.get(f"/shop/p/ROBE-LIN/near?sku={LIN_S}&postcode=&lat=48.86&lon=2.34&lang=en")
    assert by_position.status_code == 200 and "Comptoir Rivoli" in by_position.text
    unknown = client.get(
        f"/shop/p/ROBE-LIN/near?sku={LIN_S}&postcode=00000&lang=fr", headers={"HX-Request": "true"}
    )
    assert unknown.status_code == 422 and "code postal" in unknown.text
    nothing = client.get(
        f"/shop/p/ROBE-LIN/near?sku={LIN_S}&postcode=&lat=&lon=&lang=en", headers={"HX-Request": "true"}
    )
    assert nothing.status_code == 422 and "Enter a postcode, or share your position." in nothing.text


def test_the_cart_adds_changes_and_refuses_a_bad_coupon(client: TestClient) -> None:
    add_to_cart(client, LIN_S, 2)
    assert client.cookies.get(CART_COOKIE)
    cart = client.get("/shop/cart?lang=en")
    assert "Summer linen dress" in cart.text and "119.80" in text_of(cart.text).replace(",", ".")
    line_id = cart.text.split('action="/shop/cart/lines/')[1].split('"')[0]
    assert post(client, f"/shop/cart/lines/{line_id}", {"quantity": "1"}).status_code == 303
    refused = post(client, "/shop/cart/coupons", {"code": "NOPE"})
    assert refused.status_code == 422 and "cannot be used" in refused.text
    assert post(client, f"/shop/cart/lines/{line_id}/remove").status_code == 303
    assert "Your cart is empty" in client.get("/shop/cart?lang=en").text


def test_a_form_without_its_token_is_refused_with_a_page(client: TestClient) -> None:
    answer = client.post("/shop/cart/lines?lang=en", data={"sku": LIN_S}, follow_redirects=False)
    assert answer.status_code == 403 and answer.headers["content-type"].startswith("text/html")
    assert "expired" in answer.text


@pytest.mark.parametrize(
    ("lang", "message"), [("fr", "Indiquez un code postal valide"), ("en", "Enter a valid postcode")]
)
def test_checkout_errors_come_back_in_the_page_in_its_language(
    client: TestClient, lang: str, message: str
) -> None:
    add_to_cart(client, LIN_S)
    client.get(f"/shop/checkout?lang={lang}")
    form = {"mode": "home_delivery", "name": "Marie Curie", "line1": "1 rue de Rivoli", "city": "Paris",
            "email": "marie@example.org", "card": "tok_visa"}  # fmt: skip
    answer = post(client, "/shop/checkout", form)
    assert answer.status_code == 422 and message in answer.text
    declined = post(client, "/shop/checkout", {**form, "postcode": "75001", "card": "tok_declined"})
    assert declined.status_code in (402, 409, 422)
    assert ("refusée" if lang == "fr" else "declined") in declined.text
    no_shop = post(client, "/shop/checkout", {**form, "mode": "click_and_collect"})
    assert no_shop.status_code == 422


def _checkout_click_and_collect(client: TestClient, card: str) -> Any:
    add_to_cart(client, LIN_S)
    form = {
        "mode": "click_and_collect",
        "pickup_place_id": RIVOLI,
        "email": "marie@example.org",
        "card": card,
    }
    answer = post(client, "/shop/checkout", form)
    assert answer.status_code == 303, answer.text
    return answer


def test_click_and_collect_with_3d_secure_completed_in_the_page(client: TestClient) -> None:
    answer = _checkout_click_and_collect(client, "tok_3ds")
    pay_url = answer.headers["location"]
    assert pay_url.startswith("/shop/checkout/pay/")
    order_id = pay_url.rsplit("/", 1)[1]
    pay = client.get(pay_url + "?lang=en")
    assert pay.status_code == 200 and '<iframe class="challenge" src="http://sandbox.invalid/3ds/' in pay.text
    waiting = client.get(f"{pay_url}/status?lang=en", headers={"HX-Request": "true"})
    assert "Waiting for your bank" in waiting.text
    assert client.cookies.get(CART_COOKIE) is None  # the cart became the order
    # the shopper confirms in the bank's frame; the provider tells Comptoir
    sandbox = embedded_sandbox()
    assert sandbox is not None
    # this order's challenge, named in the frame's address (other tests leave intents awaiting theirs)
    found = re.search(r'src="http://sandbox\.invalid/3ds/([^"/?]+)', pay.text)
    assert found is not None
    reference = found.group(1)
    assert sandbox.intents[reference].status == "requires_action"
    sandbox.authenticate(reference, "success")
    deliver_sandbox_events(client)
    done = client.get(f"{pay_url}/status", headers={"HX-Request": "true"})
    assert done.headers["HX-Redirect"] == f"/shop/checkout/done/{order_id}"
    confirmation = page(client, f"/shop/checkout/done/{order_id}?lang=en")
    assert "Thank you for your order" in confirmation and "Comptoir Rivoli" in confirmation
    assert "Summer linen dress" in confirmation
    assert client.get("/shop/checkout/return", follow_redirects=False).headers["location"] == pay_url


def test_a_signed_in_shopper_finds_the_cart_started_elsewhere_and_their_order(
    client: TestClient, settings: Settings, marie: str
) -> None:
    # an anonymous cart in this browser, then Marie signs in: it becomes hers
    add_to_cart(client, SOIE_M)
    sign_in(client, settings, marie)
    cart = client.get("/shop/cart?lang=en")
    assert "Silk dress" in cart.text
    assert 'comptoir_cart=""' in cart.headers.get("set-cookie", "")
    answer = _checkout_click_and_collect(client, "tok_visa")
    order_id = answer.headers["location"].rsplit("/", 1)[1]
    client.cookies.delete("comptoir_order")  # her session alone reaches her order
    assert "Thank you for your order" in page(client, f"/shop/checkout/done/{order_id}?lang=en")


def test_a_shopper_never_sees_another_customers_cart_or_order(
    client: TestClient, settings: Settings, marie: str, paul: str
) -> None:
    sign_in(client, settings, marie)
    order_id = _checkout_click_and_collect(client, "tok_visa").headers["location"].rsplit("/", 1)[1]
    add_to_cart(client, SOIE_M)  # her open cart
    # Paul in another browser
    other = TestClient(client.app)
    sign_in(other, settings, paul)
    assert "Silk dress" not in other.get("/shop/cart?lang=en").text
    assert other.get(f"/shop/checkout/done/{order_id}").status_code == 404
    assert other.get(f"/shop/checkout/pay/{order_id}").status_code == 404
    # nor anyone anonymous
    stranger = TestClient(client.app)
    assert stranger.get(f"/shop/checkout/done/{order_id}").status_code == 404
    assert "Silk dress" not in stranger.get("/shop/cart?lang=en").text


def test_add_to_wishlist_from_the_product_page(client: TestClient, settings: Settings, marie: str) -> None:
    anonymous = post(client, "/shop/wishlist", {"sku": LIN_M, "code": "ROBE-LIN"})
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/shop/sign-in?next=")
    sign_in(client, settings, marie)
    added = post(client, "/shop/wishlist", {"sku": LIN_M, "code": "ROBE-LIN"})
    assert added.headers["location"] == f"/shop/p/ROBE-LIN?sku={LIN_M}"
    assert "In your wishlist" in page(client, f"/shop/p/ROBE-LIN?sku={LIN_M}&lang=en")
    post(client, "/shop/wishlist", {"sku": LIN_M, "code": "ROBE-LIN", "remove": "true"})
    assert "Add to wishlist" in page(client, f"/shop/p/ROBE-LIN?sku={LIN_M}&lang=en")


def test_reserve_and_collect_is_paid_in_the_shop(client: TestClient) -> None:
    add_to_cart(client, LIN_S)
    form = {"mode": "reserve_and_collect", "pickup_place_id": RIVOLI, "email": "marie@example.org"}
    answer = post(client, "/shop/checkout", form)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/shop/checkout/done/")
    confirmation = page(client, answer.headers["location"] + "?lang=fr")
    assert "Réservation en magasin" in confirmation and "Vous payez au retrait" in confirmation


def test_home_delivery_shows_the_address_and_the_delivery_cost(client: TestClient) -> None:
    add_to_cart(client, LIN_M)
    form = {"mode": "home_delivery", "name": "Marie Curie", "line1": "1 rue de Rivoli", "postcode": "75001",
            "city": "Paris", "email": "marie@example.org", "card": "tok_visa"}  # fmt: skip
    answer = post(client, "/shop/checkout", form)
    assert answer.status_code == 303, answer.text
    confirmation = page(client, answer.headers["location"] + "?lang=en")
    assert (
        "Home delivery" in confirmation and "1 rue de Rivoli" in confirmation and "Delivery" in confirmation
    )


def test_product_photos_are_served_by_the_shop_under_their_rights(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    from tests.catalog.test_publishing import upload_image

    asset = upload_image(client, admin_headers, "ROBE-LIN", colour="bleu")
    product = client.get(f"/shop/p/ROBE-LIN?sku={LIN_S}&lang=en").text
    assert f'src="/shop/media/{asset["id"]}"' in product and "/v1/catalog/media" not in product
    photo = client.get(f"/shop/media/{asset['id']}")
    assert photo.status_code == 200 and photo.headers["content-type"] == "image/png"
    assert client.get(f"/shop/media/{asset['id']}/zoom").status_code == 404  # not made yet
    assert client.get("/shop/media/ast_nope").status_code == 404
