"""The mail queue sends a batch over one SMTP connection (a real server, aiosmtpd): a connection the server
drops between two messages, or closes with 421, is opened again and nothing is lost or sent twice; a
recipient refused in the middle leaves the connection to the next one; the outcomes are recorded together,
but never before the server's answer, and one at a time with a server slower than ``record_within``."""

from __future__ import annotations

import email
import email.policy
from collections.abc import Iterator
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from comptoir.core import outbound
from comptoir.core.dispatcher import Dispatcher, DispatcherConfig
from comptoir.core.events import Bus
from comptoir.core.mail import Mail, SmtpMailer
from comptoir.core.models import OutboundMessage
from comptoir.core.outbound import queue_mail
from comptoir.core.settings import Settings
from comptoir.core.uow import UnitOfWork
from tests.support.processes import free_port

SENDER = "Boutique <ticket@shop.example.fr>"


class Server:
    """An SMTP server's handler counting its connections (one EHLO each) and keeping the Message-IDs it
    accepted; ``drop_at``: the n-th MAIL FROM of a connection (1-based) finds it dropped, once;
    ``close_at``: the n-th MAIL FROM of every connection is answered 421, and the connection closed."""

    def __init__(self) -> None:
        self.connections = 0
        self.accepted: list[str] = []
        self.drop_at: int | None = None
        self.close_at: int | None = None
        self.refused: set[str] = set()
        self._mails: dict[int, int] = {}

    async def handle_EHLO(
        self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
    ) -> list[str]:
        self.connections += 1
        session.host_name = hostname
        return responses

    async def handle_MAIL(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        n = self._mails[id(session)] = self._mails.get(id(session), 0) + 1
        if n == self.drop_at:
            self.drop_at = None
            server.transport.close()
            return "451 gone"  # never read: the connection is closed
        if n == self.close_at:
            server.transport.close()
            return "421 4.7.0 too many messages on this connection"
        envelope.mail_from = address
        return "250 OK"

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if address in self.refused:
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.accepted.append(str(parsed["Message-ID"]))
        return "250 queued"


@pytest.fixture
def server() -> Iterator[tuple[Server, int]]:
    handler, port = Server(), free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


def queue(db: Any, settings: Settings, *recipients: str) -> list[str]:
    with UnitOfWork(db) as uow:
        ids = [
            queue_mail(uow, settings, Mail(to=to, subject="Votre ticket", text=f"Ticket n°{n}."))
            for n, to in enumerate(recipients)
        ]
        uow.commit()
    return ids


def worker(db: Any, settings: Settings, port: int, **mailer: Any) -> Dispatcher:
    config = DispatcherConfig(backoff_base_seconds=0.0, mail_max_attempts=3)
    transport = SmtpMailer(f"smtp://127.0.0.1:{port}", SENDER, timeout=5, **mailer)
    return Dispatcher(db, Bus(settings), config, mailer=transport)


def statuses(db: Any) -> list[str]:
    with db.engine.connect() as conn:
        return list(conn.execute(select(OutboundMessage.status).order_by(OutboundMessage.id)).scalars())


def test_a_batch_goes_over_one_connection(db, settings, server) -> None:  # type: ignore[no-untyped-def]
    handler, port = server
    # given seven messages queued
    ids = queue(db, settings, *(f"client{n}@example.fr" for n in range(7)))
    # when the mail queue runs once
    assert worker(db, settings, port).outbound.run() == 7
    # then all seven were accepted, in order, over a single connection, and recorded as sent
    assert handler.accepted == ids
    assert handler.connections == 1
    assert statuses(db) == ["sent"] * 7


def test_a_connection_dropped_between_two_messages_is_opened_again_and_nothing_is_lost(
    db, settings, server
) -> None:  # type: ignore[no-untyped-def]
    handler, port = server
    # given a server that drops the connection when its third message begins
    handler.drop_at = 3
    ids = queue(db, settings, *(f"client{n}@example.fr" for n in range(6)))
    # when the mail queue sends the six of them
    assert worker(db, settings, port).outbound.run() == 6
    # then every message was accepted once, the third and the next ones over a new connection
    assert handler.accepted == ids
    assert handler.connections == 2
    assert statuses(db) == ["sent"] * 6


def test_a_server_closing_with_421_gets_the_message_on_a_new_connection(db, settings, server) -> None:  # type: ignore[no-untyped-def]
    handler, port = server
    handler.close_at = 2  # "too many messages on this connection" at the second one
    ids = queue(db, settings, *(f"client{n}@example.fr" for n in range(3)))
    assert worker(db, settings, port).outbound.run() == 3
    assert handler.accepted == ids
    assert handler.connections == 3
    assert statuses(db) == ["sent"] * 3


def test_a_connection_is_renewed_after_its_share_of_messages(db, settings, server) -> None:  # type: ignore[no-untyped-def]
    handler, port = server
    ids = queue(db, settings, *(f"client{n}@example.fr" for n in range(5)))
    assert worker(db, settings, port, messages_per_connection=2).outbound.run() == 5
    assert handler.accepted == ids
    assert handler.connections == 3  # 2 + 2 + 1


def test_a_recipient_refused_in_the_middle_bounces_alone_and_the_connection_goes_on(
    db, settings, server
) -> None:  # type: ignore[no-untyped-def]
    handler, port = server
    handler.refused = {"rebond@example.fr"}
    ids = queue(db, settings, "a@example.fr", "rebond@example.fr", "b@example.fr")
    assert worker(db, settings, port).outbound.run() == 3
    assert handler.accepted == [ids[0], ids[2]]
    assert handler.connections == 1
    assert statuses(db) == ["sent", "bounced", "sent"]


def test_an_unreachable_server_leaves_the_whole_batch_to_be_retried(db, settings) -> None:  # type: ignore[no-untyped-def]
    queue(db, settings, "a@example.fr", "b@example.fr")
    assert worker(db, settings, free_port()).outbound.run() == 2
    with db.engine.connect() as conn:
        rows = conn.execute(select(OutboundMessage.status, OutboundMessage.last_error)).all()
    assert [r.status for r in rows] == ["pending", "pending"]
    assert all(r.last_error.startswith("TransientFailure: ConnectionRefusedError") for r in rows)


class Clocked:
    """A transport taking ``seconds`` per message on a clock of the test's (``outbound``'s monotonic
    time), recording how many outcomes the database held when each message was handed to it."""

    def __init__(self, db: Any, seconds: float) -> None:
        self.db, self.seconds, self.now = db, seconds, 1000.0
        self.recorded_before: list[int] = []

    def monotonic(self) -> float:
        return self.now

    def deliver(self, message: bytes, recipient: str) -> None:
        self.recorded_before.append(statuses(self.db).count("sent"))
        self.now += self.seconds


@pytest.mark.parametrize(("seconds", "recorded"), [(0.001, [0, 0, 0, 0]), (0.05, [0, 1, 2, 3])])
def test_outcomes_are_recorded_together_unless_one_would_wait_too_long(
    db, settings, monkeypatch, seconds, recorded
) -> None:  # type: ignore[no-untyped-def]
    # given four messages, and a server taking ``seconds`` to accept each (the queue waits 20 ms at most)
    queue(db, settings, *(f"client{n}@example.fr" for n in range(4)))
    transport = Clocked(db, seconds)
    monkeypatch.setattr(outbound.time, "monotonic", transport.monotonic)
    sender = Dispatcher(db, Bus(settings), DispatcherConfig(), mailer=transport).outbound
    assert sender.config.record_within_seconds == 0.02
    # when the mail queue sends them
    assert sender.run() == 4
    # then a fast server's outcomes were recorded together after the batch; a slow one's, each before
    # the next message went (a worker killed then would send one message again, not the batch)
    assert transport.recorded_before == recorded
    assert statuses(db) == ["sent"] * 4
