"""A small shop for pricing tests: products in three VAT classes and two categories, one price list
for every channel, helpers to add lists, prices and promotions."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from comptoir.catalog import service as catalog
from comptoir.catalog.schemas import CategoryIn, FamilyIn, ProductIn
from comptoir.core import clock
from comptoir.core.db import Database
from comptoir.core.uow import UnitOfWork
from comptoir.pricing import catalogue, service
from comptoir.pricing.schemas import PriceCartIn, PriceListIn, PricesIn, PromotionIn

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)

# sku -> (product code, category code, tax class, price)
PRODUCTS: dict[str, tuple[str, str, str, str]] = {
    "ROBE-S": ("ROBE", "dresses", "standard", "59.90"),
    "ROBE-M": ("ROBE", "dresses", "standard", "59.90"),
    "TSHIRT-M": ("TSHIRT", "tops", "standard", "19.90"),
    "COUSSIN": ("COUSSIN", "home", "standard", "24.00"),
    "CONFITURE": ("CONFITURE", "grocery", "reduced", "4.50"),
    "LIVRE": ("LIVRE", "books", "super_reduced", "12.00"),
    "TOTE": ("TOTE", "home", "standard", "9.00"),
}


@pytest.fixture(autouse=True)
def frozen_clock() -> Iterator[None]:
    catalogue.clear()
    clock.set_clock(lambda: NOW)
    yield
    clock.set_clock(None)


def build_shop(uow: UnitOfWork) -> None:
    catalog.create_family(uow, FamilyIn(code="goods", label={"fr_FR": "Articles"}))
    catalog.create_category(uow, CategoryIn(code="women", name={"fr_FR": "Femme"}))
    catalog.create_category(uow, CategoryIn(code="dresses", name={"fr_FR": "Robes"}, parent_code="women"))
    catalog.create_category(uow, CategoryIn(code="tops", name={"fr_FR": "Hauts"}, parent_code="women"))
    for code in ("home", "grocery", "books"):
        catalog.create_category(uow, CategoryIn(code=code, name={"fr_FR": code}))
    products: dict[str, dict[str, Any]] = {}
    for sku, (code, category, tax_class, _) in PRODUCTS.items():
        p = products.setdefault(
            code,
            {
                "code": code,
                "family": "goods",
                "category": category,
                "tax_class": tax_class,
                "status": "active",
                "name": {"fr_FR": code.title()},
                "variants": [],
                "axes": ["size"],
            },
        )
        p["variants"].append({"sku": sku, "size": sku.rsplit("-", 1)[-1]})
    for data in products.values():
        catalog.create_product(uow, ProductIn.model_validate(data))
    base = service.create_price_list(uow, PriceListIn(code="base-eur", name="Prix de base", currency="EUR"))
    service.set_prices(
        uow,
        base.id,
        PricesIn.model_validate({"prices": [{"sku": s, "amount": v[3]} for s, v in PRODUCTS.items()]}),
    )


@pytest.fixture
def shop(db: Database) -> Database:
    with UnitOfWork(db) as uow:
        build_shop(uow)
        uow.commit()
    return db


def category_id(db: Database, code: str) -> str:
    with UnitOfWork(db) as uow:
        return catalog.get_category(uow, code).id


def promote(db: Database, **data: Any) -> str:
    with UnitOfWork(db) as uow:
        out = service.create_promotion(uow, PromotionIn.model_validate(data))
        uow.commit()
    return out.id


def pro_list_excluding_tax(uow: UnitOfWork):  # type: ignore[no-untyped-def]
    """The professionals' list, kept excluding tax: the jam at 3.00 HT."""
    plist = service.create_price_list(
        uow, PriceListIn(code="pro-ht", name="Pro HT", customer_groups=["pro"], prices_include_tax=False)
    )
    service.set_prices(
        uow, plist.id, PricesIn.model_validate({"prices": [{"sku": "CONFITURE", "amount": "3.00"}]})
    )
    return plist


def cart(*lines: tuple[str, int], **extra: Any) -> PriceCartIn:
    data: dict[str, Any] = {"channel": "web", "currency": "EUR"}
    data.update(extra)
    data["lines"] = [{"line_id": f"l{i}", "sku": sku, "quantity": q} for i, (sku, q) in enumerate(lines)]
    return PriceCartIn.model_validate(data)


def price(db: Database, cmd: PriceCartIn):  # type: ignore[no-untyped-def]
    with UnitOfWork(db) as uow:
        return service.price_cart(uow, cmd)


def D(value: str) -> Decimal:
    return Decimal(value)
