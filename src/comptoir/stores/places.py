"""stores: reading places — the public schema of a row, its event snapshot, lookups and lists."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import select

from comptoir.core.errors import Forbidden, not_found
from comptoir.core.pagination import Page, paginate
from comptoir.core.uow import UnitOfWork
from comptoir.stores import channels, policies
from comptoir.stores.models import Place
from comptoir.stores.schemas import AddressOut, HoursIn, PlaceOut, PlaceSnapshot, SpecialDayOut


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


def load(uow: UnitOfWork, place_id: str) -> Place:
    row = uow.session.get(Place, place_id)
    if row is None:
        raise not_found("Place", place_id)
    return row


def may_change(uow: UnitOfWork, place_id: str) -> None:
    if not policies.may_change_place(uow.actor.store_id, place_id):
        raise Forbidden(f"This key is bound to store {uow.actor.store_id}; it cannot change {place_id}.")


def get_place(uow: UnitOfWork, place_id: str) -> PlaceOut:
    return to_out(load(uow, place_id))


def get_places(uow: UnitOfWork, ids: Iterable[str]) -> dict[str, PlaceOut]:
    """The places among ``ids`` that exist, in one query (unknown ids are left out)."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    rows = uow.session.execute(select(Place.__table__).where(Place.id.in_(wanted))).all()
    return {row.id: to_out(row) for row in rows}


def filtered(
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
    stmt = filtered(
        select(Place), kind=kind, service=service, status=status, region=region, department=department
    )
    return paginate(uow.session, stmt, Place.id, cursor=cursor, limit=limit, convert=to_out)


def all_places(uow: UnitOfWork, *, kind: str | Sequence[str] | None = None) -> list[PlaceOut]:
    stmt = filtered(select(Place.__table__), kind=kind).order_by(Place.id)
    return [to_out(row) for row in uow.session.execute(stmt)]
