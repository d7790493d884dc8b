"""The public interface other domains use: as orders, pricing or carts would call it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from comptoir.core.errors import NotFound
from comptoir.customers import merging, service
from comptoir.customers.schemas import ConsentIn, CustomerRecord
from tests.customers.conftest import JEAN


def test_the_e_receipt_finds_or_creates_the_customer_by_email(step) -> None:
    with step() as uow:
        first = service.ingest(uow, "eticket", CustomerRecord(email="Jean.Dupont@gmail.com"))
        service.add_identifier(uow, first.customer_id, "receipt", "T-42")
    with step() as uow:
        again = service.ingest(
            uow, "eticket", CustomerRecord(email="jean.dupont@gmail.com", given_name="Jean")
        )
    assert first.created and again.customer_id == first.customer_id
    with step() as uow:
        assert [h.customer.id for h in service.search(uow, "T-42")] == [first.customer_id]


def test_merged_ids_resolve_to_the_survivor_with_its_segments(step, ingest) -> None:
    a = ingest("web", **JEAN).customer_id
    b = ingest("pos", given_name="Ada", family_name="Lovelace", email="ada@example.org").customer_id
    with step() as uow:
        service.set_segments(uow, b, ["pro"])
        merging.merge(uow, a, [b], reason="staff")
    with step() as uow:
        assert service.resolve_id(uow, b) == a
        customer = service.get_customer(uow, b)
        assert (customer.id, customer.segments, customer.merged_ids) == (a, ["pro"], [b])
        assert service.segments_of(uow, a) == ["pro"]
        with pytest.raises(NotFound):
            service.get_customer(uow, "cus_unknown")


def test_may_contact_answers_for_a_moment(step, ingest) -> None:
    customer_id = ingest("web", **JEAN).customer_id
    with step() as uow:
        service.record_consents(
            uow,
            customer_id,
            [
                ConsentIn(
                    purpose="marketing",
                    channel="sms",
                    granted=True,
                    stated_at=datetime(2025, 1, 1, tzinfo=UTC),
                ),
                ConsentIn(
                    purpose="marketing",
                    channel="sms",
                    granted=False,
                    stated_at=datetime(2025, 6, 1, tzinfo=UTC),
                ),
            ],
            "pos",
        )
    with step() as uow:
        assert service.may_contact(uow, customer_id, "marketing", "sms", at=datetime(2025, 3, 1, tzinfo=UTC))
        assert not service.may_contact(uow, customer_id, "marketing", "sms")
        assert not service.may_contact(uow, customer_id, "marketing", "email")
        assert [c.granted for c in service.consents_of(uow, customer_id).current] == [False]
