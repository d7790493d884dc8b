"""The appointments on the shop tablet, through its pages (the appointments tests' retailer, the clock on
Monday 22 March 2027, 09:00 in Paris): the advisor's day with the customer's 360° a tap away, check-in,
completion with notes, no-show (refused before the start, said in the seller's words), cancellation;
booking for a customer found by name or for a new person typed in; and nobody acting on another shop's
appointments."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from fastapi.testclient import TestClient

from comptoir.appointments import service as appointments
from comptoir.appointments.schemas import BookIn, CompleteIn, SlotIn
from comptoir.core import clock
from comptoir.core.access import Role
from comptoir.core.db import Database
from comptoir.core.uow import UnitOfWork
from comptoir.core.web import STAFF_COOKIE, csrf_token
from comptoir.customers import service as customers
from comptoir.customers.schemas import CustomerRecord
from tests.appointments.conftest import MARSEILLE, NOW, RIVOLI, Retailer
from tests.support.staff import open_session, sign_in_pages

MONDAY_10_15 = datetime.fromisoformat("2027-03-22T10:15:00+01:00")


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&#39;", "'").replace("&amp;", "&")


def as_advisor(client: TestClient, db: Database, name: str) -> None:
    """Sign the tablet in as one of the retailer's advisors (their e-mail is name@comptoir.example)."""
    session = open_session(db, SimpleNamespace(email=f"{name}@comptoir.example"))  # type: ignore[arg-type]
    client.cookies.set(STAFF_COOKIE, session.token)
    client.headers["X-CSRF-Token"] = csrf_token(
        client.app.state.comptoir.settings.secret_key, session.session_id
    )  # type: ignore[attr-defined]


def marie(db: Database) -> str:
    with UnitOfWork(db) as uow:
        found = customers.ingest(
            uow, "pos", CustomerRecord(given_name="Marie", family_name="Curie", phone="0612345678")
        )
        uow.commit()
    return found.customer_id


def booked(db: Database, retailer: Retailer, customer_id: str, starts_at: datetime = MONDAY_10_15) -> str:
    slot = SlotIn(
        service_id=retailer.styling, place_id=RIVOLI, starts_at=starts_at, advisor_id=retailer.camille
    )
    with UnitOfWork(db) as uow:
        out = appointments.book(
            uow, BookIn(slot=slot, customer_id=customer_id, note="Un costume pour un mariage")
        )
        uow.commit()
    return out.id


def status(db: Database, appointment_id: str) -> Any:
    with UnitOfWork(db) as uow:
        return appointments.get_appointment(uow, appointment_id)


@pytest.mark.parametrize(
    ("lang", "title", "arrived", "not_started"),
    [
        ("fr", "Mes rendez-vous", "Arrivé", "Le rendez-vous n’a pas encore commencé"),
        ("en", "My appointments", "Arrived", "It has not started yet"),
    ],
)
def test_the_advisors_day_and_its_steps(
    client: TestClient,
    db: Database,
    retailer: Retailer,
    lang: str,
    title: str,
    arrived: str,
    not_started: str,
) -> None:
    customer_id = marie(db)
    appointment_id = booked(db, retailer, customer_id)
    as_advisor(client, db, "camille")

    day = client.get(f"/seller/appointments?lang={lang}")
    assert day.status_code == 200
    text = text_of(day.text)
    assert title in text and "10:15–11:00" in text and "Marie Curie" in text
    assert "Un costume pour un mariage" in text
    assert f'href="/seller/customers/{customer_id}"' in day.text  # the customer's 360°
    assert 'href="/seller/appointments"' in day.text  # in the seller app's navigation

    too_early = client.post(f"/seller/appointments/{appointment_id}/no-show", data={"shop": RIVOLI})
    assert too_early.status_code == 409 and not_started in text_of(too_early.text)

    checked = client.post(
        f"/seller/appointments/{appointment_id}/check-in", data={"shop": RIVOLI}, follow_redirects=False
    )
    assert checked.status_code == 303 and checked.headers["location"].startswith("/seller/appointments?shop=")
    assert arrived in text_of(client.get(checked.headers["location"]).text)
    again = client.post(f"/seller/appointments/{appointment_id}/check-in", data={"shop": RIVOLI})
    assert again.status_code == 409  # already arrived: said on the page, not a server error

    done = client.post(
        f"/seller/appointments/{appointment_id}/complete",
        data={"notes": "Costume bleu marine, retouches à prévoir", "shop": RIVOLI},
        follow_redirects=False,
    )
    assert done.status_code == 303
    out = status(db, appointment_id)
    assert out.status == "completed" and out.advisor_notes == "Costume bleu marine, retouches à prévoir"


