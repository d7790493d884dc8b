"""The storefront's sign-up, sign-in and the customer's account: every page in French and English, orders
from every channel with their e-receipts, a return started from an order line, loyalty, consents,
details, the data export and erasure — and never another customer's data, never a form without CSRF."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from comptoir.core.db import Database
from comptoir.core.settings import Settings
from comptoir.core.uow import UnitOfWork
from comptoir.customers import service as customers
from comptoir.customers.schemas import CustomerRecord
from comptoir.loyalty import service as loyalty
from comptoir.loyalty.demo import carte_comptoir
from comptoir.storefront.session import SHOPPER_COOKIE
from tests.conftest import make_key
from tests.orders.conftest import LIN_S, RIVOLI
from tests.receipts.conftest import ALL_STAFF, headers, sell, shop, stocked  # noqa: F401 (fixtures)

PASSWORD = "une phrase de passe longue"


def csrf(client: TestClient, url: str) -> str:
    page = client.get(url)
    assert page.status_code == 200, page.text
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found, url
    return found.group(1)


def sign_up(client: TestClient, email: str, lang: str = "fr", **extra: Any) -> Any:
    token = csrf(client, f"/shop/sign-up?lang={lang}")
    form = {
        "csrf_token": token,
        "email": email,
        "password": PASSWORD,
        "given_name": "Marie",
        "family_name": "Curie",
        **extra,
    }
    return client.post("/shop/sign-up", data=form)


def sign_in(client: TestClient, email: str, password: str = PASSWORD, next: str = "/shop/account") -> Any:
    token = csrf(client, "/shop/sign-in")
    return client.post(
        "/shop/sign-in",
        data={"csrf_token": token, "email": email, "password": password, "next": next},
        follow_redirects=False,
    )


def customer_of(client: TestClient, db: Database, email: str, lang: str = "fr") -> str:
    """Sign up and in through the pages: the signed-in customer's id."""
    assert sign_up(client, email, lang).status_code == 200
    assert sign_in(client, email).status_code == 303
    with UnitOfWork(db) as uow:
        hits = customers.search(uow, email)
    return hits[0].customer.id


def visible(html: str) -> str:
    """What the page shows: its text, not its tags' attributes."""
    return re.sub(r"<[^>]+>", " ", html)


def mailbox(settings: Settings) -> list[str]:
    directory = Path(settings.mail_url[len("file://") :])
    return [p.read_text() for p in sorted(directory.glob("*.eml"))] if directory.exists() else []


def link_in(mail: str, path: str) -> str:
    text = mail.replace("=\n", "").replace("=3D", "=")
    found = re.search(rf"https?://[^\s\"<>]*{re.escape(path)}\?token=([A-Za-z0-9_\-]+)", text)
    assert found, mail
    return found.group(1)


@pytest.fixture
def shopper(app: Any) -> TestClient:
    """A second browser (its own cookies), for another customer."""
    with TestClient(app, raise_server_exceptions=False) as other:
        yield other


@pytest.mark.parametrize(
    ("lang", "greeting", "check"),
    [("fr", "Bonjour Marie", "Consultez votre boîte"), ("en", "Hello Marie", "Check your mailbox")],
)
def test_sign_up_then_sign_in_opens_the_account_in_the_page_language(  # type: ignore[no-untyped-def]
    client, db, settings, dispatcher, lang, greeting, check
) -> None:
    form = client.get(f"/shop/sign-up?lang={lang}")
    assert form.status_code == 200
    boxes = re.findall(r'<input type="checkbox" name="consent"[^>]*>', form.text)
    assert len(boxes) == 3 and not any("checked" in b for b in boxes)  # asked explicitly, unticked

    done = sign_up(client, "marie.curie@orange.fr", lang, consent="marketing:email")
    assert done.status_code == 200 and check in done.text
    dispatcher.drain()
    (mail,) = mailbox(settings)
    assert link_in(mail, "/shop/sign-in/link")

    signed = sign_in(client, "marie.curie@orange.fr")
    assert signed.status_code == 303 and signed.headers["location"] == "/shop/account"
    assert SHOPPER_COOKIE in signed.cookies
    account = client.get("/shop/account")
    assert account.status_code == 200 and greeting in account.text

    with UnitOfWork(db) as uow:
        customer_id = customers.search(uow, "marie.curie@orange.fr")[0].customer.id
        ledger = customers.consents_of(uow, customer_id)
    current = {(s.purpose, s.channel): s.granted for s in ledger.current}
    assert current == {
        ("marketing", "email"): True,
        ("marketing", "sms"): False,
        ("e-receipt", "email"): False,
    }


