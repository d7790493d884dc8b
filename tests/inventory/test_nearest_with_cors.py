"""``GET /v1/inventory/availability/nearest`` served by the application as configured in production: a CORS
origin set, every middleware in place. Same answers, same problems, same telemetry as any route."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tests.conftest import make_key
from tests.inventory.factories import network, receive

SKU = "ROBE-LIN-S-BLEU"
SHOP = "https://shop.example.com"
NEAREST = (
    f"/v1/inventory/availability/nearest?sku={SKU}&postcode=75011&limit=2&at=2026-01-12T12:00:00%2B01:00"
)


@pytest.fixture
def cors_client(settings, db) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    from comptoir.app import create_app

    app = create_app(settings.model_copy(update={"cors_origins": [SHOP]}), db=db)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def reader(db) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {"Authorization": f"Bearer {make_key(db, ['inventory:read'], channel='web')}", "Origin": SHOP}


@pytest.fixture
def stocked(db):  # type: ignore[no-untyped-def]
    network(db)
    receive(db, SKU, "st_opera", 3)
    receive(db, SKU, "st_bastille", 1)
    return db


def test_a_preflight_from_the_shop_is_answered_without_a_key(cors_client) -> None:  # type: ignore[no-untyped-def]
    # Given the shop's origin configured, When the browser asks before sending its key
    answer = cors_client.options(
        NEAREST,
        headers={
            "Origin": SHOP,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization",
        },
    )
    # Then the preflight is allowed for that origin, without authentication
    assert answer.status_code == 200
    assert answer.headers["access-control-allow-origin"] == SHOP
    assert "GET" in answer.headers["access-control-allow-methods"]
    assert answer.headers["access-control-allow-headers"].lower() == "authorization"


def test_a_preflight_from_another_origin_is_refused(cors_client) -> None:  # type: ignore[no-untyped-def]
    answer = cors_client.options(
        NEAREST, headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"}
    )
    assert answer.status_code == 400
    assert "access-control-allow-origin" not in answer.headers


def test_the_nearest_stores_answer_a_browser_with_the_cors_headers(cors_client, stocked, reader) -> None:  # type: ignore[no-untyped-def]
    # Given stock at two Paris stores, When the shop's page asks with its key and an X-Request-ID
    answer = cors_client.get(NEAREST, headers={**reader, "X-Request-ID": "req-cors-1"})
    # Then the places come nearest first, readable by the page (allowed origin, exposed request id)
    assert answer.status_code == 200
    assert [(p["place_id"], p["available"]) for p in answer.json()["places"]] == [
        ("st_bastille", 1),
        ("st_opera", 3),
    ]
    assert answer.headers["content-type"] == "application/json"
    assert answer.headers["access-control-allow-origin"] == SHOP
    assert "x-request-id" in answer.headers["access-control-expose-headers"].lower()
    assert answer.headers["x-request-id"] == "req-cors-1"
    # And the request is counted under its route, as any route's
    metrics = cors_client.get("/metrics").text
    assert 'method="GET",route="/v1/inventory/availability/nearest",status="200"' in metrics


def test_without_a_key_the_browser_reads_a_401_problem(cors_client, stocked) -> None:  # type: ignore[no-untyped-def]
    answer = cors_client.get(NEAREST, headers={"Origin": SHOP})
    assert answer.status_code == 401
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["status"] == 401
    assert answer.headers["access-control-allow-origin"] == SHOP


def test_a_bad_query_is_a_422_problem_naming_each_field(cors_client, stocked, reader) -> None:  # type: ignore[no-untyped-def]
    answer = cors_client.get(
        "/v1/inventory/availability/nearest?sku=&lat=999&lon=2&limit=0&quantity=x", headers=reader
    )
    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.headers["access-control-allow-origin"] == SHOP
    assert [(e["in"], e["parameter"]) for e in answer.json()["errors"]] == [
        ("query", "sku"),
        ("query", "quantity"),
        ("query", "lat"),
        ("query", "limit"),
    ]


def test_a_server_error_is_a_500_problem_quoting_the_request_id(  # type: ignore[no-untyped-def]
    cors_client, stocked, reader, monkeypatch
) -> None:
    from comptoir.inventory import service

    async def broken(*args: object, **kwargs: object) -> bytes:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(service, "nearest_json", broken)
    answer = cors_client.get(NEAREST, headers=reader)
    assert answer.status_code == 500
    assert answer.headers["content-type"] == "application/problem+json"
    assert "disk on fire" not in answer.text
    assert answer.headers["x-request-id"] in answer.json()["detail"]
