"""loyalty: reads for the back office — members per tier, grouped in SQL."""

from __future__ import annotations

from sqlalchemy import func, select

from comptoir.core.types import Schema
from comptoir.core.uow import UnitOfWork
from comptoir.loyalty.models import Account


class TierStats(Schema):
    """Members of one tier (``tier`` None: members without a tier)."""

    tier: str | None
    members: int
    points_balance: int
    lifetime_points: int


def members_by_tier(uow: UnitOfWork) -> list[TierStats]:
    """Live accounts (not merged into another) per tier: how many, their points now and ever earned."""
    query = (
        select(
            Account.tier,
            func.count().label("members"),
            func.coalesce(func.sum(Account.balance), 0).label("balance"),
            func.coalesce(func.sum(Account.lifetime_points), 0).label("lifetime"),
        )
        .where(Account.merged_into.is_(None))
        .group_by(Account.tier)
        .order_by(Account.tier)
    )
    return [
        TierStats(
            tier=r.tier,
            members=int(r.members),
            points_balance=int(r.balance),
            lifetime_points=int(r.lifetime),
        )
        for r in uow.session.execute(query)
    ]
