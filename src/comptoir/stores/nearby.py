"""stores: geography — postcodes to points, and the places nearest to a customer."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select

from comptoir.core.errors import InvalidInput
from comptoir.core.geo import distance_km
from comptoir.core.uow import UnitOfWork
from comptoir.stores import geocode
from comptoir.stores.models import Place
from comptoir.stores.opening import aware, hours_from_row, status_of
from comptoir.stores.places import filtered, to_out
from comptoir.stores.schemas import NearbyPlace, NearestOut


def geocode_postcode(uow: UnitOfWork | None, postcode: str) -> tuple[float, float] | None:
    """(latitude, longitude) of a French postcode from the bundled open data, or None if unknown."""
    point = geocode.lookup(postcode)
    return None if point is None else (point.latitude, point.longitude)


def nearest(
    uow: UnitOfWork,
    *,
    lat: float | None = None,
    lon: float | None = None,
    postcode: str | None = None,
    service: str | None = None,
    open_at: datetime | None = None,
    kinds: Sequence[str] = ("store",),
    limit: int = 10,
    max_km: float | None = None,
    at: datetime | None = None,
) -> NearestOut:
    precision = None
    if lat is not None and lon is not None:
        origin = "point"
    elif postcode:
        point = geocode.lookup(postcode)
        if point is None:
            raise InvalidInput(f"{postcode!r} is not a French postcode we know.", field="postcode")
        lat, lon, origin, precision = point.latitude, point.longitude, "postcode", point.precision
    else:
        raise InvalidInput("Give lat and lon, or a French postcode.", field="postcode")
    when = aware(open_at or at)
    # Distances on (id, lat, lon) only; full rows are read for the nearest candidates, a batch at a time.
    stmt = filtered(
        select(Place.id, Place.latitude, Place.longitude),
        kind=list(kinds),
        service=service,
        status=["open", "temporarily_closed"],
    )
    if max_km is not None:
        dlat = max_km / 111.0
        stmt = stmt.where(Place.latitude.between(lat - dlat, lat + dlat))
    scored = sorted(
        (distance_km(lat, lon, row.latitude, row.longitude), row.id) for row in uow.session.execute(stmt)
    )
    if max_km is not None:
        scored = [(d, i) for d, i in scored if d <= max_km]
    items: list[NearbyPlace] = []
    batch = max(limit, 10) * (3 if open_at is not None else 1)
    for first in range(0, len(scored), batch):
        chunk = scored[first : first + batch]
        rows = {
            row.id: row
            for row in uow.session.execute(select(Place.__table__).where(Place.id.in_([i for _, i in chunk])))
        }
        for distance, place_id in chunk:
            row = rows[place_id]
            status = status_of(row.id, hours_from_row(row), when, None)
            if open_at is not None and not status.open:
                continue
            items.append(
                NearbyPlace(
                    place=to_out(row),
                    distance_km=round(distance, 3),
                    open_now=status.open,
                    next_opening=status.next_opening,
                    closes_at=status.closes_at,
                )
            )
            if len(items) >= limit:
                break
        if len(items) >= limit:
            break
    return NearestOut(
        origin_latitude=lat, origin_longitude=lon, origin=origin, postcode_precision=precision, items=items
    )


def nearest_places(
    uow: UnitOfWork,
    *,
    lat: float | None = None,
    lon: float | None = None,
    postcode: str | None = None,
    service: str | None = None,
    open_at: datetime | None = None,
    kinds: Sequence[str] = ("store",),
    limit: int = 10,
    max_km: float | None = None,
) -> list[NearbyPlace]:
    """Places nearest to a point or a French postcode, by great-circle distance; permanently closed places
    are left out; with ``open_at`` only places open then (and ``open_now`` is about that time)."""
    return nearest(
        uow,
        lat=lat,
        lon=lon,
        postcode=postcode,
        service=service,
        open_at=open_at,
        kinds=kinds,
        limit=limit,
        max_km=max_km,
    ).items
