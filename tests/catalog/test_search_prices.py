"""Search hits carry what the product costs here (issue 15, item 14): its cheapest variant's price, as
the pricing domain resolves it for the caller — the catalogue asks through the app, not pricing's code."""

from __future__ import annotations

from decimal import Decimal

from comptoir.core.uow import UnitOfWork
from comptoir.pricing import service as pricing
from comptoir.pricing.schemas import PriceIn, PricesIn
from tests.orders.conftest import SOIE_M, SOIE_S, shop  # noqa: F401 (fixture)


def test_each_hit_shows_its_from_price(client, shop, admin_headers) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    found = client.get("/v1/catalog/search", params={"q": "robe"}, headers=admin_headers)
    assert found.status_code == 200, found.text
    prices = {hit["code"]: hit["price"] for hit in found.json()["hits"]}
    assert prices["ROBE-LIN"] == {
        "currency": "EUR",
        "from_price": "59.90",
        "compare_at_price": None,
        "discounted": False,
        "reference_price": None,
        "varies": False,
    }
    assert prices["ROBE-SOIE"]["from_price"] == "89.00"


def test_a_discounted_variant_shows_its_regular_price_and_the_hit_says_prices_vary(  # type: ignore[no-untyped-def]
    client,
    shop,  # noqa: F811
    admin_headers,
) -> None:
    with UnitOfWork(shop) as uow:
        pricing.set_prices(
            uow,
            "base",
            PricesIn(prices=[PriceIn(sku=SOIE_S, amount=Decimal("69.00"), compare_at=Decimal("89.00"))]),
        )
        uow.commit()
    hit = next(
        h
        for h in client.get("/v1/catalog/search", params={"q": "soie"}, headers=admin_headers).json()["hits"]
        if h["code"] == "ROBE-SOIE"
    )
    assert hit["price"]["from_price"] == "69.00" and hit["price"]["compare_at_price"] == "89.00"
    assert hit["price"]["discounted"] is True and hit["price"]["varies"] is True
    assert hit["price"]["reference_price"] is not None  # Omnibus: the lowest price before the discount
