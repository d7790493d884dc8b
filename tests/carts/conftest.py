"""A small shop for cart tests: three sellable dresses and one draft product, keys per channel."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from comptoir.catalog import service as catalog
from comptoir.core.db import Database
from comptoir.core.uow import UnitOfWork
from comptoir.customers import service as customers
from comptoir.customers.schemas import CustomerRecord
from comptoir.pricing import service as pricing
from comptoir.pricing.schemas import CouponIn, PriceIn, PriceListIn, PricesIn, PromotionIn
from tests.catalog.conftest import build_taxonomy, dress
from tests.conftest import make_key

STORE = "st_paris_rivoli"
LIN_S, LIN_M = "ROBE-LIN-S-BLEU", "ROBE-LIN-M-BLEU"
SOIE_S, SOIE_M = "ROBE-SOIE-S-BLEU", "ROBE-SOIE-M-BLEU"
DRAFT = "ROBE-BROUILLON-S-BLEU"
COUPON = "BIENVENUE10"
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


def set_up_prices(uow: UnitOfWork) -> None:
    """Every channel: linen 59.90, silk 89.00; the shops sell linen at 55.00; BIENVENUE10: 10 % off."""
    pricing.create_price_list(uow, PriceListIn(code="base", name="Base"))
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
    pricing.create_price_list(uow, PriceListIn(code="shops", name="Shops", channels=["store"], priority=10))
    pricing.set_prices(
        uow,
        "shops",
        PricesIn(
            prices=[PriceIn(sku=LIN_S, amount=Decimal("55.00")), PriceIn(sku=LIN_M, amount=Decimal("55.00"))]
        ),
    )
    promo = pricing.create_promotion(
        uow,
        PromotionIn(
            name="Welcome",
            kind="percent_off",
            params={"percent": "10", "scope": "cart"},
            requires_coupon=True,
        ),
    )
    pricing.create_coupon(uow, promo.id, CouponIn(code=COUPON))


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
        set_up_prices(uow)
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
    assert response.status_code == 202, response.text  # the same answer for a new or a known address
    return follow_verification_link(client, web_key, MARIE["email"], extra.get("anonymous_token"))


def follow_verification_link(
    client: Any, web_key: str, email: str, anonymous_token: str | None
) -> dict[str, Any]:
    """What the e-mailed link does: prove the address (joining the customer the shops know) and sign in."""
    from sqlalchemy import select

    from comptoir.core.uow import UnitOfWork
    from comptoir.customers import accounts
    from comptoir.customers.models import Account

    with UnitOfWork(client.app.state.comptoir.db) as uow:
        account_id = uow.session.scalar(select(Account.id).where(Account.email == email))
        token, _ = accounts.make_one_time_token(uow, account_id, "verify")
        uow.commit()
    body = {"token": token, "anonymous_token": anonymous_token, "password": PASSWORD}
    response = client.post("/v1/customers/sessions/link", json=body, headers=headers(web_key))
    assert response.status_code == 200, response.text
    return dict(response.json())


def sign_in(client: Any, web_key: str, **extra: Any) -> dict[str, Any]:
    body = {"email": MARIE["email"], "password": PASSWORD, **extra}
    response = client.post("/v1/customers/sessions", json=body, headers=headers(web_key))
    assert response.status_code == 200, response.text
    return response.json()
