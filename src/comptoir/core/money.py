"""Money: a ``Decimal`` amount with an ISO 4217 currency, never a float."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import cache
from typing import Annotated, Any

from babel.core import Locale
from babel.numbers import format_currency, get_currency_precision, list_currencies
from pydantic import ConfigDict, Field, PlainSerializer, field_validator

from comptoir.core.errors import InvalidInput
from comptoir.core.types import Schema


@cache
def _currencies() -> frozenset[str]:
    """ISO 4217 codes known to CLDR (read on first use: Babel's data is not loaded at start-up)."""
    return frozenset(list_currencies())


# Amounts travel as JSON strings ("12.50") so no client parses them as binary floats.
DecimalStr = Annotated[Decimal, PlainSerializer(lambda d: str(d), return_type=str, when_used="json")]


def is_currency(code: str) -> bool:
    return code in _currencies()


def iso_currency(value: str) -> str:
    """The ISO 4217 code, upper-cased; ``ValueError`` for an unknown one (a 422 naming the field when
    used as a schema's validator). The one currency rule every domain's schemas use."""
    code = value.upper()
    if not is_currency(code):
        raise ValueError(f"unknown ISO 4217 currency {value!r}")
    return code


def no_float(value: Any) -> Any:
    """A ``mode="before"`` validator for amounts: strings, integers or ``Decimal``, never a binary float."""
    if isinstance(value, float):
        raise ValueError("amounts are strings or integers, never floats")
    return value


def quantize(amount: Decimal, currency: str) -> Decimal:
    """Round half-up to the currency's minor unit (2 for EUR, 0 for JPY, 3 for KWD)."""
    exponent = Decimal(1).scaleb(-get_currency_precision(currency))
    return amount.quantize(exponent, rounding=ROUND_HALF_UP)


def to_decimal(value: Any) -> Decimal:
    if isinstance(value, float):
        raise TypeError("money amounts must not be floats; pass a string or Decimal")
    try:
        return Decimal(value)
    except (InvalidOperation, TypeError) as exc:
        raise ValueError(f"not a decimal amount: {value!r}") from exc


class Money(Schema):
    model_config = ConfigDict(frozen=True)

    amount: DecimalStr = Field(description='Decimal amount as a string, e.g. "19.90"')
    currency: str = Field(min_length=3, max_length=3, description="ISO 4217 code, e.g. EUR")

    _amount_not_float = field_validator("amount", mode="before")(no_float)
    _iso_currency = field_validator("currency")(iso_currency)

    @classmethod
    def of(cls, amount: Decimal | int | str, currency: str) -> Money:
        return cls(amount=quantize(to_decimal(amount), currency.upper()), currency=currency)

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls.of(0, currency)

    def _same(self, other: Money) -> None:
        if other.currency != self.currency:
            raise ValueError(f"cannot combine {self.currency} and {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money.of(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money.of(self.amount - other.amount, self.currency)

    def times(self, factor: Decimal | int) -> Money:
        return Money.of(self.amount * Decimal(factor), self.currency)

    def format(self, locale: str | Locale = "fr_FR") -> str:
        """Locale formatting: ``Money.of("1234.5", "EUR").format("fr_FR")`` -> ``"1 234,50 €"``."""
        return str(format_currency(self.amount, self.currency, locale=locale))


# -- rates and amounts as clients send them -----------------------------------------------------------


def plain(value: Decimal) -> str:
    """A decimal as a plain string, never in exponent form, without trailing zeros: ``Decimal("2E+1")``
    → ``"20"``, ``Decimal("5.50")`` → ``"5.5"``, ``Decimal("0.000")`` → ``"0"``."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


Percent = Annotated[
    Decimal,
    PlainSerializer(plain, return_type=str, when_used="json"),
    Field(description='A rate in percent, as a plain decimal string: "20", "5.5", "2.1"'),
]
"""Every rate the API shows (VAT above all) is a percent in a plain decimal string: ``"20"``,
``"5.5"``, never ``"2E+1"`` nor the fraction ``0.2``."""


def check_minor_units(amount: Decimal, currency: str, field: str) -> None:
    """A 422 naming ``field`` when ``amount`` has more decimals than ``currency`` has minor units
    (``"19.995"`` EUR): the API never rounds a price or a balance silently."""
    places = get_currency_precision(currency)
    exponent = amount.as_tuple().exponent
    if (
        isinstance(exponent, int)
        and -exponent > places
        and amount != amount.quantize(Decimal(1).scaleb(-places))
    ):
        raise InvalidInput(
            f"{amount} has more decimals than {currency} has ({places}); give it to the {currency} unit.",
            field=field,
        )
