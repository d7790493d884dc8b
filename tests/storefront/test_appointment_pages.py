"""Booking an appointment on the website, through its pages (the appointments tests' retailer, the clock on
Monday 22 March 2027, 09:00 in Paris): a service offered on the web, the nearest shops to a postcode, a
day and a time, the details, the confirmation with its calendar invitation — for a new person and for a
signed-in customer, in French and English — then the customer's appointments in their account and a
cancellation, refused after the cut-off with the reason said in the page's language. Nobody confirms
another's hold or reads another's appointment; the service's refusals are pages, never server errors."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from comptoir.appointments import service as appointments
from comptoir.core import clock
from comptoir.core.db import Database
from comptoir.core.settings import Settings
from comptoir.core.uow import UnitOfWork
from comptoir.customers import service as customers
from comptoir.customers.schemas import CustomerRecord
from comptoir.stores import service as stores
from comptoir.stores.schemas import BulkSpecialDaysIn
from tests.appointments.conftest import NOW, RIVOLI, Retailer
from tests.storefront.conftest import sign_in, text_of

TUESDAY = "2027-03-23"


def csrf(client: TestClient) -> str:
    token = client.cookies.get("comptoir_csrf")
    if not token:
        client.get("/shop/appointments")
        token = client.cookies.get("comptoir_csrf")
    assert token
    return str(token)


def post(client: TestClient, url: str, data: dict[str, str]) -> Any:
    return client.post(url, data={**data, "csrf_token": csrf(client)}, follow_redirects=False)


def hold(client: TestClient, day: str = TUESDAY, at: str = "11:00", code: str = "conseil-style") -> str:
    """Choose a time at Rivoli: the hold's page."""
    held = post(client, f"/shop/appointments/{code}/{RIVOLI}", {"day": day, "at": at})
    assert held.status_code == 303, held.text
    return str(held.headers["location"])


def customer(db: Database, given: str, email: str) -> str:
    with UnitOfWork(db) as uow:
        found = customers.ingest(
            uow, "web", CustomerRecord(given_name=given, family_name="Curie", email=email)
        )
        uow.commit()
    return found.customer_id


@pytest.mark.parametrize(
    ("lang", "styling", "workshop"),
    [("fr", "Conseil en style", "Atelier nœud de cravate"), ("en", "Styling advice", "Tie knot workshop")],
)
def test_the_services_offered_on_the_website_in_the_page_language(
    client: TestClient, retailer: Retailer, lang: str, styling: str, workshop: str
) -> None:
    page = client.get(f"/shop/appointments?lang={lang}")
    assert page.status_code == 200
    assert styling in page.text and workshop in page.text
    assert "Essayage privé" not in page.text and "Private fitting" not in page.text  # in shops only
    assert 'href="/shop/appointments"' in page.text  # in the storefront's navigation


def test_a_new_person_books_from_a_postcode_to_the_calendar_invitation(
    client: TestClient, retailer: Retailer, db: Database
) -> None:
    places = client.get("/shop/appointments/conseil-style?postcode=75001&lang=fr")
    assert places.status_code == 200
    text = text_of(places.text)
    assert text.index("Comptoir Rivoli") < text.index("Comptoir Marseille")  # nearest first
    assert "Premier créneau libre : lundi 22 mars 2027 à 10:15" in text  # 60 minutes' notice, buffers
    assert f'href="/shop/appointments/conseil-style/{RIVOLI}"' in places.text

    slots = client.get(f"/shop/appointments/conseil-style/{RIVOLI}?day={TUESDAY}")
    assert slots.status_code == 200
    assert "Choisissez un horaire le mardi 23 mars 2027" in text_of(slots.text)
    assert 'value="11:00"' in slots.text and "dim. 28 mars" not in slots.text  # closed on Sundays

    details_url = hold(client)
    details = client.get(details_url)
    assert details.status_code == 200
    assert "Nous vous gardons cet horaire jusqu’à 09:10." in text_of(details.text)

    missing = post(client, details_url, {"given_name": "Inès", "phone": "", "email": ""})
    assert missing.status_code == 422
    assert "Donnez un numéro de téléphone ou une adresse e-mail" in text_of(missing.text)
    wrong = post(client, details_url, {"given_name": "Inès", "email": "not-an-address"})
    assert wrong.status_code == 422 and "L’adresse e-mail n’est pas valide." in text_of(wrong.text)

    booked = post(
        client,
        details_url,
        {
            "given_name": "Inès",
            "family_name": "Moreau",
            "phone": "06 12 34 56 78",
            "news": "1",
            "note": "Mariage",
        },
    )
    assert booked.status_code == 303, booked.text
    confirmation = client.get(booked.headers["location"])
    text = text_of(confirmation.text)
    assert confirmation.status_code == 200
    assert "À bientôt, le mardi 23 mars 2027 à 11:00." in text
    assert "Avec Test advisor" in text  # the advisor assigned (the fixture names them so)
    assert "1 La Canebière" not in text and "Comptoir Rivoli" in text
    invitation = re.search(r'href="(/v1/appointments/[^"]+/invitation\.ics\?token=[^"]+)"', confirmation.text)
    assert invitation, confirmation.text
    ics = client.get(invitation.group(1).replace("&amp;", "&"))
    assert ics.status_code == 200 and "BEGIN:VEVENT" in ics.text and "TZID=Europe/Paris" in ics.text

    with UnitOfWork(db) as uow:
        (hit,) = customers.search(uow, "Inès Moreau")
        (booking,) = appointments.list_appointments(uow, customer_id=hit.customer.id)
        consents = customers.consents_of(uow, hit.customer.id)
    assert booking.customer_note == "Mariage" and booking.channel == "web"
    assert any(c.purpose == "marketing" and c.channel == "sms" and c.granted for c in consents.current)


