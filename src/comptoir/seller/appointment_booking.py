"""Booking on the shop tablet, for a customer in front of the seller or on the phone
(``/seller/appointments/new``): a service offered in shops, a day, a free time at this shop — held
while the seller finds the customer (``customers.search``, as the customer page does) or types a new
person's details — then booked for them, with a note. The rules (who is free, the hold's life, which
services shops book) are the appointments service's; a refusal is said on the page."""

import re
from datetime import date, datetime, time
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from comptoir.appointments import service as appointments
from comptoir.appointments.schemas import BookIn, PersonIn, SlotIn
from comptoir.core import clock
from comptoir.core.api import RequestContext
from comptoir.core.errors import NotFound, Problem
from comptoir.core.web import page_language, require_page
from comptoir.seller import appointment_views as views
from comptoir.seller.common import SellerRoute, gettext, keep_language, place_names, render, shop_of
from comptoir.seller.customers import find_customers

router = APIRouter(prefix="/seller/appointments/new", include_in_schema=False, route_class=SellerRoute)
Reader = Annotated[RequestContext, Depends(require_page("appointments", "read"))]
Writer = Annotated[RequestContext, Depends(require_page("appointments", "write"))]
SHOWN_DAYS = 7
HHMM = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
Text = Annotated[str, Form(max_length=100)]


