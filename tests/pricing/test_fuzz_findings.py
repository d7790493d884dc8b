"""Inputs a fuzzer sent to /v1/pricing that answered 500 or a misleading 409 (issue 15, items 10 and 12)."""

from __future__ import annotations

from typing import Any

import pytest

FUZZED_PATCH = {
    "budget": None,
    "channels": [],
    "ends_at": "2000-01-01T00:00:00Z",
    "label": "",
    "max_uses": 1,
    "name": "0",
    "params": None,
    "priority": 0,
    "segments": [],
}


def _promotion(client: Any, admin: dict[str, str]) -> dict[str, Any]:
    created = client.post(
        "/v1/pricing/promotions",
        json={"name": "Soldes", "kind": "percent_off", "params": {"percent": "10", "scope": "cart"}},
        headers=admin,
    )
    assert created.status_code == 201, created.text
    return dict(created.json())


def test_the_fuzzed_promotion_patch_is_a_422_naming_params(client, shop, admin_headers) -> None:  # type: ignore[no-untyped-def]
    # given a running promotion
    promotion = _promotion(client, admin_headers)
    # when the body the fuzzer found is sent
    response = client.patch(
        f"/v1/pricing/promotions/{promotion['id']}", json=FUZZED_PATCH, headers=admin_headers
    )
    # then a 422 naming params (the only field that may not be null), nothing changed
    assert response.status_code == 422, response.text
    assert [e["pointer"] for e in response.json()["errors"]] == ["#/params"]
    after = client.get(f"/v1/pricing/promotions/{promotion['id']}", headers=admin_headers).json()
    assert (after["name"], after["version"], after["params"]) == (
        "Soldes",
        promotion["version"],
        {"percent": "10", "scope": "cart"},
    )


@pytest.mark.parametrize(
    "field", ["name", "label", "params", "priority", "stacking", "channels", "segments", "tiers", "status"]
)
def test_an_explicit_null_on_a_required_field_is_a_422_naming_it(
    client, shop, admin_headers, field: str
) -> None:  # type: ignore[no-untyped-def]
    promotion = _promotion(client, admin_headers)
    response = client.patch(
        f"/v1/pricing/promotions/{promotion['id']}", json={field: None}, headers=admin_headers
    )
    assert response.status_code == 422, response.text
    assert [e["pointer"] for e in response.json()["errors"]] == [f"#/{field}"]


def test_the_fuzzed_patch_without_the_null_params_applies(client, shop, admin_headers) -> None:  # type: ignore[no-untyped-def]
    promotion = _promotion(client, admin_headers)
    body = {k: v for k, v in FUZZED_PATCH.items() if k != "params"}
    response = client.patch(f"/v1/pricing/promotions/{promotion['id']}", json=body, headers=admin_headers)
    assert response.status_code == 200, response.text
    out = response.json()
    assert (out["name"], out["label"], out["running"], out["max_uses"], out["budget"]) == (
        "0",
        "",
        False,
        1,
        None,
    )


@pytest.mark.parametrize("field", ["name", "channels", "priority", "is_sale", "active"])
def test_a_price_list_patch_with_null_names_the_field(client, shop, admin_headers, field: str) -> None:  # type: ignore[no-untyped-def]
    # given the shop's base list / when a field it always has is patched to null
    response = client.patch("/v1/pricing/price-lists/base-eur", json={field: None}, headers=admin_headers)
    # then 422 naming it; clearing a validity date stays possible
    assert response.status_code == 422, response.text
    assert [e["pointer"] for e in response.json()["errors"]] == [f"#/{field}"]
    cleared = client.patch(
        "/v1/pricing/price-lists/base-eur", json={"valid_until": None}, headers=admin_headers
    )
    assert cleared.status_code == 200, cleared.text
