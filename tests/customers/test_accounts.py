"""Customer accounts: sign-up and sign-in, one-time links by e-mail, reset, throttling, the customer token."""

from __future__ import annotations

import email
import re
from pathlib import Path
from typing import Any

import pytest

from comptoir.core.settings import Settings
from tests.conftest import make_key
from tests.customers.conftest import JEAN, MARIE
from tests.customers.test_ingestion import events
from tests.customers.test_routes import bearer, ingest

PASSWORD = "une-phrase-de-passe-longue"


@pytest.fixture
def web(db: Any) -> dict[str, str]:
    return bearer(make_key(db, ["customers:read", "customers:write"], channel="web"))


@pytest.fixture
def mailbox(settings: Settings) -> Path:
    """The folder the app's dispatcher writes its e-mails to (the test settings' file transport)."""
    return Path(settings.mail_url[len("file://") :])


def sign_up(client: Any, web: dict[str, str], **extra: Any) -> dict[str, Any]:
    body = {
        "email": "Marie.Curie@Orange.fr",
        "password": PASSWORD,
        "given_name": "Marie",
        "family_name": "Curie",
    }
    response = client.post("/v1/customers/accounts", json={**body, **extra}, headers=web)
    assert response.status_code == 201, response.text
    return response.json()


def test_sign_up_links_the_account_to_the_customer_the_shops_know(client, db, admin_headers, web) -> None:
    known = ingest(client, admin_headers, "pos", **MARIE)["customer_id"]
    session = sign_up(client, web, phone="07 98 76 54 32", anonymous_token="cart_anon_1")
    assert session["customer_id"] == known
    me = client.get("/v1/customers/me", headers={**web, "X-Customer-Token": session["token"]})
    assert me.status_code == 200 and me.json()["id"] == known
    assert [p for t, p in events(db) if t == "customers.customer_signed_in"] == [
        {"customer_id": known, "channel": "web", "anonymous_token": "cart_anon_1", "method": "sign-up"}
    ]


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({"password": "short"}, "#/password"),
        ({"email": "marie@"}, "#/email"),
        ({"phone": "12"}, "#/phone"),
    ],
)
def test_sign_up_refuses_invalid_input_naming_the_field(
    client, web, body: dict[str, Any], pointer: str
) -> None:
    base = {"email": "marie@example.org", "password": PASSWORD, "given_name": "Marie", "family_name": "Curie"}
    response = client.post("/v1/customers/accounts", json={**base, **body}, headers=web)
    assert response.status_code == 422
    assert response.json()["errors"][0]["pointer"] == pointer


def test_one_account_per_address(client, web) -> None:
    sign_up(client, web)
    again = client.post(
        "/v1/customers/accounts",
        json={"email": "marie.curie@orange.fr", "password": PASSWORD, "given_name": "M", "family_name": "C"},
        headers=web,
    )
    assert again.status_code == 409


def test_a_customer_token_reaches_only_its_own_data(client, admin_headers, web) -> None:
    other = ingest(client, admin_headers, "pos", **JEAN)["customer_id"]
    session = sign_up(client, web)
    mine = {**web, "X-Customer-Token": session["token"]}
    own = session["customer_id"]
    assert client.get(f"/v1/customers/{own}", headers=mine).status_code == 200
    assert client.get(f"/v1/customers/{own}/export", headers=mine).status_code == 200
    assert client.get(f"/v1/customers/{own}/consents", headers=mine).status_code == 200
    for path in (
        f"/v1/customers/{other}",
        f"/v1/customers/{other}/export",
        f"/v1/customers/{other}/consents",
    ):
        response = client.get(path, headers=mine)
        assert response.status_code == 403 and response.json()["type"].endswith("not-your-customer-data")
    assert client.get("/v1/customers/search", params={"q": "dupont"}, headers=mine).status_code == 403
    assert (
        client.post("/v1/customers/ingest", json={"source": "web", **JEAN}, headers=mine).status_code == 403
    )
    granted = client.post(
        f"/v1/customers/{own}/consents",
        json={"statements": [{"purpose": "marketing", "channel": "email", "granted": True}]},
        headers=mine,
    )
    assert granted.status_code == 201 and granted.json()["history"][0]["source"] == "web"
    forged = client.get(f"/v1/customers/{own}", headers={**web, "X-Customer-Token": session["token"] + "x"})
    assert forged.status_code == 401


