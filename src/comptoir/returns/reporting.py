"""returns: reads for the back office's dashboard — returns by reason, grouped in SQL."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import func, select

from comptoir.core.types import Schema
from comptoir.core.uow import UnitOfWork
from comptoir.returns.models import Return, ReturnLine

COUNTED = ("requested", "received", "refunded")  # refused and cancelled returns are not returns


class ReasonCount(Schema):
    reason: str
    returns: int
    units: int


def returns_by_reason(
    uow: UnitOfWork, since: datetime, until: datetime, shops: Collection[str] | None = None
) -> list[ReasonCount]:
    """Returns started in ``[since, until)`` (not refused nor cancelled) by reason: how many returns name
    it and how many units; ``shops`` keeps those returned to these shops. Most units first."""
    units = func.sum(ReturnLine.quantity).label("units")
    query = (
        select(ReturnLine.reason, func.count(func.distinct(Return.id)).label("returns"), units)
        .join(Return, Return.id == ReturnLine.return_id)
        .where(Return.created_at >= since, Return.created_at < until, Return.status.in_(COUNTED))
        .group_by(ReturnLine.reason)
        .order_by(units.desc(), ReturnLine.reason)
    )
    if shops is not None:
        query = query.where(Return.place_id.in_(sorted(shops)))
    return [
        ReasonCount(reason=r.reason, returns=int(r.returns), units=int(r.units or 0))
        for r in uow.session.execute(query)
    ]
