"""carts: periodic work run by the dispatcher (one process at a time)."""

from __future__ import annotations

from datetime import timedelta

from comptoir.carts import service
from comptoir.carts.config import CartSettings
from comptoir.core.dispatcher import Job
from comptoir.core.settings import Settings
from comptoir.core.uow import UnitOfWork


def jobs(settings: Settings, cart_settings: CartSettings | None = None) -> list[Job]:
    config = cart_settings or CartSettings()
    idle = timedelta(minutes=config.abandoned_after_minutes)

    def abandon(uow: UnitOfWork) -> None:
        service.abandon_idle(uow, idle, limit=config.abandonment_batch)

    stale = timedelta(days=config.stale_after_days)

    def purge(uow: UnitOfWork) -> None:
        service.purge_stale(uow, stale, limit=config.abandonment_batch)

    return [
        Job("carts.abandon_idle_carts", config.abandonment_check_seconds, abandon),
        Job("carts.purge_stale_carts", config.purge_check_seconds, purge),
    ]
