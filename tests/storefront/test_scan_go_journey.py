"""Scan & go end to end in Chromium, in French and English: a shopper at Paris Rivoli films an item's
EAN-13 with the phone's camera, pays in the page with the card sandbox and gets an exit pass; at the door a
seller's tablet films the pass's QR code and lets the bag through once — a second check (the code typed,
the door's fallback) says it was already used. Each page is checked at its size (phone for the shopper,
tablet for the seller)."""

from __future__ import annotations

from typing import Any

import pytest

from comptoir.catalog import service as catalog
from comptoir.core.errors import Problem
from comptoir.core.uow import UnitOfWork
from comptoir.inventory import service as inventory
from comptoir.pricing import service as pricing
from comptoir.pricing.schemas import CartLineIn, PriceCartIn

SHOP = "st_paris_rivoli"
TEXT = {
    "fr": {
        "valid": "Valide : le client peut sortir",
        "used": "Déjà utilisé",
        "bag": "1 article dans votre sac",
    },
    "en": {"valid": "Valid: the shopper may leave", "used": "Already used", "bag": "1 item in your bag"},
}


def item_in_stock(live_server: Any, skip: set[str]) -> tuple[str, str]:
    """(SKU, GTIN) of a sellable, priced item with stock at the shop (from the demo retailer)."""
    with UnitOfWork(live_server.db, read_only=True) as uow:
        rows = [r for r in inventory.place_stock(uow, SHOP, limit=200) if r.available >= 2]
        variants = catalog.get_variants(uow, [r.sku for r in rows])
        for row in rows:
            v = variants.get(row.sku)
            if v is None or not v.gtin or not v.sellable or row.sku in skip:
                continue
            try:
                pricing.price_cart(
                    uow,
                    PriceCartIn(
                        currency="EUR",
                        channel=f"store:{SHOP}",
                        store_id=SHOP,
                        lines=[CartLineIn(line_id="l1", sku=row.sku, quantity=1)],
                    ),
                )
            except Problem:  # not priced in this shop: try the next one
                continue
            return row.sku, v.gtin
    raise AssertionError(f"no priced item with a barcode in stock at {SHOP}")


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_scan_and_go_from_the_shelf_to_the_door(
    live_server: Any,
    new_page: Any,
    chromium_with_camera: Any,
    fake_camera: Any,
    check_page: Any,
    perf_budget: Any,
    lang: str,
) -> None:
    used: set[str] = set()
    sku, gtin = item_in_stock(live_server, used)
    used.add(sku)
    # the shopper opens the shop's scan & go page on their phone and films the item's barcode
    shopper = new_page(lang, "phone", browser=chromium_with_camera(fake_camera(gtin)))
    shopper.goto(f"/shop/scan/{SHOP}")
    check_page(shopper, "scan-go-start")
    if lang == "fr":
        perf_budget(shopper, f"/shop/scan/{SHOP}").assert_within_budget()
    with shopper.expect_navigation(timeout=60_000):
        shopper.click("#scan-form [data-scanner-start]")
    assert shopper.locator("#scan-lines li").count() == 1
    check_page(shopper, "scan-go-basket")
    # they pay with the sandbox's Visa card
    shopper.select_option("#card_token", "tok_visa")
    with shopper.expect_navigation():
        shopper.click("#pay-form [type=submit]")
    assert shopper.url.endswith(f"/shop/scan/{SHOP}/pass")
    assert TEXT[lang]["bag"] in shopper.inner_text("main")
    check_page(shopper, "scan-go-pass")
    token = (shopper.text_content("#exit-pass-token") or "").strip()
    assert token
    # at the door, a seller of the shop films the pass's QR code with the tablet
    door = new_page(
        lang, "tablet", role="seller", shops=[SHOP], browser=chromium_with_camera(fake_camera(token, "qr"))
    )
    errors: list[str] = []
    door.on("pageerror", lambda error: errors.append(str(error)))
    door.goto("/seller/exit")
    check_page(door, "exit-check")
    with door.expect_navigation(timeout=60_000):
        door.click("#exit-form [data-scanner-start]")
    assert errors == []
    verdict = door.inner_text("#verdict")
    assert TEXT[lang]["valid"] in verdict
    check_page(door, "exit-check-valid")
    # the item paid for is shown with its photo, to compare with the bag
    photo = door.locator("#verdict .exit-items img").first
    photo.scroll_into_view_if_needed()
    door.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=photo.element_handle())
    # the same pass shown again, its code typed this time (the door's fallback): already used, by whom
    # and when
    door.fill("#token", token)
    with door.expect_navigation():
        door.click("#exit-form [type=submit]")
    assert TEXT[lang]["used"] in door.inner_text("#verdict")
    check_page(door, "exit-check-used")
    if lang == "fr":  # measured once the camera is done with (a second context of this browser)
        perf_budget(door, "/seller/exit").assert_within_budget()
