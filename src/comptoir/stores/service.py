"""The stores domain's operations — and its public interface for other domains.

Other domains call (all return schemas from :mod:`comptoir.stores.schemas`):

* ``get_place(uow, place_id) -> PlaceOut`` and ``get_places(uow, ids) -> dict[str, PlaceOut]``;
* ``list_places(uow, kind=, service=, status=, region=, department=, cursor=, limit=) -> Page[PlaceOut]``;
* ``nearest_places(uow, lat=, lon= | postcode=, service=, open_at=, kinds=, limit=) -> list[NearbyPlace]``;
* ``opening_status(uow, place_ids, at) -> dict[str, OpeningStatus]`` (one query, no ORM);
* ``opening_from_snapshot(snapshot, at) -> OpeningStatus`` (from a ``stores.place_*`` event alone);
* ``geocode_postcode(uow_or_none, postcode) -> (lat, lon) | None`` (French postcodes, offline).

Every change records ``stores.place_created``/``stores.place_changed`` with a full snapshot and one
``stores.published_to_<channel>`` per channel (see :mod:`comptoir.stores.publishing`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from comptoir.core import clock
from comptoir.core.errors import Conflict, Forbidden, InvalidInput, check_version, not_found
from comptoir.core.ids import new_id
from comptoir.core.pagination import Page, paginate
from comptoir.core.uow import UnitOfWork
from comptoir.stores import channels, geocode, policies, publishing
from comptoir.stores.events import PlaceChanged, PlaceCreated
from comptoir.stores.models import Place
from comptoir.stores.schemas import (
    AddressOut,
    Audience,
    CloseIn,
    DayOut,
    HoursIn,
    NearbyPlace,
    NearestOut,
    OpeningOut,
    OpeningStatus,
    PlaceIn,
    PlaceOut,
    PlacePatch,
    PlaceSnapshot,
    ReservedSpan,
    SpecialDayIn,
    SpecialDayOut,
    TimeRange,
    WeekOut,
)

ID_PREFIX = {"store": "st", "warehouse": "wh", "pickup_point": "pp"}
DEFAULT_TIMEZONE = "Europe/Paris"


# -- reading rows -----------------------------------------------------------------------------------------


def to_out(row: Any) -> PlaceOut:
    """A ``Place`` (ORM object or Core row with the same column names) as the public schema."""
    return PlaceOut(
        id=row.id,
        code=row.code,
        kind=row.kind,
        name=row.name,
        status=row.status,
        status_reason=row.status_reason,
        status_since=row.status_since,
        address=AddressOut(
            lines=list(row.address_lines),
            postal_code=row.postal_code,
            locality=row.locality,
            region=row.region,
            country_code=row.country_code,
        ),
        department=row.department,
        latitude=row.latitude,
        longitude=row.longitude,
        phone=row.phone,
        email=row.email,
        manager=row.manager,
        website_url=row.website_url,
        timezone=row.timezone,
        services=[s for s in row.services.split(",") if s],
        attributes=list(row.attributes),
        hours=HoursIn.model_validate({"weekly": row.weekly, "reserved": row.reserved}),
        special_days=[SpecialDayOut.model_validate(d) for d in row.special_days],
        version=row.version,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def snapshot(place: PlaceOut) -> PlaceSnapshot:
    hours = channels.hours_of(place)
    return PlaceSnapshot(
        place_id=place.id,
        code=place.code,
        kind=place.kind,
        name=place.name,
        status=place.status,
        services=list(place.services),
        latitude=place.latitude,
        longitude=place.longitude,
        postcode=place.address.postal_code,
        locality=place.address.locality,
        region=place.address.region,
        department=place.department,
        country=place.address.country_code,
        timezone=place.timezone,
        phone=place.phone,
        email=place.email,
        weekly_hours=policies.format_weekly(hours.weekly),
        reserved_hours=policies.format_reserved(hours.reserved),
        special_days=policies.format_special(hours.special.values()),
        version=place.version,
    )


def _load(uow: UnitOfWork, place_id: str) -> Place:
    row = uow.session.get(Place, place_id)
    if row is None:
        raise not_found("Place", place_id)
    return row


def _may_change(uow: UnitOfWork, place_id: str) -> None:
    if not policies.may_change_place(uow.actor.store_id, place_id):
        raise Forbidden(f"This key is bound to store {uow.actor.store_id}; it cannot change {place_id}.")


def get_place(uow: UnitOfWork, place_id: str) -> PlaceOut:
    return to_out(_load(uow, place_id))


def get_places(uow: UnitOfWork, ids: Iterable[str]) -> dict[str, PlaceOut]:
    """The places among ``ids`` that exist, in one query (unknown ids are left out)."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    rows = uow.session.execute(select(Place.__table__).where(Place.id.in_(wanted))).all()
    return {row.id: to_out(row) for row in rows}


