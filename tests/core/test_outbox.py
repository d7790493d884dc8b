"""Transactional outbox: events written with the change, delivered to handlers and webhooks."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text

from comptoir.core import clock
from comptoir.core.context import Actor
from comptoir.core.dispatcher import Dispatcher, DispatcherConfig, backoff_seconds
from comptoir.core.events import Bus
from comptoir.core.settings import Settings
from comptoir.core.uow import UnitOfWork
from comptoir.core.webhooks import TargetGuard, verify
from tests.support.events import EFFECTS_DDL, ParcelShipped, record_effect
from tests.support.webhook_receiver import LOCAL_NETWORKS, webhook_receiver


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The test receiver listens on 127.0.0.1: its network is allowed explicitly."""
    return settings.model_copy(update={"webhook_allowed_networks": LOCAL_NETWORKS})


@pytest.fixture
def effects(db):  # type: ignore[no-untyped-def]
    with db.engine.begin() as conn:
        conn.execute(text(EFFECTS_DDL))
        conn.execute(text("DELETE FROM test_effects"))
    return db


def effect_count(db) -> dict[str, int]:  # type: ignore[no-untyped-def]
    with db.engine.connect() as conn:
        rows = conn.execute(text("SELECT event_id, count(*) FROM test_effects GROUP BY event_id")).all()
    return {r[0]: r[1] for r in rows}


def make_dispatcher(db, bus: Bus, **overrides) -> Dispatcher:  # type: ignore[no-untyped-def]
    config = DispatcherConfig(
        **{"webhook_max_attempts": 3, "webhook_timeout_seconds": 2, "backoff_base_seconds": 0.0, **overrides}
    )
    return Dispatcher(db, bus, config, guard=TargetGuard(LOCAL_NETWORKS))


def test_events_are_written_only_when_the_transaction_commits(db) -> None:  # type: ignore[no-untyped-def]
    with UnitOfWork(db) as uow:
        uow.record(ParcelShipped(parcel_id="p1"))
        # leaving without commit rolls back
    with UnitOfWork(db, Actor(key_id="key_abc", channel="web")) as uow:
        uow.record(ParcelShipped(parcel_id="p2"))
        uow.commit()
    with db.engine.connect() as conn:
        rows = conn.execute(text("SELECT type, channel, api_key_id, payload FROM core_outbox_events")).all()
    assert len(rows) == 1
    assert rows[0][0] == "testing.parcel_shipped"
    assert rows[0][1:3] == ("web", "key_abc")


def test_a_failed_command_leaves_neither_changes_nor_events(effects) -> None:  # type: ignore[no-untyped-def]
    db = effects
    with pytest.raises(RuntimeError), UnitOfWork(db) as uow:
        uow.session.execute(text("INSERT INTO test_effects VALUES ('x', 'direct')"))
        uow.record(ParcelShipped(parcel_id="p1"))
        raise RuntimeError("validation failed after the first write")
    assert effect_count(db) == {}
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM core_outbox_events")).scalar() == 0


def test_each_handler_gets_each_event_once(effects) -> None:  # type: ignore[no-untyped-def]
    db = effects
    bus = Bus()
    bus.subscribe(ParcelShipped, record_effect, name="effect")
    events = [ParcelShipped(parcel_id=f"p{i}") for i in range(5)]
    with UnitOfWork(db) as uow:
        uow.record(*events)
        uow.commit()
    dispatcher = make_dispatcher(db, bus)
    dispatcher.drain()
    dispatcher.drain()  # nothing more to do
    assert effect_count(db) == {e.event_id: 1 for e in events}


