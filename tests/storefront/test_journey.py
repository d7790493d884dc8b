"""A shopper's journey on a phone, in French and in English, on the demo retailer: sign up and sign in,
search, stock near a postcode, click & collect paid by a card that needs 3-D Secure (the bank's challenge
completed inside the payment page), the confirmation, then the order in the account's orders and its
detail; scan & go in a shop paid by such a card, then its exit pass. Every page passes ``check_page`` at
phone size.

The card provider is the sandbox run as its own process (as in production, a provider reached over HTTP):
its challenge page is served to the browser and its signed events are posted back to Comptoir.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support import browser, processes

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[browser.LiveServer]:
    """The browser harness's server with the demo retailer, whose card provider is a sandbox process."""
    from tests.conftest import drop_database

    reason = browser.skip_reason()
    if reason:
        pytest.skip(reason)
    tmp = tmp_path_factory.mktemp("shop-server")
    sandbox_port = processes.free_port()
    provider = f"http://127.0.0.1:{sandbox_port}"
    plain_env = processes.comptoir_env

    def with_sandbox(database_url: str, **extra: str) -> dict[str, str]:
        return plain_env(database_url, COMPTOIR_PAYMENTS_PROVIDER_URL=provider, **extra)

    processes.comptoir_env = with_sandbox
    try:
        server, proc = browser._start_live_server(tmp)
    finally:
        processes.comptoir_env = plain_env
    hooks = f"{server.url}/v1/payments/providers/sandbox/events"
    sandbox = processes.start(
        ["payments", "sandbox", "--port", str(sandbox_port), "--webhook-url", hooks],
        plain_env(server.db_url),
        tmp / "sandbox.log",
    )
    try:
        _wait_for(f"{provider}/healthz", sandbox, tmp / "sandbox.log")
        yield server
    finally:
        processes.stop(sandbox)
        processes.stop(proc)
        server.db.dispose()
        drop_database(server.db_url)


def _wait_for(url: str, proc: Any, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if proc.poll() is not None:
            break
        time.sleep(0.2)
    raise RuntimeError(log.read_text()[-2000:])


WORDS = {
    "fr": {
        "query": "robe",
        "search": "Rechercher",
        "see": "Voir les magasins",
        "add": "Ajouter au panier",
        "checkout": "Commander",
        "collect": "Retrait en magasin",
        "place": "Valider la commande",
        "thanks": "Merci pour votre commande",
        "confirmed": "est confirmée",
        "create": "Créer mon compte",
        "sign_in": "Se connecter",
        "hello": "Bonjour Inès",
    },
    "en": {
        "query": "dress",
        "search": "Search",
        "see": "See the shops",
        "add": "Add to cart",
        "checkout": "Checkout",
        "collect": "Click & collect",
        "place": "Place the order",
        "thanks": "Thank you for your order",
        "confirmed": "is confirmed",
        "create": "Create my account",
        "sign_in": "Sign in",
        "hello": "Hello Inès",
    },
}


PASSWORD = "une phrase de passe longue"
ORDER_NUMBER = re.compile(r"CMD-[0-9A-Z]{8}")


def sign_up_and_in(page: Any, words: dict[str, str], email: str) -> None:
    """Through the pages, as the shopper does (the account journey checks these pages themselves)."""
    page.goto("/shop/sign-up")
    page.fill("#given_name", "Inès")
    page.fill("#family_name", "Parcours")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name=words["create"]).click()
    page.goto("/shop/sign-in")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.locator("main form").get_by_role("button", name=words["sign_in"]).click()
    assert page.url.endswith("/shop/account"), page.inner_text("main")
    assert words["hello"] in page.inner_text("h1")


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_search_check_stock_near_me_and_collect_with_3d_secure(
    new_page: Callable[..., Any], check_page: Callable[..., Path], lang: str
) -> None:
    words = WORDS[lang]
    page = new_page(lang, "phone")
    email = f"journey-{lang}.{uuid.uuid4().hex[:8]}@exemple.fr"
    sign_up_and_in(page, words, email)
    page.goto("/shop")
    check_page(page, "shop-home")
    with page.expect_navigation():
        page.locator(".chips a[href^='/shop/c/']").first.click()
    check_page(page, "shop-category")

    # searches
    page.fill("#shop-q", words["query"])
    with page.expect_navigation():
        page.get_by_role("button", name=words["search"], exact=True).click()
    assert "/shop/search" in page.url
    check_page(page, "shop-search")

    # opens a product and picks a colour and a size
    with page.expect_navigation():
        page.locator(".product-card .product-name a").first.click()
    assert "/shop/p/" in page.url
    sizes = page.locator("fieldset:has(legend) .chips a")
    with page.expect_navigation():
        sizes.last.click()
    check_page(page, "shop-product")

    # checks the stock near a Paris postcode
    page.fill("#f-postcode", "75001")
    page.get_by_role("button", name=words["see"]).click()
    page.wait_for_selector("#near li")
    assert "km" in page.inner_text("#near")
    check_page(page, "shop-product-near")

    # into the cart, then to the checkout
    with page.expect_navigation():
        page.get_by_role("button", name=words["add"]).click()
    assert page.url.endswith("/shop/cart")
    check_page(page, "shop-cart")
    with page.expect_navigation():
        page.get_by_role("link", name=words["checkout"], exact=True).click()
    check_page(page, "shop-checkout")

    # click & collect at Paris Rivoli, paid with a card that needs 3-D Secure
    page.get_by_label(re.compile(re.escape(words["collect"]))).check()
    page.select_option("#f-pickup_place_id", "st_paris_rivoli")
    page.fill("#f-email", email)
    page.select_option("#f-card", "tok_3ds")
    with page.expect_navigation():
        page.get_by_role("button", name=words["place"]).click()
    assert "/shop/checkout/pay/" in page.url, page.inner_text("main")
    check_page(page, "shop-pay")

    # the bank's challenge, in the page
    page.frame_locator("iframe.challenge").get_by_role("button", name="Authenticate").click()
    page.wait_for_url(re.compile(r"/shop/checkout/done/"), timeout=30_000)
    text = page.inner_text("main")
    assert words["thanks"] in text and words["confirmed"] in text
    assert "Comptoir Paris Rivoli" in text
    check_page(page, "shop-confirmation")
    number = ORDER_NUMBER.search(text)
    assert number is not None, text

    # the order is in the account: listed by its number, then its detail
    page.goto("/shop/account/orders")
    assert number.group() in page.inner_text("main")
    check_page(page, f"shop-account-orders-{lang}")
    with page.expect_navigation():
        page.get_by_role("link", name=number.group()).first.click()
    assert "/shop/account/orders/" in page.url
    detail = page.inner_text("main")
    assert number.group() in detail and "Comptoir Paris Rivoli" in detail
    check_page(page, f"shop-account-order-{lang}")


