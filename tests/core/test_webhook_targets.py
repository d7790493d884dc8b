"""Webhook targets: no server-side request forgery, no port-scan oracle, and a subscription deleted while
one of its deliveries is in flight drops only that delivery.

No test here opens a connection to a refused address: names resolve through an injected resolver and
requests go to an in-memory transport that records them.
"""

from __future__ import annotations

import threading
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from comptoir.core.dispatcher import Dispatcher, DispatcherConfig
from comptoir.core.errors import InvalidInput
from comptoir.core.events import Bus
from comptoir.core.models import WebhookAttempt, WebhookDelivery, WebhookSubscription
from comptoir.core.uow import UnitOfWork
from comptoir.core.webhooks import (
    REFUSED,
    SubscriptionIn,
    TargetGuard,
    create_subscription,
    delete_subscription,
    literal_address,
)
from tests.support.events import ParcelShipped

REFUSED_TARGETS = [
    "http://127.0.0.1/hook",
    "http://127.1:8080/hook",
    "http://2130706433/hook",
    "http://0x7f000001/hook",
    "http://0177.0.0.1/hook",
    "http://10.0.0.1/hook",
    "http://172.16.5.4/hook",
    "http://192.168.1.10/hook",
    "http://100.64.0.1/hook",
    "http://169.254.169.254/latest/meta-data",
    "http://0.0.0.0:5432/",
    "http://224.0.0.1/hook",
    "http://240.0.0.1/hook",
    "http://255.255.255.255/hook",
    "http://[::1]/hook",
    "http://[::]/hook",
    "http://[::ffff:127.0.0.1]/hook",
    "http://[::ffff:a9fe:a9fe]/hook",
    "http://[fe80::1%25eth0]/hook",
    "http://[fc00::1]/hook",
    "http://[ff02::1]/hook",
    "http://[64:ff9b::a00:1]/hook",
    "http://[2002:7f00:1::]/hook",
    "https://localhost/hook",
]


def resolver(table: dict[str, list[str]], calls: list[str] | None = None):  # type: ignore[no-untyped-def]
    def resolve(host: str, port: int) -> list[str]:
        if calls is not None:
            calls.append(host)
        if host not in table:
            raise OSError("Name or service not known")
        return table[host]

    return resolve


NAMES = {"localhost": ["127.0.0.1", "::1"], "hooks.erp.example": ["93.184.216.34"]}


@pytest.mark.parametrize("url", REFUSED_TARGETS)
def test_subscribing_a_non_public_target_is_refused(client, admin_headers, db, url) -> None:  # type: ignore[no-untyped-def]
    # when a key subscribes a loopback, private, link-local, multicast or reserved target
    response = client.post("/v1/webhooks/subscriptions", json={"url": url}, headers=admin_headers)
    # then a 422 names the url, and nothing was created
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert [e["pointer"] for e in response.json()["errors"]] == ["#/url"]
    with UnitOfWork(db, read_only=True) as uow:
        assert uow.session.scalars(select(WebhookSubscription.id)).all() == []


def test_a_public_address_is_accepted_and_a_patch_to_a_private_one_refused(client, admin_headers) -> None:  # type: ignore[no-untyped-def]
    created = client.post(
        "/v1/webhooks/subscriptions", json={"url": "https://93.184.216.34/hooks"}, headers=admin_headers
    )
    assert created.status_code == 201, created.text
    patched = client.patch(
        f"/v1/webhooks/subscriptions/{created.json()['id']}",
        json={"url": "http://[::ffff:10.0.0.1]/"},
        headers=admin_headers,
    )
    assert patched.status_code == 422 and patched.json()["errors"][0]["pointer"] == "#/url"
    assert patched.json()["type"] == "urn:comptoir:problem:webhook-target-refused"