def test_the_account_asks_to_sign_in_first(client) -> None:  # type: ignore[no-untyped-def]
    answer = client.get("/shop/account/orders", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/shop/sign-in?next=/shop/account/orders"


@pytest.mark.parametrize(
    ("lang", "message"),
    [
        ("fr", "L’adresse e-mail ou le mot de passe n’est pas correct."),
        ("en", "The e-mail address or the password is not right."),
    ],
)
def test_a_wrong_password_is_refused_in_the_page_language(client, db, lang, message) -> None:  # type: ignore[no-untyped-def]
    sign_up(client, "marie.curie@orange.fr", lang)
    client.get(f"/shop?lang={lang}")
    answer = sign_in(client, "marie.curie@orange.fr", "pas le bon mot de passe")
    assert answer.status_code == 401 and message in answer.text
    assert SHOPPER_COOKIE not in answer.cookies


def test_repeated_failures_lock_the_address_as_the_api_does(client, db) -> None:  # type: ignore[no-untyped-def]
    sign_up(client, "marie.curie@orange.fr", "en")
    statuses = [sign_in(client, "marie.curie@orange.fr", f"wrong password {i}").status_code for i in range(6)]
    assert statuses == [401, 401, 401, 401, 401, 429]
    locked = sign_in(client, "marie.curie@orange.fr")  # even the right password waits
    assert locked.status_code == 429 and "Too many attempts" in locked.text


@pytest.mark.parametrize(
    ("lang", "message"),
    [
        ("fr", "Le mot de passe doit comporter au moins 10 caractères."),
        ("en", "The password must have at least 10 characters."),
    ],
)
def test_a_short_password_is_refused_in_the_page_language(client, lang, message) -> None:  # type: ignore[no-untyped-def]
    answer = sign_up(client, "marie.curie@orange.fr", lang, password="court")
    assert answer.status_code == 422 and message in answer.text
    assert 'value="marie.curie@orange.fr"' in answer.text  # the form comes back filled in


def test_every_form_is_refused_without_its_csrf_token(client, db) -> None:  # type: ignore[no-untyped-def]
    refused = client.post("/shop/sign-in", data={"email": "a@b.fr", "password": PASSWORD})
    assert refused.status_code == 403
    customer_of(client, db, "marie.curie@orange.fr")
    for url in (
        "/shop/account/preferences",
        "/shop/account/details",
        "/shop/account/privacy/delete",
        "/shop/account/sign-out-everywhere",
        "/shop/sign-out",
    ):
        answer = client.post(url, data={"confirm": "yes"}, follow_redirects=False)
        assert answer.status_code == 403, url
    assert client.get("/shop/account").status_code == 200  # nothing was deleted or signed out


def test_the_e_mailed_link_confirms_the_address_and_signs_in(client, settings, dispatcher) -> None:  # type: ignore[no-untyped-def]
    sign_up(client, "marie.curie@orange.fr", "en")
    dispatcher.drain()
    token = link_in(mailbox(settings)[0], "/shop/sign-in/link")
    page = client.get(f"/shop/sign-in/link?token={token}")
    assert page.status_code == 200
    form = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert form
    wrong = client.post(
        "/shop/sign-in/link",
        data={"csrf_token": form.group(1), "token": token, "password": "not the password"},
    )
    assert wrong.status_code == 401 and "Enter the password you chose" in wrong.text
    right = client.post(
        "/shop/sign-in/link",
        data={"csrf_token": form.group(1), "token": token, "password": PASSWORD},
        follow_redirects=False,
    )
    assert right.status_code == 303 and SHOPPER_COOKIE in right.cookies
    used = client.post(
        "/shop/sign-in/link", data={"csrf_token": form.group(1), "token": token, "password": PASSWORD}
    )
    assert used.status_code == 401 and "already used" in used.text


def test_a_forgotten_password_is_reset_by_the_e_mailed_link(client, settings, dispatcher) -> None:  # type: ignore[no-untyped-def]
    sign_up(client, "marie.curie@orange.fr", "fr")
    token = csrf(client, "/shop/forgotten-password?lang=fr")
    asked = client.post(
        "/shop/forgotten-password", data={"csrf_token": token, "email": "marie.curie@orange.fr"}
    )
    assert asked.status_code == 200 and "choisir un nouveau mot de passe" in asked.text
    unknown = client.post(
        "/shop/forgotten-password", data={"csrf_token": token, "email": "personne@example.fr"}
    )
    assert unknown.status_code == 200  # the same answer: nothing tells whether an account exists
    dispatcher.drain()
    reset_mail = [m for m in mailbox(settings) if "/shop/reset-password" in m.replace("=\n", "")]
    assert len(reset_mail) == 1
    link = link_in(reset_mail[0], "/shop/reset-password")
    short = client.post(
        "/shop/reset-password", data={"csrf_token": token, "token": link, "password": "court"}
    )
    assert short.status_code == 422 and "au moins 10 caractères" in short.text
    done = client.post(
        "/shop/reset-password",
        data={"csrf_token": token, "token": link, "password": "un tout nouveau mot de passe"},
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"] == "/shop/account"
    client.cookies.clear()
    assert sign_in(client, "marie.curie@orange.fr", "un tout nouveau mot de passe").status_code == 303


# -- the account, with a shop sale and its e-receipt ------------------------------------------------------


def shop_sale(
    client: TestClient, rivoli_till: dict[str, str], customer_id: str, dispatcher: Any
) -> dict[str, Any]:
    """A sale at the Rivoli till for the customer; the receipt is issued by the domain's handler."""
    sale = sell(client, rivoli_till, [(LIN_S, 1)], customer_id=customer_id)
    dispatcher.drain()
    return sale


def receipt_of(client: TestClient, order_id: str) -> str:
    page = client.get(f"/shop/account/orders/{order_id}")
    found = re.search(r'href="/shop/account/receipts/([^"]+)"', page.text)
    assert found, page.text
    return found.group(1)


@pytest.fixture
def rivoli_till(db: Database, request: pytest.FixtureRequest) -> dict[str, str]:
    """The till at Rivoli, in the order tests' small retailer (stocked): sells and issues receipts."""
    request.getfixturevalue("stocked")
    return headers(make_key(db, [*ALL_STAFF, "receipts:write"], channel=f"store:{RIVOLI}"))


@pytest.fixture
def programme(db: Database, rivoli_till: dict[str, str]) -> None:
    """Carte Comptoir: points earned when an order is paid."""
    with UnitOfWork(db) as uow:
        loyalty.set_programme(uow, carte_comptoir())
        uow.commit()


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("fr", ["Mes commandes", "Acheté en magasin", "Comptoir Rivoli", "Ticket", "Robe en lin d'été"]),
        ("en", ["My orders", "Bought in a shop", "Comptoir Rivoli", "E-receipt", "Summer linen dress"]),
    ],
)
def test_every_account_page_in_both_languages(  # type: ignore[no-untyped-def]
    client,
    db,
    rivoli_till,
    programme,
    dispatcher,
    lang,
    words,
) -> None:
    customer_id = customer_of(client, db, "marie.curie@orange.fr", lang)
    sale = shop_sale(client, rivoli_till, customer_id, dispatcher)
    orders = client.get("/shop/account/orders")
    assert orders.status_code == 200
    for word in words[:-1]:
        assert word in orders.text, word
    assert RIVOLI not in visible(orders.text) and LIN_S not in visible(
        orders.text
    )  # names, never raw ids or SKUs
    receipt_id = receipt_of(client, sale["id"])
    for url in (
        "/shop/account",
        f"/shop/account/orders/{sale['id']}",
        f"/shop/account/receipts/{receipt_id}",
        f"/shop/account/orders/{sale['id']}/return",
        "/shop/account/returns",
        "/shop/account/loyalty",
        "/shop/account/preferences",
        "/shop/account/details",
        "/shop/account/privacy",
    ):
        page = client.get(url)
        assert page.status_code == 200, (url, page.text)
        assert f'<html lang="{lang}">' in page.text
        assert RIVOLI not in visible(page.text) and LIN_S not in visible(page.text), url
    detail = client.get(f"/shop/account/orders/{sale['id']}")
    assert words[-1] in html.unescape(detail.text)  # the product's name, in the page's language


