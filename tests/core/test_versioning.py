"""Optimistic concurrency: versions, ETag and If-Match."""

from __future__ import annotations


def test_stale_if_match_is_refused_with_412(client, admin_headers) -> None:  # type: ignore[no-untyped-def]
    created = client.post(
        "/v1/webhooks/subscriptions", json={"url": "https://erp.example/a"}, headers=admin_headers
    )
    sub_id, etag = created.json()["id"], created.headers["etag"]
    assert etag == '"1"'

    first = client.patch(
        f"/v1/webhooks/subscriptions/{sub_id}",
        json={"description": "ERP"},
        headers={**admin_headers, "If-Match": etag},
    )
    assert first.status_code == 200
    assert first.json()["version"] == 2 and first.headers["etag"] == '"2"'

    stale = client.patch(
        f"/v1/webhooks/subscriptions/{sub_id}",
        json={"active": False},
        headers={**admin_headers, "If-Match": etag},
    )
    assert stale.status_code == 412
    assert stale.json()["current_version"] == 2
    current = client.get(f"/v1/webhooks/subscriptions/{sub_id}", headers=admin_headers).json()
    assert current["active"] is True and current["description"] == "ERP"


def test_malformed_if_match_names_the_header(client, admin_headers) -> None:  # type: ignore[no-untyped-def]
    sub_id = client.post(
        "/v1/webhooks/subscriptions", json={"url": "https://erp.example/a"}, headers=admin_headers
    ).json()["id"]
    response = client.patch(
        f"/v1/webhooks/subscriptions/{sub_id}",
        json={"active": False},
        headers={**admin_headers, "If-Match": "v1"},
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["header"] == "If-Match"


def test_writes_record_the_channel_and_key(client, db) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import make_key

    token = make_key(db, ["webhooks:write"], channel="call-centre")
    client.post(
        "/v1/webhooks/subscriptions", json={"url": "https://erp.example/a"}, headers={"X-API-Key": token}
    )
    with db.engine.connect() as conn:
        row = conn.exec_driver_sql(
            "SELECT created_channel, created_by_key FROM core_webhook_subscriptions"
        ).one()
    assert row[0] == "call-centre"
    assert row[1] == "key_" + token.split(".")[0].removeprefix("cpt_")
