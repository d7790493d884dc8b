"""The customer's appointments in their account: those coming up (with the calendar invitation, the
shop's times offered instead when the shop closes over one, and a button to cancel it) and the past
ones. Cancelling is the appointments service's: it refuses after the service's cut-off, and the page
says so in the shopper's words. Another customer's appointment answers 404, as one that does not exist.
"""

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from comptoir.appointments import service as appointments
from comptoir.appointments.schemas import AppointmentOut, CancelIn, RescheduleIn
from comptoir.core import clock
from comptoir.core.errors import NotFound, Problem
from comptoir.storefront import appointment_views as views
from comptoir.storefront.account_common import not_found, places, say
from comptoir.storefront.rendering import ShopRoute
from comptoir.storefront.session import ShopperContext, SignedInShopper

router = APIRouter(prefix="/shop/account", include_in_schema=False, route_class=ShopRoute)
MAX_APPOINTMENTS = 200
LIVE = ("booked", "checked_in")


def _row(
    shop: ShopperContext, a: AppointmentOut, services: dict[str, views.ServiceView]
) -> dict[str, object]:
    service = services.get(a.service_id)
    cutoff = service.cancel_cutoff_min if service else 0
    return {
        "a": a,
        "service": service.name if service else a.service_name,
        "deadline": a.starts_at - timedelta(minutes=cutoff),
        "invitation": views.invitation(shop, a),
    }


def _page(
    request: Request,
    shop: ShopperContext,
    *,
    error: str | None = None,
    cancelled: bool = False,
    moved: bool = False,
    status_code: int = 200,
) -> HTMLResponse:
    assert shop.customer_id is not None
    now = clock.now()
    with shop.ctx.reader() as uow:
        items = appointments.list_appointments(uow, customer_id=shop.customer_id, limit=MAX_APPOINTMENTS)
        services = views.names_by_id(uow, shop.lang)
        known = places(
            uow, {a.place_id for a in items} | {alt.place_id for a in items for alt in a.alternatives}
        )
    upcoming = [a for a in items if a.status in LIVE and a.starts_at >= now]
    past = [a for a in reversed(items) if a not in upcoming]
    return views.page(
        request,
        shop,
        "storefront/account/appointments.html",
        status_code=status_code,
        upcoming=[_row(shop, a, services) for a in upcoming],
        past=[_row(shop, a, services) for a in past],
        places=known,
        error=error,
        cancelled=cancelled,
        moved=moved,
        section="appointments",
    )


@router.get("/appointments", response_class=HTMLResponse)
def my_appointments(
    request: Request, shop: SignedInShopper, cancelled: int = 0, moved: int = 0
) -> HTMLResponse:
    return _page(request, shop, cancelled=bool(cancelled), moved=bool(moved))


@router.post("/appointments/{appointment_id}/cancel", response_model=None)
def cancel(request: Request, appointment_id: str, shop: SignedInShopper) -> Response:
    """Cancel an appointment (the service refuses once its cut-off has passed: the page says why)."""
    cutoff = 0
    try:
        with shop.ctx.uow() as uow:
            found = appointments.get_appointment(uow, appointment_id)
            shop.ctx.own_resource(found.customer_id, [found.place_id], "Appointment", found.id)
            cutoff = appointments.get_service(uow, found.service_id).cancel_cutoff_min
            appointments.cancel(uow, appointment_id, CancelIn(), shop.ctx.settings)
            uow.commit()
    except NotFound:
        return not_found(request, shop)
    except Problem as problem:
        message = views.refusal(request, shop, problem, cutoff)
        return _page(request, shop, error=message, status_code=problem.status)
    return RedirectResponse("/shop/account/appointments?cancelled=1", status_code=303)


@router.post("/appointments/{appointment_id}/move", response_model=None)
def move(
    request: Request,
    appointment_id: str,
    shop: SignedInShopper,
    starts_at: Annotated[str, Form(max_length=40)],
    place_id: Annotated[str, Form(max_length=40)],
) -> Response:
    """Move an appointment to one of the times offered instead when the shop closed over it (the
    service checks the time is still free; a time taken meanwhile is said on the page)."""
    cutoff = 0
    try:
        when = datetime.fromisoformat(starts_at)
        with shop.ctx.uow() as uow:
            found = appointments.get_appointment(uow, appointment_id)
            shop.ctx.own_resource(found.customer_id, [found.place_id], "Appointment", found.id)
            cutoff = appointments.get_service(uow, found.service_id).cancel_cutoff_min
            command = RescheduleIn(starts_at=when, place_id=place_id)
            appointments.reschedule(uow, appointment_id, command, shop.ctx.settings)
            uow.commit()
    except NotFound:
        return not_found(request, shop)
    except ValueError:  # not a time, or one without its offset: not from this page
        message = say(shop.lang, views.FIELD_MESSAGES["starts_at"])
        return _page(request, shop, error=message, status_code=422)
    except Problem as problem:
        message = views.refusal(request, shop, problem, cutoff)
        return _page(request, shop, error=message, status_code=problem.status)
    return RedirectResponse("/shop/account/appointments?moved=1", status_code=303)
