"""The engagement tests' shared pieces: a real SMTP server (aiosmtpd) catching what the journeys send,
and the orders tests' shop (catalogue, places, stock, Marie signed in on the website)."""

from __future__ import annotations

import email
import email.policy
from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from tests.orders.conftest import marie, rivoli, shop, stocked, web  # noqa: F401 (fixtures)
from tests.support.processes import free_port


class Inbox:
    """What the mail server accepted, parsed."""

    def __init__(self) -> None:
        self.received: list[EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.received.append(parsed)
        return "250 queued"

    def take(self) -> list[EmailMessage]:
        out, self.received = self.received, []
        return out


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    handler, port = Inbox(), free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


def text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())
