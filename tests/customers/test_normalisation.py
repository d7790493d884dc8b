"""Normalisation rules, one by one, without a database."""

from __future__ import annotations

from datetime import date

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from comptoir.customers.normalisation import (
    Person,
    name_key,
    normalise,
    normalise_city,
    normalise_columns,
    normalise_country,
    normalise_email,
    normalise_loyalty_card,
    normalise_name,
    normalise_phone,
    normalise_postcode,
    parse_birth_date,
    phonetic,
    street_key,
)

TODAY = date(2025, 6, 1)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("JEAN-PIERRE", "Jean-Pierre"),
        ("  marie   claire ", "Marie Claire"),
        ("DE LA FONTAINE", "de La Fontaine"),
        ("d’ARTAGNAN", "d'Artagnan"),
        ("LE GOFF", "Le Goff"),
        ("o'neill", "O'Neill"),
        ("VAN DER BERG", "van der Berg"),
        ("hélène", "Hélène"),
        ("Dupont2", "Dupont"),
        ("de", "De"),
        ("1234", None),
        ("", None),
        (None, None),
    ],
)
def test_names_get_french_capitalisation_and_particles(raw: str | None, expected: str | None) -> None:
    assert normalise_name(raw) == expected


def test_name_key_drops_case_accents_and_punctuation() -> None:
    assert name_key("de La Fontaine") == "de la fontaine"
    assert name_key("Hélène-Œuvray") == "helene oeuvray"
    assert name_key(None) == ""


@pytest.mark.parametrize(
    ("a", "b"),
    [("Dupont", "Dupond"), ("DUPONT", "dupont"), ("Philippe", "Filipe"), ("Gauthier", "Gautier")],
)
def test_sound_alike_names_share_a_phonetic_key(a: str, b: str) -> None:
    assert phonetic(a) == phonetic(b) != ""


def test_phonetic_keys_of_distinct_names_differ() -> None:
    assert phonetic("Dupont") == "DPN"
    assert phonetic("Martin") != phonetic("Bernard")


@pytest.mark.parametrize(
    ("raw", "expected", "flags"),
    [
        ("Jean.Dupont@Gmail.COM", "jean.dupont@gmail.com", []),
        ("  mailto:jean@orange.fr ", "jean@orange.fr", []),
        ("jean@", None, ["email_invalid"]),
        ("jean dupont@gmail.com", None, ["email_invalid"]),
        ("jean@localhost", None, ["email_invalid"]),
        ("", None, []),
    ],
)
def test_emails_are_validated_and_lower_cased(raw: str, expected: str | None, flags: list[str]) -> None:
    assert normalise_email(raw) == (expected, flags)


@pytest.mark.parametrize(
    ("raw", "expected", "flags"),
    [
        ("06 12 34 56 78", "+33612345678", []),
        ("06.12.34.56.78", "+33612345678", []),
        ("+33 6 12 34 56 78", "+33612345678", []),
        ("+33 (0)6 12 34 56 78", "+33612345678", []),
        ("0033612345678", "+33612345678", []),
        ("01 42 68 53 00", "+33142685300", []),
        ("+32 2 555 12 12", "+3225551212", []),
        ("0612", "+330612", ["phone_invalid"]),  # as phonenumbers writes it
        ("not a number", None, ["phone_invalid"]),
        ("", None, []),
    ],
)
def test_phones_become_e164(raw: str, expected: str | None, flags: list[str]) -> None:
    assert normalise_phone(raw) == (expected, flags)


def test_belgian_region_reads_national_numbers_as_belgian() -> None:
    assert normalise_phone("02 555 12 12", "BE") == ("+3225551212", [])


@settings(max_examples=300, deadline=None)
@given(st.from_regex(r"0[1-9][0-9]{8}", fullmatch=True))
def test_the_fast_path_for_french_numbers_agrees_with_phonenumbers(number: str) -> None:
    parsed = phonenumbers.parse(number, "FR")
    expected = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    flags = [] if phonenumbers.is_valid_number(parsed) else ["phone_invalid"]
    assert normalise_phone(number) == (expected, flags)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("31/12/1980", date(1980, 12, 31)),
        ("31-12-80", date(1980, 12, 31)),
        ("31.12.1980", date(1980, 12, 31)),
        ("31121980", date(1980, 12, 31)),
        ("1980-12-31", date(1980, 12, 31)),
        ("1980-12-31T00:00:00", date(1980, 12, 31)),
        ("31/12/1980 00:00", date(1980, 12, 31)),
        ("1er mars 1980", date(1980, 3, 1)),
        ("3 février 1975", date(1975, 2, 3)),
        ("05/06/24", date(2024, 6, 5)),
        ("05/06/26", date(1926, 6, 5)),
    ],
)
def test_birth_dates_in_french_and_iso_forms(raw: str, expected: date) -> None:
    assert parse_birth_date(raw, TODAY) == (expected, [])


