"""loyalty: periodic work run by the dispatcher (one process at a time).

Expiry is also applied by every write to an account (so a redemption never spends expired points);
the job makes balances, histories and ``loyalty.points_expired`` events follow the calendar for
members who do nothing.
"""

from __future__ import annotations

from comptoir.core.dispatcher import Job
from comptoir.core.settings import Settings
from comptoir.core.uow import UnitOfWork
from comptoir.loyalty import service


def expire_points(uow: UnitOfWork) -> None:
    service.expire_points(uow)


def review_tiers(uow: UnitOfWork) -> None:
    service.review_tiers(uow)


def jobs(settings: Settings) -> list[Job]:
    return [
        Job("loyalty.expire_points", 900, expire_points),
        Job("loyalty.review_tiers", 3600, review_tiers),
    ]
