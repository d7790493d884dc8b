"""Ingestion: records kept verbatim, matched at once, joined to one golden record."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from comptoir.core.models import OutboxEvent
from comptoir.customers import profiles
from comptoir.customers.models import Customer, Review, SourceRecord
from tests.customers.conftest import JEAN, MARIE


def events(db: Any, prefix: str = "customers.") -> list[tuple[str, dict[str, Any]]]:
    with db.engine.connect() as conn:
        rows = conn.execute(select(OutboxEvent.type, OutboxEvent.payload).order_by(OutboxEvent.seq)).all()
    return [(t, p) for t, p in rows if t.startswith(prefix)]


def test_a_new_person_becomes_a_golden_record_with_lineage(db, ingest, step) -> None:
    result = ingest("web", **JEAN, locale="fr")
    assert result.created and result.decision == "new" and result.flags == []
    with step() as uow:
        customer = profiles.get_customer(uow, result.customer_id)
    assert (customer.given_name, customer.family_name, customer.email, customer.phone) == (
        "Jean",
        "Dupont",
        "jean.dupont@gmail.com",
        "+33612345678",
    )
    assert str(customer.birth_date) == "1980-12-31"
    assert customer.lineage["email"] == result.record_id
    assert customer.locale == "fr"
    assert events(db) == [
        ("customers.customer_created", {"customer_id": result.customer_id, "source": "web"})
    ]


def test_the_same_person_from_another_touchpoint_joins_the_golden_record(db, ingest, step) -> None:
    first = ingest("web", **JEAN)
    second = ingest("pos", given_name="JEAN", family_name="DUPONT", phone="+33612345678", birth_date="31-12-80",
                    loyalty_card="29 0000 1111")  # fmt: skip
    assert second.customer_id == first.customer_id
    assert (second.decision, second.created, second.matched_record_id) == ("matched", False, first.record_id)
    assert second.score is not None and second.score >= 9
    with step() as uow:
        customer = profiles.get_customer(uow, first.customer_id)
        assert customer.loyalty_card == "2900001111"
        assert customer.lineage["loyalty_card"] == second.record_id
        assert uow.session.scalar(select(func.count()).select_from(SourceRecord)) == 2
    assert [t for t, _ in events(db)] == ["customers.customer_created", "customers.customer_updated"]


def test_a_dirty_record_is_kept_verbatim_with_its_flags(ingest, step) -> None:
    result = ingest("call-centre", given_name="jean", email="jean@", phone="12", note="called about order 42")
    assert result.flags == ["email_invalid", "family_name_missing", "phone_invalid"]
    with step() as uow:
        record = uow.session.get(SourceRecord, result.record_id)
        assert record.raw == {
            "given_name": "jean",
            "email": "jean@",
            "phone": "12",
            "note": "called about order 42",
        }
        assert record.email is None and record.flags == result.flags


def test_different_people_stay_apart(ingest) -> None:
    assert ingest(**JEAN).customer_id != ingest(**MARIE).customer_id


def test_a_middling_match_goes_to_staff_review(db, ingest, step) -> None:
    first = ingest(**JEAN)
    # same names and birth date, but another e-mail and phone: perhaps a namesake
    second = ingest(
        given_name="Jean",
        family_name="Dupont",
        birth_date="1980-12-31",
        email="jd@free.fr",
        phone="0711223344",
    )
    assert second.created and second.customer_id != first.customer_id
    assert len(second.review_ids) == 1
    with step() as uow:
        review = uow.session.get(Review, second.review_ids[0])
        assert {review.customer_a, review.customer_b} == {first.customer_id, second.customer_id}
        assert review.status == "open"
    assert "customers.match_review_opened" in [t for t, _ in events(db)]


def test_a_record_matching_two_customers_joins_them(db, ingest, step) -> None:
    by_email = ingest(
        given_name="Jean", family_name="Dupont", email="jean.dupont@gmail.com", birth_date="1980-12-31"
    )
    by_phone = ingest(given_name="Jean", family_name="Dupont", phone="0612345678", postcode="06000")
    assert by_email.customer_id != by_phone.customer_id
    bridge = ingest("web", **JEAN)
    assert bridge.customer_id == min(by_email.customer_id, by_phone.customer_id)
    assert bridge.merged_ids == [max(by_email.customer_id, by_phone.customer_id)]
    with step() as uow:
        merged = uow.session.get(Customer, bridge.merged_ids[0])
        assert (merged.status, merged.merged_into) == ("merged", bridge.customer_id)
        assert profiles.resolve_id(uow, bridge.merged_ids[0]) == bridge.customer_id
    merged_events = [p for t, p in events(db) if t == "customers.customers_merged"]
    assert merged_events[0]["surviving_id"] == bridge.customer_id
    assert merged_events[0]["merged_ids"] == bridge.merged_ids


def test_a_record_sent_again_by_its_source_replaces_the_previous_version(ingest, step) -> None:
    first = ingest("pos", source_ref="POS-1", **MARIE)
    again = ingest(
        "pos", source_ref="POS-1", **{**MARIE, "email": "m.curie@free.fr", "street": "8 rue Haute"}
    )
    assert again.customer_id == first.customer_id and again.decision == "same-source-record"
    with step() as uow:
        assert uow.session.get(SourceRecord, first.record_id).status == "superseded"
        assert profiles.get_customer(uow, first.customer_id).email == "m.curie@free.fr"


def test_consents_collected_with_a_record_enter_the_ledger(ingest, step) -> None:
    result = ingest("web", **MARIE, consents=[{"purpose": "marketing", "channel": "email", "granted": True}])
    with step() as uow:
        assert profiles.consents.may_contact(uow, result.customer_id, "marketing", "email")
        assert not profiles.consents.may_contact(uow, result.customer_id, "marketing", "sms")