def test_a_failing_handler_is_retried_then_dead_lettered_without_blocking_others(effects) -> None:  # type: ignore[no-untyped-def]
    db = effects
    calls: list[str] = []

    def flaky(uow: UnitOfWork, event: ParcelShipped) -> None:
        calls.append(event.parcel_id)
        uow.session.execute(text("INSERT INTO test_effects VALUES (:e, 'flaky')"), {"e": event.event_id})
        if event.parcel_id == "bad":
            raise ValueError("cannot handle this parcel")

    bus = Bus()
    bus.subscribe(ParcelShipped, flaky, name="flaky")
    good, bad = ParcelShipped(parcel_id="good"), ParcelShipped(parcel_id="bad")
    with UnitOfWork(db) as uow:
        uow.record(bad, good)
        uow.commit()
    dispatcher = make_dispatcher(db, bus, handler_max_attempts=3)
    now = clock.now()
    for i in range(5):  # jump the clock past each backoff
        clock.set_clock(lambda i=i: now + timedelta(hours=i))
        try:
            dispatcher.drain()
        finally:
            clock.set_clock(None)
    assert calls.count("bad") == 3 and calls.count("good") == 1
    # the failed attempts' writes were rolled back with their savepoint
    assert effect_count(db) == {good.event_id: 1}
    with db.engine.connect() as conn:
        statuses = {
            r[0]: r[1] for r in conn.execute(text("SELECT attempts, status FROM core_handler_deliveries"))
        }
    assert statuses == {3: "dead", 1: "done"}


def test_a_flood_for_one_handler_does_not_hold_up_another(effects) -> None:  # type: ignore[no-untyped-def]
    """A stock import's thousands of events for one handler, then one for another handler: the lone one is
    run in the next round, and each handler still gets its own events in the order they were written."""
    db = effects
    seen: list[tuple[str, str]] = []

    def flooded(uow: UnitOfWork, event: ParcelShipped) -> None:
        seen.append(("flooded", event.parcel_id))

    def lone(uow: UnitOfWork, event: ParcelShipped) -> None:
        seen.append(("lone", event.parcel_id))

    bus = Bus()
    bus.subscribe(ParcelShipped, flooded, name="flooded")
    with UnitOfWork(db) as uow:
        uow.record(*(ParcelShipped(parcel_id=f"p{i:03}") for i in range(120)))
        uow.commit()
    dispatcher = make_dispatcher(db, bus, batch_size=10)
    while dispatcher.fan_out():
        pass
    bus.subscribe(ParcelShipped, lone, name="lone")  # a handler whose one delivery comes after the flood
    with UnitOfWork(db) as uow:
        uow.record(ParcelShipped(parcel_id="paid"))
        uow.commit()
    dispatcher.fan_out()
    assert dispatcher.deliver_to_handlers() == 10
    assert ("lone", "paid") in seen  # in the first round, not after the 120 before it
    dispatcher.drain()
    flooded_order = [p for h, p in seen if h == "flooded"]
    assert flooded_order == sorted(flooded_order) and len(flooded_order) == 121


def test_events_recorded_by_handlers_are_delivered_too(effects) -> None:  # type: ignore[no-untyped-def]
    db = effects
    bus = Bus()

    def chain(uow: UnitOfWork, event: ParcelShipped) -> None:
        if not event.parcel_id.endswith("-next"):
            uow.record(ParcelShipped(parcel_id=event.parcel_id + "-next"))

    bus.subscribe(ParcelShipped, chain, name="chain")
    bus.subscribe(ParcelShipped, record_effect, name="effect")
    with UnitOfWork(db) as uow:
        uow.record(ParcelShipped(parcel_id="a"))
        uow.commit()
    make_dispatcher(db, bus).drain()
    assert sorted(effect_count(db).values()) == [1, 1]


