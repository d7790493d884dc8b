"""inventory: the pickup promise a shop made at a past moment (for reports comparing it with reality)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from comptoir.core.uow import UnitOfWork
from comptoir.inventory import policies
from comptoir.stores import service as stores


def pickup_promises_at(
    uow: UnitOfWork,
    orders: Sequence[tuple[str, datetime]],
    *,
    preparation_minutes: int = policies.DEFAULT_PREPARATION_MINUTES,
) -> list[datetime | None]:
    """For each (pickup place, moment the order was placed): when the order was to be ready, by the same
    rule as the availability answers (:func:`policies.pickup_promise`) and the place's current opening
    hours (one query for every place); None when the place is unknown or never opens again."""
    snapshots = {
        pid: stores.snapshot(p) for pid, p in stores.get_places(uow, {pid for pid, _ in orders}).items()
    }
    out: list[datetime | None] = []
    for place_id, at in orders:
        snap = snapshots.get(place_id)
        if snap is None:
            out.append(None)
            continue
        status = stores.opening_from_snapshot(snap, at)
        after_close = None
        if status.open and status.closes_at is not None:
            after_close = stores.opening_from_snapshot(
                snap, status.closes_at + timedelta(minutes=1)
            ).next_opening
        promise = policies.pickup_promise(
            at.astimezone(UTC),
            status.open,
            _utc(status.closes_at),
            _utc(status.next_opening),
            preparation_minutes=preparation_minutes,
            next_after_close=_utc(after_close),
        )
        out.append(None if promise is None else promise.ready_by)
    return out


def _utc(moment: datetime | None) -> datetime | None:
    return None if moment is None else moment.astimezone(UTC)
