"""Idempotency-Key: replays return the first response; a different body is refused; races make one."""

from __future__ import annotations

import concurrent.futures

import httpx
import pytest
from sqlalchemy import text

from tests.support.processes import start_server, stop

HOOK = {"url": "https://erp.example/hooks", "event_types": ["*"]}


def count_subscriptions(db) -> int:  # type: ignore[no-untyped-def]
    with db.engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM core_webhook_subscriptions")).scalar_one())


def test_a_replay_returns_the_first_response(client, admin_headers, db) -> None:  # type: ignore[no-untyped-def]
    headers = {**admin_headers, "Idempotency-Key": "create-hook-1"}
    first = client.post("/v1/webhooks/subscriptions", json=HOOK, headers=headers)
    second = client.post("/v1/webhooks/subscriptions", json=HOOK, headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert second.headers["idempotent-replayed"] == "true"
    assert second.headers["location"] == first.headers["location"]
    assert count_subscriptions(db) == 1


def test_the_same_key_with_another_body_is_refused(client, admin_headers, db) -> None:  # type: ignore[no-untyped-def]
    headers = {**admin_headers, "Idempotency-Key": "k"}
    client.post("/v1/webhooks/subscriptions", json=HOOK, headers=headers)
    other = client.post("/v1/webhooks/subscriptions", json={**HOOK, "description": "other"}, headers=headers)
    assert other.status_code == 422
    assert other.json()["type"] == "urn:comptoir:problem:idempotency-key-reused"
    assert other.json()["errors"] == [
        {"header": "Idempotency-Key", "detail": "reused with a different request"}
    ]
    assert count_subscriptions(db) == 1


def test_keys_are_scoped_to_the_api_key(client, admin_headers, db) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import make_key

    other = {"Authorization": f"Bearer {make_key(db, ['*'])}", "Idempotency-Key": "same"}
    client.post("/v1/webhooks/subscriptions", json=HOOK, headers={**admin_headers, "Idempotency-Key": "same"})
    client.post("/v1/webhooks/subscriptions", json=HOOK, headers=other)
    assert count_subscriptions(db) == 2


def test_client_errors_are_replayed_but_do_not_create(client, admin_headers, db) -> None:  # type: ignore[no-untyped-def]
    headers = {**admin_headers, "Idempotency-Key": "bad"}
    first = client.post("/v1/webhooks/subscriptions", json={"url": "ftp://x"}, headers=headers)
    again = client.post("/v1/webhooks/subscriptions", json={"url": "ftp://x"}, headers=headers)
    assert first.status_code == again.status_code == 422
    assert count_subscriptions(db) == 0


@pytest.mark.postgres
@pytest.mark.slow
def test_identical_requests_racing_on_postgres_create_one_resource(database, tmp_path) -> None:  # type: ignore[no-untyped-def]
    if not database.is_postgres:
        pytest.skip("race test runs on PostgreSQL")
    from tests.conftest import make_key, wipe

    wipe(database)
    token = make_key(database, ["*"])
    server, base = start_server(database.url, tmp_path / "server.log", workers=2)
    try:
        headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": "race-1"}

        def post(_: int) -> httpx.Response:
            return httpx.post(f"{base}/v1/webhooks/subscriptions", json=HOOK, headers=headers, timeout=30)

        with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
            responses = list(pool.map(post, range(8)))
    finally:
        stop(server)
    assert {r.status_code for r in responses} == {201}
    assert len({r.json()["id"] for r in responses}) == 1
    assert count_subscriptions(database) == 1