def _filtered(
    stmt: Any,
    *,
    kind: str | Sequence[str] | None = None,
    service: str | None = None,
    status: str | Sequence[str] | None = None,
    region: str | None = None,
    department: str | None = None,
) -> Any:
    if kind:
        stmt = stmt.where(Place.kind.in_([kind] if isinstance(kind, str) else list(kind)))
    if service:
        stmt = stmt.where(Place.services.like(f"%,{service},%"))
    if status:
        stmt = stmt.where(Place.status.in_([status] if isinstance(status, str) else list(status)))
    if region:
        stmt = stmt.where(Place.region == region)
    if department:
        stmt = stmt.where(Place.department == department)
    return stmt


def list_places(
    uow: UnitOfWork,
    *,
    kind: str | None = None,
    service: str | None = None,
    status: str | None = None,
    region: str | None = None,
    department: str | None = None,
    cursor: str | None = None,
    limit: int = 200,
) -> Page[PlaceOut]:
    stmt = _filtered(
        select(Place), kind=kind, service=service, status=status, region=region, department=department
    )
    return paginate(uow.session, stmt, Place.id, cursor=cursor, limit=limit, convert=to_out)


def all_places(uow: UnitOfWork, *, kind: str | Sequence[str] | None = None) -> list[PlaceOut]:
    stmt = _filtered(select(Place.__table__), kind=kind).order_by(Place.id)
    return [to_out(row) for row in uow.session.execute(stmt)]


# -- writing ------------------------------------------------------------------------------------------------


def _department(country_code: str, postcode: str) -> str | None:
    if country_code != "FR":
        return None
    try:
        return policies.department_of(geocode.normalise_postcode(postcode))
    except ValueError as exc:
        raise InvalidInput(str(exc), field="address/postal_code") from exc


def _record_change(uow: UnitOfWork, row: Place, changed: list[str], *, created: bool = False) -> PlaceOut:
    uow.session.flush()
    out = to_out(row)
    snap = snapshot(out).model_dump()
    if created:
        uow.record(PlaceCreated(**snap))
    else:
        uow.record(PlaceChanged(**snap, changed=changed, status_reason=out.status_reason))
    publishing.publish(uow, [out])
    return out


def create_place(uow: UnitOfWork, command: PlaceIn) -> PlaceOut:
    if uow.actor.store_id is not None:
        raise Forbidden("A key bound to a store cannot create places.")
    place_id = command.id or new_id(ID_PREFIX[command.kind])
    code = command.code or place_id
    if uow.session.get(Place, place_id) is not None:
        raise Conflict(f"Place {place_id} already exists.", slug="place-exists")
    if uow.session.scalar(select(Place.id).where(Place.code == code)) is not None:
        raise Conflict(f"Store code {code} is already used.", slug="store-code-taken")
    address = command.address
    postcode = (
        geocode.normalise_postcode(address.postal_code)
        if address.country_code == "FR"
        else address.postal_code
    )
    row = Place(
        id=place_id,
        code=code,
        kind=command.kind,
        name=command.name,
        status=command.status,
        status_reason="",
        status_since=clock.now(),
        address_lines=address.lines,
        postal_code=postcode,
        locality=address.locality,
        region=address.region,
        department=_department(address.country_code, postcode),
        country_code=address.country_code,
        latitude=command.latitude,
        longitude=command.longitude,
        phone=command.phone,
        email=str(command.email) if command.email else None,
        manager=command.manager,
        website_url=command.website_url,
        timezone=command.timezone
        or policies.default_timezone(address.country_code, postcode, DEFAULT_TIMEZONE),
        services="," + "".join(f"{s}," for s in command.services or []),
        attributes=list(command.attributes or []),
        weekly=[w.model_dump() for w in command.hours.weekly],
        reserved=[r.model_dump() for r in command.hours.reserved],
        special_days=_dump_days(command.special_days),
    )
    uow.session.add(row)
    return _record_change(uow, row, [], created=True)