def _choose_page(
    request: Request,
    ctx: RequestContext,
    *,
    shop: str,
    service: str,
    day: date | None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    """The service, the day and the free times at the shop (a day, and the next days with free times)."""
    place_id = shop_of(ctx, shop or None)
    lang = page_language(request)
    found = None
    with ctx.reader() as uow:
        offered = views.bookable(uow, ctx, lang)
        chosen = next((s for s in offered if s.code == service), None)
        timezone = views.timezone_of(uow, ctx, place_id)
        first = max(day or views.today(timezone), views.today(timezone))
        if chosen is not None and place_id:
            query = appointments.SlotQuery(
                service_id=chosen.id, first_day=first, days=SHOWN_DAYS, place_ids=(place_id,)
            )
            kind = appointments.channel_kind(ctx.actor.channel)
            try:
                found = appointments.search_slots(uow, query, kind, clock.now())
            except Problem as exc:
                error, status_code = views.refusal(request, exc), exc.status
        choices = views.shop_choices(uow, ctx)
        names = place_names(uow, [place_id])
    days = [d for d in found.places[0].days if d.times] if found and found.places else []
    return render(
        request,
        "seller/appointment_new.html",
        status_code=status_code,
        active="appointments",
        shop=place_id or "",
        shops=choices,
        places=names,
        services=[(s.code, views.service_name(s, lang)) for s in offered],
        chosen=chosen,
        chosen_name=views.service_name(chosen, lang) if chosen else "",
        first=first,
        days=days,
        searched=found is not None,
        error=error,
    )


@router.get("")
def choose(
    request: Request,
    ctx: Reader,
    shop: str = "",
    service: Annotated[str, Query(max_length=64)] = "",
    day: Annotated[str, Query(max_length=10)] = "",
) -> Response:
    return _choose_page(request, ctx, shop=shop, service=service, day=views.parse_day(day))


@router.post("")
def hold(
    request: Request,
    ctx: Writer,
    shop: Annotated[str, Form(max_length=64)] = "",
    service: Annotated[str, Form(max_length=64)] = "",
    day: Annotated[str, Form(max_length=10)] = "",
    at: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    """Hold the time chosen while the seller says who it is for."""
    chosen_day = views.parse_day(day)
    place_id = shop_of(ctx, shop or None)
    if chosen_day is None or not HHMM.match(at) or not place_id:
        _ = gettext(request)
        error = _("Choose a time.")
        return _choose_page(
            request, ctx, shop=shop, service=service, day=chosen_day, error=error, status_code=422
        )
    try:
        with ctx.uow() as uow:
            offered = views.bookable(uow, ctx, page_language(request))
            chosen = next((s for s in offered if s.code == service), None)
            if chosen is None:
                raise NotFound(f"Service {service} does not exist.")
            timezone = ZoneInfo(views.timezone_of(uow, ctx, place_id))
            starts_at = datetime.combine(chosen_day, time.fromisoformat(at), tzinfo=timezone)
            held = appointments.hold(
                uow, SlotIn(service_id=chosen.id, place_id=place_id, starts_at=starts_at)
            )
            uow.commit()
    except Problem as exc:
        if exc.status == 404:
            raise
        error = views.refusal(request, exc)
        return _choose_page(
            request, ctx, shop=shop, service=service, day=chosen_day, error=error, status_code=exc.status
        )
    return RedirectResponse(keep_language(request, f"/seller/appointments/new/{held.id}"), status_code=303)


# -- who it is for --------------------------------------------------------------------------------------


def _who_page(
    request: Request,
    ctx: RequestContext,
    hold_id: str,
    *,
    q: str = "",
    values: dict[str, str] | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    lang = page_language(request)
    with ctx.reader() as uow:
        held = appointments.get_appointment(uow, hold_id)
        ctx.own_resource(held.customer_id, [held.place_id], "Appointment", held.id)
        service = appointments.get_service(uow, held.service_id)
        found = find_customers(uow, q) if q.strip() else []
        names = place_names(uow, [held.place_id])
    live = held.status == "held" and held.hold_expires_at is not None and held.hold_expires_at > clock.now()
    return render(
        request,
        "seller/appointment_who.html",
        status_code=status_code,
        active="appointments",
        held=held,
        live=live,
        service_name=views.service_name(service, lang),
        duration=service.duration_min,
        local_day=views.local_day,
        q=q,
        found=found,
        searched=bool(q.strip()),
        values=values or {},
        error=error,
        places=names,
    )


@router.get("/{hold_id}")
def who(
    request: Request, hold_id: str, ctx: Reader, q: Annotated[str, Query(max_length=200)] = ""
) -> Response:
    return _who_page(request, ctx, hold_id, q=q)


def _command(hold_id: str, values: dict[str, str], lang: str) -> BookIn:
    """A known customer, or the person described (their consent to our news as stated, when asked)."""
    person = None
    if not values["customer_id"]:
        reach = (("email", values["email"]), ("sms", values["phone"]))
        granted = values["news"] == "1"
        person = PersonIn.model_validate(
            {
                "given_name": values["given_name"],
                "family_name": values["family_name"],
                "phone": values["phone"] or None,
                "email": values["email"] or None,
                "locale": lang,
                "consents": [
                    {
                        "purpose": "marketing",
                        "channel": c,
                        "granted": granted,
                        "proof": {"form": "seller-appointment"},
                    }
                    for c, given in reach
                    if given
                ],
            }
        )
    return BookIn(
        hold_id=hold_id, customer_id=values["customer_id"] or None, person=person, note=values["note"]
    )


@router.post("/{hold_id}")
def book(
    request: Request,
    hold_id: str,
    ctx: Writer,
    customer_id: Annotated[str, Form(max_length=40)] = "",
    given_name: Text = "",
    family_name: Text = "",
    phone: Annotated[str, Form(max_length=32)] = "",
    email: Annotated[str, Form(max_length=254)] = "",
    news: Annotated[str, Form(max_length=3)] = "",
    note: Annotated[str, Form(max_length=1000)] = "",
    q: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Book the held time for the customer found, or for the new person typed in."""
    values = {
        "customer_id": customer_id.strip(), "given_name": given_name.strip(), "family_name": family_name.strip(),
        "phone": phone.strip(), "email": email.strip(), "news": news, "note": note.strip(),
    }  # fmt: skip
    _ = gettext(request)
    try:
        command = _command(hold_id, values, page_language(request))
    except ValidationError:
        error = _("Give the customer's first name and a phone number or an e-mail address.")
        return _who_page(request, ctx, hold_id, q=q, values=values, error=error, status_code=422)
    try:
        with ctx.uow() as uow:
            held = appointments.get_appointment(uow, hold_id)
            ctx.own_resource(held.customer_id, [held.place_id], "Appointment", held.id)
            out = appointments.book(uow, command, ctx.settings)
            uow.commit()
    except Problem as exc:
        if exc.status == 404 and exc.slug != "hold-not-found":
            raise
        message = views.refusal(request, exc)
        return _who_page(request, ctx, hold_id, q=q, values=values, error=message, status_code=exc.status)
    day = views.local_day(out.starts_at, out.timezone).isoformat()
    url = f"/seller/appointments?shop={out.place_id}&day={day}&who=shop&booked={out.id}"
    return RedirectResponse(keep_language(request, url), status_code=303)
