"""Scan & go pages: a shopper in Rivoli scans barcodes into the shop's cart, pays by card in the page and
gets an exit pass; refusals (unknown barcode, no stock, declined card) are shown in the page's language."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient

from comptoir.carts import service as carts
from comptoir.catalog import service as catalog
from comptoir.core.db import Database
from comptoir.core.settings import Settings
from comptoir.core.uow import UnitOfWork
from comptoir.core.web import ANON_CSRF_COOKIE
from comptoir.orders import service as orders
from comptoir.payments.providers.sandbox import embedded_sandbox
from comptoir.storefront.session import SHOPPER_COOKIE
from tests.orders.conftest import LIN_S, RIVOLI, customer_token, marie, stocked  # noqa: F401 (fixtures)
from tests.orders.conftest import shop as shop
from tests.storefront.conftest import deliver_sandbox_events


def gtin_of(db: Database, sku: str) -> str:
    with UnitOfWork(db, read_only=True) as uow:
        gtin = catalog.get_variants(uow, [sku])[sku].gtin
    assert gtin is not None
    return gtin


def open_scan(client: TestClient, lang: str = "en") -> Any:
    page = client.get(f"/shop/scan/{RIVOLI}?lang={lang}")
    assert page.status_code == 200, page.text
    client.headers["X-CSRF-Token"] = client.cookies[ANON_CSRF_COOKIE]
    return page


def scan(client: TestClient, gtin: str) -> Any:
    return client.post(f"/shop/scan/{RIVOLI}/items", data={"gtin": gtin})


def test_scan_pay_and_get_the_exit_pass(client: TestClient, stocked: Database) -> None:  # noqa: F811
    # given a shopper at Rivoli's entrance
    page = open_scan(client)
    assert "Rivoli" in page.text and "Nothing scanned yet." in page.text
    # when they scan a linen dress twice
    for gtin in (gtin_of(stocked, LIN_S), gtin_of(stocked, LIN_S)):
        assert scan(client, gtin).status_code == 200
    page = client.get(f"/shop/scan/{RIVOLI}")
    # then the basket shows names and the shop's prices, never SKU codes
    assert LIN_S not in page.text and "ROBE-LIN" not in page.text
    assert "119.80" in page.text.replace(",", ".").replace("\u202f", "").replace("\xa0", "")
    # when they pay by card
    paid = client.post(f"/shop/scan/{RIVOLI}/pay", data={"card_token": "tok_visa"})
    # then the exit pass shows a QR code and the two items
    assert paid.status_code == 200, paid.text
    assert paid.url.path == f"/shop/scan/{RIVOLI}/pass"
    assert "<svg" in paid.text and "2 items in your bag" in paid.text
    with UnitOfWork(stocked, read_only=True) as uow:
        [sale] = orders.list_orders(uow, channel=f"store:{RIVOLI}")
    assert (sale.mode, sale.status, sale.payment_status, sale.items) == ("store_sale", "completed", "paid", 2)
    assert sale.number in paid.text


def test_refusals_in_french(client: TestClient, stocked: Database) -> None:  # noqa: F811
    open_scan(client, "fr")
    unknown = scan(client, "4006381333931")
    assert unknown.status_code == 422
    assert "Aucun article ne porte le code-barres 4006381333931" in unknown.text
    assert scan(client, "abc").status_code == 422
    lin = gtin_of(stocked, LIN_S)
    assert scan(client, lin).status_code == 200
    assert scan(client, lin).status_code == 200
    no_more = scan(client, lin)  # Rivoli holds two
    assert no_more.status_code == 422 and "stock" in no_more.text
    declined = client.post(f"/shop/scan/{RIVOLI}/pay", data={"card_token": "tok_declined"})
    assert declined.status_code == 422 and "refusée" in declined.text
    # the basket is still there, unpaid: no pass yet
    assert client.get(f"/shop/scan/{RIVOLI}/pass").status_code == 404


def test_a_3d_secure_card_is_confirmed_in_the_page_then_the_pass(
    client: TestClient,
    stocked: Database,  # noqa: F811
    dispatcher: Any,
) -> None:
    # given a shopper at Rivoli with a linen dress in the basket
    open_scan(client)
    assert scan(client, gtin_of(stocked, LIN_S)).status_code == 200
    # when they pay with a card whose bank asks for 3-D Secure
    placed = client.post(f"/shop/scan/{RIVOLI}/pay", data={"card_token": "tok_3ds"}, follow_redirects=False)
    assert placed.status_code == 303 and placed.headers["location"] == f"/shop/scan/{RIVOLI}/payment"
    # then the page shows the bank's challenge and waits; no pass yet
    paying = client.get(f"/shop/scan/{RIVOLI}/payment?lang=en")
    assert paying.status_code == 200 and "Confirm your payment" in paying.text
    reference = _challenge(paying.text)
    waiting = client.get(f"/shop/scan/{RIVOLI}/payment/status", headers={"HX-Request": "true"})
    assert "Waiting for your bank" in waiting.text
    assert f'hx-get="/shop/scan/{RIVOLI}/payment/status"' in waiting.text
    no_pass = client.get(f"/shop/scan/{RIVOLI}/pass", follow_redirects=False)
    assert no_pass.headers["location"] == f"/shop/scan/{RIVOLI}/payment"
    # the bank sends the shopper back here (the return address given with the card)
    back = client.get(f"/shop/scan/{RIVOLI}/return", follow_redirects=False)
    assert back.headers["location"] == f"/shop/scan/{RIVOLI}/payment"
    # when they confirm in the bank's frame and the sale is settled
    _bank(reference, "success")
    deliver_sandbox_events(client)
    dispatcher.drain()
    # then the page leads to the exit pass of the paid sale
    done = client.get(f"/shop/scan/{RIVOLI}/payment/status", headers={"HX-Request": "true"})
    assert done.headers["HX-Redirect"] == f"/shop/scan/{RIVOLI}/pass"
    exit_pass = client.get(f"/shop/scan/{RIVOLI}/pass?lang=en")
    assert (
        exit_pass.status_code == 200 and "<svg" in exit_pass.text and "1 item in your bag" in exit_pass.text
    )
    with UnitOfWork(stocked, read_only=True) as uow:
        [sale] = orders.list_orders(uow, channel=f"store:{RIVOLI}")
    assert (sale.status, sale.payment_status) == ("completed", "paid")


def test_a_refused_3d_secure_brings_the_basket_back_in_french(
    client: TestClient,
    stocked: Database,  # noqa: F811
    dispatcher: Any,
) -> None:
    open_scan(client, "fr")
    assert scan(client, gtin_of(stocked, LIN_S)).status_code == 200
    paying = client.post(f"/shop/scan/{RIVOLI}/pay", data={"card_token": "tok_3ds"})
    assert paying.status_code == 200 and "Confirmez votre paiement" in paying.text, paying.text
    # the shopper fails the bank's challenge: the sale is cancelled
    _bank(_challenge(paying.text), "failure")
    deliver_sandbox_events(client)
    dispatcher.drain()
    failed = client.get(f"/shop/scan/{RIVOLI}/payment/status", headers={"HX-Request": "true"})
    assert failed.headers["HX-Redirect"] == f"/shop/scan/{RIVOLI}/unpaid"
    # back to the basket, the same items, told why; nothing charged, no pass
    basket = client.get(f"/shop/scan/{RIVOLI}/unpaid")
    assert basket.status_code == 200 and "Votre banque n’a pas confirmé le paiement" in basket.text
    assert 'id="scan-lines"' in basket.text
    assert client.get(f"/shop/scan/{RIVOLI}/pass").status_code == 404
    with UnitOfWork(stocked, read_only=True) as uow:
        [sale] = orders.list_orders(uow, channel=f"store:{RIVOLI}")
    assert (sale.status, sale.payment_status) == ("cancelled", "voided")
    # and the basket can be paid again, with another card
    paid = client.post(f"/shop/scan/{RIVOLI}/pay", data={"card_token": "tok_visa"})
    assert paid.status_code == 200 and paid.url.path == f"/shop/scan/{RIVOLI}/pass"


def _challenge(page: str) -> str:
    """The sandbox intent named in the bank's frame of the payment page."""
    found = re.search(r'<iframe class="challenge" src="http://sandbox\.invalid/3ds/([^"/?]+)', page)
    assert found is not None, page
    return found.group(1)