def test_a_signed_in_customer_books_in_english_then_cancels_from_the_account(
    client: TestClient, retailer: Retailer, db: Database, settings: Settings
) -> None:
    marie = customer(db, "Marie", "marie@example.org")
    sign_in(client, settings, marie)
    client.get("/shop/appointments?lang=en")  # the language is remembered

    details_url = hold(client, day="2027-03-24", at="15:00")
    details = client.get(details_url)
    assert "You are booking as Marie Curie." in text_of(details.text)
    assert 'name="given_name"' not in details.text
    booked = post(client, details_url, {"note": "Bring the blue jacket"})
    assert booked.status_code == 303
    confirmation = text_of(client.get(booked.headers["location"]).text)
    assert "See you on Wednesday, 24 March 2027 at 15:00." in confirmation

    account = client.get("/shop/account/appointments")
    assert account.status_code == 200
    text = text_of(account.text)
    assert "Styling advice" in text and "Coming up" in text
    assert "It can be cancelled online until Tuesday, 23 March 2027 at 15:00." in text
    (appointment_id,) = re.findall(r'/shop/account/appointments/([^/"]+)/cancel', account.text)

    cancelled = post(client, f"/shop/account/appointments/{appointment_id}/cancel", {})
    assert cancelled.status_code == 303
    after = text_of(client.get(cancelled.headers["location"]).text)
    assert "Your appointment is cancelled." in after and "No appointment coming up." in after
    assert "Cancelled" in after  # listed with the past ones


def test_past_the_cut_off_the_account_says_to_call_the_shop(
    client: TestClient, retailer: Retailer, db: Database, settings: Settings
) -> None:
    marie = customer(db, "Marie", "marie@example.org")
    sign_in(client, settings, marie)
    booked = post(client, hold(client, day="2027-03-22", at="15:00"), {})
    assert booked.status_code == 303
    account = client.get("/shop/account/appointments?lang=fr")
    (appointment_id,) = re.findall(r'/shop/account/appointments/([^/"]+)/cancel', account.text)

    refused = post(client, f"/shop/account/appointments/{appointment_id}/cancel", {})
    assert refused.status_code == 409
    assert "Il est trop tard pour annuler en ligne : appelez le magasin." in text_of(refused.text)
    assert "jusqu’à 24 heures avant" in text_of(refused.text)
    with UnitOfWork(db) as uow:
        assert appointments.get_appointment(uow, appointment_id).status == "booked"


def test_a_hold_not_confirmed_in_time_asks_to_choose_again(client: TestClient, retailer: Retailer) -> None:
    details_url = hold(client)
    clock.set_clock(lambda: NOW + timedelta(minutes=11))
    late = post(client, details_url, {"given_name": "Inès", "phone": "0612345678"})
    assert late.status_code == 409
    assert "Nous vous avons gardé cet horaire 10 minutes" in text_of(late.text)
    assert f"/shop/appointments/conseil-style/{RIVOLI}?day={TUESDAY}" in late.text


