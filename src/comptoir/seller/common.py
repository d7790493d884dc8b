"""What every seller page shares: the templates, the shop the seller works in, errors in the page's
language and in the shop's words, and the vocabulary of the domains shown to a seller."""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Iterable
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute

from comptoir.core.api import RequestContext
from comptoir.core.errors import Problem
from comptoir.core.i18n import N_, translations
from comptoir.core.uow import UnitOfWork
from comptoir.core.web import Pages, page_language
from comptoir.customers import service as customers_service
from comptoir.stores import service as stores_service

PACKAGE = "comptoir.seller"
pages = Pages(PACKAGE)
CURRENCY = "EUR"
# The catalogue serves images to API keys under /v1; the seller's pages read them through /seller/media.
_API_MEDIA, _PAGE_MEDIA = "/v1/catalog/media", "/seller/media"


def gettext(request: Request) -> Callable[[str], str]:
    return translations(PACKAGE, page_language(request)).gettext


def keep_language(request: Request, url: str) -> str:
    """``url`` with the ``?lang=`` the request was asked in, so a redirect answers in the same language."""
    lang = request.query_params.get("lang")
    if lang not in ("fr", "en"):
        return url
    return f"{url}{'&' if '?' in url else '?'}lang={lang}"


def catalogue_locale(request: Request) -> str:
    return "en_GB" if page_language(request) == "en" else "fr_FR"


def page_image(url: str | None) -> str | None:
    """A catalogue image address a signed-in page can show."""
    return url.replace(_API_MEDIA, _PAGE_MEDIA, 1) if url else None


pages.globals["image"] = page_image


# -- errors ------------------------------------------------------------------------------------------
# The domains' problems, said to a seller in the page's language (the domain's own sentence is English).
PROBLEMS: dict[str, str] = {
    "not-found": N_("We could not find it: check the number or search again."),
    "out-of-stock": N_("Not enough stock for this: lower the quantity or order from another shop."),
    "sku-not-priced": N_("This product has no price in this shop yet: ask the back office."),
    "coupon-unavailable": N_("This coupon cannot be used on this cart."),
    "coupon-refused": N_("This coupon cannot be used on this cart."),
    "cart-closed": N_("This cart has already been ordered: start a new one."),
    "cart-changed": N_("The cart changed meanwhile: check it and try again."),
    "cart-already-ordered": N_("This cart has already been ordered: start a new one."),
    "payment-declined": N_("The payment was declined."),
    "transition-not-allowed": N_("This step cannot be done now: reload the page."),
    "not-returnable": N_("These items cannot be returned."),
    "return-exceeds-bought": N_("More units than were bought cannot come back."),
    "other-shop": N_("This belongs to another shop."),
    "forbidden": N_("Your role does not allow this."),
    "csrf": N_("This form has expired: reload the page."),
    "validation-error": N_("Check what you entered."),
    "promotion-budget-exhausted": N_("This promotion has ended."),
}
BY_STATUS: dict[int, str] = {
    403: N_("Your role does not allow this."),
    404: N_("We could not find it: check the number or search again."),
    409: N_("This changed meanwhile: reload the page and try again."),
}


def problem_message(request: Request, exc: Problem) -> str:
    """What a seller reads for a domain's refusal, in the page's language."""
    _ = gettext(request)
    message = PROBLEMS.get(exc.slug) or BY_STATUS.get(exc.status) or N_("Check what you entered.")
    return _(message)


