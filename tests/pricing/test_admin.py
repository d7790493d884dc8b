"""Everything around the engine: demo data, staff page in French, CLI import, vouchers for other
domains, events, the promotion window job, SKU facts kept from the catalogue's events."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select
from typer.testing import CliRunner

from comptoir.catalog import service as catalog
from comptoir.catalog.demo import load_demo as load_catalog_demo
from comptoir.catalog.schemas import ProductPatch
from comptoir.core import clock
from comptoir.core.db import Database
from comptoir.core.models import OutboxEvent
from comptoir.core.uow import UnitOfWork
from comptoir.pricing import handlers, service
from comptoir.pricing.demo import load_demo
from comptoir.pricing.schemas import IssueCouponIn
from tests.conftest import make_key
from tests.pricing.conftest import NOW, D, cart, price, promote
from tests.support.staff import sign_in_pages


def _events(db: Database, event_type: str) -> list[dict[str, object]]:
    with db.reader() as session:
        rows = session.scalars(
            select(OutboxEvent.payload).where(OutboxEvent.type == event_type).order_by(OutboxEvent.seq)
        )
        return [dict(r) for r in rows]


def test_the_demo_has_lists_a_sale_with_omnibus_and_running_promotions(
    db: Database, settings, client
) -> None:  # type: ignore[no-untyped-def]
    with UnitOfWork(db) as uow:
        load_catalog_demo(uow, settings)
        load_demo(uow, settings)
        load_demo(uow, settings)  # a second load changes nothing
        uow.commit()
    with UnitOfWork(db) as uow:
        codes = [pl.code for pl in service.list_price_lists(uow)]
        running = {p.name for p in service.list_promotions(uow, running_only=True)}
        sale = service.prices_of(uow, "soldes-hiver", None, 10)
        why = service.explain_price(
            uow, sale[0].sku, currency="EUR", channel="web", store_id=None, customer_id=None, at=None
        )
        coupon = service.get_coupon(uow, "bienvenue10")
    assert codes == ["magasins-eur", "soldes-hiver", "web-app-eur"]
    assert {"Semaine du blanc -20 %", "Bienvenue -10 %", "3 coussins pour le prix de 2"} <= running
    assert coupon.max_uses_per_customer == 1
    # the sale price shows the lowest price of the 30 days before it: the short-lived lower price
    assert why.price_list_code == "soldes-hiver" and why.discounted
    assert why.reference_price == sale[0].compare_at - 5
    # and the API returns it, for the SKU and for a cart line
    headers = {"Authorization": f"Bearer {make_key(db, ['pricing:read'], channel='web')}"}
    api = client.get(f"/v1/pricing/prices/{sale[0].sku}", headers=headers).json()
    assert api["reference_price"] == str(why.reference_price) and api["compare_at_price"] == str(
        sale[0].compare_at
    )
    quoted = client.post(
        "/v1/pricing/quote",
        json={"channel": "web", "lines": [{"line_id": "a", "sku": sale[0].sku, "quantity": 1}]},
        headers=headers,
    ).json()
    assert quoted["lines"][0]["reference_price"] == str(why.reference_price)
    # the same SKU is the same price on the web and in a shop
    web = price(db, cart((sale[0].sku, 1)))
    shop = price(db, cart((sale[0].sku, 1), channel="store:st_paris_rivoli"))
    assert web.lines[0].unit_price == shop.lines[0].unit_price == sale[0].amount


def test_staff_page_in_french_and_stopping_a_promotion(client, shop) -> None:  # type: ignore[no-untyped-def]
    pid = promote(shop, name="Robes -20 %", kind="percent_off", params={"percent": "20"}, budget="1000")
    sign_in_pages(client, shop)
    page = client.get("/pages/pricing?lang=fr")
    assert page.status_code == 200
    assert "Promotions et prix" in page.text and "Robes -20 %" in page.text and "Budget consommé" in page.text
    assert "0,00 € / 1 000,00 €" in page.text.replace("\u202f", " ").replace("\xa0", " ")
    refused = client.post(f"/pages/pricing/promotions/{pid}/stop", data={})
    assert "Cochez la case" in refused.text
    stopped = client.post(f"/pages/pricing/promotions/{pid}/stop", data={"confirm": "yes"})
    assert "Promotion arrêtée : Robes -20 %" in stopped.text
    assert _events(shop, "pricing.promotion_ended")[-1]["reason"] == "stopped"


def test_import_prices_from_a_csv_all_or_nothing(
    shop: Database, settings, tmp_path: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    from comptoir.cli import app

    monkeypatch.setenv("COMPTOIR_DATABASE_URL", shop.url)
    from comptoir.core.settings import get_settings

    get_settings.cache_clear() if hasattr(get_settings, "cache_clear") else None
    good = tmp_path / "prices.csv"
    good.write_text(
        "price_list;sku;amount;compare_at\nbase-eur;ROBE-S;49,90;59,90\nbase-eur;TOTE;;\n", encoding="utf-8"
    )
    result = CliRunner().invoke(app, ["import", "prices", str(good)])
    assert result.exit_code == 0, result.output
    assert "base-eur: 1 changed, 0 unchanged, 1 removed" in result.output
    bad = tmp_path / "bad.csv"
    bad.write_text("price_list,sku,amount\nbase-eur,ROBE-M,12.00\nbase-eur,ROBE-S,-3\n", encoding="utf-8")
    refused = CliRunner().invoke(app, ["import", "prices", str(bad)])
    assert refused.exit_code == 2
    with UnitOfWork(shop) as uow:
        prices = {
            p.sku: p.amount for p in service.prices_of(uow, "base-eur", ["ROBE-S", "ROBE-M", "TOTE"], 10)
        }
    assert prices == {"ROBE-S": D("49.90"), "ROBE-M": D("59.90")}
    explained = CliRunner().invoke(app, ["pricing", "price", "ROBE-S"])
    assert explained.exit_code == 0, explained.output
    assert "ROBE-S 49.90 EUR (HT 41.58, TVA 20 %)" in explained.output
    assert "Omnibus reference (lowest of the 30 days before the reduction): 59.90" in explained.output
    promote(shop, name="Soldes", kind="percent_off", params={"percent": "10"}, budget="100")
    listed = CliRunner().invoke(app, ["pricing", "promotions"])
    assert "budget 0.00/100.00" in listed.output and "Soldes" in listed.output
    changed = _events(shop, "pricing.price_changed")
    assert {"sku": "ROBE-S", "old_amount": "59.90", "new_amount": "49.90"}.items() <= changed[-2].items()


def test_issued_voucher_is_personal_single_use_and_idempotent(shop: Database) -> None:
    cmd = IssueCouponIn(
        customer_id="cus_a", amount=Decimal("15"), label="Bon fidélité 15 €", reference="loy-1"
    )
    with UnitOfWork(shop) as uow:
        first = service.issue_coupon(uow, cmd)
        again = service.issue_coupon(uow, cmd)
        uow.commit()
    assert first.code == again.code and first.code.startswith("V-") and first.max_uses == 1
    mine = price(shop, cart(("TSHIRT-M", 1), coupons=[first.code], customer_id="cus_a"))
    assert [(a.kind, a.amount, a.label) for a in mine.cart_adjustments] == [
        ("voucher", D("-15.00"), "Bon fidélité 15 €")
    ]
    assert mine.total == D("4.90")
    theirs = price(shop, cart(("TSHIRT-M", 1), coupons=[first.code], customer_id="cus_b"))
    assert [r.reason for r in theirs.rejected_coupons] == ["not_for_customer"]
    with UnitOfWork(shop) as uow:
        service.commit_promotions(uow, "ord_v", "cus_a", mine)
        uow.commit()
    used = price(shop, cart(("TSHIRT-M", 1), coupons=[first.code], customer_id="cus_a"))
    assert [r.reason for r in used.rejected_coupons] == ["exhausted"]
    with UnitOfWork(shop) as uow:
        assert service.customer_section(uow, "cus_a")["coupons"][0]["status"] == "used"
    assert _events(shop, "pricing.coupon_issued")[0]["reference"] == "loy-1"


def test_promotion_window_job_announces_start_and_end(shop: Database) -> None:
    pid = promote(
        shop,
        name="Week-end",
        kind="percent_off",
        params={"percent": "10"},
        starts_at=(NOW + timedelta(days=1)).isoformat(),
        ends_at=(NOW + timedelta(days=3)).isoformat(),
    )
    assert price(shop, cart(("TSHIRT-M", 1))).discount_total == D("0.00")
    for days, expected in ((2, "pricing.promotion_started"), (4, "pricing.promotion_ended")):
        clock.set_clock(lambda days=days: NOW + timedelta(days=days))
        with UnitOfWork(shop) as uow:
            assert service.announce_windows(uow) == 1
            assert service.announce_windows(uow) == 0
            uow.commit()
        assert _events(shop, expected)[-1]["promotion_id"] == pid
    clock.set_clock(lambda: NOW + timedelta(days=2))
    assert price(shop, cart(("TSHIRT-M", 1))).discount_total == D("-1.99")


def test_sku_facts_follow_the_catalogue(shop: Database) -> None:
    # given a category promotion on "home" and the tote in "home"
    with UnitOfWork(shop) as uow:
        home = catalog.get_category(uow, "home").id
        books = catalog.get_category(uow, "books").id
    promote(shop, name="Maison -50 %", kind="percent_off", params={"percent": "50", "category_ids": [home]})
    assert price(shop, cart(("TOTE", 1))).total == D("4.50")
    # when the tote moves to books (a reduced VAT class product family) and the event is handled
    with UnitOfWork(shop) as uow:
        product = catalog.get_product(uow, "TOTE")
        catalog.update_product(uow, product.id, ProductPatch(category="books", tax_class="super_reduced"))
        event = next(e for e in reversed(uow.pending_events) if e.event_type == "catalog.product_updated")
        handlers.product_updated(uow, event)  # type: ignore[arg-type]
        uow.commit()
    # then the promotion no longer applies and the VAT rate follows
    moved = price(shop, cart(("TOTE", 1)))
    assert (moved.total, moved.lines[0].vat_rate) == (D("9.00"), D("2.1"))
    assert books


def test_a_customer_sees_their_vouchers_through_the_api(client, shop) -> None:  # type: ignore[no-untyped-def]
    with UnitOfWork(shop) as uow:
        service.issue_coupon(
            uow,
            IssueCouponIn(customer_id="cus_a", amount=Decimal("10"), label="Avoir retour", reference="ret-1"),
        )
        uow.commit()
    headers = {"Authorization": f"Bearer {make_key(shop, ['pricing:read'], channel='store:st_lyon')}"}
    listed = client.get("/v1/pricing/coupons", params={"customer_id": "cus_a"}, headers=headers).json()
    assert [(c["label"], c["amount"], c["status"]) for c in listed] == [("Avoir retour", "10.00", "active")]
    assert client.get("/v1/pricing/coupons", params={"customer_id": "cus_b"}, headers=headers).json() == []
