"""The OpenAPI document declares the problems each operation can answer and the real media types of
files (issue 15, item 13)."""

from __future__ import annotations

from typing import Any

import pytest

PROBLEM = "application/problem+json"


@pytest.fixture
def document(client: Any) -> dict[str, Any]:
    return dict(client.get("/openapi.json").json())


def _responses(document: dict[str, Any], method: str, path: str) -> dict[str, list[str]]:
    responses = document["paths"][path][method]["responses"]
    return {status: sorted(r.get("content", {})) for status, r in responses.items()}


@pytest.mark.parametrize(
    ("method", "path", "expected"),
    [
        ("patch", "/v1/pricing/promotions/{promotion_id}", {"404", "409", "412"}),
        ("patch", "/v1/customers/{customer_id}", {"404", "409", "412"}),
        ("get", "/v1/orders/{order_id}", {"404"}),
        ("post", "/v1/orders/checkout", {"409"}),
        ("post", "/v1/stores/import", {"400", "409"}),
        ("post", "/v1/catalog/assets", {"400", "409", "413"}),
    ],
)
def test_problems_are_declared_where_they_happen(
    document: dict[str, Any], method: str, path: str, expected: set[str]
) -> None:
    declared = _responses(document, method, path)
    for status in expected | {"401", "403", "422", "429"}:
        assert declared.get(status) == [PROBLEM], (status, declared)
    assert {"404", "412", "413"} & set(declared) == {"404", "412", "413"} & expected


def test_a_read_without_a_path_parameter_declares_no_404(document: dict[str, Any]) -> None:
    assert "404" not in _responses(document, "get", "/v1/customers")
    assert "409" not in _responses(document, "get", "/v1/customers")


@pytest.mark.parametrize(
    ("path", "media_types"),
    [
        ("/v1/stores/channels/csv/file", ["text/csv"]),
        ("/v1/catalog/export", ["application/json", "application/x-ndjson", "text/csv"]),
        ("/v1/catalog/media/{asset_id}/{rendition}", ["image/jpeg"]),
        ("/v1/catalog/media/{asset_id}", ["application/pdf", "image/jpeg", "image/png", "image/webp"]),
    ],
)
def test_files_are_declared_in_their_real_media_types(
    document: dict[str, Any], path: str, media_types: list[str]
) -> None:
    assert _responses(document, "get", path)["200"] == media_types


def test_the_csv_upload_declares_its_body(document: dict[str, Any]) -> None:
    body = document["paths"]["/v1/stores/channels/csv/file"]["put"]["requestBody"]
    assert list(body["content"]) == ["text/csv"]
