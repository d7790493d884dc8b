"""A shop's week of appointments in the back office (the appointments tests' retailer, the clock on Monday
22 March 2027): each day's appointments, those a closure disrupted flagged with the times offered
instead, the weeks before and after, the shops limited to the manager's own, in French and English."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from comptoir.appointments import service as appointments
from comptoir.appointments.schemas import BookIn, PersonIn, SlotIn
from comptoir.core.access import Role
from comptoir.core.db import Database
from comptoir.core.uow import UnitOfWork
from comptoir.stores import service as stores
from comptoir.stores.schemas import BulkSpecialDaysIn
from tests.appointments.conftest import MARSEILLE, RIVOLI, Retailer
from tests.support.staff import sign_in_pages


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&amp;", "&")


def book(db: Database, retailer: Retailer, starts_at: str, name: str) -> str:
    slot = SlotIn(service_id=retailer.styling, place_id=RIVOLI, starts_at=datetime.fromisoformat(starts_at))
    with UnitOfWork(db) as uow:
        out = appointments.book(uow, BookIn(slot=slot, person=PersonIn(given_name=name, phone="0612345678")))
        uow.commit()
    return out.id


@pytest.fixture
def week(db: Database, retailer: Retailer, dispatcher: Any) -> dict[str, str]:
    """Three appointments at Rivoli this week; Rivoli then closes on Wednesday (a strike)."""
    ids = {
        "monday": book(db, retailer, "2027-03-22T11:00:00+01:00", "Inès"),
        "wednesday": book(db, retailer, "2027-03-24T15:00:00+01:00", "Paul"),
        "next week": book(db, retailer, "2027-03-30T10:15:00+02:00", "Léa"),
    }
    with UnitOfWork(db) as uow:
        stores.bulk_special_days(
            uow,
            BulkSpecialDaysIn.model_validate(
                {
                    "selector": {"place_ids": [RIVOLI]},
                    "days": [{"date": "2027-03-24", "closed": True, "reason": "Grève"}],
                }
            ),
        )
        uow.commit()
    dispatcher.drain()
    return ids


@pytest.mark.parametrize(
    ("lang", "title", "closed", "wednesday"),
    [
        ("fr", "Rendez-vous à Comptoir Rivoli", "Magasin fermé à cet horaire", "mercredi 24 mars"),
        ("en", "Appointments at Comptoir Rivoli", "Shop closed at this time", "Wednesday 24 March"),
    ],
)
def test_a_managers_week_flags_the_disrupted_ones(
    client: TestClient, db: Database, week: dict[str, str], lang: str, title: str, closed: str, wednesday: str
) -> None:
    sign_in_pages(client, db, Role.SHOP_MANAGER, [RIVOLI])
    page = client.get(f"/back-office/appointments?lang={lang}")
    assert page.status_code == 200, page.text
    text = text_of(page.text)
    assert title in text and wednesday in text
    assert "Inès" in text and "Paul" in text and "Léa" not in text  # next week's is next week
    assert "11:00–11:45" in text and "15:00–15:45" in text
    assert text.count(closed) == 1  # Wednesday's only
    with UnitOfWork(db) as uow:
        disrupted = appointments.get_appointment(uow, week["wednesday"])
    assert disrupted.disrupted_at is not None and disrupted.alternatives
    assert ("Proposé à la place" if lang == "fr" else "Offered instead") in text
    assert 'href="/back-office/appointments"' in page.text  # in the back office's navigation
    assert "Comptoir Marseille" not in text  # a manager chooses among their own shops only

    following = client.get(f"/back-office/appointments?place={RIVOLI}&day=2027-03-29&lang={lang}")
    assert following.status_code == 200 and "Léa" in following.text and "Inès" not in following.text


def test_the_back_office_chooses_any_shop_and_others_are_refused(
    client: TestClient, db: Database, week: dict[str, str], app: Any
) -> None:
    sign_in_pages(client, db, Role.BACK_OFFICE)
    page = client.get(f"/back-office/appointments?place={MARSEILLE}")
    assert page.status_code == 200
    assert "Comptoir Rivoli" in page.text and "Aucun rendez-vous." in page.text
    with TestClient(app, raise_server_exceptions=False) as other:
        sign_in_pages(other, db, Role.SHOP_MANAGER, [MARSEILLE])
        assert other.get(f"/back-office/appointments?place={RIVOLI}").status_code == 404
    with TestClient(app, raise_server_exceptions=False) as seller:
        sign_in_pages(seller, db, Role.SELLER, [RIVOLI])
        assert seller.get("/back-office/appointments").status_code == 403
