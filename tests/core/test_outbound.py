"""Outside effects after commit: a handler records its e-mail, the dispatcher sends it once the handler's
transaction committed, one transaction per handler delivery, and a slow mail server holds no lock."""

from __future__ import annotations

import asyncio
import email
import smtplib
import threading
import time
from collections.abc import Iterator
from email import policy
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select, text

from comptoir.core.dispatcher import Dispatcher, DispatcherConfig
from comptoir.core.events import Bus
from comptoir.core.mail import Mail, SmtpMailer
from comptoir.core.messaging import ConfigurationFailure, TransientFailure
from comptoir.core.models import HandlerDelivery, OutboundMessage, OutboxEvent
from comptoir.core.outbound import queue_mail
from comptoir.core.settings import Settings
from comptoir.core.uow import UnitOfWork
from tests.support.events import EFFECTS_DDL, ParcelShipped
from tests.support.mail_events import ParcelMailFailed, queue_with_outcomes
from tests.support.processes import free_port


class RecordingMailer:
    """A transport that looks at the database, from its own connection, when asked to send."""

    def __init__(self, db: Any, fail_times: int = 0) -> None:
        self.db = db
        self.fail_times = fail_times
        self.sent: list[tuple[str, bytes, tuple[str, ...], int]] = []

    def deliver(self, message: bytes, recipient: str) -> None:
        if self.fail_times:
            self.fail_times -= 1
            raise smtplib.SMTPRecipientsRefused({recipient: (450, b"mailbox busy")})
        with self.db.engine.connect() as conn:
            statuses = tuple(conn.execute(text("SELECT status FROM core_handler_deliveries")).scalars())
            effects = conn.execute(text("SELECT count(*) FROM test_effects")).scalar_one()
        self.sent.append((recipient, message, statuses, int(effects)))


@pytest.fixture
def effects(db):  # type: ignore[no-untyped-def]
    with db.engine.begin() as conn:
        conn.execute(text(EFFECTS_DDL))
        conn.execute(text("DELETE FROM test_effects"))
    return db


def parcel_mail(settings: Settings, *, fail: bool = False):  # type: ignore[no-untyped-def]
    """A handler with a write and an e-mail (and, when ``fail``, an error after queueing it)."""

    def handler(uow: UnitOfWork, event: ParcelShipped) -> None:
        uow.session.execute(
            text("INSERT INTO test_effects (event_id, handler) VALUES (:e, 'mail')"), {"e": event.event_id}
        )
        queue_mail(
            uow,
            settings,
            Mail(
                to="claire.martin@example.fr", subject="Votre colis", text=f"Colis {event.parcel_id} expédié."
            ),
        )
        if fail:
            raise RuntimeError("the handler fails after queueing its mail")

    return handler


def ship(db: Any, *parcels: str) -> None:
    with UnitOfWork(db) as uow:
        uow.record(*(ParcelShipped(parcel_id=p) for p in parcels))
        uow.commit()


def dispatcher(db: Any, bus: Bus, mailer: RecordingMailer, **config: Any) -> Dispatcher:
    settings = {"handler_max_attempts": 1, "backoff_base_seconds": 0.0, "mail_max_attempts": 3, **config}
    return Dispatcher(db, bus, DispatcherConfig(**settings), mailer=mailer)


def test_a_handlers_mail_is_sent_only_after_its_transaction_committed(effects, settings) -> None:  # type: ignore[no-untyped-def]
    # given a handler that writes a row and queues an e-mail
    bus = Bus(settings)
    bus.subscribe(ParcelShipped, parcel_mail(settings), name="tests.parcel_mail")
    mailer = RecordingMailer(effects)
    ship(effects, "p1")
    # when the dispatcher delivers the event
    dispatcher(effects, bus, mailer).drain()
    # then the mail left once, and when it left the handler's delivery and row were already committed
    [(recipient, message, statuses, rows)] = mailer.sent
    assert (recipient, statuses, rows) == ("claire.martin@example.fr", ("done",), 1)
    parsed = email.message_from_bytes(message, policy=policy.default)
    assert parsed["Subject"] == "Votre colis"
    assert parsed.get_body(("plain",)).get_content().strip() == "Colis p1 expédié."  # type: ignore[union-attr]
    # and the outbound record keeps the envelope, not the content
    with effects.engine.connect() as conn:
        row = conn.execute(
            select(OutboundMessage.status, OutboundMessage.content, OutboundMessage.attempts)
        ).one()
    assert tuple(row) == ("sent", None, 1)


