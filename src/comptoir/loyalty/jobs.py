"""loyalty: periodic work run by the dispatcher (one process at a time).

Expiry is also applied by every write to an account (so a redemption never spends expired points)
and the account view leaves out points already due; the job makes the stored balance, the history
and ``loyalty.points_expired`` events follow the calendar for members who do nothing. It works in
short transactions (1,000 members a minute, about 1.4 million a day, each account locked for a
moment) rather than one long one; ``comptoir loyalty expire`` drains everything due at once.
"""

from __future__ import annotations

from comptoir.core.dispatcher import Job
from comptoir.core.settings import Settings
from comptoir.core.uow import UnitOfWork
from comptoir.loyalty import service


def expire_points(uow: UnitOfWork) -> None:
    service.expire_points(uow, limit=1000)


def review_tiers(uow: UnitOfWork) -> None:
    service.review_tiers(uow, limit=1000)


def jobs(settings: Settings) -> list[Job]:
    return [
        Job("loyalty.expire_points", 60, expire_points),
        Job("loyalty.review_tiers", 600, review_tiers),
    ]
