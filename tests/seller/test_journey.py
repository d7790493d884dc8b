"""The seller's journey in Chromium, in French and in English: sign in, find the customer as you type,
open the 360° view (with the customer's wishlist) and leave a note for the colleagues, build the cart by scanning a barcode with the tablet's camera (a fake camera feed),
and sell in the shop with the e-receipt sent — each page checked at 1024×768 and 768×1024."""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from comptoir.carts import service as carts
from comptoir.core.dispatcher import Dispatcher, dispatcher_config
from comptoir.core.settings import Settings
from comptoir.core.uow import UnitOfWork
from comptoir.customers import service as customers
from comptoir.customers.schemas import CustomerRecord
from comptoir.domains import build_bus
from tests.support.browser import SECRET_KEY

SHOP = "st_paris_rivoli"
NOTE_BUTTON = {"fr": "Ajouter la note", "en": "Add the note"}


def a_product_sold_here(db: Any) -> tuple[str, str]:
    """(SKU, GTIN) of a variant published for shops, priced, with units free in the shop."""
    with UnitOfWork(db) as uow:
        row = uow.session.execute(
            text(
                "select v.sku, v.gtin from catalog_variants v"
                " join inventory_stock s on s.sku = v.sku and s.place_id = :shop"
                " join pricing_prices p on p.sku = v.sku"
                " join catalog_publications pub on pub.product_id = v.product_id and pub.channel = 'store'"
                " where v.gtin is not null and s.on_hand - s.reserved - s.safety_stock >= 2"
                " order by v.sku limit 1"
            ),
            {"shop": SHOP},
        ).one()
    return row.sku, row.gtin


def sent_receipt(live_server: Any, order_id: str, mail_dir: Any) -> Any:
    """The sale's receipt once issued and sent. The server's dispatcher does it after the sale's commit,
    behind the demo's backlog of events; a worker in this process shares the work (as ``comptoir worker``
    processes do) so the test does not wait for the whole backlog."""
    settings = Settings(
        env="test",
        database_url=live_server.db_url,
        secret_key=SECRET_KEY,
        dispatcher="off",
        mail_url=f"file://{mail_dir}",
    )
    worker = Dispatcher(live_server.db, build_bus(settings), dispatcher_config(settings))
    db = live_server.db
    deadline = time.monotonic() + 300
    while True:
        idle = worker.run_once() == 0
        with UnitOfWork(db) as uow:
            row = uow.session.execute(
                text("select number, email, send_status from receipts_receipts where order_id = :o"),
                {"o": order_id},
            ).first()
        if row is not None and row.send_status == "sent":
            return row
        if time.monotonic() > deadline:
            raise AssertionError(f"no receipt sent for order {order_id}: {row}")
        if idle:
            time.sleep(0.2)


def a_customer(db: Any) -> tuple[str, str]:
    family = "Journey" + uuid.uuid4().hex[:6].capitalize()
    with UnitOfWork(db) as uow:
        out = customers.ingest(
            uow,
            "pos",
            CustomerRecord(given_name="Héloïse", family_name=family, email=f"{family.lower()}@example.fr"),
        )
        uow.commit()
    return out.customer_id, family


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_a_seller_sells_in_the_shop_with_the_e_receipt(
    lang: str,
    live_server: Any,
    new_page: Any,
    check_page: Any,
    fake_camera: Any,
    chromium_with_camera: Any,
    tmp_path: Path,
) -> None:
    sku, gtin = a_product_sold_here(live_server.db)
    customer_id, family = a_customer(live_server.db)
    with UnitOfWork(live_server.db) as uow:
        carts.add_to_wishlist(uow, customer_id, sku)
        uow.commit()
    camera = chromium_with_camera(fake_camera(gtin))
    for viewport in ("tablet-portrait", "tablet"):
        page = new_page(lang, viewport, role="seller", shops=[SHOP])
        page.goto("/seller")
        check_page(page, f"seller-today-{lang}-{viewport}")
        page.goto("/seller/customers")
        page.fill("#q", family)
        page.wait_for_selector(f"#results a[href='/seller/customers/{customer_id}']")
        check_page(page, f"seller-find-{lang}-{viewport}")
        page.click(f"#results a[href='/seller/customers/{customer_id}']")
        page.wait_for_url(f"**/seller/customers/{customer_id}")
        check_page(page, f"seller-360-{lang}-{viewport}")
        wished = page.locator("#wishlist + ul li")
        assert wished.count() == 1 and sku not in wished.inner_text() and "€" in wished.inner_text()
        assert wished.locator("img[src^='/seller/media/']").count() == 1  # the photo, as the app serves it
        note = f"Préfère être appelée le matin ({viewport})"
        page.fill("#notes textarea[name=body]", note)
        page.locator("#notes").get_by_role("button", name=NOTE_BUTTON[lang]).click()
        page.wait_for_selector(f"#notes li:has-text('{note}')")
        check_page(page, f"seller-360-note-{lang}-{viewport}")
    page = new_page(lang, "tablet", role="seller", shops=[SHOP], browser=camera)
    page.goto(f"/seller/cart?customer_id={customer_id}")
    check_page(page, f"seller-cart-empty-{lang}")
    page.click("[data-scanner-start]")
    page.wait_for_selector("form[action$='/checkout']", timeout=30_000)
    check_page(page, f"seller-cart-{lang}")
    page.set_viewport_size({"width": 768, "height": 1024})
    check_page(page, f"seller-cart-portrait-{lang}")
    with page.expect_navigation():
        page.click("form:has(input[value='store_sale']) button[type=submit]")
    assert "/seller/orders/" in page.url
    check_page(page, f"seller-sale-{lang}")
    order_id = page.url.split("/seller/orders/")[1].split("?")[0]
    receipt = sent_receipt(live_server, order_id, tmp_path / "mail")
    assert receipt.email == f"{family.lower()}@example.fr"
    with UnitOfWork(live_server.db) as uow:
        lines = uow.session.execute(
            text("select sku, quantity from orders_lines where order_id = :o"), {"o": order_id}
        ).all()
    assert [(r.sku, r.quantity) for r in lines] == [(sku, 1)]
    page.reload()
    assert receipt.number in page.inner_text("main")
    check_page(page, f"seller-sale-receipt-{lang}")


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_every_seller_page_holds_on_a_tablet(lang: str, new_page: Any, check_page: Any) -> None:
    """The seller app's example pages (tests/pages/urls.py) on the demo, at 1024×768 and 768×1024."""
    from tests.pages.urls import EXAMPLES

    urls = ["/seller", "/seller/cart", "/seller/pickups", *EXAMPLES["seller"]]
    for viewport in ("tablet", "tablet-portrait"):
        page = new_page(lang, viewport, role="seller", shops=[SHOP])
        for url in urls:
            response = page.goto(url)
            assert response is not None and response.status == 200, url
            check_page(page, f"seller{url.replace('/', '-')}-{lang}")
