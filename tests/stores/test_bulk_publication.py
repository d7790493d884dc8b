"""One bulk call closes 200 stores: one event per store and per channel, channels apply them through real
webhook deliveries, and the audit then finds no contradiction."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import func, select

from comptoir.core.models import OutboxEvent
from comptoir.core.settings import Settings
from comptoir.core.uow import UnitOfWork
from comptoir.stores import service
from tests.stores.factories import place_in
from tests.support.webhook_receiver import LOCAL_NETWORKS, webhook_receiver

CONNECTOR_TYPES = ["stores.published_to_jsonld", "stores.published_to_gbp", "stores.published_to_csv"]


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The connectors' receiver listens on 127.0.0.1: its network is allowed explicitly."""
    return settings.model_copy(update={"webhook_allowed_networks": LOCAL_NETWORKS})


def _create_stores(db, count: int) -> None:  # type: ignore[no-untyped-def]
    with UnitOfWork(db) as uow:
        for i in range(count):
            service.create_place(
                uow,
                place_in(
                    f"st_idf_{i:03d}",
                    code=f"IDF-{i:03d}",
                    latitude=48.80 + i / 1000,
                    longitude=2.30 + i / 1000,
                ),
            )
        uow.commit()


def _last_seq(db) -> int:  # type: ignore[no-untyped-def]
    with UnitOfWork(db, read_only=True) as uow:
        return int(uow.session.scalar(select(func.coalesce(func.max(OutboxEvent.seq), 0))) or 0)


def _connectors_apply(client, headers, deliveries: list[dict]) -> None:  # type: ignore[no-untyped-def]
    """What a GBP, web and partner connector do with the events they receive: apply, then report."""
    by_channel: dict[str, dict[str, dict]] = {}
    for body in deliveries:
        data = body["data"]
        by_channel.setdefault(data["channel"], {})[data["store_code"]] = data
    for channel, latest in by_channel.items():
        confirmations = [
            {"store_code": code, "payload_hash": d["payload_hash"], "status": "applied"}
            for code, d in latest.items()
        ]
        assert (
            client.post(
                f"/v1/stores/channels/{channel}/confirmations", json={"items": confirmations}, headers=headers
            ).status_code
            == 200
        )
        shown = [{"store_code": code, "payload": d["payload"]} for code, d in latest.items()]
        response = client.put(
            f"/v1/stores/channels/{channel}/snapshots",
            json={"items": shown, "replace_all": False},
            headers=headers,
        )
        assert response.status_code == 200


