"""Returns anywhere: the customer brings back goods bought on any channel, in any shop. Find the order
(its number, the receipt's number, or the customer), see what may come back, take it back here and
refund it (``returns.take_back_in_store``, as the API does)."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from comptoir.catalog import service as catalog_service
from comptoir.core.api import RequestContext
from comptoir.core.errors import NotFound, Problem
from comptoir.core.i18n import N_
from comptoir.core.uow import UnitOfWork
from comptoir.core.web import require_page
from comptoir.customers import service as customers_service
from comptoir.orders import service as orders_service
from comptoir.orders.schemas import OrderOut
from comptoir.receipts import service as receipts_service
from comptoir.returns import service as returns_service
from comptoir.returns.schemas import TakeBackIn
from comptoir.seller.common import (
    SellerRoute,
    catalogue_locale,
    channel_place,
    gettext,
    keep_language,
    place_names,
    problem_message,
    render,
    shop_of,
)

router = APIRouter(prefix="/seller/returns", include_in_schema=False, route_class=SellerRoute)
Reader = Annotated[RequestContext, Depends(require_page("returns", "read"))]
Writer = Annotated[RequestContext, Depends(require_page("returns", "write"))]
REASONS = {
    "changed_mind": N_("Changed their mind"),
    "wrong_size": N_("Wrong size"),
    "not_as_described": N_("Not as described"),
    "faulty": N_("Faulty"),
    "damaged_in_transit": N_("Damaged in transit"),
    "late": N_("Arrived late"),
    "other": N_("Other"),
}
CONDITIONS = {
    "resaleable": N_("Resaleable"),
    "damaged": N_("Damaged"),
    "faulty": N_("Faulty"),
    "used": N_("Worn or used"),
    "missing": N_("Missing"),
}
REFUSALS = {
    "window-passed": N_("Return window passed"),
    "excluded-category": N_("Not returnable (category)"),
    "excluded-sku": N_("Not returnable"),
    "nothing-left-to-return": N_("Already returned"),
    "order-cancelled": N_("Order cancelled"),
    "method-not-allowed": N_("Not returnable this way"),
}


def _order_by_number(uow: UnitOfWork, query: str) -> OrderOut | None:
    """The order whose number (or id), or whose receipt's number, the customer shows at the counter."""
    order = orders_service.find_order_by_number(uow, query) or orders_service.find_order(uow, query)
    if order is None and (sale := receipts_service.sale_of_receipt(uow, query)) is not None:
        order = orders_service.find_order(uow, sale[0])
    return order


@router.get("")
def find(request: Request, ctx: Reader, q: str = "") -> Response:
    query = q.strip()
    customers: list[tuple[str, list[Any]]] = []
    with ctx.reader() as uow:
        if query:
            order = _order_by_number(uow, query)
            if order is not None:
                return RedirectResponse(keep_language(request, f"/seller/returns/orders/{order.id}"), 303)
            for hit in customers_service.search(uow, query, limit=5):
                customers.append(
                    (hit.customer.display_name, orders_service.orders_of(uow, hit.customer.id, 10))
                )
        shop = shop_of(ctx)
        recent = returns_service.list_returns(uow, place_id=shop, limit=15) if shop else []
        names = place_names(uow, {channel_place(o.channel) for _, orders in customers for o in orders})
    return render(
        request,
        "seller/returns.html",
        active="returns",
        q=query,
        customers=customers,
        recent=recent,
        searched=bool(query),
        places=names,
    )


def _order_page(
    request: Request,
    ctx: RequestContext,
    order_id: str,
    *,
    done: Any = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    with ctx.reader() as uow:
        order = orders_service.get_order(uow, order_id)
        returnable = returns_service.returnability(uow, order_id)
        previous = returns_service.returns_of_order(uow, order_id)
        variants = catalog_service.get_variants(uow, [x.sku for x in order.lines], catalogue_locale(request))
        names = place_names(uow, {channel_place(order.channel), *(r.place_id for r in previous)})
    return render(
        request,
        "seller/return_order.html",
        status_code=status_code,
        active="returns",
        order=order,
        returnable=returnable,
        previous=previous,
        variants=variants,
        done=done,
        error=error,
        reasons=REASONS,
        conditions=CONDITIONS,
        refusals=REFUSALS,
        shop=shop_of(ctx),
        places=names,
    )


@router.get("/orders/{order_id}")
def order_page(request: Request, order_id: str, ctx: Reader) -> Response:
    return _order_page(request, ctx, order_id)


@router.post("/orders/{order_id}")
async def take_back(request: Request, order_id: str, ctx: Writer) -> Response:
    """The customer is at the counter with the goods: returned, received here and refunded at once."""
    form = await request.form()
    lines = [
        {
            "line_id": key[4:],
            "quantity": str(value).strip(),
            "reason": str(form.get(f"reason:{key[4:]}") or "changed_mind"),
            "condition": str(form.get(f"condition:{key[4:]}") or "resaleable"),
        }
        for key, value in form.multi_items()
        if key.startswith("qty:") and str(value).strip() not in ("", "0")
    ]
    _ = gettext(request)
    if not lines:
        return _order_page(
            request, ctx, order_id, error=_("Enter how many units the customer gives back."), status_code=422
        )
    try:
        command = TakeBackIn.model_validate(
            {
                "order_id": order_id,
                "lines": lines,
                "place_id": shop_of(ctx),
                "refund_to": str(form.get("refund_to") or "original"),
            }
        )
        done = returns_service.take_back_in_store(ctx.uow, command)
    except ValidationError:
        return _order_page(request, ctx, order_id, error=_("Check what you entered."), status_code=422)
    except Problem as exc:
        if isinstance(exc, NotFound):
            raise
        return _order_page(
            request, ctx, order_id, error=problem_message(request, exc), status_code=exc.status
        )
    return _order_page(request, ctx, order_id, done=done)
