"""Pickups in this shop: the orders waiting for their customer today, and the picking list (products
with names and photos) of what the shop has to prepare; each step as in the orders API."""

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from comptoir.catalog import service as catalog_service
from comptoir.core.api import RequestContext
from comptoir.core.errors import Problem
from comptoir.core.web import require_page
from comptoir.orders import service as orders_service
from comptoir.seller.common import (
    SellerRoute,
    catalogue_locale,
    place_names,
    problem_message,
    render,
    shop_of,
)

router = APIRouter(prefix="/seller/pickups", include_in_schema=False, route_class=SellerRoute)
Reader = Annotated[RequestContext, Depends(require_page("orders", "read"))]
Writer = Annotated[RequestContext, Depends(require_page("orders", "write"))]


def _page(
    request: Request, ctx: RequestContext, shop: str | None, error: str | None = None, status: int = 200
) -> Response:
    waiting, preparing, variants, numbers = [], [], {}, {}
    with ctx.reader() as uow:
        if shop:
            listed = orders_service.pick_list(uow, shop)
            numbers = {line.fulfilment_id: line.order_number for line in listed.lines}
            skus = [line.sku for f in listed.fulfilments for line in f.lines]
            variants = catalog_service.get_variants(uow, skus, catalogue_locale(request))
            waiting = [f for f in listed.fulfilments if f.status == "ready_for_pickup"]
            preparing = [f for f in listed.fulfilments if f.status != "ready_for_pickup"]
        names = place_names(uow, [f.source_place_id for f in preparing] + ([shop] if shop else []))
    return render(
        request,
        "seller/pickups.html",
        status_code=status,
        active="pickups",
        shop=shop,
        waiting=waiting,
        preparing=preparing,
        variants=variants,
        numbers=numbers,
        places=names,
        error=error,
    )


@router.get("")
def pickups(request: Request, ctx: Reader, shop: str = "") -> Response:
    return _page(request, ctx, shop_of(ctx, shop or None))


@router.post("/{fulfilment_id}")
def step(
    request: Request,
    fulfilment_id: str,
    ctx: Writer,
    action: Annotated[Literal["receive_transfer", "pick", "ready", "ship", "collect"], Form()],
    shop: Annotated[str, Form(max_length=64)] = "",
    tracking_number: Annotated[str, Form(max_length=80)] = "",
) -> Response:
    place = shop_of(ctx, shop or None)
    try:
        with ctx.uow() as uow:
            orders_service.transition(
                uow, fulfilment_id, action, tracking_number=tracking_number.strip() or None
            )
            uow.commit()
    except Problem as exc:
        return _page(request, ctx, place, problem_message(request, exc), exc.status)
    return RedirectResponse(f"/seller/pickups?shop={place or ''}", status_code=303)
