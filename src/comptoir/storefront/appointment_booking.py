"""Book an appointment on the website, phone first: a service offered on the web → a shop, nearest a
postcode or from the list → a day and a time among the free ones (``appointments.search_slots``) → who
comes: a signed-in customer confirms with an optional note, anyone else gives a name, a phone number or
an e-mail address and says whether they want our news (booked as a new person, kept by customers with
that consent) → the confirmation, in the shop's time zone, with the calendar invitation.

The time chosen is held (``appointments.hold``) while the details are filled in, and the booking
confirms that hold; the browser holding it is named in a signed cookie (``appointment_views``), so
nobody confirms or reads another's appointment by its id. Every rule — who is free, the notice, the
horizon, the channels, the hold's life — is the appointments service's.
"""

import re
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from comptoir.appointments import service as appointments
from comptoir.appointments.schemas import AppointmentOut, BookIn, PersonIn, PlaceSlots, SlotIn
from comptoir.core import clock
from comptoir.core.errors import NotFound, Problem
from comptoir.customers import service as customers
from comptoir.customers.schemas import ConsentIn
from comptoir.storefront import appointment_views as views
from comptoir.storefront.account_common import FIELD_ERRORS, N_, say
from comptoir.storefront.rendering import ShopRoute
from comptoir.storefront.session import Shopper, ShopperContext
from comptoir.stores import service as stores

router = APIRouter(prefix="/shop/appointments", include_in_schema=False, route_class=ShopRoute)
WINDOW_DAYS = 14  # the days shown at once
HHMM = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
Name = Annotated[str, Form(max_length=100)]
REACH_US = N_("Give a phone number or an e-mail address, so that the shop can reach you.")


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _language(service: views.ServiceView, lang: str, requested: str | None) -> str | None:
    """The appointment's language: the one asked, else the page's when the service is offered in it,
    else any of the service's (the engine's choice)."""
    if requested in service.languages:
        return requested
    return lang if lang in service.languages else None


@router.get("", response_class=HTMLResponse)
def services(request: Request, shop: Shopper) -> HTMLResponse:
    with shop.ctx.reader() as uow:
        found = views.offered(uow, shop)
    return views.page(request, shop, "storefront/appointments/services.html", services=found)


# -- the held time, then the confirmation (before the service's paths: they have as many segments) ---------


