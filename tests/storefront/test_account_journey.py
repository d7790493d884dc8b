"""A customer's journey on a phone, in French and in English, on the demo retailer: sign up, sign in, find
a purchase made in a shop (a sale at the Paris Rivoli till for this customer) with its e-receipt, download
the receipt, start a return of its line, and look through the account. Every page passes ``check_page``
at phone size (no overflow, no raw ids, the page's language, no serious accessibility violation)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from comptoir.core.uow import UnitOfWork
from comptoir.customers import service as customers

pytestmark = pytest.mark.slow

RIVOLI = "st_paris_rivoli"
PASSWORD = "une phrase de passe longue"
WORDS = {
    "fr": {
        "create": "Créer mon compte",
        "mailbox": "Consultez votre boîte de réception",
        "sign_in": "Se connecter",
        "hello": "Bonjour Zoé",
        "orders": "Commandes",
        "bought": "Acheté en magasin",
        "receipt": "Voir le ticket de caisse",
        "download": "Télécharger le ticket (PDF)",
        "return": "Retourner des articles",
        "start": "Commencer le retour",
        "requested": "Demandé",
    },
    "en": {
        "create": "Create my account",
        "mailbox": "Check your mailbox",
        "sign_in": "Sign in",
        "hello": "Hello Zoé",
        "orders": "Orders",
        "bought": "Bought in a shop",
        "receipt": "See the e-receipt",
        "download": "Download the receipt (PDF)",
        "return": "Return items",
        "start": "Start the return",
        "requested": "Requested",
    },
}


def sell_at_rivoli(server: Any, customer_id: str) -> dict[str, Any]:
    """A sale at the Rivoli till for the customer (through the API, as the till makes it), of a product
    the demo already sold there; the in-process dispatcher issues its e-receipt."""
    till = {"Authorization": f"Bearer {server.demo_keys['demo: store Paris Rivoli']}"}
    with httpx.Client(base_url=server.url, headers=till, timeout=30) as api:
        sales = api.get("/v1/orders", params={"mode": "store_sale", "place_id": RIVOLI, "limit": 20})
        assert sales.status_code == 200, sales.text
        for summary in sales.json()["items"]:
            sku = api.get(f"/v1/orders/{summary['id']}").json()["lines"][0]["sku"]
            cart = api.post(
                "/v1/carts", json={"lines": [{"sku": sku, "quantity": 1}], "customer_id": customer_id}
            )
            if cart.status_code != 201:
                continue
            body = cart.json()
            sale = api.post(
                "/v1/orders/checkout",
                json={
                    "cart_id": body["id"],
                    "cart_version": body["version"],
                    "mode": "store_sale",
                    "customer_id": customer_id,
                    "tenders": [{"method": "card", "details": {"card_token": "tok_visa"}}],
                },
                headers={"Idempotency-Key": uuid.uuid4().hex},
            )
            if sale.status_code == 201:
                order = dict(sale.json())
                _wait_for_receipt(api, order["id"])
                return order
    raise AssertionError("no product of the demo could be sold at Rivoli")


def _wait_for_receipt(api: httpx.Client, order_id: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if api.get("/v1/receipts", params={"order_id": order_id}).json()["items"]:
            return
        time.sleep(0.2)
    issued = api.post("/v1/receipts", json={"order_id": order_id})
    assert issued.status_code == 201, issued.text


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_sign_up_sign_in_see_a_shop_sale_with_its_e_receipt_and_start_a_return(
    new_page: Callable[..., Any], check_page: Callable[..., Path], live_server: Any, lang: str
) -> None:
    words = WORDS[lang]
    email = f"zoe.{lang}.{uuid.uuid4().hex[:8]}@example.fr"
    page = new_page(lang, "phone")

    # signs up: every consent asked, none ticked
    page.goto("/shop/sign-up")
    check_page(page, f"account-sign-up-{lang}")
    assert page.locator("input[name=consent]:checked").count() == 0
    page.fill("#given_name", "Zoé")
    page.fill("#family_name", "Lambert")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.locator("input[name=consent]").first.check()
    with page.expect_navigation():
        page.get_by_role("button", name=words["create"]).click()
    assert words["mailbox"] in page.inner_text("main")
    check_page(page, f"account-check-mail-{lang}")

    # signs in
    with page.expect_navigation():
        page.locator("main").get_by_role("link", name=words["sign_in"]).click()
    check_page(page, f"account-sign-in-{lang}")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.locator("main form").get_by_role("button", name=words["sign_in"]).click()
    assert page.url.endswith("/shop/account")
    assert words["hello"] in page.inner_text("h1")
    check_page(page, f"account-home-{lang}")

    # buys in a shop (the till names the customer); the purchase is in the account with its e-receipt
    with UnitOfWork(live_server.db) as uow:
        customer_id = customers.search(uow, email)[0].customer.id
    sale = sell_at_rivoli(live_server, customer_id)
    page.goto("/shop/account/orders")
    orders = page.inner_text("main")
    assert sale["number"] in orders and words["bought"] in orders
    check_page(page, f"account-orders-{lang}")
    with page.expect_navigation():
        page.get_by_role("link", name=sale["number"]).first.click()
    check_page(page, f"account-order-{lang}")
    with page.expect_navigation():
        page.get_by_role("link", name=words["receipt"]).click()
    check_page(page, f"account-receipt-{lang}")
    pdf = page.get_by_role("link", name=words["download"]).get_attribute("href")
    assert pdf is not None
    download = page.request.get(pdf)
    assert download.ok and download.body().startswith(b"%PDF-")

    # starts a return of the line, to bring back to a shop
    page.goto(f"/shop/account/orders/{sale['id']}")
    with page.expect_navigation():
        page.get_by_role("link", name=words["return"]).click()
    check_page(page, f"account-return-form-{lang}")
    page.locator("select[name^='qty:']").first.select_option("1")
    with page.expect_navigation():
        page.get_by_role("button", name=words["start"]).click()
    assert "/shop/account/returns/" in page.url
    assert words["requested"] in page.inner_text("main")
    check_page(page, f"account-return-{lang}")

    # the rest of the account
    for section in ("returns", "loyalty", "wishlist", "preferences", "details", "privacy"):
        page.goto(f"/shop/account/{section}")
        check_page(page, f"account-{section}-{lang}")
