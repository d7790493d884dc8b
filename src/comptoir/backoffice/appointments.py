"""A shop's week of appointments for its manager (``/back-office/appointments``): each day's appointments
by start time — the service, the advisor, the customer, the status — with those the shop's hours no
longer allow (a closure, new hours) flagged, and the free times the appointments service found to offer
instead. The shops offered are those the person sees (a shop manager's own)."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from comptoir.appointments import service as appointments
from comptoir.appointments.schemas import AppointmentOut
from comptoir.backoffice.common import N_, render, staff, visible_shops
from comptoir.core import clock
from comptoir.core.api import RequestContext
from comptoir.core.errors import NotFound
from comptoir.core.uow import UnitOfWork
from comptoir.core.web import page_language
from comptoir.customers import service as customers
from comptoir.stores import service as stores

router = APIRouter(prefix="/back-office/appointments", include_in_schema=False)
Reader = Annotated[RequestContext, staff("appointments")]
MAX_APPOINTMENTS = 500
STATUSES = {
    "booked": N_("Booked"),
    "checked_in": N_("Arrived"),
    "completed": N_("Done"),
    "no_show": N_("Did not come"),
    "cancelled": N_("Cancelled"),
}
TONES = {"booked": "info", "checked_in": "warn", "completed": "ok", "no_show": "danger"}


@dataclass(frozen=True)
class Day:
    date: date
    items: list[AppointmentOut]


def _monday(value: date) -> date:
    return value - timedelta(days=value.weekday())


def _week(day: date, timezone: str) -> tuple[datetime, datetime]:
    """The local week from Monday as instants (as long as it is on the weeks the clocks change)."""
    tz, monday = ZoneInfo(timezone), _monday(day)
    return datetime.combine(monday, time.min, tzinfo=tz), datetime.combine(
        monday + timedelta(days=7), time.min, tzinfo=tz
    )


def _customers(uow: UnitOfWork, items: list[AppointmentOut]) -> dict[str, tuple[str, str]]:
    """Each customer's name and its staff page (an erased customer is left out)."""
    out: dict[str, tuple[str, str]] = {}
    for customer_id in {a.customer_id for a in items if a.customer_id}:
        try:
            found = customers.get_customer(uow, customer_id)
        except NotFound:
            continue
        out[customer_id] = (found.display_name, f"/pages/customers/{found.id}")
    return out


@router.get("", response_class=HTMLResponse)
def week(
    request: Request,
    ctx: Reader,
    place: Annotated[str, Query(max_length=64)] = "",
    day: Annotated[str, Query(max_length=10)] = "",
) -> HTMLResponse:
    lang = page_language(request)
    with ctx.reader() as uow:
        shops = [p for p in visible_shops(uow, ctx) if p.kind == "store"]
        chosen = next((p for p in shops if p.id == place), None) if place else (shops[0] if shops else None)
        if place and chosen is None:
            raise NotFound(f"Place {place} does not exist.")
        timezone = chosen.timezone if chosen else ctx.settings.timezone
        try:
            asked = date.fromisoformat(day) if day else None
        except ValueError:
            asked = None
        monday = _monday(asked or clock.now().astimezone(ZoneInfo(timezone)).date())
        start, end = _week(monday, timezone)
        items = (
            appointments.list_appointments(
                uow, place_ids=[chosen.id], start=start, end=end, limit=MAX_APPOINTMENTS
            )
            if chosen
            else []
        )
        services = {
            s.id: s.names.model_dump().get(lang) or s.names.fr for s in appointments.list_services(uow)
        }
        people = _customers(uow, items)
        offered = stores.get_places(uow, {alt.place_id for a in items for alt in a.alternatives})
    tz = ZoneInfo(timezone)
    days = [
        Day(
            monday + timedelta(days=n),
            [a for a in items if a.starts_at.astimezone(tz).date() == monday + timedelta(days=n)],
        )
        for n in range(7)
    ]
    return render(
        request,
        "backoffice/appointments.html",
        section="appointments",
        shops=shops,
        chosen=chosen,
        days=days,
        monday=monday,
        previous=(monday - timedelta(days=7)).isoformat(),
        following=(monday + timedelta(days=7)).isoformat(),
        disrupted=[a for a in items if a.disrupted_at is not None and a.status == "booked"],
        services=services,
        people=people,
        offered=offered,
        statuses=STATUSES,
        tones=TONES,
        timezone=timezone,
    )
