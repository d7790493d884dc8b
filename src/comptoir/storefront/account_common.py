"""What the storefront's sign-in and account pages share: their templates, the words they show for the
domains' codes (statuses, channels, reasons), and the errors of the services in the page's language.

The services answer in English problems; a shopper reads the page's language. Each problem a shopper
can meet on these pages is named here once (by its field or slug), with its translation; a problem
not listed shows a general message rather than English text in a French page.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse

from comptoir.catalog import service as catalog_service
from comptoir.catalog.schemas import VariantSummary
from comptoir.core.errors import Problem
from comptoir.core.i18n import format_when, translations
from comptoir.core.uow import UnitOfWork
from comptoir.storefront.rendering import pages
from comptoir.storefront.session import ShopperContext
from comptoir.stores import service as stores_service
from comptoir.stores.schemas import PlaceOut

PACKAGE = "comptoir.storefront"


def N_(message: str) -> str:
    """Mark a message for extraction; it is translated where it is shown."""
    return message


ORDER_STATUSES = {
    "placed": N_("Placed"),
    "in_progress": N_("In progress"),
    "ready_for_pickup": N_("Ready for pickup"),
    "completed": N_("Completed"),
    "cancelled": N_("Cancelled"),
}
ORDER_TONES = {"placed": "info", "in_progress": "info", "ready_for_pickup": "warn", "completed": "ok"}
FULFILMENT_STATUSES = {
    "placed": N_("Placed"),
    "awaiting_payment": N_("Waiting for the bank"),
    "in_transit": N_("On its way to the shop"),
    "allocated": N_("Being prepared"),
    "picking": N_("Being prepared"),
    "ready_for_pickup": N_("Ready for pickup"),
    "collected": N_("Collected"),
    "shipped": N_("Shipped"),
    "delivered": N_("Delivered"),
    "cancelled": N_("Cancelled"),
    "expired": N_("Not collected in time"),
}
MODES = {
    "home_delivery": N_("Home delivery"),
    "click_and_collect": N_("Click & collect"),
    "reserve_and_collect": N_("Reserve & collect"),
    "store_sale": N_("Bought in a shop"),
}
PAYMENT_STATUSES = {
    "pending": N_("Payment pending"),
    "authorised": N_("Payment authorised"),
    "paid": N_("Paid"),
    "partially_refunded": N_("Partly refunded"),
    "refunded": N_("Refunded"),
    "voided": N_("Payment cancelled"),
}
RETURN_STATUSES = {
    "requested": N_("Requested"),
    "received": N_("Received"),
    "refunded": N_("Refunded"),
    "rejected": N_("Refused"),
    "cancelled": N_("Cancelled"),
}
RETURN_REASONS = {
    "changed_mind": N_("I changed my mind"),
    "wrong_size": N_("Wrong size"),
    "not_as_described": N_("Not as described"),
    "faulty": N_("Faulty"),
    "damaged_in_transit": N_("Damaged in transit"),
    "late": N_("Arrived late"),
    "other": N_("Another reason"),
}
RETURN_METHODS = {"in_store": N_("In a shop"), "by_post": N_("By post")}
PURPOSES = {
    "marketing": N_("News and offers"),
    "profiling": N_("Recommendations based on my purchases"),
    "e-receipt": N_("Receipts by e-mail"),
    "partners": N_("Offers from our partners"),
    "satisfaction-surveys": N_("Satisfaction surveys"),
}
CHANNELS = {
    "email": N_("E-mail"),
    "sms": N_("Text message"),
    "push": N_("App notification"),
    "post": N_("Post"),
    "phone": N_("Phone"),
}
LEDGER_KINDS = {
    "earn": N_("Points earned"),
    "redeem": N_("Points spent"),
    "refund": N_("Points given back"),
    "expire": N_("Points expired"),
    "reverse": N_("Points taken back"),
    "adjust": N_("Adjustment"),
    "merge_in": N_("Points from a merged account"),
    "merge_out": N_("Points moved to another account"),
}
COUPON_STATUSES = {
    "active": N_("Valid"),
    "used": N_("Used"),
    "expired": N_("Expired"),
    "disabled": N_("Disabled"),
}

# The problems a shopper can meet, by field (InvalidInput) or slug, in the words of the page.
GENERAL_ERROR = N_("Something went wrong with this request. Check what you typed and try again.")
FIELD_ERRORS = {
    "email": N_("The e-mail address is not valid."),
    "phone": N_("The phone number is not valid."),
    "birth_date": N_("The birth date is not valid."),
    "address/postcode": N_("The postcode is not valid for the country."),
    "address/country": N_("The country is not known."),
    "given_name": N_("Give your first name."),
    "family_name": N_("Give your last name."),
    "place_id": N_("Choose the shop where you will bring the items back."),
    "lines": N_("Choose at least one item to return."),
}
PASSWORD_ERRORS = {
    "at least": N_("The password must have at least 10 characters."),
    "at most": N_("The password is too long."),
    "e-mail address": N_("The password must not contain the e-mail address."),
    "repetitive": N_("The password is too repetitive."),
}
SLUG_ERRORS = {
    "not-returnable": N_("These items cannot be returned any more."),
    "return-exceeds-bought": N_("You cannot return more items than you bought."),
    "rate-limited": N_("Too many attempts. Wait a few minutes, or reset your password."),
    "precondition-failed": N_("Your details changed in the meantime: check them and save again."),
    "version-mismatch": N_("Your details changed in the meantime: check them and save again."),
}
WRONG_CREDENTIALS = N_("The e-mail address or the password is not right.")
BAD_LINK = N_("This link is invalid, expired or already used: ask for a new one.")
PASSWORD_TO_CONFIRM = N_("Enter the password you chose when signing up to confirm your address.")


def problem_message(problem: Problem, lang: str) -> str:
    """The shopper's words for a service's problem, in ``lang``."""
    t = translations(PACKAGE, lang)
    pointers = [str(e.get("pointer", "")) for e in problem.errors]
    field = pointers[0].removeprefix("#/") if pointers else ""
    if field == "password":
        for clue, message in PASSWORD_ERRORS.items():
            if clue in (problem.detail or ""):
                return t.gettext(message)
    if field in FIELD_ERRORS:
        return t.gettext(FIELD_ERRORS[field])
    if field.startswith("lines"):
        return t.gettext(SLUG_ERRORS["return-exceeds-bought"])
    if problem.slug in SLUG_ERRORS:
        return t.gettext(SLUG_ERRORS[problem.slug])
    if problem.status == 429:
        return t.gettext(SLUG_ERRORS["rate-limited"])
    return t.gettext(GENERAL_ERROR)


def say(lang: str, message: str) -> str:
    return translations(PACKAGE, lang).gettext(message)


def render(
    request: Request, shop: ShopperContext, name: str, *, status_code: int = 200, **context: Any
) -> HTMLResponse:
    """A storefront page (the shop's layout knows who is signed in) with the words above (``labels``)."""
    tz = shop.ctx.settings.timezone
    return pages.response(
        request,
        name,
        status_code=status_code,
        shop=shop,
        labels=LABELS,
        day=lambda value: format_when(value.astimezone(ZoneInfo(tz)).date(), shop.lang, "medium"),
        tz=tz,
        **context,
    )


LABELS = {
    "order_status": ORDER_STATUSES,
    "order_tone": ORDER_TONES,
    "fulfilment_status": FULFILMENT_STATUSES,
    "mode": MODES,
    "payment_status": PAYMENT_STATUSES,
    "return_status": RETURN_STATUSES,
    "return_reason": RETURN_REASONS,
    "return_method": RETURN_METHODS,
    "purpose": PURPOSES,
    "channel": CHANNELS,
    "ledger_kind": LEDGER_KINDS,
    "coupon_status": COUPON_STATUSES,
}


def not_found(request: Request, shop: ShopperContext) -> HTMLResponse:
    """Another customer's resource and one that does not exist look the same: not found."""
    return render(request, shop, "storefront/account/not_found.html", status_code=404)


def local_path(url: str) -> str:
    """A link the services made absolute (on the configured base URL), as a path on this site."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def variants(uow: UnitOfWork, skus: Iterable[str], lang: str) -> dict[str, VariantSummary]:
    """Names and photos of the SKUs shown (one batch)."""
    return catalog_service.get_variants(uow, sorted(set(skus)), lang)


def places(uow: UnitOfWork, ids: Iterable[str | None]) -> dict[str, PlaceOut]:
    return stores_service.get_places(uow, [i for i in ids if i])


def place_name(place_id: str, known: dict[str, PlaceOut], lang: str) -> str:
    place = known.get(place_id)
    return place.name if place is not None else say(lang, N_("A shop"))


def channel_name(channel: str, known: dict[str, PlaceOut], lang: str) -> str:
    """``web`` → "Website", ``store:<id>`` → the shop's name (never the raw id)."""
    if channel.startswith("store:"):
        return place_name(channel.split(":", 1)[1], known, lang)
    words = {"web": N_("Website"), "app": N_("App"), "call-centre": N_("Customer service")}
    return say(lang, words.get(channel, N_("Website")))


def safe_next(url: str | None, default: str = "/shop/account") -> str:
    """Only paths of this site: a sign-in never sends the shopper elsewhere."""
    if url and url.startswith("/") and not url.startswith("//") and "\\" not in url:
        return url
    return default
