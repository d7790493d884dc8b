"""Limits: request bodies over the maximum get a 413 problem (announced or streamed), and idempotency
keys are stored only for authenticated requests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import text

from comptoir.core.settings import Settings

LIMIT = 4096


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"max_body_bytes": LIMIT, "max_upload_bytes": 4 * LIMIT})


def rows(db, table: str) -> int:  # type: ignore[no-untyped-def]
    with db.engine.connect() as conn:
        return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


def hook(size: int) -> bytes:
    """A webhook subscription of exactly ``size`` bytes of JSON."""
    head = b'{"url": "https://93.184.216.34/h", "description": "'
    tail = b'"}'
    return head + b"x" * (size - len(head) - len(tail)) + tail


def test_a_body_of_exactly_the_limit_is_accepted(client, admin_headers, db) -> None:  # type: ignore[no-untyped-def]
    document = hook(400)
    body = document + b" " * (LIMIT - len(document))  # JSON padded with whitespace to LIMIT bytes
    assert len(body) == LIMIT
    response = client.post(
        "/v1/webhooks/subscriptions",
        content=body,
        headers={**admin_headers, "content-type": "application/json"},
    )
    assert response.status_code == 201, response.text


def test_an_announced_body_over_the_limit_is_refused_with_413(client, admin_headers, db) -> None:  # type: ignore[no-untyped-def]
    response = client.post(
        "/v1/webhooks/subscriptions",
        content=hook(LIMIT + 1),
        headers={**admin_headers, "content-type": "application/json"},
    )
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json() == {
        "type": "urn:comptoir:problem:request-too-large",
        "title": "Request body too large",
        "status": 413,
        "detail": f"The request body is larger than {LIMIT} bytes.",
        "errors": [{"header": "Content-Length", "detail": f"at most {LIMIT} bytes"}],
    }
    assert rows(db, "core_webhook_subscriptions") == 0


def test_a_streamed_body_without_length_is_cut_at_the_limit(client, admin_headers, db) -> None:  # type: ignore[no-untyped-def]
    def chunks() -> Iterator[bytes]:  # chunked transfer: no Content-Length
        body = hook(10 * LIMIT)
        for start in range(0, len(body), 1024):
            yield body[start : start + 1024]

    response = client.post(
        "/v1/webhooks/subscriptions",
        content=chunks(),
        headers={**admin_headers, "content-type": "application/json"},
    )
    assert response.status_code == 413
    assert response.json()["type"] == "urn:comptoir:problem:request-too-large"
    assert rows(db, "core_webhook_subscriptions") == 0


def test_uploads_have_their_own_larger_limit(client, admin_headers) -> None:  # type: ignore[no-untyped-def]
    # a multipart upload between the two limits reaches its route (which refuses the CSV's content)
    small = client.post(
        "/v1/stores/import",
        files={"file": ("places.csv", b"x" * (2 * LIMIT), "text/csv")},
        headers=admin_headers,
    )
    assert small.status_code != 413
    large = client.post(
        "/v1/stores/import",
        files={"file": ("places.csv", b"x" * (5 * LIMIT), "text/csv")},
        headers=admin_headers,
    )
    assert large.status_code == 413


@pytest.mark.parametrize(
    "credentials",
    [
        {},
        {"Authorization": "Bearer cpt_000000000000.not-a-real-secret-at-all-000"},
        {"X-API-Key": "garbage"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
    ],
    ids=["no-key", "unknown-key", "malformed-key", "other-scheme"],
)
def test_unauthenticated_requests_store_no_idempotency_key(client, db, credentials) -> None:  # type: ignore[no-untyped-def]
    response = client.post(
        "/v1/webhooks/subscriptions",
        json={"url": "https://93.184.216.34/h"},
        headers={**credentials, "Idempotency-Key": "attempt-1"},
    )
    assert response.status_code == 401
    assert rows(db, "core_idempotency_keys") == 0


def test_a_revoked_key_stores_no_idempotency_key(client, admin_headers, db) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import make_key

    token = make_key(db, ["*"])
    key_id = "key_" + token.split(".")[0].removeprefix("cpt_")
    assert client.post(f"/v1/keys/{key_id}/revoke", headers=admin_headers).status_code == 200
    response = client.post(
        "/v1/webhooks/subscriptions",
        json={"url": "https://93.184.216.34/h"},
        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "attempt-1"},
    )
    assert response.status_code == 401
    assert rows(db, "core_idempotency_keys") == 0
