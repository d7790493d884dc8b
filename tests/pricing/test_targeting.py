"""Targeting by customer segment (customers domain), loyalty tier (loyalty domain) and channel, and
price lists for a customer group."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from comptoir.core import clock
from comptoir.core.db import Database
from comptoir.core.uow import UnitOfWork
from comptoir.customers import gdpr
from comptoir.customers import service as customers
from comptoir.customers.schemas import CustomerRecord
from comptoir.loyalty import service as loyalty
from comptoir.loyalty.demo import carte_comptoir
from comptoir.loyalty.policies import PaidLine
from comptoir.pricing import service
from comptoir.pricing.models import CustomerFacts
from comptoir.pricing.schemas import PriceListIn, PricesIn
from tests.pricing.conftest import D, cart, price, pro_list_excluding_tax, promote


def _customer(db: Database, email: str, segments: list[str]) -> str:
    with UnitOfWork(db) as uow:
        cid = customers.ingest(uow, "web", CustomerRecord(email=email)).customer_id
        customers.set_segments(uow, cid, segments)
        uow.commit()
    return cid


def test_segment_promotion_and_customer_group_price_list(shop: Database) -> None:
    vip = _customer(shop, "vip@example.fr", ["vip"])
    regular = _customer(shop, "client@example.fr", [])
    promote(shop, name="VIP -10 %", kind="percent_off", params={"percent": "10"}, segments=["vip"])
    with UnitOfWork(shop) as uow:
        staff = service.create_price_list(
            uow, PriceListIn(code="vip", name="Prix VIP", customer_groups=["vip"])
        )
        service.set_prices(
            uow, staff.id, PricesIn.model_validate({"prices": [{"sku": "COUSSIN", "amount": "20.00"}]})
        )
        uow.commit()
    for_vip = price(shop, cart(("COUSSIN", 1), ("TSHIRT-M", 1), customer_id=vip))
    for_regular = price(shop, cart(("COUSSIN", 1), ("TSHIRT-M", 1), customer_id=regular))
    anonymous = price(shop, cart(("COUSSIN", 1), ("TSHIRT-M", 1)))
    assert [(ln.unit_price, ln.price_list_name, ln.total) for ln in for_vip.lines] == [
        (D("20.00"), "Prix VIP", D("18.00")),
        (D("19.90"), "Prix de base", D("17.91")),
    ]
    assert for_regular.total == anonymous.total == D("43.90")


def _pay(db: Database, order_id: str, customer_id: str, amount: str) -> None:
    with UnitOfWork(db) as uow:
        loyalty.earn_for_order(
            uow,
            order_id=order_id,
            customer_id=customer_id,
            channel="web",
            currency="EUR",
            lines=[PaidLine(line_id="l1", sku="SKU-1", quantity=1, amount=Decimal(amount), category_ids=())],
        )
        uow.commit()


def _labels(db: Database, customer_id: str) -> list[str]:
    return [a.label for a in price(db, cart(("TSHIRT-M", 1), customer_id=customer_id)).cart_adjustments]


def test_tier_promotions_follow_the_tier_loyalty_announces(shop: Database, dispatcher) -> None:  # type: ignore[no-untyped-def]
    # given the Carte Comptoir tiers, a promotion for Essentiel members and one for Privilège members
    with UnitOfWork(shop) as uow:
        loyalty.set_programme(uow, carte_comptoir(now=clock.now()))
        uow.commit()
    cid = _customer(shop, "fidele@example.fr", [])
    promote(
        shop,
        name="Essentiel -2 €",
        kind="fixed_off",
        params={"amount": "2", "scope": "cart"},
        tiers=["essentiel"],
    )
    promote(
        shop,
        name="Privilège -5 €",
        kind="fixed_off",
        params={"amount": "5", "scope": "cart"},
        tiers=["privilege"],
    )
    # a customer who is not a member has no tier
    assert _labels(shop, cid) == []

    # when her first paid order makes her a member, and loyalty's events are delivered
    _pay(shop, "ord_1", cid, "100")
    dispatcher.drain()
    # then pricing knows her tier without asking loyalty
    assert _labels(shop, cid) == ["Essentiel -2 €"]

    # when she spends enough to reach Privilège: the old tier holds until the event arrives
    _pay(shop, "ord_2", cid, "1000")
    assert _labels(shop, cid) == ["Essentiel -2 €"]
    dispatcher.drain()
    assert _labels(shop, cid) == ["Privilège -5 €"]
    with shop.engine.connect() as conn:
        assert conn.execute(
            select(CustomerFacts.tier).where(CustomerFacts.customer_id == cid)
        ).scalar_one() == ("privilege")


def test_segments_are_copied_from_the_customers_events_and_erased_with_the_customer(
    shop: Database, dispatcher
) -> None:  # type: ignore[no-untyped-def]
    # given a VIP promotion and a customer made VIP (not yet copied: pricing asks the customers domain)
    promote(
        shop,
        name="VIP -10 %",
        kind="percent_off",
        params={"percent": "10", "scope": "cart"},
        segments=["vip"],
    )
    cid = _customer(shop, "vip@example.fr", ["vip"])
    assert _labels(shop, cid) == ["VIP -10 %"]
    # when the events are delivered, the copy answers; a later change follows the same way
    dispatcher.drain()
    with UnitOfWork(shop) as uow:
        customers.set_segments(uow, cid, [])
        uow.commit()
    dispatcher.drain()
    assert _labels(shop, cid) == []
    with shop.engine.connect() as conn:
        assert (
            conn.execute(select(CustomerFacts.segments).where(CustomerFacts.customer_id == cid)).scalar_one()
            == []
        )
    # and erasing the customer erases pricing's copy
    with UnitOfWork(shop) as uow:
        gdpr.erase(uow, cid)
        uow.commit()
    dispatcher.drain()
    with shop.engine.connect() as conn:
        assert conn.execute(select(CustomerFacts).where(CustomerFacts.customer_id == cid)).first() is None


def test_channel_targeting_defaults_to_every_channel(shop: Database) -> None:
    promote(
        shop, name="Appli -3 €", kind="fixed_off", params={"amount": "3", "scope": "cart"}, channels=["app"]
    )
    promote(
        shop,
        name="Magasin Lyon -2 €",
        kind="fixed_off",
        params={"amount": "2", "scope": "cart"},
        channels=["store:st_lyon"],
    )
    promote(shop, name="Partout -1 €", kind="fixed_off", params={"amount": "1", "scope": "cart"})
    labels = {
        channel: [a.label for a in price(shop, cart(("TSHIRT-M", 1), channel=channel)).cart_adjustments]
        for channel in ("web", "app", "store:st_lyon", "store:st_paris")
    }
    assert labels == {
        "web": ["Partout -1 €"],
        "app": ["Appli -3 €", "Partout -1 €"],
        "store:st_lyon": ["Magasin Lyon -2 €", "Partout -1 €"],
        "store:st_paris": ["Partout -1 €"],
    }


def test_a_pro_list_kept_excluding_tax_prices_a_pro_customer(shop: Database) -> None:
    pro = _customer(shop, "pro@example.fr", ["pro"])
    with UnitOfWork(shop) as uow:
        pro_list_excluding_tax(uow)
        uow.commit()
    line = price(shop, cart(("CONFITURE", 2), customer_id=pro)).lines[0]
    assert (line.price_list_name, line.unit_price, line.unit_price_excl_tax, line.total) == (
        "Pro HT",
        D("3.17"),
        D("3.00"),
        D("6.34"),
    )