def test_the_e_receipt_is_viewed_and_downloaded(client, db, rivoli_till, dispatcher) -> None:  # type: ignore[no-untyped-def]
    customer_id = customer_of(client, db, "marie.curie@orange.fr")
    sale = shop_sale(client, rivoli_till, customer_id, dispatcher)
    page = client.get(f"/shop/account/receipts/{receipt_of(client, sale['id'])}")
    pdf = re.search(r'href="(/pages/receipts/r/[^"]+\.pdf)"', page.text)
    assert pdf, page.text
    download = client.get(pdf.group(1))
    assert download.status_code == 200 and download.content.startswith(b"%PDF-")


def test_a_return_is_started_from_an_order_line(client, db, rivoli_till, dispatcher) -> None:  # type: ignore[no-untyped-def]
    customer_id = customer_of(client, db, "marie.curie@orange.fr")
    sale = shop_sale(client, rivoli_till, customer_id, dispatcher)
    form_page = client.get(f"/shop/account/orders/{sale['id']}/return?lang=en")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form_page.text)
    assert token
    line_id = sale["lines"][0]["line_id"]
    nothing = client.post(
        f"/shop/account/orders/{sale['id']}/return",
        data={"csrf_token": token.group(1), f"qty:{line_id}": "0", "method": "in_store", "place_id": RIVOLI},
    )
    assert nothing.status_code == 422 and "Choose at least one item" in nothing.text
    started = client.post(
        f"/shop/account/orders/{sale['id']}/return",
        data={
            "csrf_token": token.group(1),
            f"qty:{line_id}": "1",
            f"reason:{line_id}": "wrong_size",
            "method": "in_store",
            "place_id": RIVOLI,
        },
        follow_redirects=False,
    )
    assert started.status_code == 303, started.text
    page = client.get(started.headers["location"])
    assert page.status_code == 200 and "Requested" in page.text and "Wrong size" in page.text
    assert "Comptoir Rivoli" in page.text
    again = client.post(
        f"/shop/account/orders/{sale['id']}/return",
        data={"csrf_token": token.group(1), f"qty:{line_id}": "1", "method": "in_store", "place_id": RIVOLI},
    )
    assert again.status_code in (200, 409, 422)  # nothing left to return: never a 500
    assert "cannot" in again.text or "Nothing in this order" in again.text


