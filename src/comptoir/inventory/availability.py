"""Availability: the platform's hottest read. SQLAlchemy Core, no ORM session objects, one round trip.

``nearest_with_stock`` reads, in one query, the stock rows of the SKU that can promise the quantity,
joined to the place read model's short fields (position, kind, services, status, version). Distances
are computed in Python over those rows (a network has hundreds of places, not millions). Only the
nearest ``limit`` places need their opening status: their hours are parsed once per place version
and the answer kept per minute, so the steady state is one query and a few dictionary look-ups; a
place whose version is not cached yet costs one more query.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, and_, select

from comptoir.core import clock
from comptoir.core.errors import InvalidInput
from comptoir.core.uow import UnitOfWork
from comptoir.inventory import policies
from comptoir.inventory.models import PlaceView, Stock
from comptoir.inventory.schemas import (
    Location,
    NearestOut,
    NetworkAvailability,
    PickupPromise,
    PlaceAvailability,
)
from comptoir.stores import service as stores
from comptoir.stores.schemas import OpeningStatus

S: Table = cast(Table, Stock.__table__)
P: Table = cast(Table, PlaceView.__table__)
DELIVERY_SERVICE = "ship_from_store"
LIVE_STATUSES = ("open", "temporarily_closed")


@dataclass(frozen=True)
class _Hours:
    """The fields ``stores.opening_from_snapshot`` reads."""

    place_id: str
    timezone: str
    status: str
    weekly_hours: str
    reserved_hours: str
    special_days: str


class _OpeningCache:
    """Opening answers per (place, version, minute); hours per (place, version). Thread-safe enough:
    a race computes the same value twice."""

    def __init__(self, max_entries: int = 20_000) -> None:
        self.max_entries = max_entries
        self.hours: dict[tuple[str, int], _Hours] = {}
        self.status: dict[tuple[str, int, int, int], OpeningStatus] = {}
        self.lock = threading.Lock()

    def clear(self) -> None:
        with self.lock:
            self.hours.clear()
            self.status.clear()

    def opening(self, hours: _Hours, version: int, at: datetime) -> OpeningStatus:
        minute = int(at.timestamp() // 60)
        key = (hours.place_id, version, minute, 0)
        found = self.status.get(key)
        if found is None:
            found = stores.opening_from_snapshot(hours, at.replace(second=0, microsecond=0))
            if len(self.status) >= self.max_entries:
                self.status.clear()
            self.status[key] = found
        return found


CACHE = _OpeningCache()


def _load_hours(uow: UnitOfWork, wanted: list[tuple[str, int]]) -> None:
    missing = [key for key in wanted if key not in CACHE.hours]
    if not missing:
        return
    rows = uow.session.execute(
        select(
            P.c.place_id,
            P.c.timezone,
            P.c.status,
            P.c.weekly_hours,
            P.c.reserved_hours,
            P.c.special_days,
            P.c.version,
        ).where(P.c.place_id.in_(sorted({pid for pid, _ in missing})))
    ).all()
    for r in rows:
        CACHE.hours[(r.place_id, r.version)] = _Hours(
            r.place_id, r.timezone, r.status, r.weekly_hours, r.reserved_hours, r.special_days
        )


def _location(row: Any) -> Location | None:
    if not (row.aisle or row.shelf or row.bin):
        return None
    return Location(aisle=row.aisle or "", shelf=row.shelf or "", bin=row.bin or "")


def origin_of(lat: float | None, lon: float | None, postcode: str | None) -> tuple[float, float]:
    if lat is not None and lon is not None:
        if not (-90 <= lat <= 90):
            raise InvalidInput("lat must be between -90 and 90.", field="lat")
        if not (-180 <= lon <= 180):
            raise InvalidInput("lon must be between -180 and 180.", field="lon")
        return lat, lon
    if postcode:
        point = stores.geocode_postcode(None, postcode)
        if point is None:
            raise InvalidInput(f"{postcode!r} is not a French postcode we know.", field="postcode")
        return point
    raise InvalidInput("Give lat and lon, or a French postcode.", field="postcode")


def _promise(
    hours: _Hours, version: int, status: OpeningStatus, now: datetime, preparation: int
) -> PickupPromise | None:
    after_close = None
    if (
        status.open
        and status.closes_at is not None
        and now + timedelta(minutes=preparation) > status.closes_at
    ):
        after_close = CACHE.opening(hours, version, status.closes_at + timedelta(minutes=1)).next_opening
    promise = policies.pickup_promise(
        now,
        status.open,
        status.closes_at,
        status.next_opening,
        preparation_minutes=preparation,
        next_after_close=after_close,
    )
    return (
        None
        if promise is None
        else PickupPromise(kind=promise.kind, ready_by=promise.ready_by, minutes=promise.minutes)
    )


def nearest_with_stock(
    uow: UnitOfWork,
    sku: str,
    *,
    quantity: int = 1,
    lat: float | None = None,
    lon: float | None = None,
    postcode: str | None = None,
    limit: int = 5,
    service: str | None = None,
    kinds: Sequence[str] = ("store",),
    max_km: float | None = None,
    at: datetime | None = None,
    preparation_minutes: int = policies.DEFAULT_PREPARATION_MINUTES,
) -> NearestOut:
    """The ``limit`` places nearest to a point or postcode that can promise ``quantity`` units of
    ``sku``, with their shelf location, services, open status and pickup promise."""
    if quantity < 1:
        raise InvalidInput("quantity must be at least 1.", field="quantity")
    if at is not None and at.tzinfo is None:
        raise InvalidInput("Give the time with its offset.", field="at")
    origin_lat, origin_lon = origin_of(lat, lon, postcode)
    now = at or clock.now()
    rows = uow.session.execute(
        select(
            S.c.place_id,
            S.c.on_hand,
            S.c.reserved,
            S.c.safety_stock,
            S.c.aisle,
            S.c.shelf,
            S.c.bin,
            P.c.code,
            P.c.kind,
            P.c.name,
            P.c.services,
            P.c.latitude,
            P.c.longitude,
            P.c.version,
        )
        .join(P, P.c.place_id == S.c.place_id)
        .where(
            S.c.sku == sku,
            S.c.on_hand - S.c.reserved - S.c.safety_stock >= quantity,
            P.c.kind.in_(list(kinds)),
            P.c.status.in_(LIVE_STATUSES),
        )
    ).all()
    scored = []
    for r in rows:
        if service is not None and service not in r.services.split(","):
            continue
        distance = policies.distance_km(origin_lat, origin_lon, r.latitude, r.longitude)
        if max_km is None or distance <= max_km:
            scored.append((distance, r.place_id, r))
    scored.sort(key=lambda item: (item[0], item[1]))
    chosen = scored[:limit]
    _load_hours(uow, [(r.place_id, r.version) for _, _, r in chosen])
    places = []
    for distance, place_id, r in chosen:
        hours = CACHE.hours.get((place_id, r.version))
        status = None if hours is None else CACHE.opening(hours, r.version, now)
        places.append(
            PlaceAvailability(
                place_id=place_id,
                code=r.code,
                name=r.name,
                kind=r.kind,
                distance_km=round(distance, 3),
                available=policies.available_to_promise(r.on_hand, r.reserved, r.safety_stock),
                on_hand=r.on_hand,
                location=_location(r),
                services=[s for s in r.services.split(",") if s],
                open_now=None if status is None else status.open,
                next_opening=None if status is None else status.next_opening,
                closes_at=None if status is None else status.closes_at,
                pickup=None
                if status is None or hours is None
                else _promise(hours, r.version, status, now, preparation_minutes),
            )
        )
    return NearestOut(
        sku=sku, quantity=quantity, origin_latitude=origin_lat, origin_longitude=origin_lon, places=places
    )


def network_availability(uow: UnitOfWork, skus: Sequence[str]) -> list[NetworkAvailability]:
    """What can be promised for home delivery: warehouses and stores offering ship-from-store, per SKU
    (one query)."""
    wanted = sorted(set(skus))
    if not wanted:
        return []
    rows = uow.session.execute(
        select(
            S.c.sku,
            S.c.place_id,
            S.c.on_hand,
            S.c.reserved,
            S.c.safety_stock,
            S.c.aisle,
            S.c.shelf,
            S.c.bin,
            P.c.code,
            P.c.kind,
            P.c.name,
            P.c.services,
        )
        .join(P, P.c.place_id == S.c.place_id)
        .where(
            S.c.sku.in_(wanted),
            P.c.status == "open",
            and_(S.c.on_hand - S.c.reserved - S.c.safety_stock > 0),
        )
        .order_by(S.c.sku, S.c.place_id)
    ).all()
    by_sku: dict[str, list[PlaceAvailability]] = {sku: [] for sku in wanted}
    for r in rows:
        services = [s for s in r.services.split(",") if s]
        if r.kind != "warehouse" and DELIVERY_SERVICE not in services:
            continue
        by_sku[r.sku].append(
            PlaceAvailability(
                place_id=r.place_id,
                code=r.code,
                name=r.name,
                kind=r.kind,
                available=policies.available_to_promise(r.on_hand, r.reserved, r.safety_stock),
                on_hand=r.on_hand,
                location=None,
                services=services,
            )
        )
    return [
        NetworkAvailability(sku=sku, available=sum(p.available for p in places), places=places)
        for sku, places in by_sku.items()
    ]
