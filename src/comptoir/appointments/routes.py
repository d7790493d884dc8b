"""appointments: HTTP API (thin: parse, check who may, call the service).

The same booking engine serves every channel: a publishable key books for a signed-in customer or a new
person (kept by customers); a shop's tablet and the call centre book for a walk-in or a caller; the
services offered on a channel are those that list it. Setup (services, resources) is the retailer's;
advisors' profiles and leaves are managed by their shops' managers and the back office.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from comptoir.appointments import service
from comptoir.appointments.schemas import (
    AdvisorIn,
    AdvisorOut,
    AppointmentListOut,
    AppointmentOut,
    BookIn,
    CancelIn,
    CompleteIn,
    LeaveIn,
    LeaveOut,
    RescheduleIn,
    ResourceIn,
    ResourceOut,
    ServiceIn,
    ServiceOut,
    ServicePatch,
    SlotIn,
    SlotSearchOut,
    Status,
    WaitlistIn,
    WaitlistOut,
)
from comptoir.core import clock
from comptoir.core.access import RETAILER_ROLES, Role
from comptoir.core.api import PROBLEM_RESPONSES, IfMatch, RequestContext, allow, etag
from comptoir.core.errors import InvalidInput, NotFound
from comptoir.core.types import BoundedDate
from comptoir.stores import service as stores

router = APIRouter(prefix="/v1/appointments", tags=["appointments"], responses=PROBLEM_RESPONSES)

Browser = Annotated[
    RequestContext,
    Depends(allow("appointments", "read", "publishable", "customer", "staff", "shop", "secret")),
]
Booker = Annotated[
    RequestContext,
    Depends(allow("appointments", "write", "publishable", "customer", "staff", "shop", "secret")),
]
Reader = Annotated[
    RequestContext, Depends(allow("appointments", "read", "customer", "staff", "shop", "secret"))
]
Writer = Annotated[
    RequestContext, Depends(allow("appointments", "write", "customer", "staff", "shop", "secret"))
]
StaffReader = Annotated[RequestContext, Depends(allow("appointments", "read", "staff", "shop", "secret"))]
StaffWriter = Annotated[RequestContext, Depends(allow("appointments", "write", "staff", "shop", "secret"))]
Manager = Annotated[
    RequestContext,
    Depends(
        allow(
            "appointments",
            "write",
            "staff",
            "secret",
            roles={Role.SHOP_MANAGER, Role.BACK_OFFICE, Role.ADMIN},
        )
    ),
]
Retailer = Annotated[
    RequestContext,
    Depends(allow("appointments", "write", "staff", "secret", roles=RETAILER_ROLES, retailer_wide=True)),
]
# The invitation's link is its own credential (calendar apps fetch it without any): every caller is admitted.
Anyone = Annotated[
    RequestContext,
    Depends(allow(None, "read", "public", "publishable", "customer", "shop", "secret", "staff")),
]


def _own(ctx: RequestContext, out: AppointmentOut) -> AppointmentOut:
    """A customer reaches their own appointments; a shop-bound caller its shops' (others answer 404)."""
    ctx.own_resource(out.customer_id, [out.place_id], "Appointment", out.id)
    return out


def _tagged(response: Response, out: AppointmentOut) -> AppointmentOut:
    response.headers["ETag"] = etag(out.version)
    return out


# -- setup ------------------------------------------------------------------------------------------------


@router.get("/services", summary="The services offered (on the caller's channel, for customers)")
def list_services(ctx: Browser) -> list[ServiceOut]:
    shopper = ctx.actor.kind in ("publishable", "customer")
    with ctx.reader() as uow:
        return service.list_services(
            uow,
            active_only=shopper,
            channel=service.channel_kind(ctx.actor.channel) if shopper else None,
        )


@router.post("/services", status_code=201, summary="Offer a new service (retailer-wide)")
def create_service(body: ServiceIn, ctx: Retailer, response: Response) -> ServiceOut:
    with ctx.uow() as uow:
        out = service.create_service(uow, body)
        uow.commit()
    response.headers["Location"] = f"/v1/appointments/services/{out.id}"
    response.headers["ETag"] = etag(out.version)
    return out