def test_no_show_once_the_start_has_passed_and_a_cancellation(
    client: TestClient, db: Database, retailer: Retailer
) -> None:
    customer_id = marie(db)
    first = booked(db, retailer, customer_id)
    second = booked(db, retailer, customer_id, MONDAY_10_15 + timedelta(hours=3))
    sign_in_pages(client, db, Role.SELLER, [RIVOLI])
    shop_day = client.get("/seller/appointments")
    assert "Rendez-vous à Comptoir Rivoli" in text_of(shop_day.text)  # a seller sees the shop's day

    clock.set_clock(lambda: NOW + timedelta(hours=2, minutes=30))  # 11:30 in Paris
    missed = client.post(
        f"/seller/appointments/{first}/no-show", data={"shop": RIVOLI}, follow_redirects=False
    )
    assert missed.status_code == 303 and status(db, first).status == "no_show"
    cancelled = client.post(
        f"/seller/appointments/{second}/cancel",
        data={"reason": "Empêchée", "shop": RIVOLI},
        follow_redirects=False,
    )
    assert cancelled.status_code == 303 and status(db, second).status == "cancelled"
    page = text_of(client.get("/seller/appointments?lang=fr").text)
    assert "N’est pas venu" in page and "Annulé" in page


def test_a_seller_books_for_a_customer_found_by_name(
    client: TestClient, db: Database, retailer: Retailer
) -> None:
    customer_id = marie(db)
    sign_in_pages(client, db, Role.SELLER, [RIVOLI])
    form = client.get("/seller/appointments/new")
    assert form.status_code == 200 and "Essayage privé" in form.text  # booked in shops only
    times = client.get("/seller/appointments/new?service=conseil-style&day=2027-03-23")
    assert times.status_code == 200
    assert "mardi 23 mars 2027" in times.text and 'value="11:00"' in times.text

    held = client.post(
        "/seller/appointments/new",
        data={"shop": RIVOLI, "service": "conseil-style", "day": "2027-03-23", "at": "11:00"},
        follow_redirects=False,
    )
    assert held.status_code == 303
    who = held.headers["location"]
    found = client.get(f"{who}?q=curie")
    assert found.status_code == 200 and "Marie Curie" in found.text
    assert "Cet horaire est gardé jusqu’à 09:10." in text_of(found.text)

    done = client.post(who, data={"customer_id": customer_id}, follow_redirects=False)
    assert done.status_code == 303
    day = client.get(done.headers["location"])
    assert "Réservé : Conseil en style à 11:00 avec Test advisor." in text_of(day.text)
    (appointment,) = [a for a in _all(db) if a.customer_id == customer_id]
    assert appointment.channel == f"store:{RIVOLI}" and appointment.status == "booked"


