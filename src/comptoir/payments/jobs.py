"""payments: periodic work run by the dispatcher (one process at a time)."""

from __future__ import annotations

from comptoir.core.dispatcher import Job
from comptoir.core.settings import Settings
from comptoir.core.uow import UnitOfWork
from comptoir.payments import compensation


def _void_abandoned(uow: UnitOfWork) -> None:
    compensation.void_abandoned_authorisations(uow)


def jobs(settings: Settings) -> list[Job]:
    return [Job(name="payments.void_abandoned_authorisations", every_seconds=60, run=_void_abandoned)]