@pytest.mark.parametrize(
    ("raw", "flag"),
    [
        ("31/02/1980", "birth_date_invalid"),
        ("hier", "birth_date_invalid"),
        ("01/01/2030", "birth_date_implausible"),
        ("01/01/1900", "birth_date_implausible"),
        ("12/12/1850", "birth_date_implausible"),
    ],
)
def test_impossible_birth_dates_are_flagged_and_dropped(raw: str, flag: str) -> None:
    assert parse_birth_date(raw, TODAY) == (None, [flag])


def test_postcodes_and_countries() -> None:
    assert normalise_postcode("75 011", "FR") == ("75011", [])
    assert normalise_postcode("6000", "FR") == ("06000", [])  # a spreadsheet ate the leading zero
    assert normalise_postcode("750", "FR") == ("750", ["postcode_invalid"])
    assert normalise_postcode("L-1234", "LU") == ("1234", [])
    assert normalise_country("France") == ("FR", [])
    assert normalise_country("belgique") == ("BE", [])
    assert normalise_country("Suisse") == ("CH", [])
    assert normalise_country("") == ("FR", [])
    assert normalise_country("Atlantis") == (None, ["country_invalid"])


def test_streets_compare_through_their_key_and_cities_keep_small_words_low() -> None:
    assert street_key("12 bis, Av. de la République") == "12bis avenue de la republique"
    assert street_key("12B avenue de la Republique") == "12b avenue de la republique"
    assert street_key("3 bd St-Michel") == "3 boulevard saint michel"
    assert normalise_city("SAINT-GERMAIN-DES-PRÉS") == "Saint-Germain-des-Prés"
    assert normalise_city("LE HAVRE") == "Le Havre"
    assert normalise_city("boulogne sur mer") == "Boulogne sur Mer"


def test_loyalty_cards_lose_spaces_and_dashes() -> None:
    assert normalise_loyalty_card(" 29-1234 5678 ") == "2912345678"


def test_a_dirty_record_is_kept_with_its_quality_flags() -> None:
    result = normalise(
        {"given_name": "jean", "email": "jean@", "phone": "12", "birth_date": "31/02/1980", "postcode": "7"},
        today=TODAY,
    )
    assert result.person == Person(given_name="Jean", phone="+3312", postcode="7", country="FR")
    assert result.flags == [
        "birth_date_invalid",
        "email_invalid",
        "family_name_missing",
        "phone_invalid",
        "postcode_invalid",
    ]


def test_a_record_without_any_way_to_reach_the_person_is_flagged() -> None:
    assert normalise({"family_name": "Martin"}, today=TODAY).flags == ["no_contact_point"]


RAW = [
    {"given_name": "JEAN", "family_name": "DUPONT", "email": "J.Dupont@Gmail.com", "phone": "06 12 34 56 78",
     "birth_date": "31/12/1980", "street": "12 av. Foch", "postcode": "6000", "city": "NICE", "country": ""},
    {"given_name": "", "family_name": "de la tour", "email": "x@", "phone": "+32 2 555 12 12",
     "birth_date": "1er mars 1980", "street": "", "postcode": "1000", "city": "", "country": "Belgique"},
    {"given_name": None, "family_name": None, "email": None, "phone": None, "birth_date": None, "street": None,
     "postcode": None, "city": None, "country": "Atlantis", "loyalty_card": "29 12"},
]  # fmt: skip


def test_the_column_path_of_the_batch_engine_gives_the_same_values_as_single_records() -> None:
    fields = {key for row in RAW for key in row}
    columns = {f: [row.get(f) for row in RAW] for f in fields}
    batch = normalise_columns(columns, len(RAW), today=TODAY)
    for index, row in enumerate(RAW):
        single = normalise(row, today=TODAY).person
        assert {f: batch[f][index] for f in batch} == single.as_dict()
