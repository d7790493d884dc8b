"""Push devices through the API and the sender: a customer's app registers its device (again: still in
use), a token registered by another customer moves to them, a customer reaches only their own devices,
the oldest device beyond the cap is replaced; a push goes to each active device through the sandbox
provider, and a provider refusing a token (an HTTP gateway faked by ``httpx.MockTransport``) revokes that
device only; the export holds the devices and erasure deletes them. Both databases."""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from comptoir.core import clock, messaging
from comptoir.core.access import SHOPPING_SCOPES
from comptoir.core.db import Base, Database
from comptoir.core.dispatcher import Dispatcher, DispatcherConfig
from comptoir.core.settings import Settings
from comptoir.core.uow import UnitOfWork
from comptoir.customers import service as customers
from comptoir.customers.schemas import CustomerRecord
from comptoir.engagement import devices, journeys, textsend
from comptoir.engagement import service as engagement
from comptoir.engagement.models import Device, Suppression
from comptoir.engagement.schemas import DeviceIn
from tests.conftest import make_key
from tests.orders.conftest import LIN_S, RIVOLI, checkout, customer_token, headers, new_cart

NOW = datetime(2027, 6, 7, 8, 0, tzinfo=UTC)  # Monday 10:00 in Paris
PHONE = "fcm:dQw4w9WgXcQ-phone-0001"
TABLET = "fcm:dQw4w9WgXcQ-tablet-0002"
OLD_PHONE = "fcm:dQw4w9WgXcQ-old-phone-0003"


class Front:
    """The app's back end and the worker: Marie's app, Paul's, an administrator's key, the sender."""

    def __init__(self, db: Database, settings: Settings, marie: str) -> None:
        from comptoir.app import create_app

        self.db, self.settings, self.marie = db, settings, marie
        self.app = create_app(settings, db=db)
        self.client = TestClient(self.app, raise_server_exceptions=False)
        app_key = make_key(db, list(SHOPPING_SCOPES), channel="app")
        with UnitOfWork(db) as uow:
            self.paul = customers.ingest(
                uow, "app", CustomerRecord(given_name="Paul", family_name="Autre", email="paul@example.fr")
            ).customer_id
            uow.commit()
        self.marie_app = headers(app_key, customer_token(settings, marie))
        self.paul_app = headers(app_key, customer_token(settings, self.paul))
        self.admin = headers(make_key(db, ["*"]))
        self.dispatcher = Dispatcher(
            db, self.app.state.comptoir.bus, DispatcherConfig(backoff_base_seconds=0.0)
        )

    def register(self, who: dict[str, str], token: str, expected: int = 201, **extra: Any) -> dict[str, Any]:
        answer = self.client.post(
            "/v1/engagement/devices", json={"token": token, "platform": "android", **extra}, headers=who
        )
        assert answer.status_code == expected, answer.text
        return dict(answer.json())

    def devices(self, customer_id: str, who: dict[str, str] | None = None) -> list[dict[str, Any]]:
        answer = self.client.get(f"/v1/engagement/customers/{customer_id}/devices", headers=who or self.admin)
        assert answer.status_code == 200, answer.text
        return list(answer.json())

    def run(self) -> None:
        """What the worker does: deliver the events, send what is due, deliver the mail."""
        self.dispatcher.drain()
        engagement.send_due(self.db, self.settings)
        self.dispatcher.drain()

    def order(self) -> None:
        """Marie orders a linen dress on the app, to collect at Rivoli (its confirmation goes by push)."""
        cart = new_cart(self.client, self.marie_app, [(LIN_S, 1)])
        placed = checkout(self.client, self.marie_app, cart, mode="click_and_collect", pickup_place_id=RIVOLI)
        assert placed.status_code == 201, placed.text

    def pushes(self) -> list[dict[str, Any]]:
        folder = Path(self.settings.push_url.removeprefix("sandbox://"))
        return [
            json.loads(line)
            for path in sorted(folder.glob("*.jsonl"))
            for line in path.read_text().splitlines()
        ]

    def confirmation(self) -> Any:
        with UnitOfWork(self.db, read_only=True) as uow:
            (message,) = [m for m in engagement.messages_of(uow, self.marie) if m.channel == "push"]
        return message

    def count(self, model: Any, *where: Any) -> int:
        with self.db.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(model).where(*where)).scalar_one())


