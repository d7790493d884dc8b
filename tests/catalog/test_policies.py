"""Catalogue rules without a database: GTINs, units, typed values, completeness, lifecycle, rights."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from comptoir.catalog import policies
from comptoir.catalog.policies import AttributeSpec, Rights


@pytest.mark.parametrize(
    "gtin",
    ["3017620422003", "96385074", "036000291452", "10614141000415"],
    ids=["ean13", "ean8", "upc-a", "gtin14"],
)
def test_valid_gtins_pass(gtin: str) -> None:
    assert policies.gtin_problem(gtin) is None


@pytest.mark.parametrize(
    ("gtin", "problem"),
    [
        ("3017620422004", "check digit should be 3, not 4"),
        ("30176204220", "a GTIN has 8, 12, 13 or 14 digits, not 11"),
        ("30176204220O3", "a GTIN has only digits"),
    ],
    ids=["check-digit", "length", "letter"],
)
def test_invalid_gtins_say_why(gtin: str, problem: str) -> None:
    assert policies.gtin_problem(gtin) == problem


@pytest.mark.parametrize(
    ("raw", "kind", "base"),
    [
        ("350 g", "mass", Decimal("350.000")),
        ("1,2 kg", "mass", Decimal("1200.000")),
        ({"value": "2", "unit": "lb"}, "mass", Decimal("907.185")),
        ("30 cm", "length", Decimal("300.000")),
        ("75 cl", "volume", Decimal("750.000")),
    ],
)
def test_quantities_convert_to_the_base_unit(raw: object, kind: str, base: Decimal) -> None:
    assert policies.to_base_unit(raw, kind) == base


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("350 stones", "unknown mass unit 'stones': use one of mg, g, kg, oz, lb"),
        ("heavy", "'heavy' is not a quantity like '350 g' (units: mg, g, kg, oz, lb)"),
        ({"value": "3"}, "unit missing: use one of mg, g, kg, oz, lb"),
    ],
)
def test_bad_quantities_are_refused_with_the_reason(raw: object, message: str) -> None:
    with pytest.raises(ValueError, match="^" + message.replace("(", r"\(").replace(")", r"\)") + "$"):
        policies.to_base_unit(raw, "mass")


def test_dimensions_read_as_millimetres() -> None:
    assert policies.parse_dimensions("30 x 20 x 1,5 cm") == (
        Decimal("300.000"),
        Decimal("200.000"),
        Decimal("15.000"),
    )


@pytest.mark.parametrize(
    ("spec", "raw", "stored"),
    [
        (AttributeSpec("collar", "enum", options=("round", "mao")), "mao", "mao"),
        (AttributeSpec("organic", "boolean"), "oui", True),
        (AttributeSpec("released", "date"), "2026-03-01", "2026-03-01"),
        (AttributeSpec("waist", "number", unit_kind="length"), "72 cm", {"value": "72", "unit": "cm"}),
        (AttributeSpec("pieces", "number"), "12,5", "12.5"),
        (AttributeSpec("care", "localised_text"), {"fr_FR": " Lavage 30° "}, {"fr_FR": "Lavage 30°"}),
    ],
    ids=["enum", "boolean", "date", "number-unit", "number", "localised"],
)
def test_attribute_values_are_checked_and_normalised(
    spec: AttributeSpec, raw: object, stored: object
) -> None:
    assert policies.normalise_attribute_value(spec, raw, policies.LOCALES) == stored


@pytest.mark.parametrize(
    ("spec", "raw", "message"),
    [
        (
            AttributeSpec("collar", "enum", options=("round", "mao")),
            "square",
            "'square' is not one of round, mao",
        ),
        (AttributeSpec("organic", "boolean"), "maybe", "'maybe' is not true or false"),
        (AttributeSpec("released", "date"), "01/03/2026", "'01/03/2026' is not a date like 2026-03-01"),
        (AttributeSpec("care", "localised_text"), {"de_DE": "x"}, "unknown locale 'de_DE': use fr_FR, en_GB"),
    ],
    ids=["enum", "boolean", "date", "locale"],
)
def test_bad_attribute_values_say_why(spec: AttributeSpec, raw: object, message: str) -> None:
    with pytest.raises(ValueError) as caught:
        policies.normalise_attribute_value(spec, raw, policies.LOCALES)
    assert str(caught.value) == message


def test_a_composition_adds_up_to_100() -> None:
    assert policies.parse_composition("coton:60;lin:40") == [
        {"material": "coton", "percent": "60"},
        {"material": "lin", "percent": "40"},
    ]
    with pytest.raises(ValueError, match="must add up to 100"):
        policies.parse_composition("coton:60;lin:30")


FAMILY = [
    {"code": "collar", "required_channels": ["web"]},
    {"code": "care", "required_channels": ["*"]},
    {"code": "images", "required_channels": ["web"]},
    {"code": "description", "required_channels": ["web", "app"]},
]


def _completeness(channel: str, locale: str = "fr_FR", **overrides: object) -> policies.Completeness:
    args: dict = {
        "channel": channel,
        "locale": locale,
        "family_attributes": FAMILY,
        "localised_attributes": {"care"},
        "fields": {"name": {"fr_FR": "Robe"}, "description": {"fr_FR": "Légère"}},
        "attributes": {"collar": "mao", "care": {"fr_FR": "30°"}},
        "image_count": 1,
        "variant_count": 2,
    }
    args.update(overrides)
    return policies.completeness(**args)


def test_a_complete_product_scores_100() -> None:
    assert _completeness("web") == policies.Completeness("web", "fr_FR", 100, ())


def test_completeness_depends_on_the_channel_and_the_locale() -> None:
    # given a product with French texts only and no image
    # then the web misses the English texts and an image, the store only the English care text
    assert _completeness("web", "en_GB", image_count=0).missing == (
        "name (en_GB)",
        "care (en_GB)",
        "images",
        "description (en_GB)",
    )
    assert _completeness("store", "en_GB", image_count=0) == policies.Completeness(
        "store", "en_GB", 33, ("name (en_GB)", "care (en_GB)")
    )


def test_a_product_without_variants_is_incomplete() -> None:
    assert _completeness("store", variant_count=0).missing == ("variants",)


@pytest.mark.parametrize(
    ("current", "target", "problem"),
    [
        ("draft", "active", None),
        ("active", "archived", None),
        ("archived", "draft", None),
        ("active", "draft", "an active product can become archived, not draft"),
        ("archived", "active", "an archived product can become draft, not active"),
    ],
)
def test_lifecycle(current: str, target: str, problem: str | None) -> None:
    assert policies.transition_problem(current, target) == problem


NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("rights", "channel", "territory", "refusal"),
    [
        (Rights(), "web", "FR", None),
        (Rights(valid_until=NOW - timedelta(days=1)), "web", "FR", "licence expired on 2026-05-31"),
        (Rights(valid_from=NOW + timedelta(days=3)), "web", "FR", "licensed from 2026-06-04"),
        (Rights(channels=("web",)), "app", "FR", "not licensed for channel app"),
        (Rights(channels=("web",)), None, "FR", None),
        (Rights(territories=("FR", "BE")), "web", "ch", "not licensed in territory CH"),
    ],
    ids=["free", "expired", "not-yet", "other-channel", "back-office", "territory"],
)
def test_rights_at_delivery(rights: Rights, channel: str | None, territory: str, refusal: str | None) -> None:
    assert policies.rights_refusal(rights, channel_kind=channel, territory=territory, at=NOW) == refusal


def test_rights_expiring_soon() -> None:
    assert policies.expiring(NOW + timedelta(days=10), at=NOW, within_days=30)
    assert not policies.expiring(NOW + timedelta(days=60), at=NOW, within_days=30)
    assert not policies.expiring(NOW - timedelta(days=1), at=NOW, within_days=30)
    assert not policies.expiring(None, at=NOW, within_days=30)


def test_search_words_are_folded() -> None:
    assert policies.search_terms("  Robe d'ÉTÉ, lin!") == ["robe", "d", "ete", "lin"]
    assert policies.fold("Œuvre Noël") == "œuvre noel"


def test_renditions_never_upscale() -> None:
    assert policies.rendition_size(4000, 3000, 480) == (480, 360)
    assert policies.rendition_size(300, 200, 480) == (300, 200)


def test_localised_text_falls_back() -> None:
    texts = {"fr_FR": "Robe", "en_GB": "Dress"}
    assert policies.localised(texts, "en_US") == "Dress"
    assert policies.localised(texts, "de_DE") == "Robe"
    assert policies.localised({"en_GB": "Dress"}, "fr_FR") == "Dress"
