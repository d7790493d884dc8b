"""What the storefront's appointment pages share: the services offered on the website in the shopper's
words, the appointment's time in its place's time zone, the words for its statuses, the appointments
service's refusals said to a shopper, and the signed cookie naming the appointment this browser holds or
just booked (so that nobody confirms or opens another's by its id).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request, Response
from fastapi.responses import HTMLResponse

from comptoir.appointments import service as appointments
from comptoir.appointments.schemas import AppointmentOut, ServiceOut
from comptoir.core import clock, tokens
from comptoir.core.errors import NotFound, Problem
from comptoir.core.i18n import babel_locale
from comptoir.core.uow import UnitOfWork
from comptoir.storefront.account_common import N_, local_path, render, say
from comptoir.storefront.rendering import problem_message
from comptoir.storefront.session import ShopperContext

COOKIE = "comptoir_appointment"
PURPOSE = "storefront-appointment"
COOKIE_TTL = 7 * 86400

STATUSES = {
    "held": N_("Being booked"),
    "booked": N_("Booked"),
    "checked_in": N_("Arrived"),
    "completed": N_("Done"),
    "no_show": N_("Missed"),
    "cancelled": N_("Cancelled"),
    "expired": N_("Not confirmed in time"),
}
TONES = {
    "booked": "ok",
    "checked_in": "info",
    "completed": "neutral",
    "no_show": "warn",
    "cancelled": "danger",
}
FIELD_MESSAGES = {
    "starts_at": N_("This time can no longer be booked: choose another one."),
    "slot.starts_at": N_("This time can no longer be booked: choose another one."),
    "postcode": N_("We do not know this postcode: check it, or look at the list of our shops."),
    "service_id": N_("This service cannot be booked online any more."),
    "language": N_("This service is not offered in this language."),
    "place_id": N_("This service is not offered at this shop."),
    "person": N_("Tell us who is coming: your name and a phone number or an e-mail address."),
}
SLUG_MESSAGES = {
    "slot-unavailable": N_("This time is no longer free: choose another one."),
    "hold-expired": N_("We kept this time for you for 10 minutes and it has been released: choose it again."),
    "hold-not-found": N_(
        "We kept this time for you for 10 minutes and it has been released: choose it again."
    ),
    "not-cancellable": N_("This appointment can no longer be cancelled."),
    "not-booked": N_("This appointment can no longer be changed."),
}
PAST_CUTOFF = N_(
    "It is too late to cancel online: call the shop. An appointment can be cancelled online up to "
    "%(hours)s hours before it starts."
)


@dataclass(frozen=True)
class ServiceView:
    """A service as a shopper reads it: in the page's language, with what it takes."""

    id: str
    code: str
    name: str
    description: str
    duration_min: int
    capacity: int
    languages: list[str]
    cancel_cutoff_min: int
    horizon_days: int


def view_of(service: ServiceOut, lang: str) -> ServiceView:
    names, texts = service.names.model_dump(), service.descriptions.model_dump()
    return ServiceView(
        id=service.id,
        code=service.code,
        name=names.get(lang) or service.names.fr,
        description=texts.get(lang) or service.descriptions.fr,
        duration_min=service.duration_min,
        capacity=service.capacity,
        languages=list(service.languages),
        cancel_cutoff_min=service.cancel_cutoff_min,
        horizon_days=service.horizon_days,
    )


def channel(shop: ShopperContext) -> str:
    """The website's channel as the services list it (``web``)."""
    return appointments.channel_kind(shop.ctx.actor.channel)


def offered(uow: UnitOfWork, shop: ShopperContext) -> list[ServiceView]:
    """The services bookable on the website now, in the shopper's language, by name."""
    found = appointments.list_services(uow, active_only=True, channel=channel(shop))
    return sorted((view_of(s, shop.lang) for s in found), key=lambda s: s.name.casefold())


def service_by_code(uow: UnitOfWork, shop: ShopperContext, code: str) -> ServiceView:
    for service in offered(uow, shop):
        if service.code == code:
            return service
    raise NotFound(f"Service {code} does not exist.", slug="not-found")


def names_by_id(uow: UnitOfWork, lang: str) -> dict[str, ServiceView]:
    """Every service (offered or no longer), for naming past appointments in the page's language."""
    return {s.id: view_of(s, lang) for s in appointments.list_services(uow)}


def language_name(code: str, lang: str) -> str:
    """``en`` → "In English" ("En anglais"): the language an appointment is held in."""
    name = str(babel_locale(lang).languages.get(code, code))
    return say(lang, N_("In %(language)s")) % {"language": name}


def today(shop: ShopperContext) -> date:
    return clock.now().astimezone(ZoneInfo(shop.ctx.settings.timezone)).date()


def local_day(value: datetime, timezone: str) -> date:
    """The day of ``value`` where the appointment takes place."""
    return value.astimezone(ZoneInfo(timezone)).date()


def refusal(request: Request, shop: ShopperContext, problem: Problem, cutoff_min: int = 0) -> str:
    """The shopper's words for a refusal of the appointments service, in the page's language."""
    pointers = [str(e.get("pointer", "")) for e in problem.errors]
    field = pointers[0].removeprefix("#/").replace("/", ".") if pointers else ""
    if problem.slug == "past-cutoff":
        return say(shop.lang, PAST_CUTOFF) % {"hours": cutoff_min // 60}
    if problem.slug in SLUG_MESSAGES:
        return say(shop.lang, SLUG_MESSAGES[problem.slug])
    if field in FIELD_MESSAGES:
        return say(shop.lang, FIELD_MESSAGES[field])
    return problem_message(request, problem)


def page(
    request: Request, shop: ShopperContext, name: str, *, status_code: int = 200, **context: Any
) -> HTMLResponse:
    """An appointment page: the storefront's helpers, and ``local_day``, ``language_name``, statuses."""
    return render(
        request,
        shop,
        name,
        status_code=status_code,
        local_day=local_day,
        language_name=lambda code: language_name(code, shop.lang),
        statuses=STATUSES,
        tones=TONES,
        **context,
    )


def not_found(request: Request, shop: ShopperContext) -> HTMLResponse:
    return page(request, shop, "storefront/appointments/not_found.html", status_code=404)


# -- the browser's appointment ------------------------------------------------------------------------


def remember(request: Request, shop: ShopperContext, response: Response, appointment_id: str) -> None:
    """This browser holds (or just booked) ``appointment_id``."""
    value = tokens.sign(shop.ctx.settings.secret_key, PURPOSE, {"a": appointment_id}, COOKIE_TTL)
    response.set_cookie(
        COOKIE,
        value,
        max_age=COOKIE_TTL,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/shop/appointments",
    )


def remembered(request: Request, shop: ShopperContext) -> str | None:
    value = request.cookies.get(COOKIE)
    if not value:
        return None
    claims = tokens.verify(shop.ctx.settings.secret_key, PURPOSE, value)
    return str(claims["a"]) if claims and "a" in claims else None


def invitation(shop: ShopperContext, out: AppointmentOut) -> str | None:
    """The calendar invitation's signed link, as a path of this site (none for a hold). Signed here with
    the app's settings: the service's reads sign it with the process's default settings."""
    if out.invitation_url is None:
        return None
    return local_path(appointments.invitation_url(shop.ctx.settings, out.id))


def reachable(request: Request, shop: ShopperContext, out: AppointmentOut) -> bool:
    """The browser that held or booked it, or its signed-in customer, reaches an appointment."""
    if remembered(request, shop) == out.id:
        return True
    return shop.customer_id is not None and out.customer_id == shop.customer_id
