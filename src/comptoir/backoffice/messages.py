"""The messages customers receive (``/back-office/messages``): the journeys in force — what starts
each, its steps (the message, the channels, when it goes) and what ends it — the pressure rules, and
each message previewed for a sample customer in French or English (``/back-office/messages/{template}``).
Shop managers read them too (as the API lets them); journeys and rules are edited through the API."""

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from comptoir.backoffice.common import N_, render, staff
from comptoir.core.api import RequestContext
from comptoir.core.errors import NotFound
from comptoir.core.i18n import translations
from comptoir.core.web import page_language
from comptoir.engagement import service as engagement
from comptoir.engagement.schemas import Step

router = APIRouter(prefix="/back-office/messages", include_in_schema=False)
Reader = Annotated[RequestContext, staff("engagement")]
EVENTS = {
    "appointments.booked": N_("an appointment is booked"),
    "appointments.rescheduled": N_("the appointment moves"),
    "appointments.completed": N_("the appointment is done"),
    "appointments.cancelled": N_("the appointment is cancelled"),
    "appointments.no_show": N_("the customer does not come"),
    "appointments.checked_in": N_("the customer arrives"),
    "orders.order_placed": N_("an order is placed"),
    "orders.order_cancelled": N_("the order is cancelled"),
    "orders.fulfilment_ready_for_pickup": N_("the order is ready at the shop"),
    "orders.fulfilment_collected": N_("the order is collected"),
    "orders.fulfilment_shipped": N_("the order ships"),
    "orders.fulfilment_delivered": N_("the order is delivered"),
    "orders.pickup_expired": N_("the order was not collected in time"),
    "carts.cart_abandoned": N_("a cart is left untouched"),
    "carts.cart_ordered": N_("the cart is ordered"),
    "inventory.stock_changed": N_("a wished-for product can be ordered online again"),
    "pricing.price_changed": N_("a wished-for product's price drops"),
    "customers.customer_created": N_("a customer joins"),
    "loyalty.tier_changed": N_("the customer's loyalty tier changes"),
    "engagement.birthday_reached": N_("the customer's birthday comes"),
    "receipts.receipt_issued": N_("a receipt is to be e-mailed"),
    "engagement.launched": N_("the retailer launches it to an audience"),
}
CHANNELS = {"email": N_("E-mail"), "sms": N_("SMS"), "push": N_("Notification")}
PURPOSES = {"transactional": N_("Service message"), "marketing": N_("Marketing"), "survey": N_("Survey")}


ANCHORS = {
    "event": N_("the event"),
    "starts_at": N_("the start"),
    "ends_at": N_("the end"),
    "pickup_expires_at": N_("the pickup deadline"),
    "birthday_at": N_("10:00 on the birthday, on the customer's clock"),
}
STEPS = {
    "confirmation": N_("Confirmation"),
    "moved": N_("New time"),
    "reminder": N_("Reminder"),
    "report": N_("After the appointment"),
    "follow_up": N_("A month later"),
    "ready": N_("Ready at the shop"),
    "pickup_reminder": N_("Before the pickup deadline"),
    "not_collected": N_("Not collected"),
    "next_day": N_("The next day"),
    "notice": N_("The news"),
    "survey": N_("Satisfaction survey"),
    "welcome": N_("Welcome"),
    "discover": N_("A week later"),
    "congratulations": N_("Congratulations"),
    "wishes": N_("Birthday wishes"),
    "receipt": N_("The receipt"),
    "announcement": N_("The announcement"),
}


def _when(request: Request, step: Step) -> str:
    """When a step's message goes, in the staff's words."""
    t = translations("comptoir.backoffice", page_language(request))
    _ = t.gettext
    what = _(ANCHORS.get(t_anchor := step.timing.anchor, t_anchor))
    parts = []
    days, minutes = step.timing.days, step.timing.minutes
    if days > 0:
        parts.append(
            t.ngettext("%(n)s day after %(what)s", "%(n)s days after %(what)s", days)
            % {"n": days, "what": what}
        )
    elif days < 0:
        parts.append(
            t.ngettext("%(n)s day before %(what)s", "%(n)s days before %(what)s", -days)
            % {"n": -days, "what": what}
        )
    if step.timing.at:
        parts.append(_("at %(time)s on the customer's clock") % {"time": step.timing.at})
    if minutes:
        parts.append(
            _("%(n)s minutes later") % {"n": minutes}
            if minutes > 0
            else _("%(n)s minutes earlier") % {"n": -minutes}
        )
    if not parts and step.timing.anchor != "event":
        return what  # at the instant itself (a birthday's morning)
    return ", ".join(parts) if parts else _("at once")


@router.get("", response_class=HTMLResponse)
def journeys(request: Request, ctx: Reader) -> HTMLResponse:
    lang = page_language(request)
    with ctx.reader() as uow:
        found = engagement.list_journeys(uow)
        rules = engagement.get_pressure(uow)
    return render(
        request,
        "backoffice/messages.html",
        section="messages",
        journeys=found,
        rules=rules,
        page_lang=lang,
        events=EVENTS,
        channels=CHANNELS,
        purposes=PURPOSES,
        when=lambda step: _when(request, step),
        steps=STEPS,
    )


@router.get("/{template}", response_class=HTMLResponse)
def preview(
    request: Request,
    template: str,
    ctx: Reader,
    language: Annotated[
        Literal["fr", "en"] | None, Query(description="The message's (the page's by default)")
    ] = None,
) -> HTMLResponse:
    if template not in engagement.TEMPLATES:
        raise NotFound(f"Message {template} does not exist.")
    shown = language or page_language(request)
    rendered = engagement.preview(template, shown)
    return render(
        request,
        "backoffice/message.html",
        section="messages",
        code=template,
        shown=shown,
        rendered=rendered,
    )
