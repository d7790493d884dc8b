"""The door in the seller app (``/seller/exit``): a seller of Opéra pastes a scan & go pass and sees it
valid with the items to compare with the bag; a second check says who let it through and when; another
shop's pass, a forged one, and a seller of another shop are refused — in French and English."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from comptoir.core.db import Database
from tests.orders.conftest import (  # noqa: F401 (fixtures)
    CARD,
    OPERA,
    RIVOLI,
    SOIE_M,
    checkout,
    new_cart,
    opera,
    shop,
    stocked,
)
from tests.support.staff import sign_in_pages


def pass_of_a_sale(client: TestClient, opera_h: dict[str, str]) -> str:
    cart = new_cart(client, opera_h, [(SOIE_M, 2)])
    sale = checkout(client, opera_h, cart, mode="store_sale", tenders=[CARD]).json()
    return str(client.get(f"/v1/orders/{sale['id']}/exit-pass", headers=opera_h).json()["token"])


def check(client: TestClient, token: str, lang: str, **form: Any) -> Any:
    answer = client.post(f"/seller/exit?lang={lang}", data={"token": token, **form})
    assert answer.status_code == 200, answer.text
    return answer


def test_a_seller_lets_a_paid_bag_through_once(
    client: TestClient,
    stocked: Database,  # noqa: F811
    opera: dict[str, str],  # noqa: F811
) -> None:
    token = pass_of_a_sale(client, opera)
    person = sign_in_pages(client, stocked, "seller", [OPERA])
    page = client.get("/seller/exit?lang=fr")
    assert page.status_code == 200 and "Contrôle en sortie" in page.text and "Opéra" in page.text
    ok = check(client, token, "en")
    assert "Valid: the shopper may leave" in ok.text
    assert "2 ×" in ok.text and SOIE_M not in ok.text and "2 items" in ok.text
    again = check(client, token, "fr")
    assert "Déjà utilisé" in again.text and "Test seller" in again.text
    forged = check(client, token[:-3] + "AAA", "en")
    assert "not one of our passes" in forged.text
    assert person.token


def test_another_shops_pass_and_another_shops_seller(
    client: TestClient,
    stocked: Database,  # noqa: F811
    opera: dict[str, str],  # noqa: F811
) -> None:
    token = pass_of_a_sale(client, opera)
    sign_in_pages(client, stocked, "seller", [RIVOLI])
    other = check(client, token, "fr")
    assert "Ce passe est celui d’un autre magasin." in other.text
    refused = check(client, token, "en", place_id=OPERA)
    assert "Choose the shop whose exit you keep." in refused.text
    empty = check(client, "", "en")
    assert "Scan a pass or type its code." in empty.text