def _bank(reference: str, outcome: str) -> None:
    sandbox = embedded_sandbox()
    assert sandbox is not None
    sandbox.authenticate(reference, outcome)


def test_quantities_and_removal(client: TestClient, stocked: Database) -> None:  # noqa: F811
    open_scan(client)
    scan(client, gtin_of(stocked, LIN_S))
    page = client.get(f"/shop/scan/{RIVOLI}")
    line_id = page.text.split(f"/shop/scan/{RIVOLI}/lines/")[1].split('"')[0]
    too_many = client.post(f"/shop/scan/{RIVOLI}/lines/{line_id}", data={"quantity": "5"})
    assert too_many.status_code == 422
    assert client.post(f"/shop/scan/{RIVOLI}/lines/{line_id}", data={"quantity": "2"}).status_code == 200
    assert client.post(f"/shop/scan/{RIVOLI}/lines/{line_id}", data={"quantity": "0"}).status_code == 200
    assert "Nothing scanned yet." in client.get(f"/shop/scan/{RIVOLI}").text


def test_unknown_or_closed_shop(client: TestClient, stocked: Database) -> None:  # noqa: F811
    page = client.get("/shop/scan/st_nowhere?lang=en")
    assert page.status_code == 404 and "does not offer scan & go" in page.text


