"""A small boutique for the storefront's tests: two dresses published on the website in French and
English (the silk one on sale), shops with stock in Paris, and helpers for a shopper's browser."""

from __future__ import annotations

import json
import re
import time
from decimal import Decimal
from html import unescape
from typing import Any

import pytest
from fastapi.testclient import TestClient

from comptoir.catalog import service as catalog
from comptoir.catalog.schemas import FamilyAttribute, FamilyIn, PublicationIn
from comptoir.core import tokens
from comptoir.core.api import CUSTOMER_TOKEN_PURPOSE
from comptoir.core.db import Database
from comptoir.core.settings import Settings
from comptoir.core.uow import UnitOfWork
from comptoir.core.webhooks import signature_headers
from comptoir.customers import service as customers
from comptoir.customers.schemas import CustomerRecord
from comptoir.inventory import service as inventory
from comptoir.payments.config import SANDBOX_WEBHOOK_SECRET
from comptoir.pricing import service as pricing
from comptoir.pricing.schemas import PriceIn, PriceListIn, PricesIn
from comptoir.storefront.session import SHOPPER_COOKIE
from tests.appointments.conftest import fixed_clock, retailer  # noqa: F401 (fixtures)
from tests.catalog.conftest import build_taxonomy, dress
from tests.orders.conftest import LIN_M, LIN_S, RIVOLI, SOIE_M, SOIE_S, WAREHOUSE, places, receive

__all__ = ["LIN_M", "LIN_S", "RIVOLI", "SOIE_M", "SOIE_S"]

MARIE = {"given_name": "Marie", "family_name": "Curie", "email": "marie.curie@orange.fr"}
PAUL = {"given_name": "Paul", "family_name": "Autre", "email": "paul.autre@example.org"}


@pytest.fixture
def boutique(db: Database) -> Database:
    """Linen dress (Atelier Rivage) 59.90; silk dress (Boréale) 89.00 on sale at 69.00; published on the
    website; Rivoli holds linen and silk, the warehouse plenty."""
    with UnitOfWork(db) as uow:
        build_taxonomy(uow)
        catalog.create_family(
            uow,
            FamilyIn(
                code="boutique",
                label={"fr_FR": "Boutique"},
                attributes=[FamilyAttribute(code="collar"), FamilyAttribute(code="care")],
            ),
        )
        catalog.create_product(uow, dress("ROBE-LIN", status="active", family="boutique"))
        soie = dress(
            "ROBE-SOIE",
            status="active",
            family="boutique",
            brand="Boréale",
            name={"fr_FR": "Robe en soie", "en_GB": "Silk dress"},
        )
        soie.variants[0].gtin = None
        catalog.create_product(uow, soie)
        for code in ("ROBE-LIN", "ROBE-SOIE"):
            for locale in ("fr_FR", "en_GB"):
                catalog.publish(uow, code, PublicationIn(channel="web", locale=locale))
        places(uow)
        inventory.sync_places(uow)
        pricing.create_price_list(uow, PriceListIn(code="base", name="Prix de base"))
        pricing.set_prices(
            uow,
            "base",
            PricesIn(
                prices=[PriceIn(sku=s, amount=Decimal("59.90")) for s in (LIN_S, LIN_M)]
                + [PriceIn(sku=s, amount=Decimal("89.00")) for s in (SOIE_S, SOIE_M)]
            ),
        )
        pricing.create_price_list(uow, PriceListIn(code="soldes", name="Soldes", priority=10, is_sale=True))
        pricing.set_prices(
            uow,
            "soldes",
            PricesIn(
                prices=[
                    PriceIn(sku=s, amount=Decimal("69.00"), compare_at=Decimal("89.00"))
                    for s in (SOIE_S, SOIE_M)
                ]
            ),
        )
        receive(uow, {(LIN_S, WAREHOUSE): 20, (LIN_M, WAREHOUSE): 20, (SOIE_S, WAREHOUSE): 5, (SOIE_M, WAREHOUSE): 5,
                      (LIN_S, RIVOLI): 3, (SOIE_M, RIVOLI): 2})  # fmt: skip
        uow.commit()
    return db


def customer(db: Database, record: dict[str, str]) -> str:
    with UnitOfWork(db) as uow:
        found = customers.ingest(uow, "pos", CustomerRecord(**record))
        uow.commit()
    return found.customer_id


@pytest.fixture
def marie(boutique: Database) -> str:
    return customer(boutique, MARIE)


@pytest.fixture
def paul(boutique: Database) -> str:
    return customer(boutique, PAUL)


def sign_in(client: TestClient, settings: Settings, customer_id: str) -> None:
    """The browser holds the customer's session (as the account pages leave it after a sign-in)."""
    token = tokens.sign(settings.secret_key, CUSTOMER_TOKEN_PURPOSE, {"sub": customer_id, "g": 0}, 3600)
    client.cookies.set(SHOPPER_COOKIE, token)


def csrf(client: TestClient) -> str:
    """The form token the storefront's pages set (double submit)."""
    token = client.cookies.get("comptoir_csrf")
    if not token:
        client.get("/shop/cart")
        token = client.cookies.get("comptoir_csrf")
    assert token
    return str(token)


def post(client: TestClient, url: str, data: dict[str, Any] | None = None, **kwargs: Any) -> Any:
    return client.post(
        url, data={**(data or {}), "csrf_token": csrf(client)}, follow_redirects=False, **kwargs
    )


def add_to_cart(client: TestClient, sku: str, quantity: int = 1) -> None:
    answer = post(client, "/shop/cart/lines", {"sku": sku, "quantity": str(quantity)})
    assert answer.status_code == 303, answer.text


def deliver_sandbox_events(client: TestClient) -> None:
    """What the card provider's webhooks do: post its signed events to Comptoir."""
    from comptoir.payments.providers.sandbox import embedded_sandbox

    sandbox = embedded_sandbox()
    assert sandbox is not None
    for event in list(sandbox.events):
        body = json.dumps(event).encode()
        headers = signature_headers(SANDBOX_WEBHOOK_SECRET, event["id"], int(time.time()), body)
        client.post("/v1/payments/providers/sandbox/events", content=body, headers=headers)


def text_of(html: str) -> str:
    """The visible text of a page, whitespace collapsed."""
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))