def test_sign_in_and_throttling_of_failures(client, web) -> None:
    sign_up(client, web)
    ok = client.post(
        "/v1/customers/sessions", json={"email": "marie.curie@orange.fr", "password": PASSWORD}, headers=web
    )
    assert ok.status_code == 200 and ok.json()["token"]
    wrong = {"email": "marie.curie@orange.fr", "password": "pas-le-bon-mot-de-passe"}
    statuses = [client.post("/v1/customers/sessions", json=wrong, headers=web).status_code for _ in range(6)]
    assert statuses == [401, 401, 401, 401, 401, 429]
    locked = client.post(
        "/v1/customers/sessions", json={"email": "marie.curie@orange.fr", "password": PASSWORD}, headers=web
    )
    assert locked.status_code == 429 and int(locked.headers["Retry-After"]) > 0
    unknown = client.post(
        "/v1/customers/sessions", json={"email": "nobody@example.org", "password": "x"}, headers=web
    )
    assert unknown.status_code == 401 and unknown.json()["detail"] == wrong_detail()


def wrong_detail() -> str:
    from comptoir.customers.accounts import WRONG_CREDENTIALS

    return WRONG_CREDENTIALS


def link_token(mailbox: Path) -> tuple[str, str]:
    (message_file,) = sorted(mailbox.glob("*.eml"))
    message = email.message_from_bytes(message_file.read_bytes())
    text = (
        next(p for p in message.walk() if p.get_content_type() == "text/plain")
        .get_payload(decode=True)
        .decode()
    )
    url = re.search(r"https?://\S+", text)
    assert url is not None
    message_file.unlink()
    return str(message["Subject"]), url.group(0)


def test_one_time_sign_in_link_by_email(client, db, web, dispatcher, mailbox) -> None:
    session = sign_up(client, web, password=None, locale="fr")
    response = client.post(
        "/v1/customers/sign-in-links",
        json={"email": "marie.curie@orange.fr", "return_url": "http://127.0.0.1:8000/connexion"},
        headers=web,
    )
    assert response.status_code == 202
    dispatcher.drain()
    subject, url = link_token(mailbox)
    assert subject == "Votre lien de connexion"
    assert url.startswith("http://127.0.0.1:8000/connexion?token=")
    token = url.split("token=")[1]
    signed_in = client.post(
        "/v1/customers/sessions/link", json={"token": token, "anonymous_token": "a1"}, headers=web
    )
    assert signed_in.status_code == 200 and signed_in.json()["customer_id"] == session["customer_id"]
    replay = client.post("/v1/customers/sessions/link", json={"token": token}, headers=web)
    assert replay.status_code == 401
    me = client.get("/v1/customers/me", headers={**web, "X-Customer-Token": signed_in.json()["token"]}).json()
    assert me["email"] == "marie.curie@orange.fr"
    nobody = client.post("/v1/customers/sign-in-links", json={"email": "nobody@example.org"}, headers=web)
    assert nobody.status_code == 202
    dispatcher.drain()
    assert list(mailbox.glob("*.eml")) == []
    elsewhere = client.post(
        "/v1/customers/sign-in-links", json={"email": "marie.curie@orange.fr", "return_url": "https://evil.example/x"},
        headers=web,
    )  # fmt: skip
    assert elsewhere.status_code == 422 and elsewhere.json()["errors"][0]["pointer"] == "#/return_url"


def test_password_reset_by_email(client, web, dispatcher, mailbox) -> None:
    sign_up(client, web)
    assert client.post("/v1/customers/password-resets", json={"email": "marie.curie@orange.fr", "locale": "en"},
                       headers=web).status_code == 202  # fmt: skip
    dispatcher.drain()
    subject, url = link_token(mailbox)
    assert subject == "Reset your password"
    token = url.split("token=")[1]
    weak = client.post(
        "/v1/customers/password-resets/confirm", json={"token": token, "password": "x"}, headers=web
    )
    assert weak.status_code == 422 and weak.json()["errors"][0]["pointer"] == "#/password"
    new_password = "un-autre-mot-de-passe-solide"
    done = client.post("/v1/customers/password-resets/confirm", json={"token": token, "password": new_password},
                       headers=web)  # fmt: skip
    assert done.status_code == 200
    old = client.post("/v1/customers/sessions", json={"email": "marie.curie@orange.fr", "password": PASSWORD},
                      headers=web)  # fmt: skip
    assert old.status_code == 401
    new = client.post("/v1/customers/sessions", json={"email": "marie.curie@orange.fr", "password": new_password},
                      headers=web)  # fmt: skip
    assert new.status_code == 200