def test_a_handler_that_fails_after_queueing_sends_nothing(effects, settings) -> None:  # type: ignore[no-untyped-def]
    # given a handler that queues an e-mail and then fails
    bus = Bus(settings)
    bus.subscribe(ParcelShipped, parcel_mail(settings, fail=True), name="tests.parcel_mail")
    mailer = RecordingMailer(effects)
    ship(effects, "p1")
    # when the dispatcher delivers the event (one attempt allowed: dead-lettered at once)
    dispatcher(effects, bus, mailer).drain()
    # then no mail was sent, and neither the mail nor the handler's row was kept
    assert mailer.sent == []
    with effects.engine.connect() as conn:
        assert conn.execute(select(OutboundMessage.id)).all() == []
        assert conn.execute(text("SELECT count(*) FROM test_effects")).scalar_one() == 0
        assert conn.execute(select(HandlerDelivery.status)).scalars().all() == ["dead"]


def test_each_handler_delivery_commits_on_its_own(effects, settings) -> None:  # type: ignore[no-untyped-def]
    # given two events, the second of which makes the handler fail
    def sometimes_fails(uow: UnitOfWork, event: ParcelShipped) -> None:
        uow.session.execute(text("INSERT INTO test_effects VALUES (:e, 'x')"), {"e": event.event_id})
        if event.parcel_id == "bad":
            raise RuntimeError("no such parcel")

    bus = Bus(settings)
    bus.subscribe(ParcelShipped, sometimes_fails, name="tests.sometimes_fails")
    ship(effects, "good", "bad")
    # when one dispatcher round delivers both
    worker = dispatcher(effects, bus, RecordingMailer(effects), handler_max_attempts=5)
    worker.fan_out()
    assert worker.deliver_to_handlers() == 2
    # then the good one is done and kept, the bad one waits for a retry with nothing kept
    with effects.engine.connect() as conn:
        statuses = conn.execute(
            select(HandlerDelivery.status, HandlerDelivery.attempts).order_by(HandlerDelivery.id)
        ).all()
        assert conn.execute(text("SELECT count(*) FROM test_effects")).scalar_one() == 1
    assert [tuple(s) for s in statuses] == [("done", 1), ("pending", 1)]


def test_a_refused_mail_is_retried_then_dead_lettered_with_its_failure_event(effects, settings) -> None:  # type: ignore[no-untyped-def]
    # given a handler whose mail is refused by the server three times (three attempts allowed)
    bus = Bus(settings)
    bus.subscribe(ParcelShipped, queue_with_outcomes(settings), name="tests.parcel_mail")
    mailer = RecordingMailer(effects, fail_times=3)
    ship(effects, "p1")
    # when the dispatcher runs until nothing is due
    dispatcher(effects, bus, mailer).drain()
    # then the message is dead after three attempts, its content dropped, its failure published
    with effects.engine.connect() as conn:
        row = conn.execute(
            select(
                OutboundMessage.status,
                OutboundMessage.attempts,
                OutboundMessage.content,
                OutboundMessage.message_id,
                OutboundMessage.last_error,
            )
        ).one()
        published = conn.execute(
            select(OutboxEvent.payload).where(OutboxEvent.type == ParcelMailFailed.event_type)
        ).scalar_one()
    assert row[:3] == ("dead", 3, None)
    assert row.last_error.startswith("SMTPRecipientsRefused")
    assert published == {"parcel_id": "p1", "message_id": row.message_id}
    assert mailer.sent == []


# -- a slow mail server --------------------------------------------------------------------------------------