@pytest.fixture
def front(stocked: Database, settings: Settings, marie: str, tmp_path: Path) -> Iterator[Front]:
    clock.set_clock(lambda: NOW)
    # The order journey's confirmation by e-mail and by push (the built-in one sends no push)
    order = journeys.ORDER
    steps = [
        s.model_copy(update={"channels": ["email", "push"]}) if s.key == "confirmation" else s
        for s in order.steps
    ]
    with UnitOfWork(stocked) as uow:
        engagement.save_journey(uow, "order", order.model_copy(update={"steps": steps}), "test")
        uow.commit()
    push_settings = settings.model_copy(update={"push_url": f"sandbox://{tmp_path / 'push'}"})
    current = Front(stocked, push_settings, marie)
    yield current
    current.client.close()
    clock.set_clock(None)


# -- the API ----------------------------------------------------------------------------------------------


def test_a_customer_registers_their_device_and_registering_again_says_it_is_in_use(front: Front) -> None:
    # When Marie's app registers her phone
    phone = front.register(front.marie_app, PHONE, language="fr-FR")
    # Then it is hers, active, from the app, and the token is never shown back (its end only)
    assert (phone["customer_id"], phone["platform"], phone["app"], phone["language"]) == (
        front.marie,
        "android",
        "app",
        "fr-FR",
    )
    assert phone["active"] and phone["token_end"] == PHONE[-6:] and PHONE not in json.dumps(phone)
    # When the app starts again an hour later, Then the same device, seen now
    clock.set_clock(lambda: NOW + timedelta(hours=1))
    again = front.register(front.marie_app, PHONE, expected=200, language="fr-FR")
    assert again["id"] == phone["id"]
    assert datetime.fromisoformat(again["last_seen_at"]) == NOW + timedelta(hours=1)
    assert datetime.fromisoformat(again["created_at"]) == NOW
    assert [d["id"] for d in front.devices(front.marie, front.marie_app)] == [phone["id"]]


def test_a_token_registered_by_another_customer_moves_to_them(front: Front) -> None:
    # Given the family tablet, registered by Marie
    tablet = front.register(front.marie_app, TABLET)
    # When Paul signs in on it and his app registers it
    moved = front.register(front.paul_app, TABLET, expected=200)
    # Then it is Paul's now (the last sign-in wins), and no longer Marie's
    assert (moved["id"], moved["customer_id"]) == (tablet["id"], front.paul)
    assert front.devices(front.marie) == []
    assert [d["id"] for d in front.devices(front.paul, front.paul_app)] == [tablet["id"]]
    with UnitOfWork(front.db, read_only=True) as uow:
        assert devices.active_tokens(uow, front.marie) == []
        assert devices.active_tokens(uow, front.paul) == [TABLET]


def test_a_customer_reaches_only_their_own_devices(front: Front) -> None:
    phone = front.register(front.marie_app, PHONE)
    # Paul can neither see nor unregister Marie's devices: they do not exist for him
    listed = front.client.get(f"/v1/engagement/customers/{front.marie}/devices", headers=front.paul_app)
    assert listed.status_code == 404
    refused = front.client.delete(f"/v1/engagement/devices/{phone['id']}", headers=front.paul_app)
    assert refused.status_code == 404
    assert front.devices(front.marie)[0]["active"]
    # Nobody registers a device without a customer's token, nor as staff
    body = {"token": OLD_PHONE, "platform": "ios"}
    assert front.client.post("/v1/engagement/devices", json=body).status_code == 401
    assert front.client.post("/v1/engagement/devices", json=body, headers=front.admin).status_code == 403
    # When Marie signs out of the app, it unregisters the phone: it stays listed, revoked
    gone = front.client.delete(f"/v1/engagement/devices/{phone['id']}", headers=front.marie_app)
    assert gone.status_code == 204
    (listed_phone,) = front.devices(front.marie, front.marie_app)
    assert (listed_phone["active"], listed_phone["revoked_reason"]) == (False, "unregistered")
    # again: nothing changes; an unknown device answers 404
    assert (
        front.client.delete(f"/v1/engagement/devices/{phone['id']}", headers=front.admin).status_code == 204
    )
    assert front.client.delete("/v1/engagement/devices/dev_nope", headers=front.admin).status_code == 404
    # When she signs in again, registering it reactivates it
    back = front.register(front.marie_app, PHONE, expected=200)
    assert (back["id"], back["active"], back["revoked_reason"]) == (phone["id"], True, "")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"token": "fcm token with spaces", "platform": "android"}, "token"),
        ({"token": "x" * 2049, "platform": "android"}, "token"),
        ({"token": PHONE, "platform": "windows"}, "platform"),
        ({"token": PHONE, "platform": "ios", "language": "français"}, "language"),
    ],
)
def test_a_bad_device_is_refused_naming_its_field(front: Front, body: dict[str, Any], field: str) -> None:
    answer = front.client.post("/v1/engagement/devices", json=body, headers=front.marie_app)
    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert field in answer.text
    assert front.count(Device) == 0


