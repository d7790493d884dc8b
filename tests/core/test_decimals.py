"""One serialisation for rates, and no silent rounding of amounts (issue 15, item 5).

Rates (VAT above all) travel as a percent in a plain decimal string — ``"20"``, ``"5.5"`` — in carts,
orders, prices and receipts alike; an amount with more decimals than its currency has is a 422.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from pydantic import BaseModel

from comptoir.core.money import Percent, plain
from tests.pricing.conftest import shop  # noqa: F401  (fixture)


@pytest.mark.parametrize(
    ("value", "text"),
    [("2E+1", "20"), ("20.00", "20"), ("5.50", "5.5"), ("2.1", "2.1"), ("0E-2", "0"), ("0.2", "0.2")],
)
def test_a_rate_is_a_plain_decimal_string(value: str, text: str) -> None:
    class Line(BaseModel):
        vat_rate: Percent

    assert plain(Decimal(value)) == text
    assert Line(vat_rate=Decimal(value)).model_dump_json() == f'{{"vat_rate":"{text}"}}'


@pytest.mark.usefixtures("shop")
@pytest.mark.parametrize("amount", ["0.001", "19.995"])
def test_a_price_with_more_decimals_than_the_currency_is_a_422(
    client: Any, admin_headers: dict[str, str], amount: str
) -> None:
    # given the shop's euro list / when a price of a tenth of a cent is set
    response = client.put(
        "/v1/pricing/price-lists/base-eur/prices",
        json={"prices": [{"sku": "TOTE", "amount": "9.50"}, {"sku": "ROBE-S", "amount": amount}]},
        headers=admin_headers,
    )
    # then a 422 naming the price, and nothing written (the tote keeps its 9.00)
    assert response.status_code == 422, response.text
    assert [e["pointer"] for e in response.json()["errors"]] == ["#/prices/1/amount"]
    kept = client.get(
        "/v1/pricing/price-lists/base-eur/prices", params={"sku": "TOTE"}, headers=admin_headers
    )
    assert [p["amount"] for p in kept.json()["items"]] == ["9.00"]


def test_a_gift_card_of_ten_euros_and_half_a_cent_is_a_422(
    client: Any, admin_headers: dict[str, str]
) -> None:
    response = client.post(
        "/v1/payments/gift-cards",
        json={"amount": "10.005", "currency": "EUR", "reference": "gc-half-cent"},
        headers=admin_headers,
    )
    assert response.status_code == 422, response.text
    assert [e["pointer"] for e in response.json()["errors"]] == ["#/amount"]


@pytest.mark.usefixtures("shop")
def test_the_same_vat_rate_reads_alike_in_a_quote_and_a_price_list(
    client: Any, admin_headers: dict[str, str]
) -> None:
    # given a price with its VAT rate set as "20.0" / when it is read back and quoted
    put = client.put(
        "/v1/pricing/price-lists/base-eur/prices",
        json={"prices": [{"sku": "TOTE", "amount": "9.00", "vat_rate": "20.0"}]},
        headers=admin_headers,
    )
    assert put.status_code == 200, put.text
    listed = client.get(
        "/v1/pricing/price-lists/base-eur/prices", params={"sku": "TOTE"}, headers=admin_headers
    )
    quote = client.post(
        "/v1/pricing/quote",
        json={"channel": "web", "lines": [{"line_id": "l1", "sku": "TOTE", "quantity": 1}]},
        headers=admin_headers,
    )
    # then both say "20"
    assert listed.json()["items"][0]["vat_rate"] == "20"
    assert quote.status_code == 200, quote.text
    assert quote.json()["lines"][0]["vat_rate"] == "20"
