"""A small retailer for order tests: a warehouse in Lyon, stores in Paris and Marseille, dresses in
stock, keys per channel, and helpers to fill a cart and check out through the API."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from comptoir.catalog import service as catalog
from comptoir.core import tokens
from comptoir.core.api import CUSTOMER_TOKEN_PURPOSE
from comptoir.core.db import Database
from comptoir.core.settings import Settings
from comptoir.core.uow import UnitOfWork
from comptoir.customers import service as customers
from comptoir.customers.schemas import CustomerRecord
from comptoir.inventory import service as inventory
from comptoir.inventory.schemas import MovementIn
from comptoir.pricing import service as pricing
from comptoir.pricing.schemas import PriceIn, PriceListIn, PricesIn
from comptoir.stores import service as stores
from tests.catalog.conftest import build_taxonomy, dress
from tests.conftest import make_key
from tests.stores.factories import place_in

WAREHOUSE = "wh_lyon"
RIVOLI = "st_paris_rivoli"
OPERA = "st_paris_opera"
MARSEILLE = "st_marseille"
LIN_S, LIN_M = "ROBE-LIN-S-BLEU", "ROBE-LIN-M-BLEU"
SOIE_S, SOIE_M = "ROBE-SOIE-S-BLEU", "ROBE-SOIE-M-BLEU"
MARIE = {
    "given_name": "Marie",
    "family_name": "Curie",
    "email": "marie.curie@orange.fr",
    "phone": "07 98 76 54 32",
}
PARIS_ADDRESS = {
    "name": "Marie Curie",
    "line1": "11 rue Pierre et Marie Curie",
    "postcode": "75005",
    "city": "Paris",
    "latitude": 48.8443,
    "longitude": 2.3447,
}
CARD = {"method": "card", "details": {"card_token": "tok_visa"}}
ALL_STAFF = ["*:read", "carts:write", "orders:write", "customers:write", "payments:write"]


def headers(token: str, customer_token: str | None = None) -> dict[str, str]:
    out = {"Authorization": f"Bearer {token}"}
    if customer_token:
        out["X-Customer-Token"] = customer_token
    return out


def places(uow: UnitOfWork) -> None:
    stores.create_place(
        uow,
        place_in(
            WAREHOUSE,
            kind="warehouse",
            name="Entrepôt de Lyon",
            address={
                "lines": ["2 rue du Dépôt"],
                "postal_code": "69007",
                "locality": "Lyon",
                "region": "Auvergne-Rhône-Alpes",
            },
            latitude=45.7485,
            longitude=4.8467,
            services=[],
        ),
    )
    stores.create_place(
        uow,
        place_in(
            RIVOLI,
            name="Comptoir Rivoli",
            latitude=48.8606,
            longitude=2.3376,
            services=["click_and_collect", "reserve_and_collect", "ship_from_store", "returns"],
        ),
    )
    stores.create_place(
        uow,
        place_in(
            OPERA, name="Comptoir Opéra", latitude=48.8719, longitude=2.3316, services=["click_and_collect"]
        ),
    )
    stores.create_place(
        uow,
        place_in(
            MARSEILLE,
            name="Comptoir Marseille",
            address={
                "lines": ["1 La Canebière"],
                "postal_code": "13001",
                "locality": "Marseille",
                "region": "Provence-Alpes-Côte d'Azur",
            },
            latitude=43.2965,
            longitude=5.3698,
            services=["click_and_collect", "ship_from_store"],
        ),
    )


def receive(uow: UnitOfWork, stock: dict[tuple[str, str], int]) -> None:
    for (sku, place_id), quantity in sorted(stock.items()):
        inventory.record_movement(
            uow,
            MovementIn(
                kind="receipt",
                sku=sku,
                place_id=place_id,
                quantity=quantity,
                reference=f"rcpt-{sku}-{place_id}",
            ),
        )


@pytest.fixture
def shop(db: Database) -> Database:
    with UnitOfWork(db) as uow:
        build_taxonomy(uow)
        catalog.create_product(uow, dress("ROBE-LIN", status="active"))
        soie = dress("ROBE-SOIE", status="active")
        soie.variants[0].gtin = None
        catalog.create_product(uow, soie)
        places(uow)
        inventory.sync_places(uow)
        pricing.create_price_list(uow, PriceListIn(code="base", name="Prix de base"))
        pricing.set_prices(
            uow,
            "base",
            PricesIn(
                prices=[
                    PriceIn(sku=LIN_S, amount=Decimal("59.90")),
                    PriceIn(sku=LIN_M, amount=Decimal("59.90")),
                    PriceIn(sku=SOIE_S, amount=Decimal("89.00")),
                    PriceIn(sku=SOIE_M, amount=Decimal("89.00")),
                ]
            ),
        )
        uow.commit()
    return db


@pytest.fixture
def stocked(shop: Database) -> Database:
    """The warehouse holds plenty; Rivoli a little; Opéra only silk; Marseille a linen M."""
    with UnitOfWork(shop) as uow:
        receive(
            uow,
            {
                (LIN_S, WAREHOUSE): 20,
                (LIN_M, WAREHOUSE): 20,
                (SOIE_S, WAREHOUSE): 5,
                (LIN_S, RIVOLI): 2,
                (SOIE_S, RIVOLI): 1,
                (SOIE_M, OPERA): 3,
                (LIN_M, MARSEILLE): 1,
            },
        )
        uow.commit()
    return shop


@pytest.fixture
def marie(shop: Database) -> str:
    with UnitOfWork(shop) as uow:
        result = customers.ingest(uow, "pos", CustomerRecord(**MARIE))
        uow.commit()
    return result.customer_id


def customer_token(settings: Settings, customer_id: str) -> str:
    return tokens.sign(settings.secret_key, CUSTOMER_TOKEN_PURPOSE, {"sub": customer_id}, 3600)


@pytest.fixture
def web(db: Database, settings: Settings, marie: str) -> dict[str, str]:
    """Marie signed in on the website."""
    key = make_key(
        db, ["*:read", "carts:write", "orders:write", "customers:write", "payments:write"], channel="web"
    )
    return headers(key, customer_token(settings, marie))


@pytest.fixture
def rivoli(db: Database) -> dict[str, str]:
    """A seller's tablet (and the till) at Rivoli."""
    return headers(make_key(db, ALL_STAFF, channel=f"store:{RIVOLI}"))


