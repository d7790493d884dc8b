"""A small shop for cart tests: three sellable dresses and one draft product, keys per channel."""

from __future__ import annotations

from typing import Any

import pytest

from comptoir.catalog import service as catalog
from comptoir.core.db import Database
from comptoir.core.uow import UnitOfWork
from comptoir.customers import service as customers
from comptoir.customers.schemas import CustomerRecord
from tests.catalog.conftest import build_taxonomy, dress
from tests.conftest import make_key

STORE = "st_paris_rivoli"
LIN_S, LIN_M = "ROBE-LIN-S-BLEU", "ROBE-LIN-M-BLEU"
SOIE_S, SOIE_M = "ROBE-SOIE-S-BLEU", "ROBE-SOIE-M-BLEU"
DRAFT = "ROBE-BROUILLON-S-BLEU"
PASSWORD = "une-phrase-de-passe-longue"
MARIE = {
    "given_name": "Marie",
    "family_name": "Curie",
    "email": "marie.curie@orange.fr",
    "phone": "07 98 76 54 32",
}


def headers(token: str, customer_token: str | None = None, cart_token: str | None = None) -> dict[str, str]:
    out = {"Authorization": f"Bearer {token}"}
    if customer_token:
        out["X-Customer-Token"] = customer_token
    if cart_token:
        out["X-Cart-Token"] = cart_token
    return out


@pytest.fixture
def shop(db: Database) -> Database:
    with UnitOfWork(db) as uow:
        build_taxonomy(uow)
        catalog.create_product(uow, dress("ROBE-LIN", status="active"))
        soie = dress("ROBE-SOIE", status="active")
        soie.variants[0].gtin = None
        catalog.create_product(uow, soie)
        draft = dress("ROBE-BROUILLON")
        draft.variants[0].gtin = None
        catalog.create_product(uow, draft)
        uow.commit()
    return db


@pytest.fixture
def marie(shop: Database) -> str:
    """Marie, known from a shop's till (no account yet)."""
    with UnitOfWork(shop) as uow:
        result = customers.ingest(uow, "pos", CustomerRecord(**MARIE))
        uow.commit()
    return result.customer_id


@pytest.fixture
def store_key(db: Database) -> str:
    return make_key(db, ["*:read", "carts:write", "customers:write"], channel=f"store:{STORE}")


@pytest.fixture
def web_key(db: Database) -> str:
    return make_key(db, ["carts:read", "carts:write", "customers:read", "customers:write"], channel="web")


@pytest.fixture
def app_key(db: Database) -> str:
    return make_key(db, ["carts:read", "carts:write", "customers:read", "customers:write"], channel="app")


def sign_up(client: Any, web_key: str, **extra: Any) -> dict[str, Any]:
    body = {**MARIE, "password": PASSWORD}
    body.pop("phone")
    response = client.post("/v1/customers/accounts", json={**body, **extra}, headers=headers(web_key))
    assert response.status_code == 201, response.text
    return response.json()


def sign_in(client: Any, web_key: str, **extra: Any) -> dict[str, Any]:
    body = {"email": MARIE["email"], "password": PASSWORD, **extra}
    response = client.post("/v1/customers/sessions", json=body, headers=headers(web_key))
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture(autouse=True)
def _pricing_until_it_lands(monkeypatch: pytest.MonkeyPatch) -> None:
    """While the pricing domain's price_cart is being written: every unit at 50.00, 20 % VAT."""
    from datetime import UTC, datetime
    from decimal import Decimal

    from comptoir.pricing import service as pricing
    from comptoir.pricing.schemas import PriceCartIn, PricedCart, PricedLine

    if hasattr(pricing, "price_cart"):
        return

    def price_cart(uow: Any, cmd: PriceCartIn) -> PricedCart:
        unit = Decimal("50.00")
        lines = [
            PricedLine(
                line_id=x.line_id,
                sku=x.sku,
                quantity=x.quantity,
                unit_price=unit,
                unit_price_excl_tax=Decimal("41.67"),
                price_list_id="pl_test",
                vat_rate=Decimal("20"),
                total=unit * x.quantity,
                amount_payable=unit * x.quantity,
                tax_amount=(unit * x.quantity / 6).quantize(Decimal("0.01")),
            )
            for x in cmd.lines
        ]
        total = sum((x.total for x in lines), Decimal("0"))
        return PricedCart(
            currency=cmd.currency,
            channel=cmd.channel,
            store_id=cmd.store_id,
            customer_id=cmd.customer_id,
            lines=lines,
            subtotal=total,
            discount_total=Decimal("0"),
            shipping_total=Decimal("0"),
            tax_total=(total / 6).quantize(Decimal("0.01")),
            total=total,
            priced_at=datetime.now(UTC),
        )

    monkeypatch.setattr(pricing, "price_cart", price_cart, raising=False)
