"""Pricing a cart through the service: price lists, VAT, every promotion kind, coupons, Omnibus."""

from __future__ import annotations

from datetime import timedelta

import pytest

from comptoir.core.db import Database
from comptoir.core.errors import Problem
from comptoir.core.uow import UnitOfWork
from comptoir.pricing import catalogue, service
from comptoir.pricing.schemas import PriceListIn, PricesIn
from tests.pricing.conftest import (
    NOW,
    D,
    build_shop,
    cart,
    category_id,
    price,
    pro_list_excluding_tax,
    promote,
)


def test_a_cart_without_promotions_is_priced_from_the_base_list(shop: Database) -> None:
    # given the base list; when a dress, jam and a book are priced
    priced = price(shop, cart(("ROBE-S", 2), ("CONFITURE", 3), ("LIVRE", 1)))
    # then each line is its list price times quantity with its French VAT rate
    assert [(ln.sku, ln.unit_price, ln.vat_rate, ln.total) for ln in priced.lines] == [
        ("ROBE-S", D("59.90"), D("20"), D("119.80")),
        ("CONFITURE", D("4.50"), D("5.5"), D("13.50")),
        ("LIVRE", D("12.00"), D("2.1"), D("12.00")),
    ]
    assert priced.subtotal == D("145.30") and priced.discount_total == D("0.00")
    assert priced.total == D("145.30")
    # VAT contained: 119.80 - 99.83 + 13.50 - 12.80 + 12.00 - 11.75
    assert priced.tax_total == D("19.97") + D("0.70") + D("0.25")
    assert priced.lines[0].unit_price_excl_tax == D("49.92")
    assert all(not ln.adjustments and ln.reference_price is None for ln in priced.lines)


def test_most_specific_list_wins_and_says_which(shop: Database) -> None:
    with UnitOfWork(shop) as uow:
        store = service.create_price_list(
            uow, PriceListIn(code="lyon", name="Lyon", store_ids=["st_lyon"], channels=["store"])
        )
        service.set_prices(
            uow, store.id, PricesIn.model_validate({"prices": [{"sku": "ROBE-S", "amount": "54.90"}]})
        )
        uow.commit()
    in_store = price(shop, cart(("ROBE-S", 1), channel="store:st_lyon"))
    online = price(shop, cart(("ROBE-S", 1)))
    assert (in_store.lines[0].unit_price, in_store.lines[0].price_list_name) == (D("54.90"), "Lyon")
    assert (online.lines[0].unit_price, online.lines[0].price_list_name) == (D("59.90"), "Prix de base")
    with UnitOfWork(shop) as uow:
        why = service.explain_price(
            uow, "ROBE-S", currency="EUR", channel="store:st_lyon", store_id=None, customer_id=None, at=None
        )
    assert why.price_list_code == "lyon" and why.store_id == "st_lyon"
    assert [(c.price_list_code, c.applies, c.chosen) for c in why.candidates] == [
        ("lyon", True, True),
        ("base-eur", True, False),
    ]


def test_a_set_cached_before_a_change_elsewhere_is_never_priced_with(shop: Database) -> None:
    # given this process priced (and cached the price lists) before a web list and a dollar list existed
    assert price(shop, cart(("ROBE-S", 1))).lines[0].unit_price == D("59.90")
    with pytest.raises(Problem):
        price(shop, cart(("ROBE-S", 1), currency="USD"))
    with UnitOfWork(shop) as uow:
        stale = catalogue.cached(uow)
    # when they are created (as by another process: only the version row tells)
    with UnitOfWork(shop) as uow:
        web = service.create_price_list(uow, PriceListIn(code="web", name="Web", channels=["web"]))
        service.set_prices(
            uow, web.id, PricesIn.model_validate({"prices": [{"sku": "ROBE-S", "amount": "49.90"}]})
        )
        usd = service.create_price_list(uow, PriceListIn(code="usd", name="Dollars", currency="USD"))
        service.set_prices(
            uow, usd.id, PricesIn.model_validate({"prices": [{"sku": "ROBE-S", "amount": "65.00"}]})
        )
        uow.commit()
        assert catalogue.cached(uow) is stale
    # then the version read with the prices (or, after a refusal, on its own) has the set loaded again
    assert price(shop, cart(("ROBE-S", 1), currency="USD")).lines[0].unit_price == D("65.00")
    with UnitOfWork(shop) as uow:
        assert catalogue.cached(uow) is not stale
        catalogue._cache[shop.url] = stale  # (the stale set once more, for the other path)
    assert price(shop, cart(("ROBE-S", 1))).lines[0].unit_price == D("49.90")