def test_an_eleventh_device_replaces_the_one_seen_least_recently(front: Front) -> None:
    ids = []
    for n in range(devices.MAX_ACTIVE + 1):
        clock.set_clock(lambda n=n: NOW + timedelta(minutes=n))
        ids.append(front.register(front.marie_app, f"fcm:device-{n:04d}")["id"])
    listed = {d["id"]: d for d in front.devices(front.marie)}
    assert [i for i in ids if listed[i]["active"]] == ids[1:]
    assert listed[ids[0]]["revoked_reason"] == "replaced"


@pytest.mark.postgres
def test_two_registrations_at_once_keep_to_the_cap(front: Front, monkeypatch: pytest.MonkeyPatch) -> None:
    if not front.db.is_postgres:
        pytest.skip("PostgreSQL only: SQLite has one writer at a time")
    # Given Marie with one device fewer than the cap
    for n in range(devices.MAX_ACTIVE - 1):
        clock.set_clock(lambda n=n: NOW + timedelta(minutes=n))
        front.register(front.marie_app, f"fcm:device-{n:04d}")
    clock.set_clock(lambda: NOW + timedelta(hours=1))
    # When her phone and her tablet register at the same moment, each counting her devices when the other
    # has written its own (the two meet there unless the registrations of one customer wait for each other)
    both = threading.Barrier(2)
    keep = devices._keep_to_the_cap

    def meeting(*args: Any) -> None:
        with contextlib.suppress(threading.BrokenBarrierError):
            both.wait(timeout=2)  # bounded: serialised registrations never meet
        keep(*args)

    monkeypatch.setattr(devices, "_keep_to_the_cap", meeting)

    def register(token: str) -> None:
        with UnitOfWork(front.db) as uow:
            engagement.register_device(uow, front.marie, DeviceIn(token=token, platform="android"), "app")
            uow.commit()

    with ThreadPoolExecutor(2) as pool:
        list(pool.map(register, [PHONE, TABLET]))
    # Then she has as many active devices as the cap, no more: the one seen least recently was replaced
    listed = front.devices(front.marie)
    assert sum(d["active"] for d in listed) == devices.MAX_ACTIVE
    assert [d["token_end"] for d in listed if not d["active"]] == ["e-0000"]


# -- sending ----------------------------------------------------------------------------------------------


def test_a_push_goes_to_each_active_device_through_the_sandbox(front: Front) -> None:
    # Given Marie's phone and tablet, and an old phone she unregistered
    front.register(front.marie_app, PHONE)
    clock.set_clock(lambda: NOW + timedelta(minutes=1))
    front.register(front.marie_app, TABLET, platform="ios")
    old = front.register(front.marie_app, OLD_PHONE)
    assert (
        front.client.delete(f"/v1/engagement/devices/{old['id']}", headers=front.marie_app).status_code == 204
    )
    # When she orders and the worker runs
    front.order()
    front.run()
    # Then the confirmation went to both active devices (the most recently seen first), not the old one
    pushes = front.pushes()
    assert [p["token"] for p in pushes] == [TABLET, PHONE]
    assert {p["title"] for p in pushes} == {"Merci pour votre commande"}
    message = front.confirmation()
    assert message.status == "sent"
    assert {p["data"]["message_id"] for p in pushes} == {message.id}
    # each device under an idempotency key of its own, fixed by the message and the token
    assert [p["reference"] for p in pushes] == [
        textsend.device_reference(message.id, TABLET),
        textsend.device_reference(message.id, PHONE),
    ]
    assert message.reference == pushes[0]["id"]


def test_a_customer_without_a_device_gets_no_push(front: Front) -> None:
    front.order()
    front.run()
    message = front.confirmation()
    assert (message.status, message.hold_code) == ("skipped", "no_address")
    assert front.pushes() == []


