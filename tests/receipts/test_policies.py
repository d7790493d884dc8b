"""Receipt rules without a database: the VAT breakdown, the language, whom to send the receipt to."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from comptoir.receipts import policies
from comptoir.receipts.policies import TaxedAmount


def test_vat_breakdown_per_rate_highest_first() -> None:
    rows = policies.vat_breakdown(
        [
            TaxedAmount(Decimal("20"), Decimal("59.90")),
            TaxedAmount(Decimal("5.5"), Decimal("3.20")),
            TaxedAmount(Decimal("20"), Decimal("89.00")),
        ],
        "EUR",
    )
    assert [(r.rate, r.base, r.vat, r.total) for r in rows] == [
        (Decimal("0.2"), Decimal("124.08"), Decimal("24.82"), Decimal("148.90")),
        (Decimal("0.055"), Decimal("3.03"), Decimal("0.17"), Decimal("3.20")),
    ]


def test_fractions_and_percents_are_the_same_rate() -> None:
    rows = policies.vat_breakdown(
        [TaxedAmount(Decimal("0.20"), Decimal("12.00")), TaxedAmount(Decimal("20"), Decimal("12.00"))], "EUR"
    )
    assert [(r.rate, r.base, r.vat) for r in rows] == [(Decimal("0.2"), Decimal("20.00"), Decimal("4.00"))]


@given(
    st.lists(
        st.tuples(
            st.sampled_from([Decimal("20"), Decimal("10"), Decimal("5.5"), Decimal("2.1"), Decimal("0")]),
            st.decimals(min_value=Decimal("0"), max_value=Decimal("9999"), places=2),
        ),
        max_size=30,
    )
)
def test_base_plus_vat_is_the_total_paid(lines: list[tuple[Decimal, Decimal]]) -> None:
    rows = policies.vat_breakdown([TaxedAmount(rate, total) for rate, total in lines], "EUR")
    assert sum((r.total for r in rows), Decimal(0)) == sum((t for _, t in lines), Decimal(0))
    for row in rows:
        assert row.base + row.vat == row.total
        assert row.vat >= 0


def test_the_language_asked_then_the_customer_then_the_retailer() -> None:
    assert policies.receipt_language("en", "fr_FR", "fr_FR") == "en"
    assert policies.receipt_language(None, "en-GB", "fr_FR") == "en"
    assert policies.receipt_language(None, None, "fr_FR") == "fr"
    assert policies.receipt_language("de", None, "es_ES") == "fr"


def test_the_email_typed_at_the_till_always_gets_this_receipt() -> None:
    decision = policies.whom_to_send("marie@example.fr", "marie.curie@orange.fr", consented=False)
    assert (decision.email, decision.why) == ("marie@example.fr", "asked-at-till")


def test_without_an_email_at_the_till_only_consented_customers_get_it() -> None:
    assert policies.whom_to_send(None, "m@example.fr", consented=True).email == "m@example.fr"
    assert policies.whom_to_send(None, "m@example.fr", consented=False).why == "no-consent"
    assert policies.whom_to_send(None, None, consented=True).why == "no-email"


def test_the_number_is_the_sale_s() -> None:
    assert policies.receipt_number("A7K2M9Q4") == "T-A7K2M9Q4"