def test_percent_off_a_category_and_a_cart_discount_are_explained_per_line(shop: Database) -> None:
    women = category_id(shop, "women")
    promote(
        shop,
        name="Femme -20 %",
        kind="percent_off",
        params={"percent": "20", "category_ids": [women]},
        priority=10,
    )
    promote(
        shop,
        name="5 € dès 50 €",
        kind="fixed_off",
        params={"amount": "5.00", "scope": "cart", "min_subtotal": "50"},
    )
    priced = price(shop, cart(("ROBE-S", 1), ("TSHIRT-M", 1), ("COUSSIN", 1)))
    robe, tshirt, coussin = priced.lines
    assert [a.amount for a in robe.adjustments] == [D("-11.98")]
    assert [a.amount for a in tshirt.adjustments] == [D("-3.98")]
    assert coussin.adjustments == []
    assert [(a.kind, a.amount) for a in priced.cart_adjustments] == [("fixed_off", D("-5.00"))]
    # the cart discount is shared in proportion to what each line costs after its own discount
    assert sum(ln.cart_discount_share for ln in priced.lines) == D("-5.00")
    assert priced.discount_total == D("-20.96")
    assert priced.total == D("103.80") - D("20.96")
    assert priced.total == sum(ln.amount_payable for ln in priced.lines)
    # Omnibus: the discounted products carry their reference price (a cart discount reduces no product)
    assert robe.reference_price == D("59.90") and coussin.reference_price is None


def test_buy_two_get_one_gives_the_cheapest_unit(shop: Database) -> None:
    promote(
        shop, name="3 pour 2", kind="buy_x_get_y", params={"buy": 2, "get": 1, "skus": ["ROBE-S", "TSHIRT-M"]}
    )
    priced = price(shop, cart(("ROBE-S", 2), ("TSHIRT-M", 1)))
    assert [a.amount for a in priced.lines[1].adjustments] == [D("-19.90")]
    assert priced.lines[0].adjustments == []
    assert priced.total == D("119.80")


def test_bundle_price(shop: Database) -> None:
    promote(
        shop,
        name="Robe + tote 60 €",
        kind="bundle",
        params={"items": {"ROBE-M": 1, "TOTE": 1}, "price": "60.00"},
    )
    priced = price(shop, cart(("ROBE-M", 1), ("TOTE", 2)))
    assert sum(a.amount for ln in priced.lines for a in ln.adjustments) == D("-8.90")
    assert priced.total == D("77.90") - D("8.90")


def test_spend_threshold_gift_and_free_shipping(shop: Database) -> None:
    promote(
        shop, name="Tote offert dès 100 €", kind="gift", params={"gift_sku": "TOTE", "min_subtotal": "100"}
    )
    promote(shop, name="Livraison offerte", kind="free_shipping", params={"min_subtotal": "50"})
    priced = price(
        shop, cart(("ROBE-S", 2), shipping={"mode": "home_delivery", "method": "standard", "amount": "4.90"})
    )
    assert [(g.sku, g.unit_price, g.total, g.gift) for g in priced.gift_lines] == [
        ("TOTE", D("9.00"), D("0.00"), True)
    ]
    assert priced.shipping_total == D("0.00")
    assert priced.total == D("119.80")
    small = price(
        shop,
        cart(("TSHIRT-M", 1), shipping={"mode": "home_delivery", "method": "standard", "amount": "4.90"}),
    )
    assert small.gift_lines == [] and small.shipping_total == D("4.90") and small.total == D("24.80")


