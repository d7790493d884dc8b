"""The surveys tests' shared pieces: the worker (the app, its dispatcher and the sender, a real SMTP server
catching what goes, on a fixed clock), and survey messages and their answers made directly for the
statistics (the whole path, from an order collected to a click in the e-mail, is tested in
test_surveys.py)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from comptoir.core import clock
from comptoir.core.db import Database
from comptoir.core.dispatcher import Dispatcher, DispatcherConfig
from comptoir.core.ids import new_id
from comptoir.core.mail import SmtpMailer
from comptoir.core.settings import Settings
from comptoir.core.uow import UnitOfWork
from comptoir.customers import service as customers
from comptoir.customers.schemas import ConsentIn, CustomerRecord
from comptoir.engagement import service as engagement
from comptoir.engagement import surveys
from comptoir.engagement.models import Instance, Message
from tests.conftest import make_key
from tests.engagement.conftest import Inbox
from tests.orders.conftest import headers

NOW = datetime(2027, 6, 7, 8, 0, tzinfo=UTC)  # Monday 10:00 in Paris
JOURNEYS = {"survey_nps": "survey_order_collected", "survey_csat": "survey_appointment"}


def a_customer(db: Database, given: str, email: str, *, surveys_by_email: bool = True) -> str:
    """A customer (with an opt-in for satisfaction surveys by e-mail unless told otherwise)."""
    consents = (
        [ConsentIn(purpose="satisfaction-surveys", channel="email", granted=True)] if surveys_by_email else []
    )
    with UnitOfWork(db) as uow:
        found = customers.ingest(
            uow, "web", CustomerRecord(given_name=given, family_name="Martin", email=email, consents=consents)
        )
        uow.commit()
    return found.customer_id


def survey_message(db: Database, customer_id: str, template: str, facts: dict[str, Any]) -> str:
    """A survey message sent to the customer (its journey's facts: ``place_id``, ``advisor_id``,
    ``channel``…, about a subject no domain knows, so that they are read from the facts)."""
    now = clock.now()
    with UnitOfWork(db) as uow:
        instance = Instance(
            id=new_id("jin"),
            journey_code=JOURNEYS[template],
            version=0,
            customer_id=customer_id,
            subject=new_id("sub"),
            state="active",
            facts=facts,
            started_at=now,
            ended_at=None,
            exit_reason="",
        )
        message = Message(
            id=new_id("msg"),
            instance_id=instance.id,
            journey_code=instance.journey_code,
            step="survey",
            occurrence=0,
            channel="email",
            customer_id=customer_id,
            template=template,
            purpose="survey",
            priority=30,
            on_collision="delay",
            status="sent",
            planned_at=now,
            due_at=now,
            hold_code="",
            hold_reason="",
            lease_until=None,
            attempts=1,
            reference="",
            sent_at=now,
            created_at=now,
            updated_at=now,
        )
        uow.session.add(instance)
        uow.session.flush()
        uow.session.add(message)
        uow.commit()
    return message.id


def answer(
    db: Database, message_id: str, score: int, *, at: datetime | None = None, comment: str = ""
) -> None:
    """The customer confirms ``score`` (at ``at``, on the test's clock otherwise)."""
    if at is not None:
        clock.set_clock(lambda: at)
    with UnitOfWork(db) as uow:
        found = surveys.survey_message(uow, message_id, lock=True)
        assert found is not None
        surveys.confirm(uow, found, score, comment)
        uow.commit()


def a_worker(
    stocked: Database, settings: Settings, tmp_path: Path, inbox: tuple[Inbox, int]
) -> Iterator[Any]:
    """What the tests' ``worker`` fixture yields: the app on a fixed clock (Monday 7 June 2027, 10:00 in
    Paris), its client, and a run of the worker (events delivered, what is due sent, the mail delivered)."""
    from comptoir.app import create_app

    clock.set_clock(lambda: NOW)
    survey_settings = settings.model_copy(
        update={
            "base_url": "https://boutique.example.fr",
            "mail_from": "Comptoir <bonjour@boutique.example.fr>",
            "sms_url": f"sandbox://{tmp_path / 'sms'}",
        }
    )
    app = create_app(survey_settings, db=stocked)
    dispatcher = Dispatcher(
        stocked,
        app.state.comptoir.bus,
        DispatcherConfig(backoff_base_seconds=0.0),
        mailer=SmtpMailer(f"smtp://127.0.0.1:{inbox[1]}", survey_settings.mail_from, timeout=10),
    )

    class Worker:
        settings = survey_settings
        client = TestClient(app, raise_server_exceptions=False)
        db = stocked

        def at(self, when: datetime) -> None:
            clock.set_clock(lambda: when)

        def run(self) -> None:
            dispatcher.drain()
            engagement.send_due(stocked, survey_settings)
            dispatcher.drain()

    yield Worker()
    clock.set_clock(None)


def answers_of(worker: Any, **params: Any) -> list[dict[str, Any]]:
    admin = headers(make_key(worker.db, ["*"]))
    response = worker.client.get("/v1/engagement/surveys/answers", params=params, headers=admin)
    assert response.status_code == 200, response.text
    return list(response.json()["items"])