def test_another_customers_order_receipt_and_return_are_not_found(  # type: ignore[no-untyped-def]
    client,
    shopper,
    db,
    rivoli_till,
    dispatcher,
) -> None:
    theirs = customer_of(shopper, db, "jean.dupont@free.fr")
    sale = shop_sale(shopper, rivoli_till, theirs, dispatcher)
    receipt_id = receipt_of(shopper, sale["id"])
    token = csrf(shopper, f"/shop/account/orders/{sale['id']}/return")
    line_id = sale["lines"][0]["line_id"]
    started = shopper.post(
        f"/shop/account/orders/{sale['id']}/return",
        data={"csrf_token": token, f"qty:{line_id}": "1", "method": "in_store", "place_id": RIVOLI},
        follow_redirects=False,
    )
    return_id = started.headers["location"].rsplit("/", 1)[1]

    customer_of(client, db, "marie.curie@orange.fr")
    for url in (
        f"/shop/account/orders/{sale['id']}",
        f"/shop/account/orders/{sale['id']}/return",
        f"/shop/account/receipts/{receipt_id}",
        f"/shop/account/returns/{return_id}",
        "/shop/account/orders/ord_does_not_exist",
    ):
        answer = client.get(url)
        assert answer.status_code == 404, url
        assert "Robe en lin" not in answer.text and "jean" not in answer.text.lower()
    mine = csrf(client, "/shop/account")
    for url, data in (
        (f"/shop/account/orders/{sale['id']}/return", {f"qty:{line_id}": "1", "method": "by_post"}),
        (f"/shop/account/returns/{return_id}/cancel", {}),
    ):
        assert client.post(url, data={"csrf_token": mine, **data}).status_code == 404, url
    assert "jean" not in client.get("/shop/account/orders").text.lower()
    assert shopper.get(f"/shop/account/returns/{return_id}").status_code == 200  # still theirs, untouched


