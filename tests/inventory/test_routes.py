"""The HTTP API under /v1/inventory, end to end."""

from __future__ import annotations

import pytest

from tests.conftest import make_key
from tests.inventory.factories import network

SKU = "ROBE-LIN-S-BLEU"


@pytest.fixture
def writer(db) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {"Authorization": f"Bearer {make_key(db, ['inventory:read', 'inventory:write'])}"}


@pytest.fixture
def reader(db) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {"Authorization": f"Bearer {make_key(db, ['inventory:read'], channel='web')}"}


@pytest.fixture
def stocked(db, client, writer):  # type: ignore[no-untyped-def]
    network(db)
    for place, quantity in [("st_opera", 3), ("st_bastille", 1)]:
        response = client.post(
            "/v1/inventory/movements",
            json={
                "kind": "receipt",
                "sku": SKU,
                "place_id": place,
                "quantity": quantity,
                "reference": "asn-7",
            },
            headers=writer,
        )
        assert response.status_code == 201, response.text
    return db


def test_receipts_reservations_and_the_409_when_stock_runs_out(client, stocked, writer) -> None:  # type: ignore[no-untyped-def]
    line = {"sku": SKU, "place_id": "st_opera", "quantity": 2}
    held = client.post(
        "/v1/inventory/reservations", json={"reference": "cart-1", "lines": [line]}, headers=writer
    )
    assert held.status_code == 201
    assert (held.json()["status"], held.json()["lines"][0]["quantity"]) == ("held", 2)

    refused = client.post(
        "/v1/inventory/reservations", json={"reference": "cart-2", "lines": [line]}, headers=writer
    )
    assert refused.status_code == 409
    assert refused.headers["content-type"].startswith("application/problem+json")
    body = refused.json()
    assert (body["type"], body["sku"], body["place_id"], body["requested"], body["available"]) == (
        "urn:comptoir:problem:out-of-stock",
        SKU,
        "st_opera",
        2,
        1,
    )

    level = client.get(f"/v1/inventory/stock/st_opera/{SKU}", headers=writer).json()
    assert (level["on_hand"], level["reserved"], level["available"]) == (3, 2, 1)

    assert client.post("/v1/inventory/reservations/cart-1/release", headers=writer).status_code == 204
    assert client.post("/v1/inventory/reservations/cart-1/release", headers=writer).status_code == 204
    assert client.get(f"/v1/inventory/stock/st_opera/{SKU}", headers=writer).json()["available"] == 3


def test_releasing_an_unknown_reservation_is_a_404_and_changes_nothing(client, stocked, writer) -> None:  # type: ignore[no-untyped-def]
    # given stock at the Opéra and no reservation called "never-held"
    # when it is released
    response = client.post("/v1/inventory/reservations/never-held/release", headers=writer)
    # then a 404 problem names the reservation, and the stock is untouched
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "never-held" in response.json()["detail"]
    level = client.get(f"/v1/inventory/stock/st_opera/{SKU}", headers=writer).json()
    assert (level["on_hand"], level["reserved"], level["available"]) == (3, 0, 3)


def test_fulfilment_through_the_api_writes_a_sale(client, stocked, writer) -> None:  # type: ignore[no-untyped-def]
    line = {"sku": SKU, "place_id": "st_opera", "quantity": 1}
    client.post(
        "/v1/inventory/reservations",
        json={"reference": "o-1", "kind": "order", "lines": [line]},
        headers=writer,
    )
    done = client.post(
        "/v1/inventory/reservations/o-1/fulfil", json={"movement_reference": "ship-1"}, headers=writer
    )
    assert done.status_code == 200
    assert done.json()["status"] == "fulfilled"
    ledger = client.get(f"/v1/inventory/movements?sku={SKU}&place_id=st_opera", headers=writer).json()
    assert [(m["kind"], m["delta"], m["on_hand_after"]) for m in ledger["items"]] == [
        ("sale", -1, 2),
        ("receipt", 3, 3),
    ]


def test_bad_input_names_the_field_and_writes_nothing(client, stocked, writer) -> None:  # type: ignore[no-untyped-def]
    response = client.post(
        "/v1/inventory/reservations",
        json={"reference": "c", "lines": [{"sku": SKU, "place_id": "st_opera", "quantity": 0}]},
        headers=writer,
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["pointer"] == "#/lines/0/quantity"
    response = client.post(
        "/v1/inventory/movements",
        json={"kind": "sale", "sku": SKU, "place_id": "st_opera", "quantity": -2, "reference": "x"},
        headers=writer,
    )
    assert response.status_code == 422
    assert client.get("/v1/inventory/reservations/c", headers=writer).status_code == 404


def test_a_read_key_cannot_write(client, stocked, reader) -> None:  # type: ignore[no-untyped-def]
    response = client.post(
        "/v1/inventory/reservations",
        json={"reference": "c", "lines": [{"sku": SKU, "place_id": "st_opera", "quantity": 1}]},
        headers=reader,
    )
    assert response.status_code == 403


def test_nearest_availability_through_the_api(client, stocked, reader) -> None:  # type: ignore[no-untyped-def]
    response = client.get(
        f"/v1/inventory/availability/nearest?sku={SKU}&postcode=75011&limit=2&at=2026-01-12T12:00:00%2B01:00",
        headers=reader,
    )
    assert response.status_code == 200
    body = response.json()
    assert [(p["place_id"], p["available"], p["open_now"]) for p in body["places"]] == [
        ("st_bastille", 1, True),
        ("st_opera", 3, True),
    ]
    assert body["places"][0]["pickup"] == {
        "kind": "within",
        "ready_by": "2026-01-12T13:00:00Z",
        "minutes": 120,
    }
    missing = client.get(f"/v1/inventory/availability/nearest?sku={SKU}&postcode=00000", headers=reader)
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["pointer"] == "#/postcode"


def test_a_bad_nearest_query_names_each_field(client, stocked, reader) -> None:  # type: ignore[no-untyped-def]
    response = client.get(
        "/v1/inventory/availability/nearest?sku=&lat=999&limit=0&kind=store&kind=warehouse", headers=reader
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    errors = response.json()["errors"]
    assert [(e["in"], e["parameter"]) for e in errors] == [
        ("query", "sku"),
        ("query", "lat"),
        ("query", "limit"),
    ]


def test_many_skus_at_once_and_network_availability(client, stocked, reader) -> None:  # type: ignore[no-untyped-def]
    many = client.get(f"/v1/inventory/availability?sku={SKU}&sku=NOPE", headers=reader).json()
    assert [(x["sku"], x["total_available"], len(x["levels"])) for x in many] == [("NOPE", 0, 0), (SKU, 4, 2)]
    net = client.get(f"/v1/inventory/availability/network?sku={SKU}", headers=reader).json()
    assert [(x["sku"], x["available"]) for x in net] == [(SKU, 1)]


def test_a_count_through_the_api_returns_its_variance_report(client, stocked, writer) -> None:  # type: ignore[no-untyped-def]
    response = client.post(
        "/v1/inventory/counts",
        json={"place_id": "st_opera", "reference": "inv-1", "lines": [{"sku": SKU, "quantity": 2}]},
        headers=writer,
    )
    assert response.status_code == 201
    report = response.json()
    assert report["variances"] == [{"sku": SKU, "expected": 3, "counted": 2, "delta": -1}]
    again = client.get(f"/v1/inventory/counts/{report['id']}", headers=writer).json()
    assert again["units_variance"] == 1
    accuracy = client.get("/v1/inventory/places/st_opera/accuracy", headers=writer).json()
    assert [p["sku_accuracy"] for p in accuracy["points"]] == [0.0]