class Provider:
    """A push provider's HTTP gateway: refuses the tokens the test names (410 Unregistered)."""

    def __init__(self) -> None:
        self.refused: set[str] = set()
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        token = json.loads(request.content)["token"]
        if token in self.refused:
            return httpx.Response(410, json={"error": {"status": "UNREGISTERED"}})
        return httpx.Response(200, json={"name": f"projects/comptoir/messages/{len(self.requests)}"})

    def tokens(self) -> list[str]:
        return [json.loads(r.content)["token"] for r in self.requests]


@pytest.fixture
def provider(front: Front, monkeypatch: pytest.MonkeyPatch) -> Provider:
    current = Provider()
    transport = httpx.MockTransport(current)
    monkeypatch.setattr(
        textsend,
        "push_sender_from_settings",
        lambda settings: messaging.push_sender_from_settings(settings, transport=transport),
    )
    front.settings = front.settings.model_copy(
        update={"push_url": "https://push.example.net/v1/send", "push_token": "push-secret"}
    )
    return current


def test_a_token_the_provider_refuses_revokes_that_device_only(front: Front, provider: Provider) -> None:
    # Given Marie's phone and her old tablet, whose app was uninstalled (the provider says unregistered)
    phone = front.register(front.marie_app, PHONE)
    tablet = front.register(front.marie_app, TABLET)
    provider.refused = {TABLET}
    # When her order's confirmation is pushed
    front.order()
    front.run()
    # Then the phone got it, the tablet is revoked, and the message went
    assert sorted(provider.tokens()) == sorted([PHONE, TABLET])
    assert {r.headers["Authorization"] for r in provider.requests} == {"Bearer push-secret"}
    message = front.confirmation()
    assert (message.status, message.reference) == ("sent", "projects/comptoir/messages/1")
    listed = {d["id"]: d for d in front.devices(front.marie)}
    assert listed[phone["id"]]["active"]
    assert (listed[tablet["id"]]["active"], listed[tablet["id"]]["revoked_reason"]) == (False, "rejected")
    assert "1 device(s) took it, 1 refused" in message.deliveries[-1].detail
    # the token is not in the delivery log
    assert TABLET not in json.dumps([d.model_dump(mode="json") for d in message.deliveries])
    # When the next push is due, Then it goes to the phone only
    provider.requests.clear()
    front.order()
    front.run()
    assert provider.tokens() == [PHONE]


def test_a_push_every_device_refuses_bounces_and_suppresses_nothing(front: Front, provider: Provider) -> None:
    front.register(front.marie_app, PHONE)
    provider.refused = {PHONE}
    front.order()
    front.run()
    message = front.confirmation()
    assert (message.status, message.hold_code) == ("bounced", "bounced")
    assert front.devices(front.marie)[0]["revoked_reason"] == "rejected"
    assert front.count(Suppression) == 0  # the device is revoked instead: a new token will work


# -- the person's data ------------------------------------------------------------------------------------


def test_the_export_holds_the_devices_and_erasure_deletes_them(front: Front) -> None:
    # Given Marie's phone and tablet, a push sent to them
    front.register(front.marie_app, PHONE, language="fr-FR")
    front.register(front.marie_app, TABLET, platform="ios")
    front.register(front.paul_app, OLD_PHONE)
    front.order()
    front.run()
    # When she downloads her data, Then her devices are in it, their tokens whole
    export = front.client.get(f"/v1/customers/{front.marie}/export", headers=front.marie_app)
    assert export.status_code == 200, export.text
    exported = export.json()["sections"]["engagement"]["devices"]
    assert sorted(d["token"] for d in exported) == sorted([PHONE, TABLET])
    # When she is erased and the worker passes the news on
    assert front.client.delete(f"/v1/customers/{front.marie}", headers=front.marie_app).status_code == 200
    front.dispatcher.drain()
    # Then none of her devices is left, nor their tokens anywhere in the database; Paul's stays
    assert front.count(Device, Device.customer_id == front.marie) == 0
    assert front.count(Device, Device.customer_id == front.paul) == 1
    assert _tables_holding(front.db, (PHONE, TABLET)) == []


def _tables_holding(db: Database, values: tuple[str, ...]) -> list[str]:
    found = []
    with db.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            for row in conn.execute(select(table)).mappings():
                text = json.dumps({k: str(v) for k, v in row.items()}, ensure_ascii=False)
                if any(v in text for v in values):
                    found.append(table.name)
                    break
    return found