def _dump_days(days: Iterable[SpecialDayIn]) -> list[dict[str, Any]]:
    by_date = {d.date: d for d in days}
    return [by_date[d].model_dump(mode="json") for d in sorted(by_date)]


def update_place(
    uow: UnitOfWork, place_id: str, patch: PlacePatch, *, expected_version: int | None
) -> PlaceOut:
    _may_change(uow, place_id)
    row = _load(uow, place_id)
    check_version(row.version, expected_version)
    changed: list[str] = []
    for name, value in patch.model_dump(exclude_unset=True).items():
        if value is None and name in (
            "name",
            "address",
            "latitude",
            "longitude",
            "timezone",
            "services",
            "attributes",
        ):
            raise InvalidInput(f"{name} cannot be null", field=name)
        if name == "address":
            address = patch.address
            assert address is not None
            postcode = (
                geocode.normalise_postcode(address.postal_code)
                if address.country_code == "FR"
                else address.postal_code
            )
            row.address_lines = address.lines
            row.postal_code = postcode
            row.locality = address.locality
            row.region = address.region
            row.country_code = address.country_code
            row.department = _department(address.country_code, postcode)
        elif name == "services":
            row.services = "," + "".join(f"{s}," for s in value)
        elif name == "email":
            row.email = str(value) if value else None
        else:
            setattr(row, name, value)
        changed.append(name)
    if not changed:
        return to_out(row)
    return _record_change(uow, row, changed)


def set_hours(uow: UnitOfWork, place_id: str, hours: HoursIn, *, expected_version: int | None) -> PlaceOut:
    _may_change(uow, place_id)
    row = _load(uow, place_id)
    check_version(row.version, expected_version)
    apply_hours(row, hours)
    return _record_change(uow, row, ["hours"])


def apply_hours(row: Place, hours: HoursIn) -> None:
    row.weekly = [w.model_dump() for w in hours.weekly]
    row.reserved = [r.model_dump() for r in hours.reserved]


def apply_special_days(row: Place, days: Iterable[SpecialDayIn], today: date) -> None:
    """Add or replace days by date; days more than 31 days past are dropped on the way."""
    keep_from = today - timedelta(days=31)
    merged = {SpecialDayIn.model_validate(d).date: SpecialDayIn.model_validate(d) for d in row.special_days}
    merged.update({d.date: d for d in days})
    row.special_days = _dump_days(d for day, d in merged.items() if day >= keep_from)


def set_special_days(
    uow: UnitOfWork, place_id: str, days: list[SpecialDayIn], *, expected_version: int | None
) -> PlaceOut:
    _may_change(uow, place_id)
    row = _load(uow, place_id)
    check_version(row.version, expected_version)
    apply_special_days(row, days, clock.now().astimezone(ZoneInfo(row.timezone)).date())
    return _record_change(uow, row, ["special_days"])


def delete_special_day(
    uow: UnitOfWork, place_id: str, day: date, *, expected_version: int | None
) -> PlaceOut:
    _may_change(uow, place_id)
    row = _load(uow, place_id)
    check_version(row.version, expected_version)
    kept = [d for d in row.special_days if d["date"] != day.isoformat()]
    if len(kept) == len(row.special_days):
        raise not_found("Exceptional day", f"{day.isoformat()} of {place_id}")
    row.special_days = kept
    return _record_change(uow, row, ["special_days"])


def apply_status(row: Place, status: str, reason: str) -> bool:
    if row.status == status and row.status_reason == reason:
        return False
    if row.status != status:
        row.status_since = clock.now()
    row.status = status
    row.status_reason = reason
    return True