def test_a_walk_in_booked_as_a_new_person_in_english(
    client: TestClient, db: Database, retailer: Retailer
) -> None:
    sign_in_pages(client, db, Role.SELLER, [RIVOLI])
    held = client.post(
        "/seller/appointments/new?lang=en",
        data={"shop": RIVOLI, "service": "essayage", "day": "2027-03-22", "at": "10:30"},
        follow_redirects=False,
    )
    assert held.status_code == 303  # a fitting needs no notice, and takes the fitting room
    who = held.headers["location"]
    assert "lang=en" in who
    nobody = client.post(who, data={"given_name": "Paul"})
    assert nobody.status_code == 422
    assert "Give the customer's first name and a phone number or an e-mail address." in text_of(nobody.text)

    done = client.post(
        who,
        data={"given_name": "Paul", "family_name": "Martin", "phone": "06 98 76 54 32", "news": "1"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    page = text_of(client.get(done.headers["location"]).text)
    assert "Booked: Private fitting at 10:30" in page and "Paul Martin" in page
    with UnitOfWork(db) as uow:
        (hit,) = customers.search(uow, "Paul Martin")
        consents = customers.consents_of(uow, hit.customer.id)
    assert any(c.purpose == "marketing" and c.channel == "sms" and c.granted for c in consents.current)


def test_a_time_taken_meanwhile_and_an_expired_hold_are_said(
    client: TestClient, db: Database, retailer: Retailer
) -> None:
    sign_in_pages(client, db, Role.SELLER, [RIVOLI])
    sunday = client.post(
        "/seller/appointments/new",
        data={"shop": RIVOLI, "service": "conseil-style", "day": "2027-03-28", "at": "11:00"},
    )
    assert sunday.status_code == 409 and "Cet horaire n’est plus libre" in text_of(sunday.text)
    held = client.post(
        "/seller/appointments/new",
        data={"shop": RIVOLI, "service": "conseil-style", "day": "2027-03-23", "at": "11:00"},
        follow_redirects=False,
    )
    clock.set_clock(lambda: NOW + timedelta(minutes=11))
    late = client.post(held.headers["location"], data={"given_name": "Paul", "phone": "0698765432"})
    assert late.status_code == 409 and "a été libéré" in text_of(late.text)


def test_another_shops_seller_reaches_nothing(client: TestClient, db: Database, retailer: Retailer) -> None:
    appointment_id = booked(db, retailer, marie(db))
    sign_in_pages(client, db, Role.SELLER, [MARSEILLE])
    assert "Marie Curie" not in client.get("/seller/appointments").text
    assert client.get(f"/seller/appointments?shop={RIVOLI}").status_code == 403
    refused = client.post(f"/seller/appointments/{appointment_id}/check-in", data={})
    assert refused.status_code == 404 and status(db, appointment_id).status == "booked"


def _all(db: Database) -> list[Any]:
    with UnitOfWork(db) as uow:
        return appointments.list_appointments(uow, place_ids=[RIVOLI])


def test_a_person_without_a_hold_of_theirs(client: TestClient, db: Database, retailer: Retailer) -> None:
    with UnitOfWork(db) as uow:
        slot = SlotIn(service_id=retailer.styling, place_id=RIVOLI, starts_at=MONDAY_10_15)
        held = appointments.hold(uow, slot)
        uow.commit()
    sign_in_pages(client, db, Role.SELLER, [RIVOLI])
    other = client.post(
        f"/seller/appointments/new/{held.id}", data={"given_name": "Paul", "phone": "0698765432"}
    )
    assert other.status_code == 404  # held by someone else: only they confirm it
    assert client.get("/seller/appointments/new/apt_unknown").status_code == 404


def test_the_customers_360_shows_their_appointments_and_the_advisors_notes(
    client: TestClient, db: Database, retailer: Retailer
) -> None:
    customer_id = marie(db)
    done = booked(db, retailer, customer_id)
    booked(db, retailer, customer_id, MONDAY_10_15 + timedelta(days=2))
    with UnitOfWork(db) as uow:
        appointments.check_in(uow, done)
        appointments.complete(uow, done, CompleteIn(notes="Veste en lin, taille 40"))
        uow.commit()
    sign_in_pages(client, db, Role.SELLER, [RIVOLI])
    page = text_of(client.get(f"/seller/customers/{customer_id}?lang=fr").text)
    assert "mer. 24 mars 10:15 · Conseil en style · avec Test advisor" in page
    assert "Rendez-vous passés" in page and "Veste en lin, taille 40" in page and "Terminé" in page


def test_done_with_the_products_shown_and_recommended(
    client: TestClient, db: Database, retailer: Retailer
) -> None:
    from tests.catalog.conftest import build_taxonomy, dress

    with UnitOfWork(db) as uow:
        build_taxonomy(uow)
        from comptoir.catalog import service as catalog

        catalog.create_product(uow, dress("ROBE-LIN", status="active"))
        uow.commit()
    appointment_id = booked(db, retailer, marie(db))
    sign_in_pages(client, db, Role.SELLER, [RIVOLI])
    client.post(f"/seller/appointments/{appointment_id}/check-in", data={"shop": RIVOLI})
    # Given the form's two lists, When a reference is not in the catalogue, Then the page says so
    wrong = client.post(
        f"/seller/appointments/{appointment_id}/complete",
        data={"shown": "ROBE-LIN-S-BLEU\nROBE-INCONNUE", "shop": RIVOLI},
    )
    assert wrong.status_code == 422
    assert "pas dans le catalogue" in text_of(wrong.text)
    assert status(db, appointment_id).status == "checked_in"  # nothing half-written
    # When the references are right, Then they are kept, each with the advisor's word for the customer
    done = client.post(
        f"/seller/appointments/{appointment_id}/complete",
        data={
            "notes": "Cliente hésitante sur la taille",
            "shown": "ROBE-LIN-S-BLEU",
            "recommended": "ROBE-LIN-M-BLEU : la taille au-dessus, plus fluide",
            "shop": RIVOLI,
        },
        follow_redirects=False,
    )
    assert done.status_code == 303
    out = status(db, appointment_id)
    assert [(p.sku, p.kind, p.note) for p in out.products] == [
        ("ROBE-LIN-S-BLEU", "shown", ""),
        ("ROBE-LIN-M-BLEU", "recommended", "la taille au-dessus, plus fluide"),
    ]
