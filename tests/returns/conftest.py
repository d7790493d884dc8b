"""The order tests' small retailer (Lyon warehouse, Paris and Marseille stores, dresses, keys per
channel), plus helpers that make the orders a return starts from, through the API."""

from __future__ import annotations

from typing import Any

import pytest

from comptoir.core.db import Database
from comptoir.core.uow import UnitOfWork
from comptoir.loyalty import service as loyalty
from comptoir.loyalty.demo import carte_comptoir
from tests.conftest import make_key
from tests.orders.conftest import (  # noqa: F401 (fixtures)
    ALL_STAFF,
    CARD,
    OPERA,
    PARIS_ADDRESS,
    RIVOLI,
    checkout,
    headers,
    marie,
    new_cart,
    opera,
    rivoli,
    shop,
    step,
    stocked,
    warehouse,
    web,
)

STAFF = [*ALL_STAFF, "returns:write", "inventory:write"]


@pytest.fixture
def programme(shop: Database) -> None:  # noqa: F811
    """Carte Comptoir: points earned when an order is paid."""
    with UnitOfWork(shop) as uow:
        loyalty.set_programme(uow, carte_comptoir())
        uow.commit()


@pytest.fixture
def web_returns(web: dict[str, str], db: Database) -> dict[str, str]:  # noqa: F811
    """Marie signed in on the website, with a key that may start returns."""
    key = make_key(db, ["*:read", "returns:write"], channel="web")
    return {**web, "Authorization": f"Bearer {key}"}


@pytest.fixture
def rivoli_staff(db: Database) -> dict[str, str]:
    return headers(make_key(db, STAFF, channel=f"store:{RIVOLI}"))


@pytest.fixture
def opera_staff(db: Database) -> dict[str, str]:
    return headers(make_key(db, STAFF, channel=f"store:{OPERA}"))


@pytest.fixture
def warehouse_staff(db: Database) -> dict[str, str]:
    return headers(make_key(db, STAFF))


def delivered_web_order(
    client: Any, customer: dict[str, str], staff: dict[str, str], lines: list[tuple[str, int]]
) -> dict[str, Any]:
    """Marie's web order, paid by card, shipped from the warehouse and delivered."""
    cart = new_cart(client, customer, lines)
    response = checkout(client, customer, cart, mode="home_delivery", address=PARIS_ADDRESS, tenders=[CARD])
    assert response.status_code == 201, response.text
    order = response.json()
    for fulfilment in order["fulfilments"]:
        for action in ("allocate", "pick", "ship", "deliver"):
            order = step(client, staff, fulfilment["id"], action)
    assert order["payment_status"] == "paid"
    return dict(order)


def store_sale(
    client: Any, till: dict[str, str], lines: list[tuple[str, int]], customer_id: str | None = None
) -> dict[str, Any]:
    cart = new_cart(client, till, lines)
    body: dict[str, Any] = {"mode": "store_sale", "tenders": [CARD]}
    if customer_id:
        body["customer_id"] = customer_id
    response = checkout(client, till, cart, **body)
    assert response.status_code == 201, response.text
    return dict(response.json())
