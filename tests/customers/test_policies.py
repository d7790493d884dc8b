"""Pure rules: survivorship, consent, passwords and lock-outs, segments, who may see whom."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from comptoir.customers.normalisation import Person
from comptoir.customers.policies import (
    SourceView,
    Statement,
    ThrottleRule,
    clean_segments,
    current_consent,
    may_access_customer,
    password_problem,
    self_asserted,
    survive,
    throttle_rule,
)

T0 = datetime(2025, 1, 1, tzinfo=UTC)


def view(
    record_id: str, source: str, days: int, verified: bool = False, flags: tuple[str, ...] = (), **fields
):
    return SourceView(record_id, source, T0 + timedelta(days=days), Person(**fields), verified, flags)


def test_each_field_survives_from_one_record_and_says_which() -> None:
    golden, lineage = survive(
        [
            view(
                "pos1",
                "pos",
                0,
                given_name="Jean",
                family_name="Dupont",
                phone="+33612345678",
                loyalty_card="29",
            ),
            view("web1", "web", 5, given_name="Jean-Pierre", family_name="Dupont", email="jp@web.fr"),
            view("cc1", "call-centre", 9, family_name="Dupond", birth_date="1980-12-31"),
        ]
    )
    assert golden.given_name == "Jean-Pierre" and lineage["given_name"] == "web1"  # web outranks the till
    assert golden.family_name == "Dupont" and lineage["family_name"] == "web1"  # call centre ranks last
    assert golden.birth_date == "1980-12-31" and lineage["birth_date"] == "cc1"  # the only one who had it
    assert (golden.phone, golden.loyalty_card) == ("+33612345678", "29")


def test_email_prefers_the_most_recent_verified_one() -> None:
    golden, lineage = survive(
        [
            view("a", "account", 1, verified=True, email="old@verified.fr"),
            view("b", "eticket", 3, email="typed@till.fr"),
            view("c", "web", 2, verified=True, email="new@verified.fr"),
        ]
    )
    assert (golden.email, lineage["email"]) == ("new@verified.fr", "c")
    golden, _ = survive([view("a", "pos", 1, email="a@x.fr"), view("b", "pos", 2, email="b@x.fr")])
    assert golden.email == "b@x.fr"  # nothing verified: the most recent


def test_the_address_comes_whole_from_the_most_complete_record() -> None:
    golden, lineage = survive(
        [
            view("full", "pos", 1, street="1 rue A", postcode="75001", city="Paris", country="FR"),
            view("partial", "web", 9, postcode="69001", country="FR"),
        ]
    )
    assert (golden.street, golden.postcode, golden.city) == ("1 rue A", "75001", "Paris")
    assert lineage["street"] == lineage["postcode"] == "full"


def test_a_valid_phone_beats_an_invalid_one_from_a_better_source() -> None:
    golden, lineage = survive(
        [
            view("a", "account", 5, flags=("phone_invalid",), phone="+3312"),
            view("b", "pos", 1, phone="+33612345678"),
        ]
    )
    assert (golden.phone, lineage["phone"]) == ("+33612345678", "b")


def test_the_latest_consent_statement_wins_and_silence_means_no() -> None:
    statements = [
        Statement("marketing", "email", True, T0, 1),
        Statement("marketing", "email", False, T0 + timedelta(days=3), 2),
        Statement("marketing", "sms", True, T0 + timedelta(days=1), 3),
        Statement("marketing", "email", True, T0 + timedelta(days=3), 4),  # same instant: recorded later wins
    ]
    assert current_consent(statements, "marketing", "email") is True
    assert current_consent(statements[:2], "marketing", "email") is False
    assert current_consent(statements, "marketing", "sms") is True
    assert current_consent(statements, "profiling", "email") is False


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("court", "The password must have at least 10 characters."),
        ("marie.curie-2025", "The password must not contain the e-mail address."),
        ("aaaaaaaaaaaa", "The password is too repetitive."),
        ("une phrase de passe", None),
    ],
)
def test_password_rules(password: str, problem: str | None) -> None:
    assert password_problem(password, "marie.curie@orange.fr") == problem


def test_segments_are_lower_case_slugs() -> None:
    assert clean_segments(["VIP", " pro ", "vip"]) == ["pro", "vip"]
    with pytest.raises(ValueError):
        clean_segments(["très fidèle"])


def test_who_may_act_on_a_customer() -> None:
    assert may_access_customer("back-office", None, "cus_1") is None
    assert may_access_customer("store", None, "cus_1") is None
    assert may_access_customer("web", "cus_1", "cus_1") is None
    assert may_access_customer("web", "cus_2", "cus_1") == "A customer may only act on their own data."
    assert may_access_customer("app", None, "cus_1") is not None


@pytest.mark.parametrize(
    ("source", "channel_kind", "expected"),
    [
        ("account", "back-office", True),  # a sign-up, whoever relays it
        ("web", "web", True),
        ("pos", "web", True),  # a website key cannot vouch for a record by naming another source
        ("pos", "app", True),
        ("web", "live", True),
        ("web", "back-office", False),  # the retailer's own systems vouch for what they send
        ("pos", "store", False),
        ("eticket", "store", False),
        ("call-centre", "call-centre", False),
    ],
)
def test_self_asserted_records(source: str, channel_kind: str, expected: bool) -> None:
    assert self_asserted(source, channel_kind) is expected


def test_throttle_rules_per_email_and_per_client() -> None:
    assert throttle_rule("email") == ThrottleRule(limit=5, lock_seconds=15 * 60)
    assert throttle_rule("client") == ThrottleRule(limit=30, lock_seconds=15 * 60)
