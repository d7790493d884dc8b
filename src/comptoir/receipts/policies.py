"""receipts: pure rules, no I/O — the VAT breakdown, the receipt's number and language, whom to send it.

French law (and most of Europe) asks a receipt to show, per VAT rate, the amount excluding VAT, the
VAT and the amount including it; line totals are VAT included, so the base is derived from them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from babel.numbers import get_currency_precision

SUPPORTED = ("fr", "en")

# A receipt's signed link works for a year (a warranty claim, a return) unless revoked before.
LINK_SECONDS = 365 * 86400


def link_alive(issued_at: datetime, now: datetime) -> bool:
    return now < issued_at + timedelta(seconds=LINK_SECONDS)


def rate_fraction(rate: Decimal) -> Decimal:
    """Pricing gives percents (20, 5.5, 2.1); a fraction (0.20) is accepted as is."""
    return rate / 100 if rate >= 1 else rate


@dataclass(frozen=True)
class TaxedAmount:
    rate: Decimal  # as given (percent or fraction)
    total: Decimal  # VAT included


@dataclass(frozen=True)
class VatRow:
    rate: Decimal  # fraction, e.g. 0.2
    base: Decimal
    vat: Decimal
    total: Decimal


def vat_breakdown(amounts: Iterable[TaxedAmount], currency: str) -> list[VatRow]:
    """One row per rate, highest first: the totals are summed per rate before the VAT is extracted,
    so rounding happens once per rate (as a till does) and base + VAT = total exactly."""
    exponent = Decimal(1).scaleb(-get_currency_precision(currency))
    by_rate: dict[Decimal, Decimal] = {}
    for amount in amounts:
        fraction = rate_fraction(amount.rate).normalize()
        by_rate[fraction] = by_rate.get(fraction, Decimal(0)) + amount.total
    rows = []
    for fraction in sorted(by_rate, reverse=True):
        total = by_rate[fraction].quantize(exponent, rounding=ROUND_HALF_UP)
        base = (total / (1 + fraction)).quantize(exponent, rounding=ROUND_HALF_UP)
        rows.append(VatRow(rate=fraction, base=base, vat=total - base, total=total))
    return rows


def receipt_number(order_number: str) -> str:
    """The receipt carries the sale's number, so the till, the e-mail and the order agree."""
    return f"T-{order_number}"


def receipt_language(requested: str | None, customer_locale: str | None, default: str) -> str:
    for candidate in (requested, customer_locale, default):
        if candidate:
            lang = candidate.replace("-", "_").split("_", 1)[0].lower()
            if lang in SUPPORTED:
                return lang
    return "fr"


@dataclass(frozen=True)
class SendDecision:
    email: str | None
    why: str  # "asked-at-till" | "consented" | "no-consent" | "no-email"


def whom_to_send(asked_email: str | None, customer_email: str | None, consented: bool) -> SendDecision:
    """The e-mail typed at the till always gets *this* receipt (the customer asked for it); without
    one, the receipt goes to the customer's address only if they consented to e-receipts."""
    if asked_email:
        return SendDecision(asked_email, "asked-at-till")
    if customer_email and consented:
        return SendDecision(customer_email, "consented")
    if customer_email:
        return SendDecision(None, "no-consent")
    return SendDecision(None, "no-email")


def should_ask_consent(consented: bool) -> bool:
    """Ask in the e-mail only those who have not consented yet."""
    return not consented
