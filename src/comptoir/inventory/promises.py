"""inventory: the pickup promise a shop made at a past moment (for reports comparing it with reality)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from comptoir.core.uow import UnitOfWork
from comptoir.inventory import policies
from comptoir.stores import service as stores


def pickup_promise_at(
    uow: UnitOfWork,
    place_id: str,
    at: datetime,
    *,
    preparation_minutes: int = policies.DEFAULT_PREPARATION_MINUTES,
) -> datetime | None:
    """When an order placed at ``at`` for pickup at ``place_id`` was to be ready, by the same rule as the
    availability answers (:func:`policies.pickup_promise`) and the place's current opening hours; None
    when the place is unknown or never opens again."""
    status = stores.opening_status(uow, [place_id], at).get(place_id)
    if status is None:
        return None
    after_close = None
    if status.open and status.closes_at is not None:
        after = stores.opening_status(uow, [place_id], status.closes_at + timedelta(minutes=1))[place_id]
        after_close = after.next_opening
    promise = policies.pickup_promise(
        at.astimezone(UTC),
        status.open,
        _utc(status.closes_at),
        _utc(status.next_opening),
        preparation_minutes=preparation_minutes,
        next_after_close=_utc(after_close),
    )
    return None if promise is None else promise.ready_by


def _utc(moment: datetime | None) -> datetime | None:
    return None if moment is None else moment.astimezone(UTC)
