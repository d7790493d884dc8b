"""An explicit null on a field the resource always has is a 422 naming it (issue 15, item 12)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import insert

from comptoir.core.db import Database
from comptoir.core.models import WebhookSubscription


@pytest.mark.parametrize("field", ["url", "event_types", "description", "active"])
def test_a_webhook_subscription_patch_with_null_names_the_field(client, admin_headers, field: str) -> None:  # type: ignore[no-untyped-def]
    # given a subscription
    created = client.post(
        "/v1/webhooks/subscriptions",
        json={"url": "https://hooks.example.com/in", "event_types": ["orders.order_placed"]},
        headers=admin_headers,
    )
    assert created.status_code == 201, created.text
    # when a field it always has is patched to null
    response = client.patch(
        f"/v1/webhooks/subscriptions/{created.json()['id']}", json={field: None}, headers=admin_headers
    )
    # then 422 naming it, not a 409 "written at the same time"
    assert response.status_code == 422, response.text
    assert [e["pointer"] for e in response.json()["errors"]] == [f"#/{field}"]


def test_a_not_null_violation_that_reaches_the_database_is_a_422_naming_the_column(
    app: FastAPI, client: Any, db: Database
) -> None:
    # given a route that writes a row without a column the table requires (as a schema that let a
    # null through would)
    def write_without_url() -> None:
        with db.engine.begin() as conn:
            conn.execute(insert(WebhookSubscription.__table__).values(id="whs_1", url=None))

    app.add_api_route("/v1/test-only/null", write_without_url, methods=["POST"])
    # when it is called
    response = client.post("/v1/test-only/null")
    # then the client reads a 422 naming the column, on SQLite and PostgreSQL alike
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"] == [{"pointer": "#/url", "detail": "url may not be null."}]


def test_a_nul_character_in_a_query_never_answers_500(
    client: Any, db: Database, admin_headers: dict[str, str]
) -> None:
    # given / when a SKU with a NUL character is asked for (a fuzzer's find on PostgreSQL)
    response = client.get("/v1/inventory/availability/network?sku=%00.&sku=x", headers=admin_headers)
    # then PostgreSQL, which cannot hold it, answers a 422 naming the parameter; SQLite finds no stock
    if db.is_postgres:
        assert response.status_code == 422, response.text
        assert [(e["in"], e["parameter"]) for e in response.json()["errors"]] == [("query", "sku")]
    else:
        assert response.status_code == 200, response.text
        assert [(r["sku"], r["available"], r["places"]) for r in response.json()] == [
            ("\x00.", 0, []),
            ("x", 0, []),
        ]
