"""orders: reference pages for staff — the store's pick list on the tablet, and recent orders."""

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse

from comptoir.catalog import service as catalog_service
from comptoir.core.api import RequestContext
from comptoir.core.errors import InvalidInput, Problem
from comptoir.core.i18n import N_
from comptoir.core.web import Pages, page_language, require_page
from comptoir.orders import policies, service
from comptoir.stores import service as stores_service

pages = Pages(__package__ or "comptoir.orders")
router = APIRouter(prefix="/pages/orders", include_in_schema=False)

# (title message id, path) of this domain's entry pages, linked from the page menu.
PAGES: list[tuple[str, str]] = [("Orders to prepare", "/pages/orders/picking"), ("Orders", "/pages/orders")]


# What staff read for each status, kind, mode and action (translated in the templates with label()).
LABELS: dict[str, str] = {
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
    "paid": N_("Paid"),
    "partially_refunded": N_("Partly refunded"),
    "refunded": N_("Refunded"),
    "voided": N_("Voided"),
    "ship_from_warehouse": N_("Delivery from the warehouse"),
    "ship_from_store": N_("Ship from store"),
    "pickup_from_store_stock": N_("Click & collect"),
    "pickup_after_transfer": N_("Click & collect (transfer)"),
    "reserve_and_collect": N_("Reserve & collect"),
    "carry_out": N_("Store sale"),
    "home_delivery": N_("Home delivery"),
    "click_and_collect": N_("Click & collect"),
    "store_sale": N_("Store sale"),
    "allocate": N_("Allocate"),
    "dispatch_transfer": N_("Send the transfer"),
    "receive_transfer": N_("Transfer received"),
    "pick": N_("Start picking"),
    "ready": N_("Ready for the customer"),
    "collect": N_("Handed to the customer"),
    "ship": N_("Shipped"),
    "deliver": N_("Delivered"),
    "web": N_("Website"),
    "app": N_("App"),
    "call-centre": N_("Call centre"),
    "live": N_("Live shopping"),
}

# The action a staff member takes next, per status (the buttons on the tablet).
NEXT_ACTION = {
    "placed": ("allocate", "dispatch_transfer"),
    "in_transit": ("receive_transfer",),
    "allocated": ("pick",),
    "picking": ("ready", "ship"),
    "ready_for_pickup": ("collect",),
    "shipped": ("deliver",),
}


def _place_of(ctx: RequestContext, place_id: str | None) -> str:
    place = place_id or ctx.actor.store_id
    if not place:
        raise InvalidInput("Choose a store (?place_id=…) or sign in at a store.", field="place_id")
    ctx.own_shop(place)
    return place


def _render_picking(
    request: Request,
    ctx: RequestContext,
    place_id: str,
    *,
    message: str | None = None,
    error: str | None = None,
) -> HTMLResponse:
    with ctx.reader() as uow:
        picks = service.pick_list(uow, place_id)
        numbers = {line.fulfilment_id: line.order_number for line in picks.lines}
        place = stores_service.get_places(uow, [place_id]).get(place_id)
        locale = "en_GB" if page_language(request) == "en" else "fr_FR"
        skus = sorted(
            {line.sku for line in picks.lines} | {x.sku for f in picks.fulfilments for x in f.lines}
        )
        names = {sku: v.name for sku, v in catalog_service.get_variants(uow, skus, locale).items()}
    # Only the steps this place's staff take (the source sends a transfer, the pickup store receives it).
    actions = {
        f.id: [
            a
            for a in NEXT_ACTION.get(f.status, ())
            if a in policies.allowed_actions(f.kind, f.status)
            and policies.acting_place(f.kind, a, f.place_id, f.source_place_id) in (None, place_id)
        ]
        for f in picks.fulfilments
    }
    return pages.response(
        request,
        "orders/picking.html",
        labels=LABELS,
        place_id=place_id,
        place_name=place.name if place else "",
        names=names,
        picks=picks,
        numbers=numbers,
        actions=actions,
        message=message,
        error=error,
    )


@router.get("/picking", response_class=HTMLResponse)
def picking(
    request: Request,
    ctx: Annotated[RequestContext, Depends(require_page("orders", "read"))],
    place_id: str | None = None,
) -> HTMLResponse:
    if not place_id and not ctx.actor.store_id:  # bound to no one shop: choose where to prepare
        with ctx.reader() as uow:
            places = [
                p
                for p in stores_service.all_places(uow)
                if ctx.actor.shops is None or p.id in ctx.actor.shops
            ]
        return pages.response(request, "orders/choose_place.html", places=places)
    return _render_picking(request, ctx, _place_of(ctx, place_id))


@router.post("/picking/{fulfilment_id}", response_class=HTMLResponse)
def picking_step(
    request: Request,
    fulfilment_id: str,
    ctx: Annotated[RequestContext, Depends(require_page("orders", "write"))],
    action: Annotated[str, Form()],
    place_id: Annotated[str, Form()] = "",
    tracking_number: Annotated[str, Form()] = "",
) -> HTMLResponse:
    place = _place_of(ctx, place_id or None)
    try:
        with ctx.uow() as uow:
            service.transition(uow, fulfilment_id, action, tracking_number=tracking_number or None)
            uow.commit()
    except Problem as exc:
        return _render_picking(request, ctx, place, error=exc.detail)
    return _render_picking(request, ctx, place, message=action)


@router.get("", response_class=HTMLResponse)
def recent_orders(
    request: Request,
    ctx: Annotated[RequestContext, Depends(require_page("orders", "read"))],
    status: str | None = None,
) -> HTMLResponse:
    with ctx.reader() as uow:
        shops = ctx.shop_filter(ctx.actor.store_id)
        place = shops[0] if shops else None
        orders = service.list_orders(uow, limit=100, status=status or None, place_id=place)
        taken_in = {o.channel.split(":", 1)[1] for o in orders if o.channel.startswith("store:")}
        names = {pid: p.name for pid, p in stores_service.get_places(uow, taken_in).items()}
    return pages.response(
        request, "orders/list.html", labels=LABELS, orders=orders, status=status, shop_names=names
    )
