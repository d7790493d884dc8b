"""Errors are problem+json, keys and scopes guard the API, health and metrics answer."""

from __future__ import annotations

import json
import logging

from fastapi import APIRouter
from fastapi.testclient import TestClient

from comptoir.core.errors import PROBLEM_CONTENT_TYPE
from tests.conftest import make_key


def test_health_and_readiness(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["status"] == "ready"


def test_unknown_route_is_a_problem_document(client: TestClient) -> None:
    response = client.get("/v1/nothing-here")
    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM_CONTENT_TYPE
    body = response.json()
    assert body["type"] == "urn:comptoir:problem:not-found"
    assert body["status"] == 404
    assert body["detail"]


def test_missing_key_is_401_with_challenge(client: TestClient) -> None:
    response = client.get("/v1/webhooks/subscriptions")
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.json()["type"] == "urn:comptoir:problem:unauthorized"


def test_unknown_and_malformed_keys_are_401(client: TestClient) -> None:
    for token in ["nonsense", "cpt_0123456789ab.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"]:
        response = client.get("/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401, token


def test_out_of_scope_key_is_403(client: TestClient, db) -> None:  # type: ignore[no-untyped-def]
    token = make_key(db, ["webhooks:read"])
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/v1/webhooks/subscriptions", headers=headers).status_code == 200
    response = client.post(
        "/v1/webhooks/subscriptions", json={"url": "https://example.org/hook"}, headers=headers
    )
    assert response.status_code == 403
    assert response.json()["type"] == "urn:comptoir:problem:missing-scope"
    assert "webhooks:write" in response.json()["detail"]


def test_x_api_key_header_is_accepted(client: TestClient, db) -> None:  # type: ignore[no-untyped-def]
    token = make_key(db, ["*:read"], channel="web")
    me = client.get("/v1/me", headers={"X-API-Key": token}).json()
    assert me["channel"] == "web"
    assert me["scopes"] == ["*:read"]


def test_revoked_key_stops_working(client: TestClient, admin_headers, db) -> None:  # type: ignore[no-untyped-def]
    token = make_key(db, ["*:read"])
    key_id = client.get("/v1/me", headers={"X-API-Key": token}).json()["key_id"]
    assert client.post(f"/v1/keys/{key_id}/revoke", headers=admin_headers).status_code == 200
    assert client.get("/v1/me", headers={"X-API-Key": token}).status_code == 401


def test_keys_are_stored_hashed_and_shown_once(client: TestClient, admin_headers, db) -> None:  # type: ignore[no-untyped-def]
    created = client.post(
        "/v1/keys",
        json={"name": "Website", "scopes": ["carts:write"], "channel": "web"},
        headers=admin_headers,
    )
    assert created.status_code == 201
    token = created.json()["token"]
    listed = client.get("/v1/keys", headers=admin_headers).json()
    assert all("token" not in k for k in listed)
    with db.engine.connect() as conn:
        stored = [row[0] for row in conn.exec_driver_sql("SELECT secret_hash FROM core_api_keys")]
    assert token not in stored and all(len(h) == 64 for h in stored)


def test_validation_errors_name_fields_as_json_pointers(client: TestClient, admin_headers) -> None:  # type: ignore[no-untyped-def]
    response = client.post(
        "/v1/keys", json={"name": "", "scopes": ["bad scope"], "channel": "fax"}, headers=admin_headers
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM_CONTENT_TYPE
    body = response.json()
    assert body["type"] == "urn:comptoir:problem:validation-error"
    pointers = {e["pointer"] for e in body["errors"]}
    assert pointers == {"#/name", "#/scopes", "#/channel"}


def test_query_parameter_errors_name_the_parameter(client: TestClient, admin_headers) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/v1/webhooks/subscriptions?limit=100000", headers=admin_headers)
    assert response.status_code == 422
    assert response.json()["errors"][0]["parameter"] == "limit"


def test_unexpected_errors_leak_no_stack_trace(app, client: TestClient, admin_headers, caplog) -> None:  # type: ignore[no-untyped-def]
    router = APIRouter()

    @router.get("/v1/boom")
    def boom() -> None:
        raise RuntimeError("secret internal detail")

    app.include_router(router)
    with caplog.at_level(logging.ERROR):
        response = client.get("/v1/boom", headers={**admin_headers, "X-Request-ID": "req-123"})
    assert response.status_code == 500
    assert response.headers["content-type"] == PROBLEM_CONTENT_TYPE
    text = response.text
    assert "secret internal detail" not in text and "Traceback" not in text
    assert response.json()["type"] == "urn:comptoir:problem:internal-error"
    assert "req-123" in response.json()["detail"]


def test_rate_limit_answers_429_with_retry_after(client: TestClient, db) -> None:  # type: ignore[no-untyped-def]
    token = make_key(db, ["*:read"], rate_limit=3)
    headers = {"Authorization": f"Bearer {token}"}
    statuses = [client.get("/v1/me", headers=headers).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    limited = client.get("/v1/me", headers=headers)
    assert limited.status_code == 429
    assert int(limited.headers["retry-after"]) >= 1
    assert limited.json()["type"] == "urn:comptoir:problem:rate-limited"


def test_request_id_is_echoed_and_metrics_count_routes(client: TestClient, admin_headers) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/v1/me", headers={**admin_headers, "X-Request-ID": "abc-42"})
    assert response.headers["x-request-id"] == "abc-42"
    assert client.get("/healthz").headers["x-request-id"]
    metrics = client.get("/metrics").text
    assert 'comptoir_http_requests_total{method="GET",route="/v1/me",status="200"}' in metrics


def test_json_log_lines_carry_the_request_id() -> None:
    from comptoir.core.observability import JsonFormatter, request_id_var

    token = request_id_var.set("rid-7")
    try:
        record = logging.LogRecord("comptoir.test", logging.INFO, __file__, 1, "hello %s", ("world",), None)
        record.order_id = "ord_1"
        entry = json.loads(JsonFormatter().format(record))
    finally:
        request_id_var.reset(token)
    assert entry["message"] == "hello world"
    assert entry["request_id"] == "rid-7"
    assert entry["order_id"] == "ord_1"


def test_cors_origins_come_from_settings(settings, db) -> None:  # type: ignore[no-untyped-def]
    from comptoir.app import create_app

    app = create_app(settings.model_copy(update={"cors_origins": ["https://shop.example"]}), db=db)
    with TestClient(app) as c:
        response = c.options(
            "/v1/me", headers={"Origin": "https://shop.example", "Access-Control-Request-Method": "GET"}
        )
        assert response.headers["access-control-allow-origin"] == "https://shop.example"
        other = c.options(
            "/v1/me", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"}
        )
        assert "access-control-allow-origin" not in other.headers