def test_a_signed_in_shoppers_sale_is_theirs_and_their_web_cart_untouched(
    client: TestClient,
    stocked: Database,  # noqa: F811
    marie: str,  # noqa: F811
    settings: Settings,
) -> None:
    client.cookies.set(SHOPPER_COOKIE, customer_token(settings, marie))
    open_scan(client)
    assert scan(client, gtin_of(stocked, LIN_S)).status_code == 200
    paid = client.post(f"/shop/scan/{RIVOLI}/pay", data={"card_token": "tok_visa"})
    assert paid.status_code == 200 and "1 item in your bag" in paid.text
    with UnitOfWork(stocked, read_only=True) as uow:
        [sale] = orders.list_orders(uow, customer_id=marie)
        assert carts.current_cart(uow, marie) is None  # the scan & go cart never was her web cart
    assert sale.mode == "store_sale" and sale.channel == f"store:{RIVOLI}"
    # back on the scan page, the pass is one tap away
    assert "Show my exit pass" in client.get(f"/shop/scan/{RIVOLI}").text


def test_scanning_again_while_the_bank_answers_keeps_the_payment(
    client: TestClient,
    stocked: Database,  # noqa: F811
    dispatcher: Any,
) -> None:
    # given a shopper whose 3-D Secure payment waits for the bank
    open_scan(client)
    assert scan(client, gtin_of(stocked, LIN_S)).status_code == 200
    line_id = client.get(f"/shop/scan/{RIVOLI}").text.split(f"/shop/scan/{RIVOLI}/lines/")[1].split('"')[0]
    paying = client.post(f"/shop/scan/{RIVOLI}/pay", data={"card_token": "tok_3ds"})
    reference = _challenge(paying.text)
    # when they come back to the scan page: the waiting payment, one tap away; nothing to scan or pay
    page = client.get(f"/shop/scan/{RIVOLI}")
    assert page.status_code == 200 and "is waiting for your bank" in page.text
    assert f'href="/shop/scan/{RIVOLI}/payment"' in page.text
    assert 'id="scan-form"' not in page.text and 'id="pay-form"' not in page.text
    # when they scan, change a line or pay anyway: refused with the same notice, no new basket started
    for refused in (
        scan(client, gtin_of(stocked, LIN_S)),
        client.post(f"/shop/scan/{RIVOLI}/lines/{line_id}", data={"quantity": "2"}),
        client.post(f"/shop/scan/{RIVOLI}/pay", data={"card_token": "tok_visa"}),
    ):
        assert refused.status_code == 409 and "is waiting for your bank" in refused.text
    assert client.get(f"/shop/scan/{RIVOLI}/payment").status_code == 200
    with UnitOfWork(stocked, read_only=True) as uow:
        [sale] = orders.list_orders(uow, channel=f"store:{RIVOLI}")
    assert (sale.status, sale.items) == ("placed", 1)
    # when the bank confirms: the pass of that sale, and the scan page is a scan page again
    _bank(reference, "success")
    deliver_sandbox_events(client)
    dispatcher.drain()
    assert "1 item in your bag" in client.get(f"/shop/scan/{RIVOLI}/pass").text
    page = client.get(f"/shop/scan/{RIVOLI}")
    assert "Show my exit pass" in page.text and 'id="scan-form"' in page.text
    assert "is waiting for your bank" not in page.text


def test_after_a_refusal_scanning_again_brings_the_basket_back_in_french(
    client: TestClient,
    stocked: Database,  # noqa: F811
    dispatcher: Any,
) -> None:
    open_scan(client, "fr")
    assert scan(client, gtin_of(stocked, LIN_S)).status_code == 200
    paying = client.post(f"/shop/scan/{RIVOLI}/pay", data={"card_token": "tok_3ds"})
    page = client.get(f"/shop/scan/{RIVOLI}")
    assert "attend la confirmation de votre banque" in page.text and "Aller à mon paiement" in page.text
    # the bank refuses while the shopper scans another item: the refused basket comes back first
    _bank(_challenge(paying.text), "failure")
    deliver_sandbox_events(client)
    dispatcher.drain()
    again = scan(client, gtin_of(stocked, LIN_S))
    assert again.status_code == 200 and again.url.path == f"/shop/scan/{RIVOLI}/unpaid"
    assert "Votre banque n’a pas confirmé le paiement" in again.text and 'id="scan-lines"' in again.text
    assert client.get(f"/shop/scan/{RIVOLI}").status_code == 200  # the basket is this session's now