@router.get("/services/{service_id}", summary="One service")
def get_service(service_id: str, ctx: Browser, response: Response) -> ServiceOut:
    with ctx.reader() as uow:
        out = service.get_service(uow, service_id)
    response.headers["ETag"] = etag(out.version)
    return out


@router.patch("/services/{service_id}", summary="Change a service (send If-Match)")
def update_service(
    service_id: str, body: ServicePatch, ctx: Retailer, version: IfMatch, response: Response
) -> ServiceOut:
    with ctx.uow() as uow:
        out = service.update_service(uow, service_id, body, version)
        uow.commit()
    response.headers["ETag"] = etag(out.version)
    return out


@router.get("/advisors", summary="Advisors (of a place), with skills, languages and weekly hours")
def list_advisors(ctx: StaffReader, place_id: str | None = None) -> list[AdvisorOut]:
    shops = ctx.shop_filter(place_id)
    with ctx.reader() as uow:
        items = service.list_advisors(uow, place_id=place_id)
    if shops is not None:
        items = [a for a in items if set(a.place_ids) & set(shops)]
    return items


@router.put("/advisors/{advisor_id}", summary="Make a staff person an advisor, or replace their profile")
def put_advisor(advisor_id: str, body: AdvisorIn, ctx: Manager) -> AdvisorOut:
    with ctx.uow() as uow:
        out = service.put_advisor(uow, advisor_id, body)
        uow.commit()
    return out


def _advisor_in_reach(ctx: RequestContext, out: AdvisorOut) -> AdvisorOut:
    if ctx.actor.shops is not None and not set(out.place_ids) & ctx.actor.shops:
        raise NotFound(f"Advisor {out.id} does not exist.", slug="not-found")
    return out


@router.get("/advisors/{advisor_id}", summary="One advisor")
def get_advisor(advisor_id: str, ctx: StaffReader) -> AdvisorOut:
    with ctx.reader() as uow:
        return _advisor_in_reach(ctx, service.get_advisor(uow, advisor_id))


@router.post("/advisors/{advisor_id}/leaves", status_code=201, summary="An advisor away (holiday, training…)")
def add_leave(advisor_id: str, body: LeaveIn, ctx: Manager) -> LeaveOut:
    with ctx.uow() as uow:
        _advisor_in_reach(ctx, service.get_advisor(uow, advisor_id))
        out = service.add_leave(uow, advisor_id, body)
        uow.commit()
    return out


@router.get("/advisors/{advisor_id}/leaves", summary="An advisor's leaves")
def list_leaves(advisor_id: str, ctx: StaffReader) -> list[LeaveOut]:
    with ctx.reader() as uow:
        _advisor_in_reach(ctx, service.get_advisor(uow, advisor_id))
        return service.leaves_of(uow, advisor_id)


@router.delete("/advisors/{advisor_id}/leaves/{leave_id}", status_code=204, summary="Cancel a leave")
def delete_leave(advisor_id: str, leave_id: str, ctx: Manager) -> Response:
    with ctx.uow() as uow:
        _advisor_in_reach(ctx, service.get_advisor(uow, advisor_id))
        service.delete_leave(uow, advisor_id, leave_id)
        uow.commit()
    return Response(status_code=204)


@router.post("/resources", status_code=201, summary="A room booked with the services that need one")
def create_resource(body: ResourceIn, ctx: Manager) -> ResourceOut:
    ctx.own_shop(body.place_id)
    with ctx.uow() as uow:
        out = service.create_resource(uow, body)
        uow.commit()
    return out


@router.get("/resources", summary="Rooms and studios (of a place)")
def list_resources(ctx: StaffReader, place_id: str | None = None) -> list[ResourceOut]:
    shops = ctx.shop_filter(place_id)
    with ctx.reader() as uow:
        items = service.list_resources(uow, place_id=place_id)
    return [r for r in items if shops is None or r.place_id in shops]


