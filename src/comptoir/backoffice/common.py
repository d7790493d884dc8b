"""What every back-office page shares: who may open it, the shops the person sees, the period asked,
the labels of statuses and channels, and page addresses of product photos."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse

from comptoir.catalog import service as catalog
from comptoir.core import clock
from comptoir.core.access import Role
from comptoir.core.api import RequestContext
from comptoir.core.i18n import translations
from comptoir.core.uow import UnitOfWork
from comptoir.core.web import Pages, page_language, require_page
from comptoir.stores import service as stores
from comptoir.stores.schemas import PlaceOut

PACKAGE = "comptoir.backoffice"
pages = Pages(PACKAGE)
ROLES = (Role.BACK_OFFICE, Role.SHOP_MANAGER, Role.ADMIN)
PAGE_MEDIA = "/pages/catalog/media"
PERIODS = (7, 30, 90, 365)


def staff(area: str, access: Literal["read", "write"] = "read", *, retailer_wide: bool = False) -> Any:
    """The page dependency: back office, admins and shop managers holding ``<area>:<access>``."""
    return Depends(require_page(area, access, roles=ROLES, retailer_wide=retailer_wide))


Reader = Annotated[RequestContext, staff("orders")]


def N_(message: str) -> str:
    """Mark a message id for extraction; it is translated when rendered."""
    return message


LABELS: dict[str, str] = {
    # channels
    "store": N_("Shops"),
    "web": N_("Website"),
    "app": N_("App"),
    "call-centre": N_("Call centre"),
    "live": N_("Live shopping"),
    # modes and fulfilment kinds
    "home_delivery": N_("Home delivery"),
    "click_and_collect": N_("Click & collect"),
    "reserve_and_collect": N_("Reserve & collect"),
    "store_sale": N_("Store sale"),
    "ship_from_warehouse": N_("Delivery from the warehouse"),
    "ship_from_store": N_("Ship from store"),
    "pickup_from_store_stock": N_("Click & collect"),
    "pickup_after_transfer": N_("Click & collect (transfer)"),
    "carry_out": N_("Store sale"),
    # statuses
    "placed": N_("Placed"),
    "awaiting_payment": N_("Awaiting payment"),
    "in_transit": N_("In transit"),
    "allocated": N_("Allocated"),
    "picking": N_("Picking"),
    "ready_for_pickup": N_("Ready for pickup"),
    "collected": N_("Collected"),
    "shipped": N_("Shipped"),
    "delivered": N_("Delivered"),
    "cancelled": N_("Cancelled"),
    "expired": N_("Not collected"),
    "in_progress": N_("In progress"),
    "completed": N_("Completed"),
    "pending": N_("To pay"),
    "authorised": N_("Authorised"),
    "captured": N_("Paid"),
    "paid": N_("Paid"),
    "partially_refunded": N_("Partly refunded"),
    "refunded": N_("Refunded"),
    "voided": N_("Voided"),
    "failed": N_("Failed"),
    "requested": N_("Requested"),
    "received": N_("Received"),
    "rejected": N_("Refused"),
    # payment methods
    "card": N_("Card"),
    "cash": N_("Cash"),
    "gift_card": N_("Gift card"),
    "loyalty_points": N_("Loyalty points"),
    "pay_at_pickup": N_("Pay at pickup"),
    "pay_in_store": N_("Pay in store"),
    # return reasons
    "changed_mind": N_("Changed their mind"),
    "wrong_size": N_("Wrong size"),
    "not_as_described": N_("Not as described"),
    "faulty": N_("Faulty"),
    "damaged_in_transit": N_("Damaged in transit"),
    "late": N_("Arrived late"),
    "other": N_("Other"),
    # store statuses
    "open": N_("Open"),
    "temporarily_closed": N_("Temporarily closed"),
    "permanently_closed": N_("Permanently closed"),
}
ORDER_STATUSES = (
    "placed",
    "in_progress",
    "ready_for_pickup",
    "completed",
    "cancelled",
)
CHANNELS = ("store", "web", "app", "call-centre", "live")


def gettext(request: Request) -> Callable[[str], str]:
    """The back office's catalogue in the page's language, for messages made in Python."""
    return translations(PACKAGE, page_language(request)).gettext


def label(request: Request, code: str | None) -> str:
    """The words staff read for a status, channel, mode, reason or method (the code if unknown)."""
    if code is None:
        return ""
    text = LABELS.get(code)
    return gettext(request)(text) if text else code.replace("_", " ")


def media_url(url: str | None) -> str | None:
    """A product photo's address the pages can show (the cookie signs it in, not a bearer token)."""
    return url.replace(catalog.MEDIA_PREFIX, PAGE_MEDIA, 1) if url else None


def catalog_locale(request: Request) -> str:
    return "en_GB" if page_language(request) == "en" else "fr_FR"


def visible_shops(uow: UnitOfWork, ctx: RequestContext) -> list[PlaceOut]:
    """The shops (and warehouses) this person sees: all of them, or a shop manager's own."""
    places = stores.all_places(uow)
    if ctx.actor.shops is not None:
        places = [p for p in places if p.id in ctx.actor.shops]
    return sorted(places, key=lambda p: p.name)


def shop_scope(ctx: RequestContext, shop: str | None, known: list[PlaceOut]) -> tuple[str, ...] | None:
    """The shops a page reads: the one asked for when this person sees it (else none of them), or all
    the person's shops (None: every shop, for the retailer's staff)."""
    if shop:
        return (shop,) if any(p.id == shop for p in known) else ()
    if ctx.actor.shops is not None:
        return tuple(sorted(ctx.actor.shops))
    return None


@dataclass(frozen=True)
class Period:
    days: int
    since: datetime
    until: datetime


def period(days: int | None) -> Period:
    """The last ``days`` days up to now (30 unless one of :data:`PERIODS` is asked)."""
    chosen = days if days in PERIODS else 30
    until = clock.now()
    return Period(chosen, until - timedelta(days=chosen), until)


def render(request: Request, template: str, *, section: str, **context: Any) -> HTMLResponse:
    """A back-office page under the one navigation (``section`` marks the current entry)."""
    return pages.response(
        request,
        template,
        section=section,
        label=lambda code: label(request, code),
        **context,
    )