def test_exclusive_promotion_applies_alone(shop: Database) -> None:
    promote(
        shop,
        name="-50 % exclusif",
        kind="percent_off",
        params={"percent": "50"},
        priority=100,
        stacking="exclusive",
    )
    promote(shop, name="-10 %", kind="percent_off", params={"percent": "10"}, priority=1)
    priced = price(shop, cart(("TSHIRT-M", 1)))
    assert [a.label for a in priced.lines[0].adjustments] == ["-50 % exclusif"]


def test_coupon_rules(shop: Database) -> None:
    pid = promote(
        shop,
        name="Bienvenue",
        kind="percent_off",
        params={"percent": "10", "scope": "cart"},
        requires_coupon=True,
    )
    with UnitOfWork(shop) as uow:
        from comptoir.pricing.schemas import CouponIn

        service.create_coupon(uow, pid, CouponIn(code="BIENVENUE10", max_uses_per_customer=1))
        uow.commit()
    anonymous = price(shop, cart(("TSHIRT-M", 1), coupons=["bienvenue10", "NOPE"]))
    assert [(r.code, r.reason) for r in anonymous.rejected_coupons] == [
        ("BIENVENUE10", "customer_required"),
        ("NOPE", "unknown"),
    ]
    known = price(shop, cart(("TSHIRT-M", 1), coupons=["BIENVENUE10"], customer_id="cus_1"))
    assert known.applied_coupons == ["BIENVENUE10"]
    assert [(a.code, a.amount) for a in known.cart_adjustments] == [("BIENVENUE10", D("-1.99"))]
    with UnitOfWork(shop) as uow:
        service.commit_promotions(uow, "ord_1", "cus_1", known)
        service.commit_promotions(uow, "ord_1", "cus_1", known)  # idempotent
        uow.commit()
    again = price(shop, cart(("TSHIRT-M", 1), coupons=["BIENVENUE10"], customer_id="cus_1"))
    assert [(r.code, r.reason) for r in again.rejected_coupons] == [("BIENVENUE10", "used_by_customer")]
    with UnitOfWork(shop) as uow:
        service.release_promotions(uow, "ord_1")
        uow.commit()
    assert price(
        shop, cart(("TSHIRT-M", 1), coupons=["BIENVENUE10"], customer_id="cus_1")
    ).applied_coupons == ["BIENVENUE10"]


