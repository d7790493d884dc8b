"""What the seller app's appointment pages share: the services in the page's language, the shops a person
may choose, the customers' names, the day in a shop's time zone, and the appointments service's refusals
said to a seller."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from fastapi import Request

from comptoir.appointments import service as appointments
from comptoir.appointments.schemas import ServiceOut
from comptoir.core import clock
from comptoir.core.api import RequestContext
from comptoir.core.errors import NotFound, Problem
from comptoir.core.i18n import N_
from comptoir.core.uow import UnitOfWork
from comptoir.customers import service as customers
from comptoir.seller.common import gettext, place_names, problem_message
from comptoir.stores import service as stores

STATUS_TONES = {"booked": "info", "checked_in": "warn", "completed": "ok", "no_show": "danger"}
SLUG_MESSAGES = {
    "slot-unavailable": N_("This time is no longer free: choose another one."),
    "hold-expired": N_("The time was kept for 10 minutes and has been released: choose it again."),
    "hold-not-found": N_("The time was kept for 10 minutes and has been released: choose it again."),
    "not-started": N_("It has not started yet: a no-show is recorded once the start time has passed."),
    "wrong-status": N_("This step cannot be done now: reload the page."),
    "not-cancellable": N_("This appointment can no longer be cancelled."),
    "not-booked": N_("This appointment can no longer be changed."),
}
FIELD_MESSAGES = {
    "starts_at": N_("This time can no longer be booked: choose another one."),
    "slot.starts_at": N_("This time can no longer be booked: choose another one."),
    "person": N_("Give the customer's first name and a phone number or an e-mail address."),
    "customer_id": N_("We could not find this customer: search again."),
    "service_id": N_("This service cannot be booked here."),
    "place_id": N_("This service is not offered in this shop."),
}
WORDS = {
    "held": N_("Being booked"),
    "booked": N_("Booked"),
    "checked_in": N_("Arrived"),
    "completed": N_("Done"),
    "no_show": N_("Did not come"),
    "cancelled": N_("Cancelled"),
    "expired": N_("Not confirmed in time"),
}


@dataclass(frozen=True)
class Person:
    """Who an appointment is for, as a seller calls them."""

    id: str
    name: str
    phone: str | None


def refusal(request: Request, exc: Problem) -> str:
    """A seller's words for a refusal of the appointments service, in the page's language."""
    _ = gettext(request)
    pointers = [str(e.get("pointer", "")) for e in exc.errors]
    field = pointers[0].removeprefix("#/").replace("/", ".") if pointers else ""
    if exc.slug in SLUG_MESSAGES:
        return _(SLUG_MESSAGES[exc.slug])
    if field in FIELD_MESSAGES:
        return _(FIELD_MESSAGES[field])
    if field.startswith("products."):
        return _("A product reference is not in the catalogue: check the products you entered.")
    return problem_message(request, exc)


def service_name(service: ServiceOut, lang: str) -> str:
    return str(service.names.model_dump().get(lang) or service.names.fr)


def services_by_id(uow: UnitOfWork) -> dict[str, ServiceOut]:
    return {s.id: s for s in appointments.list_services(uow)}


def bookable(uow: UnitOfWork, ctx: RequestContext, lang: str) -> list[ServiceOut]:
    """The services this tablet books now: those offered in shops (every one for staff bound to none)."""
    kind = appointments.channel_kind(ctx.actor.channel)
    found = appointments.list_services(uow, active_only=True, channel=None if kind == "back-office" else kind)
    return sorted(found, key=lambda s: service_name(s, lang).casefold())


def shop_choices(uow: UnitOfWork, ctx: RequestContext) -> list[tuple[str, str]]:
    """The shops this person may choose: theirs, or every open shop for staff bound to none."""
    if ctx.actor.shops is not None:
        names = place_names(uow, ctx.actor.shops)
    else:
        names = {p.id: p.name for p in stores.all_places(uow, kind="store") if p.status == "open"}
    return sorted(names.items(), key=lambda kv: kv[1])


def timezone_of(uow: UnitOfWork, ctx: RequestContext, place_id: str | None) -> str:
    place = stores.get_places(uow, [place_id]).get(place_id) if place_id else None
    return place.timezone if place is not None else ctx.settings.timezone


def today(timezone: str) -> date:
    return clock.now().astimezone(ZoneInfo(timezone)).date()


def parse_day(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def day_span(day: date, timezone: str) -> tuple[datetime, datetime]:
    """The local day as instants (as long as it really is on the days the clocks change)."""
    tz = ZoneInfo(timezone)
    return datetime.combine(day, time.min, tzinfo=tz), datetime.combine(
        day + timedelta(days=1), time.min, tzinfo=tz
    )


def people(uow: UnitOfWork, ids: Iterable[str | None]) -> dict[str, Person]:
    """The customers' names and phones (an erased customer is left out)."""
    out: dict[str, Person] = {}
    for customer_id in {i for i in ids if i}:
        try:
            found = customers.get_customer(uow, customer_id)
        except NotFound:
            continue
        out[customer_id] = Person(found.id, found.display_name, found.phone)
    return out


def is_advisor(uow: UnitOfWork, ctx: RequestContext) -> bool:
    if ctx.actor.staff_id is None:
        return False
    try:
        appointments.get_advisor(uow, ctx.actor.staff_id)
    except NotFound:
        return False
    return True


def local_day(value: datetime, timezone: str) -> date:
    return value.astimezone(ZoneInfo(timezone)).date()
