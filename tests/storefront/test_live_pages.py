"""The customer's live page (``/shop/live``): talk now in French or English, wait in the queue, then — in
the session — the advisor's products in a cart on the live channel, checked out in the call; the page's
calls need this browser's ticket and the form token."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from comptoir.core.db import Database
from comptoir.core.uow import UnitOfWork
from comptoir.core.web import ANON_CSRF_COOKIE
from comptoir.live import service as live_service
from comptoir.orders import service as orders
from tests.live import conftest as live_fixtures
from tests.live.conftest import LIN_S, Studio, available
from tests.orders.conftest import RIVOLI

# the live tests' studio (their fixtures, used here by name)
_fresh_rules = live_fixtures._fresh_rules
moving_clock = live_fixtures.moving_clock
shop = live_fixtures.shop
stocked = live_fixtures.stocked
studio = live_fixtures.studio


def open_live(client: TestClient, lang: str = "en") -> str:
    page = client.get(f"/shop/live?lang={lang}")
    assert page.status_code == 200, page.text
    client.headers["X-CSRF-Token"] = client.cookies[ANON_CSRF_COOKIE]
    return str(page.text)


def ask(client: TestClient, **form: str) -> str:
    asked = client.post(
        "/shop/live/ask", data={"topic": "robe", "language": "fr", **form}, follow_redirects=False
    )
    assert asked.status_code == 303, asked.text
    page = client.get("/shop/live")
    assert page.status_code == 200
    return str(page.text)


def attr(html: str, name: str) -> str:
    found = re.search(rf'{name}="([^"]*)"', html)
    assert found, name
    return str(found.group(1))


@pytest.mark.parametrize(("lang", "words"), [("fr", "Parler maintenant"), ("en", "Talk now")])
def test_the_live_page_speaks_the_shoppers_language(
    client: TestClient, studio: Studio, lang: str, words: str
) -> None:
    html = open_live(client, lang)
    assert words in html and "/shop/appointments/consultation-video" in html


def test_talk_now_then_buy_in_the_session(client: TestClient, stocked: Database, studio: Studio) -> None:
    # given Anne available and a visitor asking to talk
    available(client, studio, "anne")
    open_live(client)
    html = ask(client, name="Zoé", postcode="75001")
    ticket = attr(html, "data-ticket")
    assert "data-live-waiting" in html and "Your place in the queue:" in html
    client.headers["X-Live-Ticket"] = ticket
    request_id = attr(html, "data-request")
    # when Anne takes the call and shows the linen dress
    taken = client.post(f"/v1/live/requests/{request_id}/accept", headers=studio.staff("anne"))
    assert taken.status_code == 201, taken.text
    session_id = taken.json()["id"]
    html = client.get("/shop/live").text
    assert attr(html, "data-session") == session_id
    media = client.get(f"/shop/live/sessions/{session_id}")
    assert media.status_code == 200 and media.json()["media"]["kind"] == "p2p"
    pushed = client.post(
        f"/v1/live/sessions/{session_id}/pushes", json={"sku": LIN_S}, headers=studio.staff("anne")
    )
    assert pushed.status_code == 201, pushed.text
    # then the visitor compares it, adds it to the cart, chats and checks out for click & collect
    assert client.post(f"/shop/live/sessions/{session_id}/compare", data={"sku": LIN_S}).status_code == 204
    cart = client.post(f"/shop/live/sessions/{session_id}/cart", data={"sku": LIN_S})
    assert cart.status_code == 200, cart.text
    assert "Place the order" in cart.text and "59.90" in cart.text
    assert client.post(f"/shop/live/sessions/{session_id}/chat", data={"text": "Bonjour"}).status_code == 204
    wish = client.post(f"/shop/live/sessions/{session_id}/wish", data={"sku": LIN_S})
    assert wish.status_code == 422 and "Sign in" in wish.text
    refused = client.post(f"/shop/live/sessions/{session_id}/checkout", data={"mode": "click_and_collect"})
    assert refused.status_code == 422 and "Choose the shop where you will collect your order." in refused.text
    placed = client.post(
        f"/shop/live/sessions/{session_id}/checkout",
        data={
            "mode": "click_and_collect",
            "pickup_place_id": RIVOLI,
            "card": "tok_visa",
            "email": "zoe@example.org",
        },
    )
    assert placed.status_code == 200, placed.text
    number = attr(placed.text, "data-live-order")
    assert client.post(f"/shop/live/sessions/{session_id}/end").status_code == 204
    with UnitOfWork(stocked, read_only=True) as uow:
        session = live_service.get_session(uow, session_id, _system(), None)
    assert session.status == "ended" and session.report is not None
    assert session.report["added"] == [LIN_S] and session.report["compared"] == [LIN_S]
    assert session.cart_id is not None
    with UnitOfWork(stocked, read_only=True) as uow:
        order_id = _order_of(uow, session.cart_id)
        order = orders.get_order(uow, order_id)
    assert order.number == number and order.channel == "live" and order.lines[0].sku == LIN_S


def _order_of(uow: UnitOfWork, cart_id: str) -> str:
    from sqlalchemy import text

    found = uow.session.execute(
        text("select order_id from carts_carts where id = :c"), {"c": cart_id}
    ).scalar()
    assert found
    return str(found)


def _system() -> Any:
    from comptoir.core.context import Actor

    return Actor(kind="system")


def test_the_sessions_calls_need_this_browsers_ticket(client: TestClient, studio: Studio) -> None:
    available(client, studio, "anne")
    open_live(client)
    html = ask(client)
    request_id = attr(html, "data-request")
    session_id = client.post(f"/v1/live/requests/{request_id}/accept", headers=studio.staff("anne")).json()[
        "id"
    ]
    client.headers["X-Live-Ticket"] = "forged"
    assert client.post(f"/shop/live/sessions/{session_id}/chat", data={"text": "Bonjour"}).status_code == 401
    del client.headers["X-Live-Ticket"]
    client.cookies.delete("comptoir_live")
    assert client.post(f"/shop/live/sessions/{session_id}/chat", data={"text": "Bonjour"}).status_code == 401
    del client.headers["X-CSRF-Token"]
    assert client.post("/shop/live/ask", data={"topic": "robe"}).status_code == 403


def test_nobody_on_duty_offers_slots_and_a_message(
    client: TestClient, studio: Studio, moving_clock: Any
) -> None:
    moving_clock.advance(12 * 3600)  # 22:00 in Paris: the studio is closed
    open_live(client, "fr")
    html = ask(client)
    assert "Aucun conseiller n’est disponible" in html or "Laisser un message" in html
    sent = client.post(
        "/shop/live/message",
        data={"message": "Rappelez-moi", "contact": "zoe@example.org"},
        follow_redirects=False,
    )
    assert sent.status_code == 303
    assert "Votre message est envoyé" in client.get("/shop/live?lang=fr").text
