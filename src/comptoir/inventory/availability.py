"""Availability: the platform's hottest read. SQLAlchemy Core, no ORM session objects, one round trip.

``nearest_with_stock`` reads, in one query, the stock rows of the SKU that can promise the quantity,
each with its place's version in the place read model. The place itself (name, services, position,
hours) is kept in memory per (place, version): a version not seen yet costs one more query, so a
change to a place shows at once in every process. Distances are computed in Python over those rows
(a network has hundreds of places, not millions). Only the nearest ``limit`` places need their
opening status, kept per place version and minute: the steady state is one query, a loop of
arithmetic and a few dictionary look-ups.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from operator import itemgetter
from typing import Any, NamedTuple, cast

import orjson
from sqlalchemy import Connection, Engine, Table, and_, bindparam, select

from comptoir.core import clock
from comptoir.core.cache import MAX_ENTRIES, BoundedDict
from comptoir.core.db import Database
from comptoir.core.errors import InvalidInput
from comptoir.core.uow import UnitOfWork
from comptoir.inventory import policies
from comptoir.inventory.models import PlaceView, Stock
from comptoir.inventory.schemas import NearestOut, NetworkAvailability, PlaceAvailability
from comptoir.stores import service as stores

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


@dataclass(frozen=True, slots=True)
class _Place:
    """A place as of one version of inventory's read model: what the answer shows of it, its position
    ready for distances, its hours. Rows of the read model change only with a new version."""

    code: str
    name: str
    kind: str
    services: tuple[str, ...]
    service_list: list[str]  # the same, as the answer shows it (never changed)
    point: policies.GeoPoint
    hours: _Hours


class _Opening(NamedTuple):
    """A place's opening status at one minute and its pickup promise plan for one preparation time
    (in UTC, compared with the request's time), with the place's entry in the answer as far as it is
    known then: an answer copies it and fills in the stock, the distance and the promise."""

    plan: policies.PromisePlan
    entry: dict[str, Any]


class _PlaceCache:
    """Places per (place, version); opening answers per (place, version, minute, preparation).
    Thread-safe enough without a lock: a race computes the same value twice."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self.places: BoundedDict[tuple[str, int], _Place] = BoundedDict(max_entries)
        self.openings: BoundedDict[tuple[str, int, int, int], _Opening] = BoundedDict(max_entries)

    def opening(self, place: _Place, version: int, minute: int, preparation: int) -> _Opening:
        """The status at the start of ``minute`` (minutes since the epoch)."""
        hours = place.hours
        key = (hours.place_id, version, minute, preparation)
        found = self.openings.get(key)
        if found is None:
            at = datetime.fromtimestamp(minute * 60, UTC)
            status = stores.opening_from_snapshot(hours, at)
            after_close = None
            if status.open and status.closes_at is not None:
                after = stores.opening_from_snapshot(hours, status.closes_at + timedelta(minutes=1))
                after_close = after.next_opening
            plan = policies.promise_plan(
                status.open,
                _utc(status.closes_at),
                _utc(status.next_opening),
                preparation_minutes=preparation,
                next_after_close=_utc(after_close),
            )
            entry = {
                "place_id": hours.place_id,
                "code": place.code,
                "name": place.name,
                "kind": place.kind,
                "distance_km": None,
                "available": None,
                "on_hand": None,
                "location": None,
                "services": place.service_list,
                "open_now": status.open,
                "next_opening": status.next_opening,
                "closes_at": status.closes_at,
                "pickup": None,
            }
            found = self.openings.put(key, _Opening(plan, entry))
        return found

    def load(self, conn: Connection, wanted: set[tuple[str, int]]) -> dict[str, _Place]:
        """Reads the places of ``wanted`` not cached yet (one query); returns them by id, at the
        version read now (newer than wanted if the place changed in between)."""
        missing = wanted - self.places.keys()
        if not missing:
            return {}
        loaded: dict[str, _Place] = {}
        for r in conn.execute(_PLACES, {"ids": sorted({pid for pid, _ in missing})}):
            loaded[r.place_id] = _Place(
                code=r.code,
                name=r.name,
                kind=r.kind,
                services=tuple(s for s in r.services.split(",") if s),
                service_list=[s for s in r.services.split(",") if s],
                point=policies.GeoPoint.of(r.latitude, r.longitude),
                hours=_Hours(
                    r.place_id, r.timezone, r.status, r.weekly_hours, r.reserved_hours, r.special_days
                ),
            )
            self.places.put((r.place_id, r.version), loaded[r.place_id])
        return loaded


CACHE = _PlaceCache()


_PLACES = select(
    P.c.place_id,
    P.c.code,
    P.c.name,
    P.c.kind,
    P.c.services,
    P.c.latitude,
    P.c.longitude,
    P.c.timezone,
    P.c.status,
    P.c.weekly_hours,
    P.c.reserved_hours,
    P.c.special_days,
    P.c.version,
).where(P.c.place_id.in_(bindparam("ids", expanding=True)))

# Built once: constructing a Core statement per request cost more than running it. The place's own
# fields come from the cache, by the version read here.
_NEAREST = (
    select(
        S.c.place_id,
        P.c.version,
        S.c.on_hand,
        S.c.reserved,
        S.c.safety_stock,
        S.c.aisle,
        S.c.shelf,
        S.c.bin,
    )
    .join(P, P.c.place_id == S.c.place_id)
    .where(
        S.c.sku == bindparam("sku"),
        S.c.on_hand - S.c.reserved - S.c.safety_stock >= bindparam("qty"),
        P.c.status != "permanently_closed",
    )
)
# Positions in a row of ``_NEAREST``.
_PLACE_ID, _VERSION, _ON_HAND, _RESERVED, _SAFETY, _AISLE, _SHELF, _BIN = range(8)


def _location(row: Sequence[Any]) -> dict[str, str] | None:
    aisle, shelf, bin_ = row[_AISLE], row[_SHELF], row[_BIN]
    if not (aisle or shelf or bin_):
        return None
    return {"aisle": aisle or "", "shelf": shelf or "", "bin": bin_ or ""}


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


def _utc(moment: datetime | None) -> datetime | None:
    return None if moment is None else moment.astimezone(UTC)


def _promise(opening: _Opening, now: datetime) -> dict[str, Any] | None:
    promise = policies.promise_at(opening.plan, now)
    if promise is None:
        return None
    return {"kind": promise.kind, "ready_by": promise.ready_by, "minutes": promise.minutes}


def _candidates(
    found: Sequence[Sequence[Any]],
    kinds: Sequence[str],
    service: str | None,
    loaded: dict[str, _Place] | None = None,
) -> list[tuple[Sequence[Any], _Place]] | None:
    """The stock rows whose place is of the wanted kinds and offers ``service``, with their place;
    ``None`` when a place is not cached (unless ``loaded`` gives it: the place at the version just
    read, when it changed between the two reads)."""
    cached = CACHE.places
    out = []
    for r in found:
        place = cached.get((r[_PLACE_ID], r[_VERSION]))
        if place is None:
            if loaded is None:
                return None
            place = loaded.get(r[_PLACE_ID])
            if place is None:  # gone from the read model between the two reads
                continue
        if place.kind in kinds and (service is None or service in place.services):
            out.append((r, place))
    return out


def nearest_document(
    conn: Connection | None,
    sku: str,
    *,
    rows: Sequence[Sequence[Any]] | None = None,
    engine: Engine | None = None,
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
) -> dict[str, Any]:
    """The answer of :func:`nearest_with_stock` as a JSON-ready dict, on a bare connection (the route's
    hot path: no session, no schema objects)."""
    if quantity < 1:
        raise InvalidInput("quantity must be at least 1.", field="quantity")
    if at is not None and at.tzinfo is None:
        raise InvalidInput("Give the time with its offset.", field="at")
    origin_lat, origin_lon = origin_of(lat, lon, postcode)
    now = (at or clock.now()).astimezone(UTC)
    found: Sequence[Sequence[Any]]
    if rows is not None:
        found = rows
    else:
        assert conn is not None
        found = conn.execute(_NEAREST, {"sku": sku, "qty": quantity}).all()
    candidates = _candidates(found, kinds, service)
    if candidates is None:  # a place (or a version of it) not read yet
        wanted = {(r[_PLACE_ID], r[_VERSION]) for r in found}
        if conn is not None:
            loaded = CACHE.load(conn, wanted)
        else:
            assert engine is not None
            with engine.connect() as fresh:
                loaded = CACHE.load(fresh, wanted)
        candidates = _candidates(found, kinds, service, loaded)
        assert candidates is not None
    distances = policies.distances_km(
        policies.GeoPoint.of(origin_lat, origin_lon), [place.point for _, place in candidates]
    )
    scored = [
        (distance, r[_PLACE_ID], r, place)
        for distance, (r, place) in zip(distances, candidates, strict=True)
        if max_km is None or distance <= max_km
    ]
    scored.sort(key=itemgetter(0, 1))  # by distance, then place id
    minute = int(now.timestamp() // 60)
    places = []
    for distance, _, r, place in scored[:limit]:
        status = CACHE.opening(place, r[_VERSION], minute, preparation_minutes)
        entry = status.entry.copy()
        entry["distance_km"] = round(distance, 3)
        entry["available"] = policies.available_to_promise(r[_ON_HAND], r[_RESERVED], r[_SAFETY])
        entry["on_hand"] = r[_ON_HAND]
        entry["location"] = _location(r)
        entry["pickup"] = _promise(status, now)
        places.append(entry)
    return {
        "sku": sku,
        "quantity": quantity,
        "origin_latitude": origin_lat,
        "origin_longitude": origin_lon,
        "places": places,
    }


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
    document = nearest_document(
        uow.session.connection(),
        sku,
        quantity=quantity,
        lat=lat,
        lon=lon,
        postcode=postcode,
        limit=limit,
        service=service,
        kinds=kinds,
        max_km=max_km,
        at=at,
        preparation_minutes=preparation_minutes,
    )
    return NearestOut.model_validate(document)


def _reader_engine(db: Database) -> Engine:
    """The engine places missing from the cache are read through (SQLite: no write lock)."""
    engine: Engine = db.reader.kw["bind"]
    return engine


def _checked_quantity(options: dict[str, Any]) -> int:
    quantity = int(options.get("quantity", 1))
    if quantity < 1:
        raise InvalidInput("quantity must be at least 1.", field="quantity")
    return quantity


def _json(sku: str, rows: list[tuple[Any, ...]], engine: Engine, options: dict[str, Any]) -> bytes:
    document = nearest_document(None, sku, rows=rows, engine=engine, **options)
    return orjson.dumps(document, option=orjson.OPT_UTC_Z)


async def nearest_json(db: Database, sku: str, **options: Any) -> bytes:
    """:func:`nearest_document` as JSON bytes, for the ``async`` HTTP route: the stock rows are read
    without blocking the event loop (:meth:`Database.read_rows_async`)."""
    params = {"sku": sku, "qty": _checked_quantity(options)}
    return _json(sku, await db.read_rows_async(_NEAREST, params), _reader_engine(db), options)


def nearest_json_sync(db: Database, sku: str, **options: Any) -> bytes:
    """:func:`nearest_json` from a thread (in-process callers, benchmarks)."""
    params = {"sku": sku, "qty": _checked_quantity(options)}
    return _json(sku, db.read_rows(_NEAREST, params), _reader_engine(db), options)


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
