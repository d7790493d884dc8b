"""Booking an appointment on a phone, in French and in English, on the demo retailer: a service, the shops
nearest a postcode, a day and a time, the details of someone without an account, the confirmation and its
calendar invitation. Every page passes ``check_page`` at phone size (no overflow, no raw ids, the page's
language, no serious accessibility violation)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.slow

WORDS = {
    "fr": {
        "book": "Réserver : Conseil en style",
        "find": "Trouver les magasins les plus proches",
        "choose": "Choisir un horaire à Comptoir Paris Rivoli",
        "confirm": "Confirmer le rendez-vous",
        "booked": "Votre rendez-vous est confirmé",
        "calendar": "Ajouter à mon agenda",
    },
    "en": {
        "book": "Book: Styling advice",
        "find": "Find the nearest shops",
        "choose": "Choose a time at Comptoir Paris Rivoli",
        "confirm": "Confirm the appointment",
        "booked": "Your appointment is booked",
        "calendar": "Add to my calendar",
    },
}


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_book_styling_advice_near_a_postcode_without_an_account(
    new_page: Callable[..., Any], check_page: Callable[..., Path], lang: str
) -> None:
    words = WORDS[lang]
    page = new_page(lang, "phone")
    page.goto("/shop/appointments")
    check_page(page, f"appointments-services-{lang}")
    with page.expect_navigation():
        page.get_by_role("link", name=words["book"]).click()

    page.fill("#f-postcode", "75001")
    with page.expect_navigation():
        page.get_by_role("button", name=words["find"]).click()
    check_page(page, f"appointments-places-{lang}")
    with page.expect_navigation():
        page.get_by_role("link", name=words["choose"]).click()
    check_page(page, f"appointments-slots-{lang}")

    with page.expect_navigation():
        page.locator("ul.times button").first.click()
    assert "/shop/appointments/holds/" in page.url
    check_page(page, f"appointments-details-{lang}")
    page.fill("#f-given_name", "Zoé")
    page.fill("#f-family_name", "Lambert")
    page.fill("#f-phone", "06 12 34 56 78")
    with page.expect_navigation():
        page.get_by_role("button", name=words["confirm"]).click()
    assert "/shop/appointments/confirmed/" in page.url
    assert words["booked"] in page.inner_text("h1")
    check_page(page, f"appointments-confirmed-{lang}")

    invitation = page.get_by_role("link", name=words["calendar"]).get_attribute("href")
    assert invitation is not None
    ics = page.request.get(invitation)
    assert ics.ok and b"BEGIN:VCALENDAR" in ics.body()
