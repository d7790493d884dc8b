"""A worker killed with SIGKILL in the middle of sending the journeys' e-mails loses none: another worker
sends the rest, and a message goes out twice only when the kill fell between the mail server's acceptance
and its record — then under the same Message-ID (counted here at the server)."""

from __future__ import annotations

import asyncio
import email
import email.policy
import os
import signal
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller
from argon2 import PasswordHasher
from sqlalchemy import select

from comptoir.appointments import service as appointments
from comptoir.appointments.schemas import BookIn, SlotIn
from comptoir.core import clock, staff
from comptoir.core.context import Actor
from comptoir.core.db import Base, Database
from comptoir.core.uow import UnitOfWork
from comptoir.customers import service as customers
from comptoir.customers.schemas import CustomerRecord
from comptoir.domains import load_models
from comptoir.engagement.models import Message
from tests.appointments.conftest import RIVOLI, build
from tests.conftest import create_empty_database, drop_database
from tests.support.processes import comptoir_env, free_port, start, stop

CUSTOMERS = 40


class SlowInbox:
    """A mail server taking 40 ms to accept each message, counting the Message-IDs it accepted."""

    def __init__(self) -> None:
        self.accepted: list[str] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        await asyncio.sleep(0.04)
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.accepted.append(str(parsed["Message-ID"]))
        return "250 queued"


def _book_everyone(db: Database) -> None:
    """40 customers, each with an appointment at a different free time (40 confirmations to send)."""
    retailer = build(db)
    with UnitOfWork(db, read_only=True) as uow:
        query = appointments.SlotQuery(
            service_id=retailer.styling,
            first_day=clock.now().date() + timedelta(days=2),
            days=20,
            place_ids=(RIVOLI,),
        )
        found = appointments.search_slots(uow, query, "web", clock.now())
    (place,) = found.places
    starts = [f"{day.date.isoformat()}T{hhmm}" for day in place.days for hhmm in day.times][::4][:CUSTOMERS]
    assert len(starts) == CUSTOMERS
    for n, local in enumerate(starts):
        with UnitOfWork(db) as uow:
            customer = customers.ingest(
                uow,
                "web",
                CustomerRecord(given_name=f"Client{n}", email=f"client{n}@example.fr", locale="fr_FR"),
            ).customer_id
            uow.commit()
        actor = Actor(
            key_id=None, channel="web", scopes=frozenset({"*"}), customer_id=customer, kind="customer"
        )
        at = datetime.fromisoformat(local).replace(tzinfo=ZoneInfo(place.timezone))
        with UnitOfWork(db, actor) as uow:
            slot = SlotIn(service_id=retailer.styling, place_id=RIVOLI, starts_at=at, language="fr")
            appointments.book(uow, BookIn(slot=slot))
            uow.commit()


def _statuses(db: Database) -> Counter[str]:
    with UnitOfWork(db, read_only=True) as uow:
        return Counter(uow.session.scalars(select(Message.status).where(Message.step == "confirmation")))


def _references(db: Database) -> set[str]:
    with UnitOfWork(db, read_only=True) as uow:
        return set(uow.session.scalars(select(Message.reference).where(Message.step == "confirmation")))


def _wait(condition: Any, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


@pytest.mark.postgres
@pytest.mark.slow
def test_a_worker_killed_while_sending_loses_no_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(staff, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
    load_models()
    url = create_empty_database("postgresql", tmp_path)
    inbox, port = SlowInbox(), free_port()
    server = Controller(inbox, hostname="127.0.0.1", port=port)
    server.start()
    workers: list[Any] = []
    try:
        db = Database(url, pool_size=2)
        Base.metadata.create_all(db.engine)
        # Given 40 customers who just booked: 40 confirmations to send
        _book_everyone(db)
        env = comptoir_env(
            url, COMPTOIR_MAIL_URL=f"smtp://127.0.0.1:{port}", COMPTOIR_SMS_URL=f"sandbox://{tmp_path}/sms"
        )
        launcher = ("tests.support.engagement_worker",)
        # When a worker sends them and is killed with SIGKILL once the server accepted a dozen
        workers.append(start([], env, tmp_path / "worker1.log", launcher=launcher))
        assert _wait(lambda: len(inbox.accepted) >= 12, 90), (tmp_path / "worker1.log").read_text()[-3000:]
        os.kill(workers[0].pid, signal.SIGKILL)
        workers[0].wait(timeout=10)
        at_kill = len(inbox.accepted)
        assert at_kill < CUSTOMERS  # killed in the middle
        # and another worker takes over
        workers.append(start([], env, tmp_path / "worker2.log", launcher=launcher))
        assert _wait(lambda: _statuses(db) == Counter({"sent": CUSTOMERS}), 90), (
            _statuses(db),
            (tmp_path / "worker2.log").read_text()[-3000:],
        )
        # Then every confirmation reached the server, under its own Message-ID
        references = _references(db)
        assert len(references) == CUSTOMERS
        assert set(inbox.accepted) == references
        # and one went twice at most (the one in flight at the kill), with the same Message-ID
        twice = [mid for mid, n in Counter(inbox.accepted).items() if n > 1]
        assert len(inbox.accepted) - len(references) == len(twice) <= 1
        db.dispose()
    finally:
        for worker in workers:
            if worker.poll() is None:
                stop(worker)
        server.stop()
        drop_database(url)
