"""The staff page: balance, tier, history and a correction with its reason, in French and English."""

from __future__ import annotations

import pytest

from tests.loyalty.conftest import ledger_state
from tests.support.staff import sign_in_pages

pytestmark = pytest.mark.usefixtures("programme")


@pytest.fixture
def seller(client, db):  # type: ignore[no-untyped-def]
    sign_in_pages(client, db, "service_agent")
    return client


def test_pages_need_a_signed_in_seller(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/pages/loyalty", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/pages/sign-in")


def test_member_page_in_french_and_english(seller, pay) -> None:  # type: ignore[no-untyped-def]
    pay("ord_1", "cus_a", "1250")
    french = seller.get("/pages/loyalty/cus_a?lang=fr")
    assert french.status_code == 200
    for text in (
        "Carte Comptoir",
        "Solde",
        "1\u202f250 points",
        "25,00\u00a0€",
        "Privilège",
        "Points gagnés",
        "ord_1",
    ):
        assert text in french.text, text
    english = seller.get("/pages/loyalty/cus_a?lang=en")
    for text in ("Balance", "1,250 points", "€25.00", "Points earned", "Correct the balance"):
        assert text in english.text, text
    assert seller.get("/pages/loyalty?q=nobody&lang=fr").text.count("Aucun client ne correspond.") == 1


def test_a_seller_corrects_the_balance_with_a_reason(seller, db, pay) -> None:  # type: ignore[no-untyped-def]
    pay("ord_1", "cus_a", "100")
    done = seller.post(
        "/pages/loyalty/cus_a/adjust",
        data={"points": "-30", "reason": "Erreur de caisse"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert ledger_state(db, "cus_a") == (70, 70, 70)
    page = seller.get(done.headers["location"] + "&lang=fr")
    assert "Le solde a été corrigé." in page.text and "Erreur de caisse" in page.text
    refused = seller.post("/pages/loyalty/cus_a/adjust", data={"points": "-500", "reason": "Erreur"})
    assert refused.status_code == 200 and "Pas assez de points : le solde est de 70." in refused.text
    assert ledger_state(db, "cus_a") == (70, 70, 70)
