"""Every list pages with a cursor and refuses one it did not hand out (issue 15, item 6)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.pricing.conftest import shop  # noqa: F401  (fixture)

pytestmark = pytest.mark.usefixtures("shop")


@pytest.mark.parametrize(
    "path",
    [
        "/v1/customers",
        "/v1/pricing/promotions",
        "/v1/pricing/price-lists/base-eur/prices",
        "/v1/receipts",
    ],
)
def test_a_cursor_this_api_never_returned_is_a_422(
    client: Any, admin_headers: dict[str, str], path: str
) -> None:
    # given / when "AAAA" (three NUL bytes once decoded) is passed as a cursor
    response = client.get(path, params={"cursor": "AAAA"}, headers=admin_headers)
    # then the list refuses it, naming the parameter
    assert response.status_code == 422, response.text
    assert response.json()["errors"] == [{"parameter": "cursor", "detail": "invalid cursor"}]


def test_promotions_page_by_priority_then_age(client: Any, admin_headers: dict[str, str]) -> None:
    # given three promotions, two of the same priority
    for name, priority in [("A", 5), ("B", 10), ("C", 5)]:
        created = client.post(
            "/v1/pricing/promotions",
            json={"name": name, "kind": "percent_off", "params": {"percent": "5"}, "priority": priority},
            headers=admin_headers,
        )
        assert created.status_code == 201, created.text
    # when they are read two at a time
    first = client.get("/v1/pricing/promotions", params={"limit": 2}, headers=admin_headers).json()
    second = client.get(
        "/v1/pricing/promotions", params={"limit": 2, "cursor": first["next_cursor"]}, headers=admin_headers
    ).json()
    # then highest priority first, then oldest, and the last page says so
    assert [p["name"] for p in first["items"]] == ["B", "A"]
    assert ([p["name"] for p in second["items"]], second["next_cursor"]) == (["C"], None)


def test_a_price_list_pages_its_prices_by_sku(client: Any, admin_headers: dict[str, str]) -> None:
    # given the shop's base list of 7 SKUs / when read 3 at a time
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 3} | ({"cursor": cursor} if cursor else {})
        page = client.get(
            "/v1/pricing/price-lists/base-eur/prices", params=params, headers=admin_headers
        ).json()
        seen += [p["sku"] for p in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    # then every SKU once, in order, over three pages
    assert (seen, pages) == (
        ["CONFITURE", "COUSSIN", "LIVRE", "ROBE-M", "ROBE-S", "TOTE", "TSHIRT-M"],
        3,
    )


def test_receipts_come_as_a_page(client: Any, admin_headers: dict[str, str]) -> None:
    response = client.get("/v1/receipts", params={"place_id": "st_opera"}, headers=admin_headers)
    assert response.status_code == 200, response.text
    assert response.json() == {"items": [], "next_cursor": None}