class StuckSmtp:
    """An SMTP server (aiosmtpd) that accepts a message only when the test releases it."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()
        self.received: list[bytes] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.entered.set()
        await asyncio.get_running_loop().run_in_executor(None, self.release.wait, 60)
        self.received.append(envelope.content)
        return "250 queued"


@pytest.fixture
def stuck_smtp() -> Iterator[tuple[StuckSmtp, int]]:
    handler = StuckSmtp()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        handler.release.set()
        controller.stop()


def test_a_slow_mail_server_does_not_block_api_writes(effects, settings, stuck_smtp, admin_headers) -> None:  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    from comptoir.app import create_app

    smtp, port = stuck_smtp
    # given the API with its in-process dispatcher, mail going to an SMTP server that does not answer
    live = settings.model_copy(
        update={
            "dispatcher": "inprocess",
            "dispatcher_poll_seconds": 0.05,
            "mail_url": f"smtp://127.0.0.1:{port}",
        }
    )
    app = create_app(live, db=effects)
    app.state.comptoir.bus.subscribe(ParcelShipped, parcel_mail(live), name="tests.parcel_mail")
    with TestClient(app, raise_server_exceptions=False) as client:
        ship(effects, "p1")
        assert smtp.entered.wait(30), "the dispatcher never reached the mail server"
        # when an API write arrives while the mail server holds the message
        created = client.post(
            "/v1/keys", json={"name": "caisse 2", "scopes": ["orders:read"]}, headers=admin_headers
        )
        # then the write completed, the mail still being stuck
        assert created.status_code == 201, created.text
        assert smtp.received == []
        # and once the server answers, the mail is recorded as sent
        smtp.release.set()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with effects.engine.connect() as conn:
                status = conn.execute(select(OutboundMessage.status)).scalar_one()
            if status == "sent":
                break
            time.sleep(0.05)
    assert status == "sent"
    [message] = smtp.received
    assert b"Subject: Votre colis" in message


def test_forgetting_a_recipient_deletes_their_messages_sent_or_pending(effects, settings) -> None:  # type: ignore[no-untyped-def]
    from comptoir.core.outbound import forget_recipient

    # given a message sent to Claire, one still pending for her, and one for someone else
    with UnitOfWork(effects) as uow:
        for to in ("Claire Martin <Claire.Martin@example.fr>", "claire.martin@example.fr", "paul@example.fr"):
            queue_mail(uow, settings, Mail(to=to, subject="Votre colis", text="Expédié."))
        uow.commit()
    Dispatcher(
        effects, Bus(settings), DispatcherConfig(batch_size=1), mailer=RecordingMailer(effects)
    ).outbound.run()
    # when her data is erased
    with UnitOfWork(effects) as uow:
        assert forget_recipient(uow, "CLAIRE.MARTIN@example.fr") == 2
        uow.commit()
    # then only the other person's message remains
    with effects.engine.connect() as conn:
        assert conn.execute(select(OutboundMessage.recipient)).scalars().all() == ["paul@example.fr"]


def test_housekeeping_deletes_finished_messages_after_the_retention(effects, settings) -> None:  # type: ignore[no-untyped-def]
    from datetime import timedelta

    from comptoir.core import clock
    from comptoir.core.jobs import core_jobs

    # given a message sent, one dead-lettered and one still pending, all 31 days old
    then = clock.now() - timedelta(days=31)
    clock.set_clock(lambda: then)
    try:
        with UnitOfWork(effects) as uow:
            for to in ("sent@example.fr", "dead@example.fr", "pending@example.fr"):
                queue_mail(uow, settings, Mail(to=to, subject="Votre colis", text="Expédié."))
            uow.commit()
    finally:
        clock.set_clock(None)
    with effects.engine.begin() as conn:
        for status, to in (("sent", "sent@example.fr"), ("dead", "dead@example.fr")):
            conn.execute(
                OutboundMessage.__table__.update()
                .where(OutboundMessage.recipient == to)
                .values(status=status)
            )
    # when the kernel's housekeeping job runs (30 days kept)
    [purge] = [job for job in core_jobs(settings) if job.name == "core.purge_outbound_messages"]
    with UnitOfWork(effects) as uow:
        purge.run(uow)
        uow.commit()
    # then only the pending message is left
    with effects.engine.connect() as conn:
        assert conn.execute(select(OutboundMessage.recipient)).scalars().all() == ["pending@example.fr"]


# -- what the mail server said -------------------------------------------------------------------------------


class Answering:
    """An SMTP server's handler (aiosmtpd) answering RCPT and DATA as the test says."""

    def __init__(self) -> None:
        self.received: list[bytes] = []
        self.rcpt_reply = "250 OK"
        self.data_reply = "250 queued as 4F2A1"

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if self.rcpt_reply.startswith("250"):
            envelope.rcpt_tos.append(address)
        return self.rcpt_reply

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.data_reply.startswith("250"):
            self.received.append(envelope.content)
        return self.data_reply