class SellerRoute(APIRoute):
    """A seller page route: a refusal (a problem raised by a page's policy or a service) answers with the
    seller's error page in the page's language, never with JSON or a stack trace."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                return await handler(request)
            except Problem as exc:
                return error_page(request, exc)

        return handle


def error_page(request: Request, exc: Problem) -> Response:
    _ = gettext(request)
    titles = {403: _("Not allowed"), 404: _("Not found")}
    return pages.response(
        request,
        "seller/error.html",
        status_code=exc.status,
        title=titles.get(exc.status, _("This could not be done")),
        message=problem_message(request, exc),
    )


# -- the seller's shop -------------------------------------------------------------------------------


def shop_of(ctx: RequestContext, requested: str | None = None) -> str | None:
    """The shop the seller works in: their only shop, or the one asked among theirs (403 otherwise).
    Staff bound to no shop (the back office) choose one with ``?shop=``; None until they do."""
    if requested:
        ctx.own_shop(requested)
        return requested
    if ctx.actor.store_id is not None:
        return ctx.actor.store_id
    if ctx.actor.shops:
        return sorted(ctx.actor.shops)[0]
    return None


def place_names(uow: UnitOfWork, ids: Iterable[str | None]) -> dict[str, str]:
    """Shop and warehouse names by id (unknown ids are left out)."""
    wanted = [i for i in ids if i]
    return {pid: place.name for pid, place in stores_service.get_places(uow, wanted).items()}


def channel_place(channel: str | None) -> str | None:
    """The shop of a ``store:<id>`` channel."""
    return channel.split(":", 1)[1] if channel and channel.startswith("store:") else None


# -- the domains' words ------------------------------------------------------------------------------
WORDS: dict[str, str] = {
    # channels
    "web": N_("Website"),
    "app": N_("Mobile app"),
    "call-centre": N_("Call centre"),
    "live": N_("Live shopping"),
    "back-office": N_("Back office"),
    "system": N_("Automatic"),
    # order modes
    "home_delivery": N_("Home delivery"),
    "click_and_collect": N_("Click & collect"),
    "reserve_and_collect": N_("Reserve & collect"),
    "store_sale": N_("Store sale"),
    # order and fulfilment statuses
    "placed": N_("Placed"),
    "awaiting_payment": N_("Awaiting payment"),
    "in_progress": N_("In progress"),
    "ready_for_pickup": N_("Ready for pickup"),
    "completed": N_("Completed"),
    "cancelled": N_("Cancelled"),
    "in_transit": N_("In transit"),
    "allocated": N_("Allocated"),
    "picking": N_("Being picked"),
    "collected": N_("Collected"),
    "shipped": N_("Shipped"),
    "delivered": N_("Delivered"),
    "expired": N_("Expired"),
    # fulfilment kinds
    "ship_from_warehouse": N_("Shipped from the warehouse"),
    "ship_from_store": N_("Shipped from a shop"),
    "pickup_from_store_stock": N_("Pickup from shop stock"),
    "pickup_after_transfer": N_("Pickup after a transfer"),
    "carry_out": N_("Carried out"),
    # payment statuses and methods
    "pending": N_("Pending"),
    "authorised": N_("Authorised"),
    "paid": N_("Paid"),
    "partially_refunded": N_("Partly refunded"),
    "refunded": N_("Refunded"),
    "voided": N_("Voided"),
    "captured": N_("Captured"),
    "failed": N_("Failed"),
    "requires_action": N_("Awaiting the customer"),
    "disputed": N_("Disputed"),
    "card": N_("Card"),
    "pay_in_store": N_("Paid at the till"),
    "pay_at_pickup": N_("Pay at pickup"),
    "gift_card": N_("Gift card"),
    "loyalty_points": N_("Loyalty points"),
    # returns
    "requested": N_("Requested"),
    "received": N_("Received"),
    "rejected": N_("Refused"),
    "in_store": N_("In store"),
    "by_post": N_("By post"),
    "original": N_("Original payment"),
    "voucher": N_("Voucher"),
    # receipts
    "sent": N_("Sent"),
    "queued": N_("Being sent"),
    "not_requested": N_("Not sent"),
    "none": N_("Not sent"),
    # coupons
    "active": N_("Usable"),
    "used": N_("Used"),
    "disabled": N_("Disabled"),
    # consents
    "marketing": N_("Offers and news"),
    "profiling": N_("Personalisation"),
    "e-receipt": N_("E-receipts"),
    "partners": N_("Partners' offers"),
    "satisfaction-surveys": N_("Satisfaction surveys"),
    "email": N_("E-mail"),
    "sms": N_("SMS"),
    "push": N_("Push"),
    "post": N_("Post"),
    "phone": N_("Phone"),
    # appointments
    "booked": N_("Booked"),
    "checked_in": N_("Arrived"),
    "no_show": N_("Did not come"),
    # segments
    "vip": N_("VIP"),
    "staff": N_("Staff"),
    "pro": N_("Professional"),
}


def word_function(request: Request) -> Callable[[str | None], str]:
    """``word(code)``: a domain's code in the seller's words; a code the app does not know is shown
    humanised (``some_code`` → ``Some code``) rather than raw."""
    _ = gettext(request)

    def word(code: str | None) -> str:
        if not code:
            return ""
        if code in WORDS:
            return _(WORDS[code])
        return code.replace("_", " ").replace("-", " ").capitalize()

    return word


SOURCES: dict[str, str] = {
    "pos": N_("Shop till"),
    "web": N_("Website"),
    "app": N_("Mobile app"),
    "call-centre": N_("Call centre"),
    "eticket": N_("E-receipt"),
    "account": N_("Customer account"),
    "staff": N_("Seller"),
    "rectification": N_("Rectification"),
}
SECTIONS: dict[str, str] = {
    "customers": N_("Identity"),
    "loyalty": N_("Loyalty"),
    "orders": N_("Orders"),
    "returns": N_("Returns"),
    "payments": N_("Payments"),
    "receipts": N_("Receipts"),
    "carts": N_("Cart"),
    "pricing": N_("Coupons"),
    "appointments": N_("Appointments"),
}


pages.globals["tel"] = customers_service.phone_display


def render(
    request: Request,
    name: str,
    *,
    status_code: int = 200,
    places: dict[str, str] | None = None,
    **context: Any,
) -> Response:
    """A seller page with the helpers every template uses: ``word(code)``, ``channel_word(channel)``
    (a shop's name for a ``store:<id>`` channel, from ``places``), ``source_word``, ``section_word``."""
    _ = gettext(request)
    word = word_function(request)
    names = places or {}

    def channel_word(channel: str | None) -> str:
        shop = channel_place(channel)
        if shop is not None:
            return _("Shop %(name)s") % {"name": names.get(shop, _("of the network"))}
        return word(channel)

    return pages.response(
        request,
        name,
        status_code=status_code,
        word=word,
        channel_word=channel_word,
        source_word=lambda code: _(SOURCES[code]) if code in SOURCES else word(code),
        section_word=lambda code: _(SECTIONS[code]) if code in SECTIONS else word(code),
        places=names,
        **context,
    )