def test_closing_200_stores_in_one_bulk_call(client, admin_headers, db, dispatcher) -> None:  # type: ignore[no-untyped-def]
    # Given 200 open stores in Île-de-France that every channel shows as they are
    _create_stores(db, 200)
    with webhook_receiver() as receiver:
        subscribed = client.post(
            "/v1/webhooks/subscriptions",
            json={"url": receiver.url, "event_types": CONNECTOR_TYPES, "description": "channel connectors"},
            headers=admin_headers,
        )
        assert subscribed.status_code == 201
        with UnitOfWork(db) as uow:  # the subscription starts after the creations: replay them by hand
            uow.session.execute(OutboxEvent.__table__.update().values(fanned_out=False))
            uow.commit()
        dispatcher.drain()
        _connectors_apply(client, admin_headers, [r["json"] for r in receiver.requests])
        assert client.get("/v1/stores/audit", headers=admin_headers).json()["contradictions"] == []
        receiver.requests.clear()
        before = _last_seq(db)

        # When one bulk call closes every store of the region
        closed = client.post(
            "/v1/stores/bulk/status",
            json={
                "selector": {"region": "Île-de-France"},
                "status": "temporarily_closed",
                "reason": "Confinement",
            },
            headers=admin_headers,
        )

        # Then one change event per store and one publication event per store and per channel
        assert closed.status_code == 200
        assert closed.json()["matched"] == 200
        assert closed.json()["changed"] == 200
        assert closed.json()["publications_requested"] == 800
        with UnitOfWork(db, read_only=True) as uow:
            rows = uow.session.execute(
                select(OutboxEvent.type, OutboxEvent.payload).where(OutboxEvent.seq > before)
            ).all()
        assert Counter(t for t, _ in rows) == {
            "stores.place_changed": 200,
            "stores.published_to_locator": 200,
            "stores.published_to_jsonld": 200,
            "stores.published_to_gbp": 200,
            "stores.published_to_csv": 200,
        }
        published = Counter(
            (p["place_id"], p["channel"]) for t, p in rows if t.startswith("stores.published_to_")
        )
        assert set(published.values()) == {1}
        assert all(p["status"] == "temporarily_closed" for t, p in rows if t == "stores.place_changed")

        # Until channels apply them, the audit sees every store still open everywhere
        stale = client.get("/v1/stores/audit", headers=admin_headers).json()["contradictions"]
        assert Counter((c["channel"], c["kind"]) for c in stale) == {
            ("locator", "open_while_closed"): 200,
            ("jsonld", "open_while_closed"): 200,
            ("gbp", "open_while_closed"): 200,
            ("csv", "open_while_closed"): 200,
        }
        assert client.get("/v1/stores/channels/sync", headers=admin_headers).json()["gbp"] == {
            "pending": 200,
            "applied": 0,
            "failed": 0,
        }

        # The dispatcher delivers: the locator applies in-process, connectors receive webhooks
        dispatcher.drain()
        assert Counter(r["json"]["type"] for r in receiver.requests) == {t: 200 for t in CONNECTOR_TYPES}
        _connectors_apply(client, admin_headers, [r["json"] for r in receiver.requests])

    # Then the audit reports no contradiction and every publication is applied
    audit = client.get("/v1/stores/audit", headers=admin_headers).json()
    assert audit["places"] == 200
    assert audit["contradictions"] == []
    assert client.get("/v1/stores/channels/sync", headers=admin_headers).json() == {
        channel: {"pending": 0, "applied": 200, "failed": 0}
        for channel in ("locator", "jsonld", "gbp", "csv")
    }
    entry = client.get("/v1/stores/locator/IDF-007", headers=admin_headers).json()
    assert entry["status"] == "temporarily_closed"
    assert entry["status_reason"] == "Confinement"


def test_the_csv_partner_file_is_audited_and_a_drifted_channel_is_reported(
    client, admin_headers, db, dispatcher
) -> None:  # type: ignore[no-untyped-def]
    _create_stores(db, 3)
    dispatcher.drain()
    csv_file = client.get("/v1/stores/channels/csv/file", headers=admin_headers)
    assert csv_file.headers["content-type"].startswith("text/csv")
    assert csv_file.text.splitlines()[0].startswith("store_code,kind,name,status,")
    assert len(csv_file.text.splitlines()) == 4
    # The partner still holds yesterday's file in which IDF-001 had other Monday hours and no phone
    drifted = csv_file.text.replace(
        "IDF-001,store,Comptoir st_idf_001,open", "IDF-001,store,Comptoir st_idf_001,temporarily_closed"
    )
    uploaded = client.put(
        "/v1/stores/channels/csv/file",
        content=drifted.encode(),
        headers={**admin_headers, "content-type": "text/csv"},
    )
    assert uploaded.json() == {"channel": "csv", "stored": 3, "confirmed": 2}
    found = client.get("/v1/stores/audit", params={"channel": "csv"}, headers=admin_headers).json()[
        "contradictions"
    ]
    assert [(c["store_code"], c["kind"], c["expected"], c["shown"]) for c in found] == [
        ("IDF-001", "closed_while_open", "open", "temporarily_closed")
    ]
    gbp = client.get("/v1/stores/audit", params={"channel": "gbp"}, headers=admin_headers).json()[
        "contradictions"
    ]
    assert {(c["store_code"], c["kind"]) for c in gbp} == {
        (f"IDF-00{i}", "missing_on_channel") for i in range(3)
    }
    unknown = client.put(
        "/v1/stores/channels/gbp/snapshots",
        json={"items": [{"store_code": "OLD-999", "payload": {"location": {}}}]},
        headers=admin_headers,
    )
    assert unknown.status_code == 200
    gbp = client.get("/v1/stores/audit", params={"channel": "gbp"}, headers=admin_headers).json()[
        "contradictions"
    ]
    assert ("OLD-999", "unknown_on_channel") in {(c["store_code"], c["kind"]) for c in gbp}