def test_a_time_taken_meanwhile_and_bad_input_are_said_on_the_page(
    client: TestClient, retailer: Retailer
) -> None:
    unknown = client.get("/shop/appointments/conseil-style?postcode=00000&lang=en")
    assert unknown.status_code == 422 and "We do not know this postcode" in unknown.text
    closed = post(client, f"/shop/appointments/conseil-style/{RIVOLI}", {"day": "2027-03-28", "at": "11:00"})
    assert closed.status_code == 409
    assert "This time is no longer free: choose another one." in text_of(closed.text)
    garbled = post(client, f"/shop/appointments/conseil-style/{RIVOLI}", {"day": "soon", "at": "25:99"})
    assert garbled.status_code == 422
    assert client.get("/shop/appointments/essayage").status_code == 404  # not offered on the web
    assert client.get("/shop/appointments/conseil-style/st_nowhere").status_code == 404


def test_nobody_confirms_or_reads_another_browsers_appointment(
    client: TestClient, app: Any, retailer: Retailer, db: Database, settings: Settings
) -> None:
    details_url = hold(client)
    with TestClient(app, raise_server_exceptions=False) as other:
        assert other.get(details_url).status_code == 404
        assert post(other, details_url, {"given_name": "Paul", "phone": "0612345678"}).status_code == 404
    booked = post(client, details_url, {"given_name": "Inès", "phone": "0612345678"})
    confirmation = booked.headers["location"]
    assert client.get(confirmation).status_code == 200
    paul = customer(db, "Paul", "paul@example.org")
    with TestClient(app, raise_server_exceptions=False) as other:
        assert other.get(confirmation).status_code == 404
        sign_in(other, settings, paul)
        assert other.get(confirmation).status_code == 404
        appointment_id = confirmation.rsplit("/", 1)[1]
        refused = post(other, f"/shop/account/appointments/{appointment_id}/cancel", {})
        assert refused.status_code == 404


def test_a_workshop_shows_the_seats_left(client: TestClient, retailer: Retailer) -> None:
    slots = client.get(f"/shop/appointments/atelier-noeud/{RIVOLI}?day={TUESDAY}&lang=en")
    assert slots.status_code == 200
    assert "8 seats left" in slots.text


def test_an_appointment_the_shop_closes_over_shows_the_times_offered_instead(
    client: TestClient, retailer: Retailer, db: Database, settings: Settings, dispatcher: Any
) -> None:
    marie = customer(db, "Marie", "marie@example.org")
    sign_in(client, settings, marie)
    assert post(client, hold(client, day="2027-03-24", at="15:00"), {}).status_code == 303
    with UnitOfWork(db) as uow:
        closing = {"selector": {"place_ids": [RIVOLI]}, "days": [{"date": "2027-03-24", "closed": True}]}
        stores.bulk_special_days(uow, BulkSpecialDaysIn.model_validate(closing))
        uow.commit()
    dispatcher.drain()
    account = text_of(client.get("/shop/account/appointments?lang=fr").text)
    assert "Le magasin est fermé à cet horaire." in account
    assert "Horaires libres que nous pouvons vous proposer à la place : jeudi 25 mars 2027 à 10:15" in account

    # one click moves it to the first time offered: the flag goes, the invitation's SEQUENCE goes up
    page = client.get("/shop/account/appointments?lang=fr").text
    form = re.search(r'action="(/shop/account/appointments/[^"]+/move)"', page)
    assert form is not None
    starts_at = re.search(r'name="starts_at" value="([^"]+)"', page)
    place = re.search(r'name="place_id" value="([^"]+)"', page)
    assert starts_at is not None and place is not None
    moved = post(client, form.group(1), {"starts_at": starts_at.group(1), "place_id": place.group(1)})
    assert moved.status_code == 303, moved.text
    account = text_of(client.get(moved.headers["location"] + "&lang=fr").text)
    assert "Votre rendez-vous est déplacé" in account and "Le magasin est fermé à cet horaire." not in account
    with UnitOfWork(db) as uow:
        (mine,) = appointments.list_appointments(uow, customer_id=marie)
    assert (
        mine.sequence == 1 and mine.disrupted_at is None and mine.starts_at.isoformat() == starts_at.group(1)
    )
    # a forged time is refused on the page, not with a 500
    again = post(client, form.group(1), {"starts_at": "lundi", "place_id": RIVOLI})
    assert again.status_code == 422