def test_the_shop_fits_a_larger_window(new_page: Callable[..., Any], check_page: Callable[..., Path]) -> None:
    page = new_page("en", "tablet")
    for url, name in (
        ("/shop", "shop-home"),
        ("/shop/search?q=dress", "shop-search"),
        ("/shop/c/femme", "shop-category"),
    ):
        page.goto(url)
        check_page(page, name)
    with page.expect_navigation():
        page.locator(".product-card .product-name a").first.click()
    check_page(page, "shop-product")


def test_scan_and_go_paid_with_a_card_that_needs_3d_secure(
    live_server: browser.LiveServer, new_page: Callable[..., Any], check_page: Callable[..., Path]
) -> None:
    from tests.storefront.test_scan_go_journey import SHOP, item_in_stock

    _, gtin = item_in_stock(live_server, set())
    # a shopper at Rivoli types the item's barcode, then pays with a card whose bank asks to confirm
    page = new_page("fr", "phone")
    page.goto(f"/shop/scan/{SHOP}")
    page.fill("#gtin", gtin)
    with page.expect_navigation():
        page.click("#scan-form [type=submit]")
    assert page.locator("#scan-lines li").count() == 1
    page.select_option("#card_token", "tok_3ds")
    with page.expect_navigation():
        page.click("#pay-form [type=submit]")
    # the bank's challenge in the page, the sale waiting for it (its stock held, nothing taken yet)
    assert page.url.endswith(f"/shop/scan/{SHOP}/payment"), page.inner_text("main")
    assert "Confirmez votre paiement" in page.inner_text("main")
    check_page(page, "scan-go-payment")
    # back on the scan page meanwhile: the waiting payment, a link to it, nothing to scan
    page.goto(f"/shop/scan/{SHOP}")
    assert "attend la confirmation de votre banque" in page.inner_text("#scan-waiting")
    assert page.locator("#scan-form").count() == 0
    check_page(page, "scan-go-waiting")
    with page.expect_navigation():
        page.click("#scan-waiting a")
    assert page.url.endswith(f"/shop/scan/{SHOP}/payment")
    page.frame_locator("iframe.challenge").get_by_role("button", name="Authenticate").click()
    # once the bank has confirmed and the sale is settled, the page shows the exit pass
    page.wait_for_url(re.compile(rf"/shop/scan/{SHOP}/pass$"), timeout=30_000)
    assert "1 article dans votre sac" in page.inner_text("main")
    assert (page.text_content("#exit-pass-token") or "").strip()
    check_page(page, "scan-go-pass-after-3ds")