class SmtpServer:
    """A local SMTP server on a fixed port, which a test can stop and start again."""

    def __init__(self) -> None:
        self.handler = Answering()
        self.port = free_port()
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


def smtp_dispatcher(db: Any, settings: Settings, port: int) -> Dispatcher:
    """A dispatcher sending through the local server, retrying at once (no backoff), 3 attempts."""
    config = DispatcherConfig(backoff_base_seconds=0.0, mail_max_attempts=3)
    return Dispatcher(
        db,
        Bus(settings),
        config,
        mailer=SmtpMailer(f"smtp://127.0.0.1:{port}", settings.mail_from, timeout=10),
    )


def queue_parcel_mail(db: Any, settings: Settings) -> str:
    with UnitOfWork(db) as uow:
        message_id = queue_mail(
            uow,
            settings,
            Mail(to="Claire Martin <claire.martin@example.fr>", subject="Votre colis", text="Expédié."),
            on_failed=lambda mid: ParcelMailFailed(parcel_id="p1", message_id=mid),
        )
        uow.commit()
    return message_id


def outbound_row(db: Any) -> Any:
    with db.engine.connect() as conn:
        return conn.execute(
            select(
                OutboundMessage.status,
                OutboundMessage.attempts,
                OutboundMessage.last_error,
                OutboundMessage.content.is_(None).label("dropped"),
                OutboundMessage.next_attempt_at,
            )
        ).one()


def failures_published(db: Any) -> list[Any]:
    with db.engine.connect() as conn:
        return list(
            conn.execute(
                select(OutboxEvent.payload).where(OutboxEvent.type == ParcelMailFailed.event_type)
            ).scalars()
        )


def test_an_unknown_mailbox_is_recorded_as_bounced_after_one_attempt(db, settings, smtp_server) -> None:  # type: ignore[no-untyped-def]
    # given a mail server that answers 550 5.1.1 to the recipient
    smtp_server.handler.rcpt_reply = "550 5.1.1 <claire.martin@example.fr>: Recipient address rejected"
    message_id = queue_parcel_mail(db, settings)
    # when the dispatcher runs until nothing is due
    smtp_dispatcher(db, settings, smtp_server.port).drain()
    # then the message is bounced after one attempt, with the server's answer, its content dropped
    row = outbound_row(db)
    assert (row.status, row.attempts, row.dropped) == ("bounced", 1, True)
    assert row.last_error == (
        "PermanentFailure: 550 5.1.1 <claire.martin@example.fr>: Recipient address rejected"
    )
    # and its failure is published once
    assert failures_published(db) == [{"parcel_id": "p1", "message_id": message_id}]


def test_a_message_too_large_is_recorded_as_failed_after_one_attempt(db, settings, smtp_server) -> None:  # type: ignore[no-untyped-def]
    # given a mail server that refuses the message's content as too large
    smtp_server.handler.data_reply = "552 5.3.4 Message size exceeds fixed maximum message size"
    message_id = queue_parcel_mail(db, settings)
    # when the dispatcher runs until nothing is due
    smtp_dispatcher(db, settings, smtp_server.port).drain()
    # then the message failed after one attempt, not bounced: the address stays good
    row = outbound_row(db)
    assert (row.status, row.attempts, row.dropped) == ("failed", 1, True)
    assert row.last_error == "MessageRefused: 552 5.3.4 Message size exceeds fixed maximum message size"
    assert failures_published(db) == [{"parcel_id": "p1", "message_id": message_id}]
    assert smtp_server.handler.received == []