@pytest.fixture
def opera(db: Database) -> dict[str, str]:
    return headers(make_key(db, ALL_STAFF, channel=f"store:{OPERA}"))


@pytest.fixture
def warehouse(db: Database) -> dict[str, str]:
    """The warehouse's system (a back-office key)."""
    return headers(make_key(db, ALL_STAFF))


def new_cart(
    client: Any, h: dict[str, str], lines: list[tuple[str, int]], customer_id: str | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {"lines": [{"sku": sku, "quantity": q} for sku, q in lines]}
    if customer_id:
        body["customer_id"] = customer_id
    response = client.post("/v1/carts", json=body, headers=h)
    assert response.status_code == 201, response.text
    return dict(response.json())


def checkout(
    client: Any, h: dict[str, str], cart: dict[str, Any], *, idempotency_key: str | None = None, **body: Any
) -> Any:
    payload = {"cart_id": cart["id"], "cart_version": cart["version"], **body}
    extra = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
    return client.post("/v1/orders/checkout", json=payload, headers={**h, **extra})


def step(client: Any, h: dict[str, str], fulfilment_id: str, action: str, **extra: Any) -> dict[str, Any]:
    response = client.post(
        f"/v1/orders/fulfilments/{fulfilment_id}/transitions", json={"action": action, **extra}, headers=h
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def levels(db: Database, sku: str) -> dict[str, tuple[int, int]]:
    """(on hand, reserved) per place for a SKU."""
    with UnitOfWork(db) as uow:
        return {
            lv.place_id: (lv.on_hand, lv.reserved) for lv in inventory.stock_levels(uow, [sku]).get(sku, [])
        }


@pytest.fixture(autouse=True)
def _fresh_rules() -> None:
    """Each test starts from an empty database: forget the rules a previous test cached."""
    from comptoir.orders import cache, rules

    rules._cache.clear()
    cache.clear()
