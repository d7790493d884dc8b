"""appointments: what is offered and by whom — services, advisors (staff people with skills and hours),
their leaves, and the rooms booked with them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select

from comptoir.appointments.models import Advisor, Leave, Resource, Service
from comptoir.appointments.schemas import (
    AdvisorIn,
    AdvisorOut,
    LeaveIn,
    LeaveOut,
    ResourceIn,
    ResourceOut,
    ServiceIn,
    ServiceOut,
    ServicePatch,
)
from comptoir.core import staff
from comptoir.core.errors import Conflict, Forbidden, InvalidInput, PreconditionFailed, not_found
from comptoir.core.ids import new_id
from comptoir.core.uow import UnitOfWork
from comptoir.stores import service as stores

_SERVICE_FIELDS = tuple(ServiceIn.model_fields)


def service_out(row: Service) -> ServiceOut:
    return ServiceOut.model_validate(
        {**{f: getattr(row, f) for f in _SERVICE_FIELDS}, "id": row.id, "version": row.version}
    )


def _check_places(uow: UnitOfWork, place_ids: list[str], field: str) -> None:
    known = stores.get_places(uow, place_ids)
    unknown = [p for p in place_ids if p not in known]
    if unknown:
        raise InvalidInput(f"Unknown place {unknown[0]}.", field=field)


def create_service(uow: UnitOfWork, command: ServiceIn) -> ServiceOut:
    if uow.session.scalar(select(Service.id).where(Service.code == command.code)) is not None:
        raise Conflict(f"A service with code {command.code} exists.", slug="service-code-taken")
    _check_places(uow, command.place_ids, "place_ids")
    row = Service(id=new_id("svc"), **command.model_dump(mode="json"))
    uow.session.add(row)
    uow.session.flush()
    return service_out(row)


def load_service(uow: UnitOfWork, service_id: str, field: str | None = None) -> Service:
    """The service, or 404; with ``field`` (the id came in a request's body or query), 422 naming it."""
    row = uow.session.get(Service, service_id)
    if row is None:
        if field is not None:
            raise InvalidInput(f"Unknown service {service_id}.", field=field)
        raise not_found("Service", service_id)
    return row


def get_service(uow: UnitOfWork, service_id: str) -> ServiceOut:
    return service_out(load_service(uow, service_id))


def list_services(
    uow: UnitOfWork, *, active_only: bool = False, channel: str | None = None
) -> list[ServiceOut]:
    query = select(Service).order_by(Service.code)
    if active_only:
        query = query.where(Service.active.is_(True))
    rows = [service_out(r) for r in uow.session.scalars(query)]
    return [r for r in rows if channel is None or channel in r.channels]


def update_service(
    uow: UnitOfWork, service_id: str, patch: ServicePatch, expected_version: int | None = None
) -> ServiceOut:
    row = load_service(uow, service_id)
    if expected_version is not None and row.version != expected_version:
        raise PreconditionFailed(f"Service {service_id} is at version {row.version}.")
    changes = patch.model_dump(mode="json", exclude_unset=True, exclude_none=True)
    if "place_ids" in changes:
        _check_places(uow, changes["place_ids"], "place_ids")
    for name, value in changes.items():
        setattr(row, name, value)
    uow.session.flush()
    return service_out(row)


# -- advisors ---------------------------------------------------------------------------------------------


def advisor_out(row: Advisor) -> AdvisorOut:
    return AdvisorOut.model_validate(
        {
            "id": row.id,
            "name": row.name,
            "skills": row.skills,
            "languages": row.languages,
            "place_ids": row.place_ids,
            "weekly": row.weekly,
            "exceptions": row.exceptions,
            "active": row.active,
            "version": row.version,
        }
    )


def _check_advisor_places(uow: UnitOfWork, command: AdvisorIn) -> None:
    _check_places(uow, command.place_ids, "place_ids")
    for n, r in enumerate(command.weekly):
        if r.place_id not in command.place_ids:
            raise InvalidInput(
                f"{r.place_id} is not one of the advisor's places.", field=f"weekly.{n}.place_id"
            )
    for n, e in enumerate(command.exceptions):
        for m, day_range in enumerate(e.ranges):
            if day_range.place_id not in command.place_ids:
                raise InvalidInput(
                    f"{day_range.place_id} is not one of the advisor's places.",
                    field=f"exceptions.{n}.ranges.{m}.place_id",
                )


def put_advisor(uow: UnitOfWork, person_id: str, command: AdvisorIn) -> AdvisorOut:
    """Make a staff person an advisor, or replace their profile (skills, languages, places, hours)."""
    shops = uow.actor.shops
    person = staff.get_person(uow, person_id, by=uow.actor)
    if shops is not None and not set(command.place_ids) <= shops:
        raise Forbidden("You may only place advisors in your own shops.", slug="other-shop")
    _check_advisor_places(uow, command)
    data: dict[str, Any] = command.model_dump(mode="json")
    row = uow.session.get(Advisor, person_id)
    if row is None:
        row = Advisor(id=person_id, name=person.name, **data)
        uow.session.add(row)
    else:
        if shops is not None and not set(row.place_ids) <= shops:
            raise Forbidden("This advisor also works in shops you do not manage.", slug="other-shop")
        row.name = person.name
        for name, value in data.items():
            setattr(row, name, value)
    uow.session.flush()
    return advisor_out(row)


def load_advisor(uow: UnitOfWork, advisor_id: str, field: str | None = None) -> Advisor:
    row = uow.session.get(Advisor, advisor_id)
    if row is None:
        if field is not None:
            raise InvalidInput(f"Unknown advisor {advisor_id}.", field=field)
        raise not_found("Advisor", advisor_id)
    return row


def get_advisor(uow: UnitOfWork, advisor_id: str) -> AdvisorOut:
    return advisor_out(load_advisor(uow, advisor_id))


def list_advisors(uow: UnitOfWork, *, place_id: str | None = None) -> list[AdvisorOut]:
    rows = [advisor_out(r) for r in uow.session.scalars(select(Advisor).order_by(Advisor.name, Advisor.id))]
    return [r for r in rows if place_id is None or place_id in r.place_ids]


def add_leave(uow: UnitOfWork, advisor_id: str, command: LeaveIn) -> LeaveOut:
    load_advisor(uow, advisor_id)
    row = Leave(id=new_id("lev"), advisor_id=advisor_id, **command.model_dump())
    uow.session.add(row)
    uow.session.flush()
    return LeaveOut.model_validate(row, from_attributes=True)


def leaves_of(uow: UnitOfWork, advisor_id: str) -> list[LeaveOut]:
    rows = uow.session.scalars(select(Leave).where(Leave.advisor_id == advisor_id).order_by(Leave.starts_at))
    return [LeaveOut.model_validate(r, from_attributes=True) for r in rows]


def delete_leave(uow: UnitOfWork, advisor_id: str, leave_id: str) -> None:
    done = uow.session.execute(delete(Leave).where(Leave.id == leave_id, Leave.advisor_id == advisor_id))
    if not done.rowcount:  # type: ignore[attr-defined]
        raise not_found("Leave", leave_id)


# -- resources --------------------------------------------------------------------------------------------


def resource_out(row: Resource) -> ResourceOut:
    return ResourceOut.model_validate(row, from_attributes=True)


def create_resource(uow: UnitOfWork, command: ResourceIn) -> ResourceOut:
    _check_places(uow, [command.place_id], "place_id")
    row = Resource(id=new_id("res"), **command.model_dump())
    uow.session.add(row)
    uow.session.flush()
    return resource_out(row)


def list_resources(uow: UnitOfWork, *, place_id: str | None = None) -> list[ResourceOut]:
    query = select(Resource).order_by(Resource.place_id, Resource.name)
    if place_id is not None:
        query = query.where(Resource.place_id == place_id)
    return [resource_out(r) for r in uow.session.scalars(query)]
