"""orders: periodic work run by the dispatcher (one process at a time)."""

from __future__ import annotations

from comptoir.core.dispatcher import Job
from comptoir.core.settings import Settings
from comptoir.core.uow import UnitOfWork
from comptoir.orders.lifecycle import expire_uncollected
from comptoir.orders.store_sales import cancel_unanswered


def expire_pickups(uow: UnitOfWork) -> None:
    expire_uncollected(uow)


def cancel_unanswered_store_sales(uow: UnitOfWork) -> None:
    """Store sales whose shopper never answered the bank's 3-D Secure challenge give their stock back."""
    cancel_unanswered(uow)


def jobs(settings: Settings) -> list[Job]:
    return [
        Job("orders.expire_uncollected_pickups", 300, expire_pickups),
        Job("orders.cancel_unanswered_store_sales", 60, cancel_unanswered_store_sales),
    ]
