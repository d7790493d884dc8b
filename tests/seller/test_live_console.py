"""The advisor's live console (``/seller/live``): it opens for the live service's staff in French and
English and not for a seller or a stranger; an advisor accepts the customer offered, finds a product and
shows it, saves notes, chats and ends the session (its report is shown)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from comptoir.core import staff
from comptoir.core.access import Role
from comptoir.core.web import STAFF_COOKIE, csrf_token
from tests.live import conftest as live_fixtures
from tests.live.conftest import LIN_S, RIVOLI, Studio, ask, available
from tests.support.staff import sign_in_pages

# the live tests' studio (their fixtures, used here by name)
_fresh_rules = live_fixtures._fresh_rules
moving_clock = live_fixtures.moving_clock
shop = live_fixtures.shop
stocked = live_fixtures.stocked
studio = live_fixtures.studio


def as_advisor(client: TestClient, studio: Studio, name: str = "anne") -> TestClient:
    token = studio.tokens[name]
    client.cookies.set(STAFF_COOKIE, token)
    secret = client.app.state.comptoir.settings.secret_key  # type: ignore[attr-defined]
    client.headers["X-CSRF-Token"] = csrf_token(secret, staff.session_id_of(token) or "")
    return client


@pytest.mark.parametrize(("lang", "words"), [("fr", "Ma présence"), ("en", "My presence")])
def test_the_console_opens_in_the_advisors_language(
    client: TestClient, studio: Studio, lang: str, words: str
) -> None:
    page = as_advisor(client, studio).get(f"/seller/live?lang={lang}")
    assert page.status_code == 200, page.text
    assert words in page.text and "live-console.js" in page.text


def test_a_seller_or_a_stranger_is_refused(client: TestClient, stocked: Any, studio: Studio) -> None:
    assert client.get("/seller/live", follow_redirects=False).status_code in (302, 303)
    sign_in_pages(client, stocked, Role.SELLER, [RIVOLI])
    assert client.get("/seller/live").status_code == 403


def test_accept_show_note_chat_and_end(client: TestClient, studio: Studio) -> None:
    # given Anne available and a customer asking
    available(client, studio, "anne")
    request = ask(client, studio, language="fr", name="Zoé", postcode="75001")
    advisor = as_advisor(client, studio)
    page = advisor.get("/seller/live?lang=en")
    assert "Zoé" in page.text and "Accept" in page.text
    # when she accepts: the session and how to join its video
    taken = advisor.post(f"/seller/live/requests/{request['id']}/accept")
    assert taken.status_code == 200, taken.text
    session = taken.json()
    assert session["media"]["kind"] == "p2p" and session["customer_url"] is None
    assert advisor.post(f"/seller/live/requests/{request['id']}/accept").status_code == 409
    # she finds the linen dress and shows it; an unknown product is refused in words
    found = advisor.get("/seller/live/search?q=lin&lang=en")
    assert found.status_code == 200 and f'data-push="{LIN_S}"' in found.text
    shown = advisor.post(f"/seller/live/sessions/{session['id']}/push?lang=en", data={"sku": LIN_S})
    assert shown.status_code == 200 and "Shown to the customer" in shown.text
    assert (
        advisor.post(f"/seller/live/sessions/{session['id']}/push", data={"sku": "NOPE"}).status_code == 422
    )
    noted = advisor.post(
        f"/seller/live/sessions/{session['id']}/notes?lang=en",
        data={"notes": "Taille S", "recommended": [LIN_S]},
    )
    assert noted.status_code == 200 and "Notes saved." in noted.text
    assert (
        advisor.post(f"/seller/live/sessions/{session['id']}/chat", data={"text": "Bonjour"}).status_code
        == 204
    )
    queue = advisor.get("/seller/live/queue?lang=en")
    assert queue.status_code == 200 and "Nobody is waiting." in queue.text
    # then the console, reloaded, takes the session up again; ending it shows the report
    assert f'data-session="{session["id"]}"' in advisor.get("/seller/live").text
    ended = advisor.post(f"/seller/live/sessions/{session['id']}/end?lang=en")
    assert ended.status_code == 200 and "its report is saved" in ended.text
    assert "Recommended" in ended.text


def test_a_page_call_without_the_form_token_is_refused(client: TestClient, studio: Studio) -> None:
    advisor = as_advisor(client, studio)
    del advisor.headers["X-CSRF-Token"]
    assert advisor.post("/seller/live/requests/lrq_x/decline").status_code == 403
