"""engagement: periodic work run by the dispatcher (one process at a time)."""

from __future__ import annotations

from comptoir.core.dispatcher import Job
from comptoir.core.settings import Settings
from comptoir.core.uow import UnitOfWork
from comptoir.engagement import sending


def jobs(settings: Settings) -> list[Job]:
    def send(uow: UnitOfWork) -> None:
        # Its own transactions: the decisions commit before any SMS or push is sent.
        sending.send_due(uow.db, settings)

    return [Job(name="engagement.send_due", every_seconds=30, run=send)]
