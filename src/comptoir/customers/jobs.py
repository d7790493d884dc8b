"""customers: periodic work run by the dispatcher (one process at a time)."""

from __future__ import annotations

from comptoir.core.dispatcher import Job
from comptoir.core.settings import Settings
from comptoir.core.uow import UnitOfWork
from comptoir.customers import sessions


def jobs(settings: Settings) -> list[Job]:
    def forget_throttles(uow: UnitOfWork) -> None:
        sessions.forget_idle_throttles(uow)

    return [Job("customers.forget_idle_sign_in_throttles", 3600, forget_throttles)]