def set_status(
    uow: UnitOfWork, place_id: str, command: CloseIn | None, *, expected_version: int | None
) -> PlaceOut:
    """Close (``command`` given) or reopen (``None``) a place."""
    _may_change(uow, place_id)
    row = _load(uow, place_id)
    check_version(row.version, expected_version)
    status, reason = (command.status, command.reason) if command else ("open", "")
    if row.status == "permanently_closed" and uow.actor.store_id is not None:
        raise Forbidden("Only the back office reopens a permanently closed place.")
    if not apply_status(row, status, reason):
        return to_out(row)
    return _record_change(uow, row, ["status"])


def upsert_place(uow: UnitOfWork, command: PlaceIn) -> tuple[PlaceOut, bool]:
    """Create the place, or bring the one with this id (else store code) to ``command`` in one change."""
    row = uow.session.get(Place, command.id) if command.id else None
    if row is None and command.code:
        row = uow.session.scalar(select(Place).where(Place.code == command.code))
    if row is None:
        return create_place(uow, command), True
    _may_change(uow, row.id)
    before = to_out(row)
    address = command.address
    postcode = (
        geocode.normalise_postcode(address.postal_code)
        if address.country_code == "FR"
        else address.postal_code
    )
    row.name = command.name
    row.address_lines, row.postal_code, row.locality = address.lines, postcode, address.locality
    row.region, row.country_code = address.region, address.country_code
    row.department = _department(address.country_code, postcode)
    row.latitude, row.longitude = command.latitude, command.longitude
    row.phone, row.email = command.phone, str(command.email) if command.email else None
    row.manager, row.website_url = command.manager, command.website_url
    if command.timezone:
        row.timezone = command.timezone
    row.services = "," + "".join(f"{s}," for s in command.services or [])
    row.attributes = list(command.attributes or [])
    apply_hours(row, command.hours)
    if command.special_days:
        apply_special_days(row, command.special_days, clock.now().astimezone(ZoneInfo(row.timezone)).date())
    apply_status(row, command.status, row.status_reason if command.status == row.status else "")
    uow.session.flush()
    after = to_out(row)
    ignored = {"version", "updated_at", "created_at"}
    changed = [
        name
        for name in PlaceOut.model_fields
        if name not in ignored and getattr(before, name) != getattr(after, name)
    ]
    if not changed:
        return after, False
    return _record_change(uow, row, changed), False


# -- hours questions ----------------------------------------------------------------------------------------


def _hours_from_row(row: Any) -> policies.Hours:
    weekly: dict[int, list[policies.Range]] = {}
    for w in row.weekly:
        weekly.setdefault(policies.WEEKDAYS.index(w["day"]), []).append(
            policies.Range.parse(w["opens"], w["closes"])
        )
    reserved: dict[int, list[policies.Reserved]] = {}
    for r in row.reserved:
        reserved.setdefault(policies.WEEKDAYS.index(r["day"]), []).append(
            policies.Reserved(policies.Range.parse(r["opens"], r["closes"]), r["audience"])
        )
    special = {}
    for d in row.special_days:
        day = date.fromisoformat(d["date"])
        special[day] = policies.SpecialDay(
            day,
            d["closed"],
            tuple(sorted(policies.Range.parse(r["opens"], r["closes"]) for r in d.get("ranges", []))),
            tuple(
                policies.Reserved(policies.Range.parse(r["opens"], r["closes"]), r["audience"])
                for r in d.get("reserved", [])
            ),
            d.get("reason", ""),
        )
    return policies.Hours(
        timezone=row.timezone,
        weekly={d: tuple(sorted(r)) for d, r in weekly.items()},
        reserved={d: tuple(r) for d, r in reserved.items()},
        special=special,
        status=row.status,
    )


def _status_of(place_id: str, hours: policies.Hours, at: datetime, audience: str | None) -> OpeningStatus:
    window = policies.next_opening(hours, at, audience)
    if window is None:
        return OpeningStatus(place_id=place_id, open=False, next_opening=None, closes_at=None)
    is_open = window.opens_at <= at and (window.closes_at is None or at < window.closes_at)
    return OpeningStatus(
        place_id=place_id,
        open=is_open,
        next_opening=None if is_open else window.opens_at,
        closes_at=window.closes_at,
    )


