"""Inputs a fuzzer sent to /v1/inventory that answered 500 (issue 15, item 10)."""

from __future__ import annotations

from tests.inventory.test_routes import SKU, stocked, writer  # noqa: F401  (fixtures)


def test_stock_settings_with_nothing_to_set_is_a_422_and_writes_nothing(client, stocked, writer) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    # given a SKU nobody stocks at Opéra / when its settings are put with an empty body
    response = client.put("/v1/inventory/stock/st_opera/0", json={}, headers=writer)
    # then a problem naming what is missing, and nothing is written
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert [e["pointer"] for e in response.json()["errors"]] == ["#/safety_stock"]
    level = client.get("/v1/inventory/stock/st_opera/0", headers=writer).json()
    assert (level["on_hand"], level["safety_stock"], level["location"]) == (0, 0, None)


def test_stock_settings_of_a_sku_without_stock_create_its_row_at_zero(client, stocked, writer) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    response = client.put("/v1/inventory/stock/st_opera/0", json={"safety_stock": 2}, headers=writer)
    assert response.status_code == 200, response.text
    assert (response.json()["on_hand"], response.json()["safety_stock"]) == (0, 2)
