"""French and English: catalogues complete, locale formatting, and the pages' sign-in flow."""

from __future__ import annotations

from decimal import Decimal

import pytest

from comptoir.core.i18n import format_money, negotiate, untranslated
from comptoir.domains import all_domains
from tests.support.staff import PASSWORD, make_person

PACKAGES = ["comptoir.core", *(d.package for d in all_domains())]


@pytest.mark.parametrize("package", PACKAGES)
def test_every_message_has_a_french_translation(package: str) -> None:
    assert untranslated(package) == []


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("fr", "1\u202f234,50\xa0€"),
        ("fr_FR", "1\u202f234,50\xa0€"),
        ("en", "€1,234.50"),
        ("en_GB", "€1,234.50"),
    ],
)
def test_prices_are_formatted_by_locale(locale: str, expected: str) -> None:
    assert format_money(Decimal("1234.5"), "EUR", locale) == expected


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, "fr"),
        ("en-GB,en;q=0.9", "en"),
        ("de-DE,en;q=0.5,fr;q=0.8", "fr"),
        ("de", "fr"),
        ("en;q=0", "fr"),
    ],
)
def test_language_negotiation(header: str | None, expected: str) -> None:
    assert negotiate(header) == expected


def _form(client) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Open the sign-in form: its CSRF token (the same value is set as a cookie)."""
    page = client.get("/pages/sign-in")
    token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    return {"csrf_token": token}


def test_pages_ask_for_sign_in_then_greet_in_the_chosen_language(client, db) -> None:  # type: ignore[no-untyped-def]
    first = client.get("/pages/", follow_redirects=False)
    assert first.status_code == 303
    assert first.headers["location"] == "/pages/sign-in?next=/pages/"

    person = make_person(db, "seller", ["st_lyon"])
    refused = client.post(
        "/pages/sign-in", data={**_form(client), "email": person.email, "password": "not the one"}
    )
    assert refused.status_code == 401
    assert "L’adresse e-mail, le mot de passe ou le code n’est pas correct." in refused.text

    signed_in = client.post(
        "/pages/sign-in",
        data={**_form(client), "email": person.email, "password": PASSWORD, "next": "/pages/"},
        follow_redirects=False,
    )
    assert signed_in.status_code == 303
    assert "httponly" in signed_in.headers["set-cookie"].lower()
    assert "samesite=strict" in signed_in.headers["set-cookie"].lower()

    french = client.get("/pages/")
    assert "Connecté au magasin st_lyon." in french.text
    english = client.get("/pages/?lang=en")
    assert "Signed in at st_lyon." in english.text
    assert client.get("/pages/").text.count("Signed in at") == 1  # the choice is remembered


def test_sign_in_never_redirects_to_another_site(client, db) -> None:  # type: ignore[no-untyped-def]
    person = make_person(db)
    response = client.post(
        "/pages/sign-in",
        data={**_form(client), "email": person.email, "password": PASSWORD, "next": "//evil.example/"},
        follow_redirects=False,
    )
    assert response.headers["location"] == "/pages/"


def test_htmx_is_served_locally(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/static/htmx-2.0.11.min.js")
    assert response.status_code == 200
    assert response.text.startswith("var htmx=")