# -- the booking engine -----------------------------------------------------------------------------------


@router.get("/slots", summary="Free start times of a service over days, at places or nearest a postcode")
def search_slots(
    ctx: Browser,
    service_id: str,
    first_day: BoundedDate | None = None,
    days: Annotated[int, Query(ge=1, le=62)] = 14,
    place_id: Annotated[list[str] | None, Query(max_length=20)] = None,
    postcode: Annotated[str | None, Query(max_length=10)] = None,
    lat: Annotated[float | None, Query(ge=-90, le=90)] = None,
    lon: Annotated[float | None, Query(ge=-180, le=180)] = None,
    language: Annotated[str | None, Query(pattern=r"^[a-z]{2}$")] = None,
    advisor_id: str | None = None,
    places: Annotated[int, Query(ge=1, le=20, description="How many places at most")] = 5,
) -> SlotSearchOut:
    now = clock.now()
    query = service.SlotQuery(
        service_id=service_id,
        first_day=first_day or now.date(),
        days=days,
        place_ids=tuple(place_id or ()),
        postcode=postcode,
        lat=lat,
        lon=lon,
        language=language,
        advisor_id=advisor_id,
        places_limit=places,
    )
    kind = service.channel_kind(ctx.actor.channel)
    with ctx.reader() as uow:
        return service.search_slots(uow, query, kind, now)


@router.post("/holds", status_code=201, summary="Hold a slot for 10 minutes while the form is filled in")
def hold(body: SlotIn, ctx: Booker, response: Response) -> AppointmentOut:
    ctx.own_shop(body.place_id)
    with ctx.uow() as uow:
        out = service.hold(uow, body)
        uow.commit()
    response.headers["Location"] = f"/v1/appointments/{out.id}"
    return out


@router.post("", status_code=201, summary="Book: confirm a hold, or book a slot at once")
def book(body: BookIn, ctx: Booker, response: Response) -> AppointmentOut:
    if body.slot is not None:
        ctx.own_shop(body.slot.place_id)
    with ctx.uow() as uow:
        out = service.book(uow, body, ctx.settings)
        if ctx.actor.kind == "customer":
            ctx.own_customer(out.customer_id, "Appointment", out.id)
        uow.commit()
    response.headers["Location"] = f"/v1/appointments/{out.id}"
    return _tagged(response, out)


