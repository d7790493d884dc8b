"""Events and handlers used only by the kernel's tests (and the worker-kill test's plugin)."""

from __future__ import annotations

import os
import time
from typing import ClassVar

from sqlalchemy import text

from comptoir.core.events import Bus, DomainEvent
from comptoir.core.uow import UnitOfWork


class ParcelShipped(DomainEvent):
    event_type: ClassVar[str] = "testing.parcel_shipped"
    parcel_id: str
    weight_grams: int = 0


EFFECTS_DDL = (
    "CREATE TABLE IF NOT EXISTS test_effects (event_id VARCHAR(40) NOT NULL, handler VARCHAR(40) NOT NULL)"
)


def record_effect(uow: UnitOfWork, event: ParcelShipped) -> None:
    """A handler whose effect is a row: exactly-once delivery means exactly one row per event.

    ``COMPTOIR_TEST_HANDLER_SECONDS`` slows it down so a test can kill a worker in the middle of a batch.
    """
    delay = float(os.environ.get("COMPTOIR_TEST_HANDLER_SECONDS", "0"))
    if delay:
        time.sleep(delay)
    uow.session.execute(
        text("INSERT INTO test_effects (event_id, handler) VALUES (:e, 'effect')"), {"e": event.event_id}
    )


def register(bus: Bus) -> None:
    bus.subscribe(ParcelShipped, record_effect, name="tests.record_effect")
