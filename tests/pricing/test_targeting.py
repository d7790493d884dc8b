"""Targeting by customer segment (customers domain), loyalty tier (loyalty domain) and channel, and
price lists for a customer group."""

from __future__ import annotations

from comptoir.core.db import Database
from comptoir.core.uow import UnitOfWork
from comptoir.customers import service as customers
from comptoir.customers.schemas import CustomerRecord
from comptoir.loyalty import service as loyalty
from comptoir.pricing import service
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


def test_tier_promotion_follows_the_loyalty_tier(shop: Database) -> None:
    cid = _customer(shop, "fidele@example.fr", [])
    with UnitOfWork(shop) as uow:
        tier = loyalty.tier_of(uow, cid)
    promote(
        shop,
        name="Niveau -5 €",
        kind="fixed_off",
        params={"amount": "5", "scope": "cart"},
        tiers=[tier or "none"],
    )
    promote(
        shop, name="Autre niveau", kind="fixed_off", params={"amount": "7", "scope": "cart"}, tiers=["jamais"]
    )
    priced = price(shop, cart(("TSHIRT-M", 1), customer_id=cid))
    assert [a.label for a in priced.cart_adjustments] == (["Niveau -5 €"] if tier else [])


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