def _details_page(
    request: Request,
    shop: ShopperContext,
    hold_id: str,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    if views.remembered(request, shop) != hold_id:
        return views.not_found(request, shop)
    try:
        with shop.ctx.reader() as uow:
            held = appointments.get_appointment(uow, hold_id)
            service = views.view_of(appointments.get_service(uow, held.service_id), shop.lang)
            place = stores.get_places(uow, [held.place_id]).get(held.place_id)
            me = customers.get_customer(uow, shop.customer_id) if shop.customer_id else None
    except NotFound:
        return views.not_found(request, shop)
    if held.status != "held" and views.reachable(request, shop, held):
        return RedirectResponse(f"/shop/appointments/confirmed/{held.id}", status_code=303)
    live = held.hold_expires_at is not None and held.hold_expires_at > clock.now()
    return views.page(
        request,
        shop,
        "storefront/appointments/details.html",
        status_code=status_code,
        held=held,
        service=service,
        place=place,
        me=me,
        live=live and held.status == "held",
        values=values or {},
        errors=errors or {},
        error=error,
    )


@router.get("/holds/{hold_id}", response_class=HTMLResponse)
def details(request: Request, hold_id: str, shop: Shopper) -> Response:
    return _details_page(request, shop, hold_id)


def _person(values: dict[str, str], lang: str) -> tuple[PersonIn | None, dict[str, str]]:
    """The person coming, as the appointments service takes them, or the fields to correct."""
    errors: dict[str, str] = {}
    if not values["given_name"]:
        errors["given_name"] = say(lang, FIELD_ERRORS["given_name"])
    if not values["phone"] and not values["email"]:
        errors["phone"] = say(lang, REACH_US)
    if errors:
        return None, errors
    granted = values["news"] == "1"
    reach = (("email", values["email"]), ("sms", values["phone"]))
    try:
        consents = [
            ConsentIn(purpose="marketing", channel=channel, granted=granted, proof={"form": "appointment"})
            for channel, given in reach
            if given
        ]
        person = PersonIn(
            given_name=values["given_name"],
            family_name=values["family_name"],
            phone=values["phone"] or None,
            email=values["email"] or None,
            locale=lang,
            consents=consents,
        )
    except ValidationError as exc:
        for problem in exc.errors():
            field = str(problem["loc"][0]) if problem["loc"] else "phone"
            errors[field] = say(lang, FIELD_ERRORS.get(field, REACH_US))
        return None, errors
    return person, {}


@router.post("/holds/{hold_id}", response_model=None)
def book(
    request: Request,
    hold_id: str,
    shop: Shopper,
    given_name: Name = "",
    family_name: Name = "",
    phone: Annotated[str, Form(max_length=32)] = "",
    email: Annotated[str, Form(max_length=254)] = "",
    news: Annotated[str, Form(max_length=3)] = "",
    note: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    """Confirm the held time: for the signed-in customer, or for the person described."""
    if views.remembered(request, shop) != hold_id:
        return views.not_found(request, shop)
    values = {
        "given_name": given_name.strip(), "family_name": family_name.strip(), "phone": phone.strip(),
        "email": email.strip(), "news": news, "note": note.strip(),
    }  # fmt: skip
    person = None
    if not shop.signed_in:
        person, errors = _person(values, shop.lang)
        if person is None:
            return _details_page(request, shop, hold_id, values=values, errors=errors, status_code=422)
    try:
        with shop.ctx.uow() as uow:
            out = appointments.book(
                uow, BookIn(hold_id=hold_id, person=person, note=values["note"]), shop.ctx.settings
            )
            uow.commit()
    except Problem as problem:
        message = views.refusal(request, shop, problem)
        status = problem.status if 400 <= problem.status < 500 else 409
        return _details_page(request, shop, hold_id, values=values, error=message, status_code=status)
    response = RedirectResponse(f"/shop/appointments/confirmed/{out.id}", status_code=303)
    views.remember(request, shop, response, out.id)
    return response


@router.get("/confirmed/{appointment_id}", response_class=HTMLResponse)
def confirmed(request: Request, appointment_id: str, shop: Shopper) -> HTMLResponse:
    """The booking as the shopper keeps it: when (in the shop's time zone), with whom, where."""
    try:
        with shop.ctx.reader() as uow:
            out: AppointmentOut = appointments.get_appointment(uow, appointment_id)
            if not views.reachable(request, shop, out) or out.status in ("held", "expired"):
                raise NotFound(f"Appointment {appointment_id} does not exist.")
            service = views.view_of(appointments.get_service(uow, out.service_id), shop.lang)
            place = stores.get_places(uow, [out.place_id]).get(out.place_id)
    except NotFound:
        return views.not_found(request, shop)
    return views.page(
        request,
        shop,
        "storefront/appointments/confirmed.html",
        appointment=out,
        service=service,
        place=place,
        invitation=views.invitation(shop, out),
    )


# -- a service: the shops, then a shop's days and times --------------------------------------------------


def _first_free(found: PlaceSlots) -> tuple[date, str] | None:
    for day in found.days:
        if day.times:
            return day.date, day.times[0]
    return None


@router.get("/{code}", response_class=HTMLResponse)
def places(
    request: Request, code: str, shop: Shopper, postcode: Annotated[str, Query(max_length=10)] = ""
) -> HTMLResponse:
    """The shops offering the service, nearest the postcode typed (or all, by name), each with its
    first free time."""
    postcode = postcode.strip()
    error, found = None, []
    try:
        with shop.ctx.reader() as uow:
            service = views.service_by_code(uow, shop, code)
            query = appointments.SlotQuery(
                service_id=service.id,
                first_day=views.today(shop),
                days=WINDOW_DAYS,
                postcode=postcode or None,
                language=_language(service, shop.lang, None),
                places_limit=5 if postcode else 20,
            )
            try:
                found = appointments.search_slots(uow, query, views.channel(shop), clock.now()).places
            except Problem as problem:
                error = views.refusal(request, shop, problem)
    except NotFound:
        return views.not_found(request, shop)
    return views.page(
        request,
        shop,
        "storefront/appointments/places.html",
        status_code=422 if error else 200,
        service=service,
        postcode=postcode,
        rows=[{"place": p, "first": _first_free(p)} for p in found],
        error=error,
    )


def _slots_page(
    request: Request,
    shop: ShopperContext,
    code: str,
    place_id: str,
    *,
    start: date | None,
    day: date | None,
    language: str,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    today = views.today(shop)
    first = max(start or today, today)
    try:
        with shop.ctx.reader() as uow:
            service = views.service_by_code(uow, shop, code)
            chosen = _language(service, shop.lang, language)
            query = appointments.SlotQuery(
                service_id=service.id,
                first_day=first,
                days=WINDOW_DAYS,
                place_ids=(place_id,),
                language=chosen,
            )
            found = appointments.search_slots(uow, query, views.channel(shop), clock.now()).places
    except Problem:
        return views.not_found(request, shop)
    if not found:
        return views.not_found(request, shop)
    days = [d for d in found[0].days if d.times]
    selected = next((d for d in days if d.date == day), days[0] if days else None)
    later = first + timedelta(days=WINDOW_DAYS)
    return views.page(
        request,
        shop,
        "storefront/appointments/slots.html",
        status_code=status_code,
        service=service,
        place=found[0],
        language=chosen or "",
        days=days,
        selected=selected,
        times=_times(selected),
        earlier=max(first - timedelta(days=WINDOW_DAYS), today) if first > today else None,
        later=later if (later - today).days < service.horizon_days else None,
        error=error,
    )


def _times(selected: Any) -> list[dict[str, Any]]:
    if selected is None:
        return []
    seats = selected.seats_left or [None] * len(selected.times)
    return [{"time": t, "seats": s} for t, s in zip(selected.times, seats, strict=True)]


@router.get("/{code}/{place_id}", response_class=HTMLResponse)
def slots(
    request: Request,
    code: str,
    place_id: str,
    shop: Shopper,
    start: Annotated[str, Query(max_length=10)] = "",
    day: Annotated[str, Query(max_length=10)] = "",
    language: Annotated[str, Query(max_length=2)] = "",
) -> HTMLResponse:
    return _slots_page(request, shop, code, place_id, start=_date(start), day=_date(day), language=language)


@router.post("/{code}/{place_id}", response_model=None)
def hold(
    request: Request,
    code: str,
    place_id: str,
    shop: Shopper,
    day: Annotated[str, Form(max_length=10)] = "",
    at: Annotated[str, Form(max_length=5)] = "",
    language: Annotated[str, Form(max_length=2)] = "",
) -> Response:
    """Hold the time chosen while the details are filled in, then ask them."""
    chosen = _date(day)
    if chosen is None or not HHMM.match(at):
        message = say(shop.lang, views.FIELD_MESSAGES["starts_at"])
        return _slots_page(
            request,
            shop,
            code,
            place_id,
            start=None,
            day=None,
            language=language,
            error=message,
            status_code=422,
        )
    try:
        with shop.ctx.uow() as uow:
            service = views.service_by_code(uow, shop, code)
            place = stores.get_places(uow, [place_id]).get(place_id)
            if place is None:
                raise NotFound(f"Place {place_id} does not exist.")
            starts_at = datetime.combine(chosen, time.fromisoformat(at), tzinfo=ZoneInfo(place.timezone))
            slot = SlotIn(
                service_id=service.id,
                place_id=place_id,
                starts_at=starts_at,
                language=_language(service, shop.lang, language),
            )
            held = appointments.hold(uow, slot)
            uow.commit()
    except NotFound:
        return views.not_found(request, shop)
    except Problem as problem:
        message = views.refusal(request, shop, problem)
        return _slots_page(
            request,
            shop,
            code,
            place_id,
            start=chosen,
            day=chosen,
            language=language,
            error=message,
            status_code=problem.status,
        )
    response = RedirectResponse(f"/shop/appointments/holds/{held.id}", status_code=303)
    views.remember(request, shop, response, held.id)
    return response