def test_webhooks_are_signed_and_logged(client, admin_headers, db) -> None:  # type: ignore[no-untyped-def]
    with webhook_receiver() as receiver:
        created = client.post(
            "/v1/webhooks/subscriptions",
            json={"url": receiver.url, "event_types": ["testing.*"], "description": "ERP"},
            headers=admin_headers,
        ).json()
        event = ParcelShipped(parcel_id="p9", weight_grams=1200)
        with UnitOfWork(db, Actor(key_id="key_x", channel="store:lyon-01")) as uow:
            uow.record(event)
            uow.commit()
        make_dispatcher(db, Bus()).drain()

        assert receiver.ids == [event.event_id]
        delivered = receiver.requests[0]
        assert verify(created["secret"], delivered["headers"], delivered["body"])
        assert not verify(created["secret"], delivered["headers"], delivered["body"] + b" ")
        assert delivered["json"]["type"] == "testing.parcel_shipped"
        assert delivered["json"]["channel"] == "store:lyon-01"
        assert delivered["json"]["data"] == {"parcel_id": "p9", "weight_grams": 1200}

    log = client.get("/v1/webhooks/deliveries", headers=admin_headers).json()
    assert [(d["event_id"], d["status"], d["attempts"]) for d in log["items"]] == [
        (event.event_id, "succeeded", 1)
    ]


def test_failing_webhooks_back_off_then_dead_letter_and_can_be_retried(client, admin_headers, db) -> None:  # type: ignore[no-untyped-def]
    with webhook_receiver() as receiver:
        receiver.status = 503
        client.post("/v1/webhooks/subscriptions", json={"url": receiver.url}, headers=admin_headers)
        with UnitOfWork(db) as uow:
            uow.record(ParcelShipped(parcel_id="p1"))
            uow.commit()
        dispatcher = make_dispatcher(db, Bus(), webhook_max_attempts=3, backoff_base_seconds=60)
        dispatcher.drain()
        assert len(receiver.requests) == 1  # the next attempt waits for its backoff
        now = clock.now()
        for hours in (1, 2, 3):
            clock.set_clock(lambda h=hours: now + timedelta(hours=h))
            try:
                dispatcher.drain()
            finally:
                clock.set_clock(None)
        assert len(receiver.requests) == 3
        assert len(set(receiver.ids)) == 1  # the same webhook-id on every retry

        dead = client.get("/v1/webhooks/deliveries?status=dead", headers=admin_headers).json()["items"]
        assert len(dead) == 1 and dead[0]["attempts"] == 3 and dead[0]["last_status_code"] == 503
        detail = client.get(f"/v1/webhooks/deliveries/{dead[0]['id']}", headers=admin_headers).json()
        assert [a["status_code"] for a in detail["history"]] == [503, 503, 503]

        receiver.status = 200
        retried = client.post(f"/v1/webhooks/deliveries/{dead[0]['id']}/retry", headers=admin_headers).json()
        assert retried["status"] == "pending"
        dispatcher.drain()
        assert client.get(f"/v1/webhooks/deliveries/{dead[0]['id']}", headers=admin_headers).json()[
            "status"
        ] == ("succeeded")


def test_backoff_grows_exponentially_and_is_capped() -> None:
    for attempt in range(1, 12):
        delay = backoff_seconds(attempt, 5, 3600)
        expected = min(3600, 5 * 2 ** (attempt - 1))
        assert expected / 2 <= delay <= expected


def test_event_log_is_readable_with_cursor_pagination(client, admin_headers, db) -> None:  # type: ignore[no-untyped-def]
    with UnitOfWork(db) as uow:
        uow.record(*[ParcelShipped(parcel_id=f"p{i}") for i in range(5)])
        uow.commit()
    page1 = client.get("/v1/events?limit=2", headers=admin_headers).json()
    page2 = client.get(f"/v1/events?limit=2&cursor={page1['next_cursor']}", headers=admin_headers).json()
    page3 = client.get(f"/v1/events?limit=2&cursor={page2['next_cursor']}", headers=admin_headers).json()
    ids = [e["data"]["parcel_id"] for p in (page1, page2, page3) for e in p["items"]]
    assert ids == ["p0", "p1", "p2", "p3", "p4"]
    assert page3["next_cursor"] is None
    bad = client.get("/v1/events?cursor=%%%", headers=admin_headers)
    assert bad.status_code == 422
