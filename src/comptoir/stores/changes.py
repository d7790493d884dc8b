"""stores: changing places — created, edited, hours and exceptional days, closed and reopened, upserted.

Every change records ``stores.place_created``/``stores.place_changed`` with a full snapshot and one
``stores.published_to_<channel>`` per channel (see :mod:`comptoir.stores.publishing`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from comptoir.core import clock
from comptoir.core.errors import Conflict, Forbidden, InvalidInput, check_version, not_found
from comptoir.core.ids import new_id
from comptoir.core.uow import UnitOfWork
from comptoir.stores import geocode, policies, publishing
from comptoir.stores.events import PlaceChanged, PlaceCreated
from comptoir.stores.models import Place
from comptoir.stores.places import load, may_change, snapshot, to_out
from comptoir.stores.schemas import CloseIn, HoursIn, PlaceIn, PlaceOut, PlacePatch, SpecialDayIn

ID_PREFIX = {"store": "st", "warehouse": "wh", "pickup_point": "pp"}
DEFAULT_TIMEZONE = "Europe/Paris"


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
    may_change(uow, place_id)
    row = load(uow, place_id)
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
    may_change(uow, place_id)
    row = load(uow, place_id)
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
    may_change(uow, place_id)
    row = load(uow, place_id)
    check_version(row.version, expected_version)
    apply_special_days(row, days, clock.now().astimezone(ZoneInfo(row.timezone)).date())
    return _record_change(uow, row, ["special_days"])


def delete_special_day(
    uow: UnitOfWork, place_id: str, day: date, *, expected_version: int | None
) -> PlaceOut:
    may_change(uow, place_id)
    row = load(uow, place_id)
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
    may_change(uow, place_id)
    row = load(uow, place_id)
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
    may_change(uow, row.id)
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