def test_a_temporary_refusal_is_retried_then_delivered(db, settings, smtp_server) -> None:  # type: ignore[no-untyped-def]
    # given a mail server that answers 451 to the recipient
    smtp_server.handler.rcpt_reply = "451 4.7.1 Greylisted, try again later"
    queue_parcel_mail(db, settings)
    worker = smtp_dispatcher(db, settings, smtp_server.port)
    # when the dispatcher makes one attempt
    assert worker.outbound.run() == 1
    # then the message waits for another attempt, the answer kept
    row = outbound_row(db)
    assert (row.status, row.attempts, row.dropped) == ("pending", 1, False)
    assert row.last_error == "TransientFailure: 451 4.7.1 Greylisted, try again later"
    # and once the server accepts it, the retry delivers it
    smtp_server.handler.rcpt_reply = "250 OK"
    assert worker.outbound.run() == 1
    row = outbound_row(db)
    assert (row.status, row.attempts, row.dropped) == ("sent", 2, True)
    assert len(smtp_server.handler.received) == 1
    assert failures_published(db) == []


def test_a_server_shutting_down_then_down_is_retried_and_delivered_once_it_is_back(
    db, settings, smtp_server
) -> None:  # type: ignore[no-untyped-def]
    # given a mail server answering 421 (shutting down) to the recipient
    smtp_server.handler.rcpt_reply = "421 4.3.2 Service shutting down"
    queue_parcel_mail(db, settings)
    worker = smtp_dispatcher(db, settings, smtp_server.port)
    # when the dispatcher tries, then tries again with the server down
    assert worker.outbound.run() == 1
    assert outbound_row(db)[:2] == ("pending", 1)
    smtp_server.stop()
    assert worker.outbound.run() == 1
    row = outbound_row(db)
    assert (row.status, row.attempts) == ("pending", 2)
    assert row.last_error.startswith("TransientFailure: ConnectionRefusedError")
    # and the server is back up, accepting
    smtp_server.handler.rcpt_reply = "250 OK"
    smtp_server.start()
    assert worker.outbound.run() == 1
    # then the third attempt delivered it, once
    row = outbound_row(db)
    assert (row.status, row.attempts, row.dropped) == ("sent", 3, True)
    assert len(smtp_server.handler.received) == 1


class Refusing:
    """A transport raising the given failures in turn."""

    def __init__(self, *failures: Exception) -> None:
        self.failures = list(failures)

    def deliver(self, message: bytes, recipient: str) -> None:
        raise self.failures.pop(0)


def test_a_transient_failure_is_retried_after_the_delay_the_transport_asked_for(db, settings) -> None:  # type: ignore[no-untyped-def]
    from datetime import timedelta

    from comptoir.core import clock

    # given a provider asking to come back in 120 s, then an operator's set-up refused
    now = clock.now().replace(microsecond=0)
    clock.set_clock(lambda: now)
    try:
        queue_parcel_mail(db, settings)
        mailer = Refusing(
            TransientFailure("429 rate limited", code=429, retry_after=120.0),
            ConfigurationFailure("535 5.7.8 authentication failed", code=535, status="5.7.8"),
        )
        config = DispatcherConfig(backoff_base_seconds=7.0, backoff_max_seconds=7.0, mail_max_attempts=2)
        worker = Dispatcher(db, Bus(settings), config, mailer=mailer)
        # when the dispatcher tries
        assert worker.outbound.run() == 1
        # then the next attempt is 120 s away, not the backoff's 3.5 to 7 s
        row = outbound_row(db)
        assert (row.status, row.attempts) == ("pending", 1)
        assert row.next_attempt_at.replace(tzinfo=None) == (now + timedelta(seconds=120)).replace(tzinfo=None)
        assert worker.outbound.run() == 0  # not due yet
        # and when it is due, a refused set-up is retried too, dead-lettered once the attempts are spent
        clock.set_clock(lambda: now + timedelta(seconds=121))
        assert worker.outbound.run() == 1
    finally:
        clock.set_clock(None)
    row = outbound_row(db)
    assert (row.status, row.attempts, row.dropped) == ("dead", 2, True)
    assert row.last_error == "ConfigurationFailure: 535 5.7.8 authentication failed"
