"""The customers API end to end: ingestion, direct creation, rectification, segments, identifiers, access."""

from __future__ import annotations

from typing import Any

from tests.conftest import make_key
from tests.customers.conftest import JEAN, MARIE


def bearer(token: str, customer_token: str | None = None) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {token}"}
    if customer_token:
        headers["X-Customer-Token"] = customer_token
    return headers


def ingest(client: Any, headers: dict[str, str], source: str = "pos", **fields: Any) -> dict[str, Any]:
    response = client.post("/v1/customers/ingest", json={"source": source, **fields}, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def test_ingest_then_read_the_golden_record(client, admin_headers) -> None:
    first = ingest(client, admin_headers, "web", **JEAN)
    second = ingest(client, admin_headers, "pos", given_name="DUPONT", family_name="JEAN", phone="0612345678",
                    birth_date="31121980")  # fmt: skip
    assert second["customer_id"] == first["customer_id"] and second["decision"] == "matched"
    response = client.get(f"/v1/customers/{first['customer_id']}", headers=admin_headers)
    assert response.status_code == 200
    body = response.json()
    assert body["display_name"] == "Jean Dupont"
    assert body["address"] == {
        "street": "12 avenue Foch",
        "postcode": "06000",
        "city": "Nice",
        "country": "FR",
    }
    assert response.headers["ETag"] == f'"{body["version"]}"'
    sources = client.get(f"/v1/customers/{first['customer_id']}/sources", headers=admin_headers).json()
    assert [s["source"] for s in sources] == ["pos", "web"]
    assert sources[0]["raw"]["given_name"] == "DUPONT"


def test_batch_ingestion_reports_each_row(client, admin_headers) -> None:
    response = client.post(
        "/v1/customers/ingest/batch",
        json={"source": "eticket", "records": [MARIE, {"email": "not-an-address", "family_name": "X"}]},
        headers=admin_headers,
    )
    assert response.status_code == 200
    rows = response.json()["results"]
    assert rows[0]["result"]["created"] is True
    assert rows[1]["result"]["flags"] == ["email_invalid", "no_contact_point"]


def test_ingestion_refuses_an_unknown_source_naming_the_field(client, admin_headers) -> None:
    response = client.post("/v1/customers/ingest", json={"source": "fax", **JEAN}, headers=admin_headers)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"][0]["pointer"] == "#/source"


def test_direct_creation_refuses_invalid_input_naming_the_field(client, admin_headers) -> None:
    body = {"given_name": "Jean", "family_name": "Dupont", "email": "jean@"}
    response = client.post("/v1/customers", json=body, headers=admin_headers)
    assert response.status_code == 422
    assert response.json()["errors"] == [{"pointer": "#/email", "detail": "The e-mail address is not valid."}]
    bad_postcode = {
        **body,
        "email": None,
        "address": {"street": "1 rue A", "postcode": "750", "city": "Paris"},
    }
    response = client.post("/v1/customers", json=bad_postcode, headers=admin_headers)
    assert response.json()["errors"][0]["pointer"] == "#/address/postcode"
    assert client.get("/v1/customers", headers=admin_headers).json()["items"] == []


def test_direct_creation_finds_an_existing_customer_instead_of_a_duplicate(client, admin_headers) -> None:
    existing = ingest(client, admin_headers, "web", **JEAN)
    body = {
        "given_name": "Jean",
        "family_name": "Dupont",
        "email": "Jean.Dupont@gmail.com",
        "birth_date": "1980-12-31",
    }
    response = client.post("/v1/customers", json=body, headers=admin_headers)
    assert response.status_code == 200
    assert response.json()["customer"]["id"] == existing["customer_id"]
    created = client.post(
        "/v1/customers", json={"given_name": "Ada", "family_name": "Lovelace"}, headers=admin_headers
    )
    assert created.status_code == 201
    assert created.headers["Location"] == f"/v1/customers/{created.json()['customer']['id']}"


def test_rectification_needs_the_current_version_and_wins_over_touchpoints(client, admin_headers) -> None:
    customer_id = ingest(client, admin_headers, "web", **JEAN)["customer_id"]
    version = client.get(f"/v1/customers/{customer_id}", headers=admin_headers).json()["version"]
    stale = client.patch(
        f"/v1/customers/{customer_id}",
        json={"family_name": "Dupond"},
        headers={**admin_headers, "If-Match": '"99"'},
    )
    assert stale.status_code == 412
    response = client.patch(
        f"/v1/customers/{customer_id}",
        json={"family_name": "Dupond", "email": "jean@dupond.fr"},
        headers={**admin_headers, "If-Match": f'"{version}"'},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["family_name"], body["email"], body["version"]) == ("Dupond", "jean@dupond.fr", version + 1)
    sources = client.get(f"/v1/customers/{customer_id}/sources", headers=admin_headers).json()
    assert body["lineage"]["family_name"] == sources[0]["id"] and sources[0]["source"] == "rectification"
    invalid = client.patch(f"/v1/customers/{customer_id}", json={"phone": "12"}, headers=admin_headers)
    assert invalid.status_code == 422 and invalid.json()["errors"][0]["pointer"] == "#/phone"


def test_segments_are_set_by_staff_and_returned_on_the_customer(client, admin_headers) -> None:
    customer_id = ingest(client, admin_headers, **MARIE)["customer_id"]
    response = client.put(
        f"/v1/customers/{customer_id}/segments",
        json={"segments": ["VIP", "pro", "vip"]},
        headers=admin_headers,
    )
    assert response.status_code == 200 and response.json()["segments"] == ["pro", "vip"]
    listed = client.get("/v1/customers?segment=vip", headers=admin_headers).json()["items"]
    assert [c["id"] for c in listed] == [customer_id]
    bad = client.put(
        f"/v1/customers/{customer_id}/segments", json={"segments": ["très bon"]}, headers=admin_headers
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["pointer"] == "#/segments"


def test_identifiers_make_a_customer_findable_by_receipt_number(client, admin_headers) -> None:
    jean = ingest(client, admin_headers, **JEAN)["customer_id"]
    marie = ingest(client, admin_headers, **MARIE)["customer_id"]
    response = client.post(
        f"/v1/customers/{jean}/identifiers",
        json={"kind": "receipt", "value": "T-2025-000123"},
        headers=admin_headers,
    )
    assert response.status_code == 201
    again = client.post(
        f"/v1/customers/{jean}/identifiers",
        json={"kind": "receipt", "value": "T-2025-000123"},
        headers=admin_headers,
    )
    assert again.status_code == 201
    taken = client.post(
        f"/v1/customers/{marie}/identifiers",
        json={"kind": "receipt", "value": "T-2025-000123"},
        headers=admin_headers,
    )
    assert taken.status_code == 409
    hits = client.get("/v1/customers/search", params={"q": "t 2025 000123"}, headers=admin_headers).json()
    assert [h["customer"]["id"] for h in hits] == [jean] and hits[0]["matched_on"] == ["identifier"]


def test_consents_and_contact_permission(client, admin_headers) -> None:
    customer_id = ingest(client, admin_headers, **MARIE)["customer_id"]
    url = f"/v1/customers/{customer_id}/consents"
    statements = [
        {"purpose": "marketing", "channel": "email", "granted": True, "stated_at": "2025-01-01T10:00:00+01:00"},
        {"purpose": "marketing", "channel": "email", "granted": False, "stated_at": "2025-03-01T10:00:00+01:00",
         "proof": {"link": "unsubscribe"}},
    ]  # fmt: skip
    response = client.post(url, json={"statements": statements}, headers=admin_headers)
    assert response.status_code == 201
    body = response.json()
    assert [(c["purpose"], c["granted"]) for c in body["current"]] == [("marketing", False)]
    assert len(body["history"]) == 2
    permission = f"/v1/customers/{customer_id}/contact-permission"
    now = client.get(permission, params={"purpose": "marketing", "channel": "email"}, headers=admin_headers)
    assert now.json()["allowed"] is False
    in_february = client.get(
        permission,
        params={"purpose": "marketing", "channel": "email", "at": "2025-02-01T00:00:00Z"},
        headers=admin_headers,
    )
    assert in_february.json()["allowed"] is True
    unknown = client.get(permission, params={"purpose": "spam", "channel": "email"}, headers=admin_headers)
    assert unknown.status_code == 422


def test_a_website_key_without_customer_token_reads_nobody(client, db, admin_headers) -> None:
    customer_id = ingest(client, admin_headers, **MARIE)["customer_id"]
    web = bearer(make_key(db, ["customers:read", "customers:write"], channel="web"))
    assert client.get(f"/v1/customers/{customer_id}", headers=web).status_code == 401
    assert client.get("/v1/customers/search", params={"q": "curie"}, headers=web).status_code == 403
    assert client.post("/v1/customers/ingest", json={"source": "web", **JEAN}, headers=web).status_code == 202
    store = bearer(make_key(db, ["customers:read"], channel="store:paris-1"))
    assert client.get(f"/v1/customers/{customer_id}", headers=store).status_code == 200


def test_unknown_customer_is_a_404_problem(client, admin_headers) -> None:
    response = client.get("/v1/customers/cus_nobody", headers=admin_headers)
    assert response.status_code == 404
    assert response.json()["type"] == "urn:comptoir:problem:customer-not-found"
