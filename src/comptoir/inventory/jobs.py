"""inventory: periodic work run by the dispatcher (one process at a time)."""

from __future__ import annotations

from comptoir.core.dispatcher import Job
from comptoir.core.settings import Settings
from comptoir.core.uow import UnitOfWork
from comptoir.inventory import service

EXPIRY_BATCH = 500


def release_lapsed_holds(uow: UnitOfWork) -> None:
    """Give back the units of holds whose expiry has passed (up to a batch per run; the next run, a
    minute later at most, takes the rest)."""
    service.expire_due(uow, limit=EXPIRY_BATCH)


def refresh_places(uow: UnitOfWork) -> None:
    """A safety net under the ``stores.place_*`` handler: places created before inventory was deployed,
    or events lost to a restored backup, reach the availability read within the hour."""
    service.sync_places(uow)


def jobs(settings: Settings) -> list[Job]:
    return [
        Job("inventory.release_lapsed_holds", 30, release_lapsed_holds),
        Job("inventory.refresh_places", 3600, refresh_places),
    ]
