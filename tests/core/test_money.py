"""The kernel's money rules: one currency check and one no-float rule, reused by every domain's schemas."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from comptoir.carts.schemas import CartIn
from comptoir.core.money import Money, iso_currency, no_float
from comptoir.loyalty.schemas import ProgrammeRules
from comptoir.payments.schemas import GiftCardIssueIn
from comptoir.pricing.schemas import IssueCouponIn, PriceListIn


@pytest.mark.parametrize(
    ("given", "expected"), [("EUR", "EUR"), ("eur", "EUR"), ("jpy", "JPY"), ("KWD", "KWD")]
)
def test_a_known_currency_comes_back_upper_cased(given: str, expected: str) -> None:
    assert iso_currency(given) == expected


@pytest.mark.parametrize("given", ["EUX", "ZZZ", "€€€", ""])
def test_an_unknown_currency_is_refused_naming_it(given: str) -> None:
    with pytest.raises(ValueError, match=f"unknown ISO 4217 currency {given!r}"):
        iso_currency(given)


@pytest.mark.parametrize("given", ["19.90", 20, Decimal("0.5")])
def test_amounts_other_than_floats_pass_untouched(given: Any) -> None:
    assert no_float(given) == given


def test_a_float_amount_is_refused() -> None:
    with pytest.raises(ValueError, match="amounts are strings or integers, never floats"):
        no_float(19.9)


# Each domain's schema that takes a currency, with the other fields it requires.
SCHEMAS: list[tuple[type[BaseModel], dict[str, Any]]] = [
    (CartIn, {}),
    (ProgrammeRules, {}),
    (PriceListIn, {"code": "retail", "name": "Retail"}),
    (IssueCouponIn, {"customer_id": "cus_1", "amount": "10.00", "label": "Reward", "reference": "r-1"}),
    (GiftCardIssueIn, {"amount": "10.00", "reference": "g-1"}),
    (Money, {"amount": "1.00"}),
]


@pytest.mark.parametrize(("schema", "fields"), SCHEMAS, ids=[s.__name__ for s, _ in SCHEMAS])
def test_every_domain_checks_currencies_alike(schema: type[BaseModel], fields: dict[str, Any]) -> None:
    # given a lower-case known code, every schema keeps it upper-cased
    assert schema.model_validate({**fields, "currency": "eur"}).currency == "EUR"  # type: ignore[attr-defined]
    # given an unknown code, every schema refuses it with the same reason, on the currency field
    with pytest.raises(ValidationError) as refused:
        schema.model_validate({**fields, "currency": "EUX"})
    [error] = refused.value.errors()
    assert error["loc"] == ("currency",)
    assert error["msg"] == "Value error, unknown ISO 4217 currency 'EUX'"
