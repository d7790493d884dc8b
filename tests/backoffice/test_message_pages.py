"""The back office's messages page: the journeys in force, their steps in the staff's words, the pressure
rules, and each message previewed for a sample customer in French and English."""

from __future__ import annotations

import html
import re

import pytest
from fastapi.testclient import TestClient

from comptoir.core.access import Role
from comptoir.core.db import Database
from tests.appointments.conftest import RIVOLI
from tests.support.staff import sign_in_pages


def text_of(page: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


@pytest.mark.parametrize(
    ("lang", "journey", "reminder", "rule"),
    [
        (
            "fr",
            "Rendez-vous en boutique",
            "1 jour avant le début, à 10:00 à l’heure du client",
            "Au plus 2 messages commerciaux par jour",
        ),
        (
            "en",
            "In-store appointment",
            "1 day before the start, at 10:00 on the customer's clock",
            "At most 2 commercial messages per day",
        ),
    ],
)
def test_the_journeys_their_steps_and_the_rules(
    client: TestClient, db: Database, lang: str, journey: str, reminder: str, rule: str
) -> None:
    sign_in_pages(client, db, Role.BACK_OFFICE, [])
    page = client.get(f"/back-office/messages?lang={lang}")
    assert page.status_code == 200, page.text
    text = text_of(page.text)
    assert journey in text and reminder in text and rule in text
    assert 'href="/back-office/messages/appointment_confirmation?language=en"' in page.text
    assert 'href="/back-office/messages"' in page.text  # in the back office's navigation


def test_a_message_previewed_for_a_sample_customer(client: TestClient, db: Database) -> None:
    sign_in_pages(client, db, Role.BACK_OFFICE, [])
    french = client.get("/back-office/messages/order_ready_for_pickup?language=fr")
    assert french.status_code == 200
    assert "srcdoc=" in french.text and "sandbox" in french.text  # the e-mail, scripts off
    assert "CMD-2027-000123" in text_of(french.text)
    english = client.get("/back-office/messages/order_ready_for_pickup?language=en")
    assert "ready" in text_of(english.text).lower()
    assert client.get("/back-office/messages/no_such_message").status_code == 404


def test_a_shop_manager_reads_them_a_seller_does_not(client: TestClient, db: Database) -> None:
    sign_in_pages(client, db, Role.SHOP_MANAGER, [RIVOLI])
    assert client.get("/back-office/messages").status_code == 200  # as the API lets them read
    client.cookies.clear()
    sign_in_pages(client, db, Role.SELLER, [RIVOLI])
    assert client.get("/back-office/messages").status_code == 403