def _aware(at: datetime | None) -> datetime:
    if at is None:
        return clock.now()
    if at.tzinfo is None:
        raise InvalidInput("Give the time with its offset, e.g. 2026-03-29T10:00:00+02:00.", field="at")
    return at


_HOURS_COLUMNS = (Place.id, Place.timezone, Place.status, Place.weekly, Place.reserved, Place.special_days)


def opening_status(
    uow: UnitOfWork, place_ids: Iterable[str], at: datetime | None = None, *, audience: str | None = None
) -> dict[str, OpeningStatus]:
    """Open now? next opening? closing time? — for many places in one query (unknown ids left out)."""
    when = _aware(at)
    wanted = sorted(set(place_ids))
    if not wanted:
        return {}
    rows = uow.session.execute(select(*_HOURS_COLUMNS).where(Place.id.in_(wanted))).all()
    return {row.id: _status_of(row.id, _hours_from_row(row), when, audience) for row in rows}


def opening_from_snapshot(
    snap: PlaceSnapshot | Any, at: datetime | None = None, *, audience: str | None = None
) -> OpeningStatus:
    """The same answer as :func:`opening_status`, computed from a place snapshot (or a ``stores.place_*``
    event) alone — for domains that keep their own read model of places."""
    special = {s.day: s for s in policies.parse_special(snap.special_days)}
    hours = policies.Hours(
        timezone=snap.timezone,
        weekly=policies.parse_weekly(snap.weekly_hours),
        reserved=policies.parse_reserved(snap.reserved_hours),
        special=special,
        status=snap.status,
    )
    return _status_of(snap.place_id, hours, _aware(at), audience)


def opening(
    uow: UnitOfWork, place_id: str, at: datetime | None, audience: Audience | None = None
) -> OpeningOut:
    when = _aware(at)
    hours = _hours_from_row(_load(uow, place_id))
    window = policies.next_opening(hours, when, audience)
    return OpeningOut(
        place_id=place_id,
        at=when,
        audience=audience,
        open_now=policies.is_open_at(hours, when, audience),
        opens_at=window.opens_at if window else None,
        closes_at=window.closes_at if window else None,
    )


def week(uow: UnitOfWork, place_id: str, any_day: date | None = None) -> WeekOut:
    row = _load(uow, place_id)
    hours = _hours_from_row(row)
    day = any_day or clock.now().astimezone(ZoneInfo(row.timezone)).date()
    days = [
        DayOut(
            date=s.day,
            weekday=policies.WEEKDAYS[s.day.weekday()],
            closed=s.closed,
            special=s.special,
            reason=s.reason,
            ranges=[
                TimeRange(opens=policies.format_hhmm(r.start), closes=policies.format_hhmm(r.end))
                for r in s.ranges
            ],
            reserved=[
                ReservedSpan(
                    opens=policies.format_hhmm(r.range.start),
                    closes=policies.format_hhmm(r.range.end),
                    audience=r.audience,
                )
                for r in s.reserved
            ],
        )
        for s in policies.week_days(hours, day)
    ]
    return WeekOut(place_id=place_id, timezone=row.timezone, days=days)


# -- geography ------------------------------------------------------------------------------------------------


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
    when = _aware(open_at or at)
    # Distances on (id, lat, lon) only; full rows are read for the nearest candidates, a batch at a time.
    stmt = _filtered(
        select(Place.id, Place.latitude, Place.longitude),
        kind=list(kinds),
        service=service,
        status=["open", "temporarily_closed"],
    )
    if max_km is not None:
        dlat = max_km / 111.0
        stmt = stmt.where(Place.latitude.between(lat - dlat, lat + dlat))
    scored = sorted(
        (policies.distance_km(lat, lon, row.latitude, row.longitude), row.id)
        for row in uow.session.execute(stmt)
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
            status = _status_of(row.id, _hours_from_row(row), when, None)
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