def test_sale_price_shows_the_omnibus_reference(db: Database) -> None:
    from comptoir.core import clock

    # given the dress at 59.90 for two months, 49.90 twenty days ago, 54.90 five days ago, 39.90 on sale today
    clock.set_clock(lambda: NOW - timedelta(days=60))
    with UnitOfWork(db) as uow:
        build_shop(uow)
        uow.commit()
    shop = db
    with UnitOfWork(shop) as uow:
        base = service.get_price_list(uow, "base-eur")
        uow.commit()
    clock.set_clock(lambda: NOW - timedelta(days=20))
    with UnitOfWork(shop) as uow:
        service.set_prices(
            uow, base.id, PricesIn.model_validate({"prices": [{"sku": "ROBE-S", "amount": "49.90"}]})
        )
        uow.commit()
    clock.set_clock(lambda: NOW - timedelta(days=5))
    with UnitOfWork(shop) as uow:
        service.set_prices(
            uow, base.id, PricesIn.model_validate({"prices": [{"sku": "ROBE-S", "amount": "54.90"}]})
        )
        uow.commit()
    clock.set_clock(lambda: NOW)
    with UnitOfWork(shop) as uow:
        sale = service.create_price_list(
            uow, PriceListIn(code="soldes", name="Soldes", is_sale=True, priority=10, valid_from=NOW)
        )
        service.set_prices(
            uow, sale.id, PricesIn.model_validate({"prices": [{"sku": "ROBE-S", "amount": "39.90"}]})
        )
        uow.commit()
    priced = price(shop, cart(("ROBE-S", 1)))
    # then the price is the sale list's and the reference is the lowest of the 30 days before: 49.90
    assert (priced.lines[0].unit_price, priced.lines[0].price_list_name) == (D("39.90"), "Soldes")
    assert priced.lines[0].reference_price == D("49.90")
    with UnitOfWork(shop) as uow:
        why = service.explain_price(
            uow, "ROBE-S", currency="EUR", channel="web", store_id=None, customer_id=None, at=None
        )
        history = service.price_history(uow, "ROBE-S", "base-eur", 10)
    assert why.reference_price == D("49.90") and why.discounted
    with shop.reader() as session:
        from sqlalchemy import select

        from comptoir.core.models import OutboxEvent

        changed = session.scalars(
            select(OutboxEvent.payload)
            .where(OutboxEvent.type == "pricing.price_changed")
            .order_by(OutboxEvent.seq)
        ).all()
    assert dict(changed[-1])["reference_price"] == "49.90" and dict(changed[-1])["new_amount"] == "39.90"
    assert [h.amount for h in history] == [D("54.90"), D("49.90"), D("59.90")]


def test_a_price_list_applies_only_within_its_validity(shop: Database) -> None:
    with UnitOfWork(shop) as uow:
        week = service.create_price_list(
            uow,
            PriceListIn(
                code="black-friday",
                name="Black Friday",
                channels=["web"],
                valid_from=NOW + timedelta(days=1),
                valid_until=NOW + timedelta(days=4),
            ),
        )
        service.set_prices(
            uow, week.id, PricesIn.model_validate({"prices": [{"sku": "COUSSIN", "amount": "15.00"}]})
        )
        uow.commit()
    prices = [
        (price(shop, cart(("COUSSIN", 1), at=(NOW + timedelta(days=d)).isoformat())).lines[0].unit_price)
        for d in (0, 2, 5)
    ]
    assert prices == [D("24.00"), D("15.00"), D("24.00")]


def test_a_promotion_is_not_offered_when_its_budget_left_cannot_cover_the_cart(shop: Database) -> None:
    promote(
        shop, name="10 € la robe", kind="fixed_off", params={"amount": "10", "skus": ["ROBE-S"]}, budget="15"
    )
    first = price(shop, cart(("ROBE-S", 1)))
    assert first.discount_total == D("-10.00")
    with UnitOfWork(shop) as uow:
        service.commit_promotions(uow, "ord_1", None, first)
        uow.commit()
    # 5 € left: one dress (10 €) is no longer covered, so the quote does not promise it
    assert price(shop, cart(("ROBE-S", 1))).discount_total == D("0.00")
    assert price(shop, cart(("TSHIRT-M", 1))).discount_total == D("0.00")


def test_a_list_kept_excluding_tax_is_shown_both_ways(shop: Database) -> None:
    with UnitOfWork(shop) as uow:
        pro_list_excluding_tax(uow)
        uow.commit()
        why = service.explain_price(
            uow, "CONFITURE", currency="EUR", channel="web", store_id=None, customer_id=None, at=None
        )
    assert (why.price, why.price_excl_tax, why.vat_rate) == (D("4.50"), D("4.27"), D("5.5"))
    from comptoir.pricing import policies

    # 3.00 excluding tax at 5.5 % is 3.17 including tax, and back
    assert policies.including_tax(D("3.00"), D("5.5")) == D("3.17")
    assert policies.excluding_tax(D("3.17"), D("5.5")) == D("3.00")
