"""The advisor's day on the shop tablet (``/seller/appointments``): the day's appointments of the
signed-in advisor, or of the whole shop, by start time — who comes (their 360° page a tap away), for
what, with whom, their note — and the day's steps: the customer arrived (check-in), done with the
advisor's notes (complete), did not come (no-show), cancelled at their request. Each step is the
appointments service's, which says when it cannot be done; the page says it in the seller's words."""

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from comptoir.appointments import service as appointments
from comptoir.appointments.schemas import AppointmentOut, CancelIn, CompleteIn
from comptoir.core.api import RequestContext
from comptoir.core.errors import Problem
from comptoir.core.web import page_language, require_page
from comptoir.seller import appointment_views as views
from comptoir.seller.common import SellerRoute, gettext, keep_language, place_names, render, shop_of

router = APIRouter(prefix="/seller/appointments", include_in_schema=False, route_class=SellerRoute)
Reader = Annotated[RequestContext, Depends(require_page("appointments", "read"))]
Writer = Annotated[RequestContext, Depends(require_page("appointments", "write"))]
Field = Annotated[str, Form(max_length=64)]


def _day_page(
    request: Request,
    ctx: RequestContext,
    *,
    shop: str,
    day: str,
    who: str,
    booked: str = "",
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    place_id = shop_of(ctx, shop or None)
    lang = page_language(request)
    with ctx.reader() as uow:
        advisor = views.is_advisor(uow, ctx)
        mine = who == "me" or (who != "shop" and advisor)
        timezone = views.timezone_of(uow, ctx, place_id)
        chosen = views.parse_day(day) or views.today(timezone)
        start, end = views.day_span(chosen, timezone)
        items: list[AppointmentOut] = []
        if mine:
            items = appointments.list_appointments(uow, advisor_id=ctx.actor.staff_id, start=start, end=end)
        elif place_id:
            items = appointments.list_appointments(uow, place_ids=[place_id], start=start, end=end)
        services = views.services_by_id(uow)
        people = views.people(uow, [a.customer_id for a in items])
        names = place_names(uow, {a.place_id for a in items} | {place_id})
        choices = views.shop_choices(uow, ctx)
    done = next((a for a in items if a.id == booked), None)
    return render(
        request,
        "seller/appointments.html",
        status_code=status_code,
        active="appointments",
        shop=place_id or "",
        shops=choices,
        day=chosen,
        today=views.today(timezone),
        who="me" if mine else "shop",
        advisor=advisor,
        items=items,
        service_name=lambda a: views.service_name(services[a.service_id], lang),
        people=people,
        places=names,
        booked=done,
        error=error,
        words=views.WORDS,
        tones=views.STATUS_TONES,
        local_day=views.local_day,
    )


@router.get("")
def day_page(
    request: Request, ctx: Reader, shop: str = "", day: str = "", who: str = "", booked: str = ""
) -> Response:
    return _day_page(request, ctx, shop=shop, day=day, who=who, booked=booked)


def _step(
    request: Request, ctx: RequestContext, appointment_id: str, form: dict[str, str], act: Any
) -> Response:
    """Do one step on an appointment of the seller's shops, then back to the day (or the day with the
    reason it could not be done)."""
    back = {"shop": form["shop"], "day": form["day"], "who": form["who"]}
    try:
        with ctx.uow() as uow:
            found = appointments.get_appointment(uow, appointment_id)
            ctx.own_resource(found.customer_id, [found.place_id], "Appointment", found.id)
            act(uow)
            uow.commit()
    except ValidationError:
        _ = gettext(request)
        error = _("Check what you entered.")
        return _day_page(request, ctx, **back, error=error, status_code=422)
    except Problem as exc:
        if exc.status == 404:
            raise
        return _day_page(request, ctx, **back, error=views.refusal(request, exc), status_code=exc.status)
    query = urlencode({k: v for k, v in back.items() if v})
    return RedirectResponse(keep_language(request, f"/seller/appointments?{query}"), status_code=303)


@router.post("/{appointment_id}/check-in")
def check_in(
    request: Request, appointment_id: str, ctx: Writer, shop: Field = "", day: Field = "", who: Field = ""
) -> Response:
    return _step(
        request,
        ctx,
        appointment_id,
        {"shop": shop, "day": day, "who": who},
        lambda uow: appointments.check_in(uow, appointment_id, ctx.settings),
    )


def _products(text: str, kind: str) -> list[dict[str, str]]:
    """A textarea's products: one reference per line, then after a colon the advisor's word for the
    customer (``ROBE-LIN-S-BLEU: parfaite pour l'été``)."""
    out = []
    for line in text.splitlines():
        sku, _, note = line.partition(":")
        if sku.strip():
            out.append({"sku": sku.strip(), "kind": kind, "note": note.strip()})
    return out


@router.post("/{appointment_id}/complete")
def complete(
    request: Request,
    appointment_id: str,
    ctx: Writer,
    notes: Annotated[str, Form(max_length=4000)] = "",
    shown: Annotated[str, Form(max_length=4000)] = "",
    recommended: Annotated[str, Form(max_length=4000)] = "",
    shop: Field = "",
    day: Field = "",
    who: Field = "",
) -> Response:
    def act(uow: Any) -> None:
        products = [*_products(shown, "shown"), *_products(recommended, "recommended")]
        command = CompleteIn.model_validate({"notes": notes.strip(), "products": products})
        appointments.complete(uow, appointment_id, command, ctx.settings)

    return _step(request, ctx, appointment_id, {"shop": shop, "day": day, "who": who}, act)


@router.post("/{appointment_id}/no-show")
def no_show(
    request: Request, appointment_id: str, ctx: Writer, shop: Field = "", day: Field = "", who: Field = ""
) -> Response:
    return _step(
        request,
        ctx,
        appointment_id,
        {"shop": shop, "day": day, "who": who},
        lambda uow: appointments.no_show(uow, appointment_id, ctx.settings),
    )


@router.post("/{appointment_id}/cancel")
def cancel(
    request: Request,
    appointment_id: str,
    ctx: Writer,
    reason: Annotated[str, Form(max_length=200)] = "",
    shop: Field = "",
    day: Field = "",
    who: Field = "",
) -> Response:
    return _step(
        request,
        ctx,
        appointment_id,
        {"shop": shop, "day": day, "who": who},
        lambda uow: appointments.cancel(uow, appointment_id, CancelIn(reason=reason.strip()), ctx.settings),
    )
