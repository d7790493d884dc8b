"""The seller app through its pages (TestClient): each page in French and English, a whole sale, and who
is refused (anonymous, a customer's key, a seller of another shop)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from comptoir.core.access import Role
from comptoir.core.db import Database
from comptoir.core.uow import UnitOfWork
from comptoir.customers import service as customers
from tests.orders.conftest import customer_token, headers
from tests.conftest import make_key
from tests.seller.conftest import LIN_S, MARSEILLE, RIVOLI, gtin_of
from tests.support.staff import sign_in_pages

FORBIDDEN_IN_PAGES = ("st_paris_rivoli", "ROBE-LIN-S-BLEU", "cus_", '"open_orders"', "Traceback")


def page(client: Any, url: str, lang: str, status: int = 200) -> str:
    response = client.get(url + ("&" if "?" in url else "?") + f"lang={lang}")
    assert response.status_code == status, response.text[:500]
    html = response.text
    for raw in FORBIDDEN_IN_PAGES:
        assert raw not in re.sub(r'(href|action|value|src|name|id|for|hx-get|hx-post)="[^"]*"', "", html), raw
    return html


@pytest.fixture
def seller(client: Any, published: Database) -> Any:
    sign_in_pages(client, published, Role.SELLER, [RIVOLI])
    return client


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_a_seller_finds_a_customer_and_opens_the_360(seller: Any, marie: str, lang: str) -> None:
    html = page(seller, "/seller/customers/results?q=curie", lang)
    assert "Marie Curie" in html and f"/seller/customers/{marie}" in html
    view = page(seller, f"/seller/customers/{marie}", lang)
    assert "Marie Curie" in view
    assert ("Identité et consentements" if lang == "fr" else "Identity and consents") in view