@router.get("", summary="Appointments of a customer, a place, or an advisor, by start time")
def list_appointments(
    ctx: Reader,
    customer_id: str | None = None,
    place_id: str | None = None,
    advisor_id: str | None = None,
    first_day: BoundedDate | None = None,
    days: Annotated[int, Query(ge=1, le=62)] = 7,
    status: Annotated[list[Status] | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 200,
) -> AppointmentListOut:
    customer_id = ctx.customer_filter(customer_id)
    shops = ctx.shop_filter(place_id)
    start = end = None
    if first_day is not None:
        start = datetime.combine(first_day, datetime.min.time()).replace(tzinfo=clock.now().tzinfo)
        end = start + timedelta(days=days)
    if (
        customer_id is None
        and place_id is None
        and advisor_id is None
        and shops is None
        and first_day is None
    ):
        raise InvalidInput("Name a customer_id, a place_id, an advisor_id or a first_day.", field="place_id")
    with ctx.reader() as uow:
        items = service.list_appointments(
            uow,
            customer_id=customer_id,
            place_ids=list(shops) if shops is not None else ([place_id] if place_id else None),
            advisor_id=advisor_id,
            start=start,
            end=end,
            statuses=status,
            limit=limit,
            settings=ctx.settings,
        )
    return AppointmentListOut(items=items)


@router.post("/waitlist", status_code=201, summary="Wait for a seat of a service (offered when one frees)")
def join_waitlist(body: WaitlistIn, ctx: Writer) -> WaitlistOut:
    customer_id = ctx.customer_filter(body.customer_id)
    if customer_id is None:
        raise InvalidInput("Say who waits.", field="customer_id")
    with ctx.uow() as uow:
        out = service.join_waitlist(uow, body, customer_id)
        uow.commit()
    return out


@router.get("/waitlist", summary="A customer's waitlist entries")
def waitlist(ctx: Reader, customer_id: str | None = None) -> list[WaitlistOut]:
    customer_id = ctx.customer_filter(customer_id)
    if customer_id is None:
        raise InvalidInput("Name the customer.", field="customer_id")
    with ctx.reader() as uow:
        return service.waitlist_of(uow, customer_id)


@router.get("/{appointment_id}", summary="One appointment")
def get_appointment(appointment_id: str, ctx: Reader, response: Response) -> AppointmentOut:
    with ctx.reader() as uow:
        return _tagged(response, _own(ctx, service.get_appointment(uow, appointment_id, ctx.settings)))


@router.post("/{appointment_id}/reschedule", summary="Move it (the invitation's SEQUENCE goes up by one)")
def reschedule(appointment_id: str, body: RescheduleIn, ctx: Writer, response: Response) -> AppointmentOut:
    if body.place_id is not None:
        ctx.own_shop(body.place_id)
    with ctx.uow() as uow:
        _own(ctx, service.get_appointment(uow, appointment_id, ctx.settings))
        out = service.reschedule(uow, appointment_id, body, ctx.settings)
        uow.commit()
    return _tagged(response, out)


@router.post("/{appointment_id}/cancel", summary="Cancel it (customers before the service's cut-off)")
def cancel(
    appointment_id: str, ctx: Writer, response: Response, body: CancelIn | None = None
) -> AppointmentOut:
    with ctx.uow() as uow:
        _own(ctx, service.get_appointment(uow, appointment_id, ctx.settings))
        out = service.cancel(uow, appointment_id, body or CancelIn(), ctx.settings)
        uow.commit()
    return _tagged(response, out)


@router.post("/{appointment_id}/check-in", summary="The customer arrived at the shop")
def check_in(appointment_id: str, ctx: StaffWriter, response: Response) -> AppointmentOut:
    with ctx.uow() as uow:
        _own(ctx, service.get_appointment(uow, appointment_id, ctx.settings))
        out = service.check_in(uow, appointment_id, ctx.settings)
        uow.commit()
    return _tagged(response, out)


@router.post("/{appointment_id}/complete", summary="Done, with the advisor's notes")
def complete(
    appointment_id: str, ctx: StaffWriter, response: Response, body: CompleteIn | None = None
) -> AppointmentOut:
    with ctx.uow() as uow:
        _own(ctx, service.get_appointment(uow, appointment_id, ctx.settings))
        out = service.complete(uow, appointment_id, body or CompleteIn(), ctx.settings)
        uow.commit()
    return _tagged(response, out)


@router.post("/{appointment_id}/no-show", summary="The customer did not come")
def no_show(appointment_id: str, ctx: StaffWriter, response: Response) -> AppointmentOut:
    with ctx.uow() as uow:
        _own(ctx, service.get_appointment(uow, appointment_id, ctx.settings))
        out = service.no_show(uow, appointment_id, ctx.settings)
        uow.commit()
    return _tagged(response, out)


@router.get(
    "/{appointment_id}/invitation.ics",
    summary="The iCalendar invitation (a signed link: REQUEST, or CANCEL once cancelled)",
    response_class=Response,
    responses={200: {"content": {"text/calendar": {}}}},
)
def invitation(appointment_id: str, ctx: Anyone, token: Annotated[str, Query(max_length=500)]) -> Response:
    if service.appointment_of_token(ctx.settings, token) != appointment_id:
        raise NotFound(f"Appointment {appointment_id} does not exist.", slug="not-found")
    with ctx.reader() as uow:
        out = service.get_appointment(uow, appointment_id, ctx.settings)
        place = stores.get_place(uow, out.place_id)
        address = ", ".join([*place.address.lines, f"{place.address.postal_code} {place.address.locality}"])
        body = service.invitation(uow, appointment_id, ctx.settings, place.name, address)
    return Response(
        body,
        media_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{appointment_id}.ics"'},
    )
