"""The seller app (``/seller``): one navigation across domains for the shop tablet — today in this shop,
the customer, products, the cart, pickups and returns. Each part is its own module with its router
(declared in ``domain.py``); this one serves the day's page and an order's page."""

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from comptoir.catalog import service as catalog_service
from comptoir.core.api import RequestContext
from comptoir.core.web import require_page
from comptoir.live import service as live_service
from comptoir.orders import service as orders_service
from comptoir.receipts import service as receipts_service
from comptoir.seller.common import (
    SellerRoute,
    catalogue_locale,
    channel_place,
    place_names,
    render,
    shop_of,
)
from comptoir.stores import service as stores_service

router = APIRouter(prefix="/seller", include_in_schema=False, route_class=SellerRoute)
Staff = Annotated[RequestContext, Depends(require_page(None))]
OrderReader = Annotated[RequestContext, Depends(require_page("orders", "read"))]

PAGES: list[tuple[str, str]] = [("Seller app", "/seller")]


@router.get("")
def today(request: Request, ctx: Staff, shop: str = "") -> Response:
    """The day in this shop: pickups waiting, orders to prepare, and where to go next."""
    place_id = shop_of(ctx, shop or None)
    waiting = to_prepare = 0
    place = None
    with ctx.reader() as uow:
        if place_id:
            place = stores_service.get_places(uow, [place_id]).get(place_id)
            listed = orders_service.pick_list(uow, place_id)
            waiting = sum(1 for f in listed.fulfilments if f.status == "ready_for_pickup")
            to_prepare = len(listed.fulfilments) - waiting
        names = place_names(uow, ctx.actor.shops or ())
    return render(
        request,
        "seller/home.html",
        active="today",
        actor=ctx.actor,
        place=place,
        shops=sorted(names.items(), key=lambda kv: kv[1]),
        waiting=waiting,
        to_prepare=to_prepare,
        takes_live_calls=ctx.actor.role in live_service.ADVISING,
    )


@router.get("/orders/{order_id}")
def order_page(request: Request, order_id: str, ctx: OrderReader, done: int = 0) -> Response:
    """One order as a seller reads it: products with photos, where each part is, the payment, the
    receipt (and whether it was sent)."""
    with ctx.reader() as uow:
        order = orders_service.get_order(uow, order_id)
        ctx.own_resource(order.customer_id, orders_service.order_shops(order), "Order", order.id)
        variants = catalog_service.get_variants(uow, [x.sku for x in order.lines], catalogue_locale(request))
        receipt = receipts_service.receipt_for_order(uow, order.id, ctx.settings)
        places = {f.place_id for f in order.fulfilments} | {
            order.pickup_place_id,
            channel_place(order.channel),
        }
        names = place_names(uow, places)
    return render(
        request,
        "seller/order.html",
        active="cart" if done else "customer",
        order=order,
        variants=variants,
        receipt=receipt,
        done=bool(done),
        places=names,
    )
