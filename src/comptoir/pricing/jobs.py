"""pricing: periodic work run by the dispatcher (one process at a time)."""

from __future__ import annotations

from comptoir.core.dispatcher import Job
from comptoir.core.settings import Settings
from comptoir.core.uow import UnitOfWork
from comptoir.pricing import promotions


def announce_promotion_windows(uow: UnitOfWork) -> None:
    """``pricing.promotion_started`` / ``promotion_ended`` when a promotion's dates open or close."""
    promotions.announce_windows(uow)


def jobs(settings: Settings) -> list[Job]:
    return [Job("pricing.announce_promotion_windows", 60, announce_promotion_windows)]