@pytest.mark.parametrize(
    ("host", "address"),
    [
        ("2130706433", "127.0.0.1"),
        ("0x7f000001", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("10.1", "10.0.0.1"),
        ("::ffff:127.0.0.1", "::ffff:7f00:1"),
        ("fe80::1%25eth0", "fe80::1"),
        ("cafe.example", None),
        ("12.example", None),
    ],
)
def test_ip_literals_are_read_in_every_form_a_resolver_accepts(host: str, address: str | None) -> None:
    found = literal_address(host)
    assert (str(found) if found else None) == address


def test_a_name_resolving_to_a_private_address_is_refused_and_the_allow_list_lets_it_through(db) -> None:  # type: ignore[no-untyped-def]
    names = {"erp.internal.example": ["93.184.216.34", "10.0.0.7"]}
    with UnitOfWork(db) as uow:
        # a name with one private address among public ones is refused
        with pytest.raises(InvalidInput) as refused:
            create_subscription(
                uow,
                SubscriptionIn(url="https://erp.internal.example/h"),
                guard=TargetGuard((), resolver(names)),
            )
        assert refused.value.errors[0]["pointer"] == "#/url"
        # allowing the network (development) accepts it; other private networks stay refused
        guard = TargetGuard(["10.0.0.0/24"], resolver(names))
        create_subscription(uow, SubscriptionIn(url="https://erp.internal.example/h"), guard=guard)
        assert not guard.allows(literal_address("10.0.1.1"))  # type: ignore[arg-type]
        assert not guard.allows(literal_address("127.0.0.1"))  # type: ignore[arg-type]


class Recorder:
    """An in-memory HTTP endpoint: records what would have been sent, answers 200."""

    def __init__(self, on_request: Any = None) -> None:
        self.requests: list[httpx.Request] = []
        self.on_request = on_request

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.on_request is not None:
            self.on_request(request)
        return httpx.Response(200, text="ok")


def subscribe(db: Any, url: str, guard: TargetGuard) -> str:
    with UnitOfWork(db) as uow:
        created = create_subscription(uow, SubscriptionIn(url=url, event_types=["testing.*"]), guard=guard)
        uow.commit()
    return created.id


def deliver(db: Any, guard: TargetGuard, recorder: Recorder) -> Dispatcher:
    with UnitOfWork(db) as uow:
        uow.record(ParcelShipped(parcel_id="p1"))
        uow.commit()
    dispatcher = Dispatcher(
        db,
        Bus(),
        DispatcherConfig(webhook_max_attempts=1),
        http=httpx.Client(transport=httpx.MockTransport(recorder)),
        guard=guard,
    )
    dispatcher.drain()
    return dispatcher


def attempts(db: Any) -> list[tuple[Any, ...]]:
    with db.engine.connect() as conn:
        rows = conn.execute(
            select(
                WebhookAttempt.status_code,
                WebhookAttempt.error,
                WebhookAttempt.duration_ms,
                WebhookAttempt.response_excerpt,
            ).order_by(WebhookAttempt.id)
        ).all()
    return [tuple(r) for r in rows]


def test_a_delivery_connects_to_the_address_it_checked_with_the_host_name_kept(db) -> None:  # type: ignore[no-untyped-def]
    # given a subscription to a public name
    calls: list[str] = []
    guard = TargetGuard((), resolver(NAMES, calls))
    subscribe(db, "https://hooks.erp.example:8443/in?v=1", guard)
    calls.clear()
    # when its delivery goes out
    recorder = Recorder()
    deliver(db, guard, recorder)
    # then the name was resolved once, and the request went to that address, for that host and TLS name
    [request] = recorder.requests
    assert calls == ["hooks.erp.example"]
    assert str(request.url) == "https://93.184.216.34:8443/in?v=1"
    assert request.headers["host"] == "hooks.erp.example:8443"
    assert request.extensions["sni_hostname"] == "hooks.erp.example"
    [(status, error, _duration, excerpt)] = attempts(db)
    assert (status, error, excerpt) == (200, None, "ok")


def test_a_name_rebound_to_a_private_address_is_refused_at_delivery_with_one_uniform_error(db) -> None:  # type: ignore[no-untyped-def]
    # given two subscriptions accepted while their names were public, on different ports
    names = {"a.erp.example": ["93.184.216.34"], "b.erp.example": ["93.184.216.35"]}
    guard = TargetGuard((), resolver(names))
    subscribe(db, "http://a.erp.example:22/", guard)
    subscribe(db, "http://b.erp.example:6379/", guard)
    # when the names now resolve to the metadata service and a private address (DNS rebinding)
    names.update({"a.erp.example": ["169.254.169.254"], "b.erp.example": ["10.0.0.1"]})
    recorder = Recorder()
    deliver(db, guard, recorder)
    # then nothing was sent, and both attempts read alike: no port, no address, no timing
    assert recorder.requests == []
    assert attempts(db) == [(None, REFUSED, 0, None), (None, REFUSED, 0, None)]


def test_deleting_a_subscription_while_its_delivery_is_in_flight_drops_only_that_delivery(db) -> None:  # type: ignore[no-untyped-def]
    # given two subscriptions to the same event
    guard = TargetGuard(
        (), resolver({"a.erp.example": ["93.184.216.34"], "b.erp.example": ["93.184.216.35"]})
    )
    doomed = subscribe(db, "https://a.erp.example/h", guard)
    kept = subscribe(db, "https://b.erp.example/h", guard)

    def delete_doomed(request: httpx.Request) -> None:
        if request.headers["host"] == "a.erp.example":
            with UnitOfWork(db) as uow:
                delete_subscription(uow, doomed, expected_version=None)
                uow.commit()

    # when the first subscription is deleted while its delivery is being sent
    recorder = Recorder(delete_doomed)
    deliver(db, guard, recorder)
    # then the round went on: the other subscription got its delivery, logged as succeeded
    assert [r.headers["host"] for r in recorder.requests] == ["a.erp.example", "b.erp.example"]
    with db.engine.connect() as conn:
        rows = conn.execute(select(WebhookDelivery.subscription_id, WebhookDelivery.status)).all()
    assert [tuple(r) for r in rows] == [(kept, "succeeded")]
    assert [a[0] for a in attempts(db)] == [200]


@pytest.mark.postgres
def test_a_subscription_deleted_during_fan_out_gets_no_delivery_and_fails_nothing(db) -> None:  # type: ignore[no-untyped-def]
    if not db.is_postgres:
        pytest.skip("the interleaving needs PostgreSQL's row locks")
    guard = TargetGuard(
        (), resolver({"a.erp.example": ["93.184.216.34"], "b.erp.example": ["93.184.216.35"]})
    )
    doomed = subscribe(db, "https://a.erp.example/h", guard)
    kept = subscribe(db, "https://b.erp.example/h", guard)
    with UnitOfWork(db) as uow:
        uow.record(ParcelShipped(parcel_id="p1"))
        uow.commit()
    dispatcher = Dispatcher(db, Bus(), DispatcherConfig(), guard=guard)
    outcome: dict[str, Any] = {}

    def fan_out() -> None:
        try:
            outcome["events"] = dispatcher.fan_out()
        except Exception as exc:
            outcome["error"] = exc

    # given the subscription being deleted by a transaction not yet committed
    with UnitOfWork(db) as deleting:
        delete_subscription(deleting, doomed, expected_version=None)
        deleting.session.flush()
        # when the event fans out meanwhile, and the deletion then commits
        thread = threading.Thread(target=fan_out)
        thread.start()
        thread.join(0.5)  # lets the fan-out reach the deleted row
        deleting.commit()
    thread.join(30)
    # then the fan-out succeeded, with a delivery for the remaining subscription only
    assert outcome == {"events": 1}
    with db.engine.connect() as conn:
        rows = conn.execute(select(WebhookDelivery.subscription_id)).scalars().all()
    assert rows == [kept]
