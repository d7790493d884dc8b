"""The order journey, caught by a real SMTP server: a click & collect order's confirmation, "ready at the
shop" by e-mail and SMS, the reminder the day before the goods go back to the shelves (10:00 on the
customer's clock), and "not collected" once they did; a collected order ends the journey (no reminder).
A shop's till sale gets none of these (its e-receipt is the receipts domain's)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from comptoir.core import clock
from comptoir.core.db import Database
from comptoir.core.dispatcher import Dispatcher, DispatcherConfig
from comptoir.core.mail import SmtpMailer
from comptoir.core.settings import Settings
from comptoir.core.uow import UnitOfWork
from comptoir.engagement import service as engagement
from comptoir.orders import service as orders
from tests.engagement.conftest import Inbox, text_of
from tests.orders.conftest import LIN_S, RIVOLI, checkout, new_cart, step

NOW = datetime(2027, 6, 7, 8, 0, tzinfo=UTC)  # Monday 10:00 in Paris


@pytest.fixture
def frozen() -> Iterator[None]:
    clock.set_clock(lambda: NOW)
    yield
    clock.set_clock(None)


@pytest.fixture
def worker(
    frozen: None, stocked: Database, settings: Settings, tmp_path: Path, inbox: tuple[Inbox, int]
) -> Any:
    from comptoir.app import create_app

    journey_settings = settings.model_copy(
        update={
            "base_url": "https://boutique.example.fr",
            "mail_from": "Comptoir <bonjour@boutique.example.fr>",
            "sms_url": f"sandbox://{tmp_path / 'sms'}",
        }
    )
    app = create_app(journey_settings, db=stocked)
    dispatcher = Dispatcher(
        stocked,
        app.state.comptoir.bus,
        DispatcherConfig(backoff_base_seconds=0.0),
        mailer=SmtpMailer(f"smtp://127.0.0.1:{inbox[1]}", journey_settings.mail_from, timeout=10),
    )

    class Worker:
        settings = journey_settings
        client = TestClient(app)

        def run(self) -> None:
            dispatcher.drain()
            engagement.send_due(stocked, journey_settings)
            dispatcher.drain()

        def sms(self) -> list[dict[str, Any]]:
            folder = Path(journey_settings.sms_url.removeprefix("sandbox://"))
            return [
                json.loads(line) for path in folder.glob("*.jsonl") for line in path.read_text().splitlines()
            ]

    return Worker()


def _statuses(db: Database, customer_id: str) -> dict[str, str]:
    with UnitOfWork(db, read_only=True) as uow:
        return {f"{m.step}/{m.channel}": m.status for m in engagement.messages_of(uow, customer_id)}


def test_a_click_and_collect_order_from_confirmation_to_not_collected(
    worker: Any,
    stocked: Database,
    marie: str,
    web: dict[str, str],
    rivoli: dict[str, str],
    inbox: tuple[Inbox, int],
) -> None:
    box, client = inbox[0], worker.client
    # Given Marie orders a linen dress to collect at Rivoli, paying there
    order = checkout(
        client, web, new_cart(client, web, [(LIN_S, 1)]), mode="click_and_collect", pickup_place_id=RIVOLI
    )
    assert order.status_code == 201, order.text
    order = order.json()
    # When the worker runs, Then the confirmation goes, with the order's number and its line
    worker.run()
    (confirmation,) = box.take()
    assert confirmation["To"] == "marie.curie@orange.fr"
    assert order["number"] in text_of(confirmation) and "59,90" in text_of(confirmation)
    # When Rivoli has it ready, Then Marie is told by e-mail and SMS, with the deadline
    fulfilment = order["fulfilments"][0]["id"]
    step(client, rivoli, fulfilment, "allocate")
    step(client, rivoli, fulfilment, "pick")
    ready = step(client, rivoli, fulfilment, "ready")
    worker.run()
    (ready_mail,) = box.take()
    assert "Rivoli" in text_of(ready_mail)
    (sms,) = worker.sms()
    assert sms["to"] == "+33798765432" and order["number"] in sms["text"]
    # Then the day before the deadline, at 10:00 in Paris, the reminder
    deadline = datetime.fromisoformat(ready["fulfilments"][0]["pickup_expires_at"])
    reminder_at = datetime.combine(
        deadline.astimezone(ZoneInfo("Europe/Paris")).date() - timedelta(days=1),
        datetime.min.time().replace(hour=10),
        tzinfo=ZoneInfo("Europe/Paris"),
    )
    clock.set_clock(lambda: reminder_at - timedelta(minutes=1))
    worker.run()
    assert box.take() == []
    clock.set_clock(lambda: reminder_at)
    worker.run()
    (reminder,) = box.take()
    assert order["number"] in text_of(reminder)
    assert len(worker.sms()) == 2
    # When nobody came and the goods went back to the shelves, Then "not collected"
    clock.set_clock(lambda: deadline + timedelta(minutes=5))
    with UnitOfWork(stocked) as uow:
        orders.expire_uncollected(uow)
        uow.commit()
    worker.run()
    (not_collected,) = box.take()
    assert order["number"] in text_of(not_collected)
    assert set(_statuses(stocked, marie).values()) == {"sent"}


def test_a_collected_order_ends_its_journey_and_a_till_sale_starts_none(
    worker: Any,
    stocked: Database,
    marie: str,
    web: dict[str, str],
    rivoli: dict[str, str],
    inbox: tuple[Inbox, int],
) -> None:
    box, client = inbox[0], worker.client
    order = checkout(
        client, web, new_cart(client, web, [(LIN_S, 1)]), mode="click_and_collect", pickup_place_id=RIVOLI
    )
    fulfilment = order.json()["fulfilments"][0]["id"]
    for action in ("allocate", "pick", "ready"):
        step(client, rivoli, fulfilment, action)
    worker.run()
    assert len(box.take()) == 2  # the confirmation and "ready"
    # When Marie collects it, Then the reminder is cancelled: nothing more is sent
    step(client, rivoli, fulfilment, "collect")
    worker.run()
    clock.set_clock(lambda: NOW + timedelta(days=10))
    worker.run()
    assert box.take() == []
    statuses = _statuses(stocked, marie)
    assert statuses["pickup_reminder/email"] == statuses["pickup_reminder/sms"] == "cancelled"
    # And a sale at Rivoli's till, for Marie, starts no order journey
    sale = checkout(
        client,
        rivoli,
        new_cart(client, rivoli, [(LIN_S, 1)], customer_id=marie),
        mode="store_sale",
        tenders=[{"method": "card", "details": {"card_token": "tok_visa"}}],
        customer_id=marie,
    )
    assert sale.status_code == 201, sale.text
    worker.run()
    assert box.take() == []
    with UnitOfWork(stocked, read_only=True) as uow:
        assert len(engagement.instances_of(uow, marie)) == 1
