"""returns: periodic work run by the dispatcher (one process at a time)."""

from __future__ import annotations

from comptoir.core.dispatcher import Job
from comptoir.core.settings import Settings
from comptoir.core.uow import UnitOfWork
from comptoir.returns import service


def _expire(uow: UnitOfWork) -> None:
    service.expire_unsent(uow)


def jobs(settings: Settings) -> list[Job]:
    return [Job(name="returns.expire_unsent", every_seconds=3600, run=_expire)]