def test_preferences_record_what_changed(client, db) -> None:  # type: ignore[no-untyped-def]
    customer_id = customer_of(client, db, "marie.curie@orange.fr")
    token = csrf(client, "/shop/account/preferences")
    saved = client.post(
        "/shop/account/preferences",
        data={"csrf_token": token, "consent": ["e-receipt:email", "marketing:sms"]},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    with UnitOfWork(db) as uow:
        assert customers.may_contact(uow, customer_id, "e-receipt", "email")
        assert customers.may_contact(uow, customer_id, "marketing", "sms")
        assert not customers.may_contact(uow, customer_id, "marketing", "email")
    page = client.get("/shop/account/preferences?saved=1&lang=en")
    assert "Your choices are saved." in page.text
    assert len(re.findall(r"checked", page.text)) == 2


def test_personal_details_are_rectified(client, db) -> None:  # type: ignore[no-untyped-def]
    customer_id = customer_of(client, db, "marie.curie@orange.fr")
    page = client.get("/shop/account/details?lang=fr")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    version = re.search(r'name="version" value="(\d+)"', page.text)
    assert token and version
    form = {
        "csrf_token": token.group(1),
        "version": version.group(1),
        "given_name": "Marie",
        "family_name": "Curie",
    }
    bad = client.post("/shop/account/details", data={**form, "phone": "12"})
    assert bad.status_code == 422 and "numéro de téléphone" in bad.text
    good = client.post(
        "/shop/account/details",
        data={
            **form,
            "given_name": "Marie-Anne",
            "city": "Paris",
            "street": "1 rue Cuvier",
            "postcode": "75005",
        },
        follow_redirects=False,
    )
    assert good.status_code == 303
    with UnitOfWork(db) as uow:
        me = customers.get_customer(uow, customer_id)
    assert me.given_name == "Marie-Anne" and me.address is not None and me.address.city == "Paris"


def test_my_data_is_downloaded_then_the_account_deleted(client, db) -> None:  # type: ignore[no-untyped-def]
    customer_id = customer_of(client, db, "marie.curie@orange.fr")
    export = client.get("/shop/account/privacy/export")
    assert export.status_code == 200 and "attachment" in export.headers["content-disposition"]
    document = json.loads(export.text)
    assert document["customer"]["id"] == customer_id
    assert document["accounts"][0]["email"] == "marie.curie@orange.fr"
    token = csrf(client, "/shop/account/privacy?lang=en")
    unconfirmed = client.post("/shop/account/privacy/delete", data={"csrf_token": token})
    assert unconfirmed.status_code == 422 and "Tick the box" in unconfirmed.text
    deleted = client.post("/shop/account/privacy/delete", data={"csrf_token": token, "confirm": "yes"})
    assert deleted.status_code == 200 and "Account deleted" in deleted.text
    with UnitOfWork(db) as uow:
        assert customers.get_customer(uow, customer_id).status == "erased"
    assert client.get("/shop/account", follow_redirects=False).status_code == 303
    assert sign_in(client, "marie.curie@orange.fr").status_code == 401


def test_sign_out_everywhere_ends_every_session(client, shopper, db) -> None:  # type: ignore[no-untyped-def]
    customer_of(client, db, "marie.curie@orange.fr")
    assert sign_in(shopper, "marie.curie@orange.fr").status_code == 303  # a second device
    token = csrf(client, "/shop/account/privacy")
    out = client.post("/shop/account/sign-out-everywhere", data={"csrf_token": token}, follow_redirects=False)
    assert out.status_code == 303 and out.headers["location"] == "/shop/sign-in"
    assert shopper.get("/shop/account", follow_redirects=False).status_code == 303


def test_the_wishlist_shows_names_and_photos_and_lets_items_go(client, db, rivoli_till) -> None:  # type: ignore[no-untyped-def]
    from comptoir.carts import service as carts

    customer_id = customer_of(client, db, "marie.curie@orange.fr", "en")
    with UnitOfWork(db) as uow:
        carts.add_to_wishlist(uow, customer_id, LIN_S)
        uow.commit()
    page = client.get("/shop/account/wishlist")
    assert page.status_code == 200 and "Summer linen dress" in page.text
    assert LIN_S not in visible(page.text)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token
    removed = client.post("/shop/account/wishlist/remove", data={"csrf_token": token.group(1), "sku": LIN_S})
    assert removed.status_code == 200 and "Your wishlist is empty" in removed.text


def test_a_web_order_ready_for_pickup_shows_the_shop_and_the_deadline(  # type: ignore[no-untyped-def]
    client, db, settings, rivoli_till
) -> None:
    from tests.orders.conftest import MARIE, checkout, customer_token, new_cart, step

    with UnitOfWork(db) as uow:
        marie = customers.ingest(uow, "pos", CustomerRecord(**MARIE)).customer_id
        uow.commit()
    web = headers(
        make_key(db, ["*:read", "carts:write", "orders:write", "customers:write"], channel="web"),
        customer_token(settings, marie),
    )
    cart = new_cart(client, web, [(LIN_S, 1)])
    order = checkout(client, web, cart, mode="click_and_collect", pickup_place_id=RIVOLI).json()
    fulfilment = order["fulfilments"][0]["id"]
    for action in ("allocate", "pick", "ready"):
        step(client, rivoli_till, fulfilment, action)

    client.cookies.set(SHOPPER_COOKIE, customer_token(settings, marie))
    listing = html.unescape(visible(client.get("/shop/account/orders?lang=en").text))
    assert order["number"] in listing and "Website" in listing and "Click & collect" in listing
    page = client.get(f"/shop/account/orders/{order['id']}")
    text = html.unescape(visible(page.text))
    assert "Ready for pickup" in text and "to collect before" in text
    assert "Comptoir Rivoli" in text and "Summer linen dress" in text
