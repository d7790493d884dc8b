"""appointments: periodic work run by the dispatcher (one process at a time)."""

from __future__ import annotations

from comptoir.appointments import service
from comptoir.core.dispatcher import Job
from comptoir.core.settings import Settings
from comptoir.core.uow import UnitOfWork


def _expire(uow: UnitOfWork) -> None:
    service.expire_holds(uow)


def jobs(settings: Settings) -> list[Job]:
    return [Job(name="appointments.expire_holds", every_seconds=60, run=_expire)]
