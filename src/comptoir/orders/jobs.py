"""orders: periodic work run by the dispatcher (one process at a time)."""

from __future__ import annotations

from comptoir.core.dispatcher import Job
from comptoir.core.settings import Settings
from comptoir.core.uow import UnitOfWork
from comptoir.orders.lifecycle import expire_uncollected


def expire_pickups(uow: UnitOfWork) -> None:
    expire_uncollected(uow)


def jobs(settings: Settings) -> list[Job]:
    return [Job("orders.expire_uncollected_pickups", 300, expire_pickups)]
