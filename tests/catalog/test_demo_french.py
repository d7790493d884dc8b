"""The demo retailer reads as a French retailer would write it (issue 15, item 19): adjectives agree
with their noun, and the variants of one product share one price but for a size rule."""

from __future__ import annotations

import random
import re
from decimal import Decimal

import pytest
from sqlalchemy import select

from comptoir.catalog import demo, demo_data
from comptoir.core.uow import UnitOfWork
from comptoir.domains import all_domains
from comptoir.pricing.demo import size_surcharge
from comptoir.pricing.models import Price, PriceList


@pytest.mark.parametrize(
    ("adjective", "gender", "expected"),
    [("rayé", "f", "rayée"), ("brodé", "f", "brodée"), ("uni", "f", "unie"), ("rayé", "m", "rayé"),
     ("à fleurs", "f", "à fleurs"), ("Coupé", "f", "Coupée")],
)  # fmt: skip
def test_an_adjective_agrees_with_its_noun(adjective: str, gender: str, expected: str) -> None:
    assert demo_data.agree(adjective, gender) == expected


def test_no_feminine_product_carries_a_masculine_adjective() -> None:
    # given the demo catalogue's rows
    rows, _ = demo._rows(random.Random(2026))
    masculine = [style for style, _ in demo_data.STYLES if " " not in style and not style.endswith("e")]
    wrong = []
    for _, cells in rows:
        name, description = cells["name-fr_FR"], cells["description-fr_FR"]
        noun = next(n for n in sorted(demo_data.NOUN_GENDERS, key=len, reverse=True) if name.startswith(n))
        if demo_data.NOUN_GENDERS[noun] == "f":
            words = set(re.findall(r"[\wéè']+", f"{name} {description}"))
            wrong += [w for w in words if w in {*masculine, "signé", "Coupé", "fini"}]
    # then none: "Robe rayée", "Chemise brodée", "Coupée et finie"
    assert wrong == []
    dresses = {cells["name-fr_FR"] for _, cells in rows if cells["name-fr_FR"].startswith("Robe ")}
    assert "Robe rayée en lin" in dresses


def test_size_surcharges_are_the_only_price_difference_between_variants() -> None:
    assert size_surcharge("M", ["S", "M", "L", "XXL"]) == Decimal(0)
    assert size_surcharge("XXL", ["S", "M", "L", "XXL"]) == Decimal(5)
    assert [
        size_surcharge(s, ["260x240", "140x200", "240x220"]) for s in ("140x200", "240x220", "260x240")
    ] == [
        Decimal(0),
        Decimal(10),
        Decimal(20),
    ]


def test_the_colours_of_a_product_cost_the_same(db, settings) -> None:  # type: ignore[no-untyped-def]
    # given the demo catalogue and prices
    for domain in all_domains():
        if domain.name in ("catalog", "pricing") and domain.load_demo is not None:
            with UnitOfWork(db) as uow:
                domain.load_demo(uow, settings)
                uow.commit()
    # when the base prices are read per product and size
    with UnitOfWork(db, read_only=True) as uow:
        from comptoir.catalog import service as catalog

        skus = list(catalog.iter_skus(uow))
        variants = catalog.get_variants(uow, skus)
        rows = uow.session.execute(
            select(Price.sku, Price.amount)
            .join(PriceList, PriceList.id == Price.price_list_id)
            .where(PriceList.code == "web-app-eur")
        ).all()
    by_product_size: dict[tuple[str, str | None], set[Decimal]] = {}
    for sku, amount in rows:
        v = variants[sku]
        by_product_size.setdefault((v.product_code, v.size), set()).add(Decimal(amount))
    # then every colour of one product in one size has one price
    assert len(by_product_size) > 100
    assert [key for key, amounts in by_product_size.items() if len(amounts) > 1] == []
