"""returns: the store's returns page on the seller tablet.

Find the order (by its number, its id, or the customer), see what may come back and why not the rest,
enter the units given back with their condition, pick the refund method, and the return is created,
received at this store (restocked here) and refunded in one go (``service.take_back_in_store``).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from comptoir.core.api import RequestContext
from comptoir.core.errors import NotFound, Problem
from comptoir.core.web import Pages, require_page
from comptoir.customers import service as customers_service
from comptoir.orders import service as orders_service
from comptoir.orders.schemas import OrderOut, OrderSummaryOut
from comptoir.returns import service
from comptoir.returns.schemas import CounterLineIn, TakeBackIn

pages = Pages(__package__ or "comptoir.returns")
router = APIRouter(prefix="/pages/returns", include_in_schema=False)

# (title message id, path) of this domain's entry pages, linked from the page menu.
PAGES: list[tuple[str, str]] = [("Returns", "/pages/returns")]


def N_(message: str) -> str:
    """Mark a message id for extraction; it is translated when rendered."""
    return message


LABELS: dict[str, str] = {
    "requested": N_("Requested"),
    "received": N_("Received"),
    "refunded": N_("Refunded"),
    "rejected": N_("Refused"),
    "cancelled": N_("Cancelled"),
    "in_store": N_("In store"),
    "by_post": N_("By post"),
    "original": N_("Original payment"),
    "voucher": N_("Voucher"),
    "resaleable": N_("Resaleable"),
    "damaged": N_("Damaged"),
    "faulty": N_("Faulty"),
    "used": N_("Worn or used"),
    "missing": N_("Missing"),
    "restock": N_("Back in stock"),
    "write_off": N_("Written off"),
    "no_restock": N_("Kept out of stock"),
    "refuse": N_("Refused"),
    "online": N_("Online order"),
    "store": N_("Store purchase"),
    "window-passed": N_("Return window passed"),
    "excluded-category": N_("Not returnable (category)"),
    "excluded-sku": N_("Not returnable"),
    "nothing-left-to-return": N_("Already returned"),
    "order-cancelled": N_("Order cancelled"),
    "method-not-allowed": N_("Not returnable this way"),
    "voucher-not-allowed": N_("Vouchers are not offered"),
}
REASONS = {
    "changed_mind": N_("Changed their mind"),
    "wrong_size": N_("Wrong size"),
    "not_as_described": N_("Not as described"),
    "faulty": N_("Faulty"),
    "damaged_in_transit": N_("Damaged in transit"),
    "late": N_("Arrived late"),
    "other": N_("Other"),
}
CONDITIONS = ("resaleable", "damaged", "faulty", "used", "missing")

StaffReader = Annotated[RequestContext, Depends(require_page("returns", "read"))]
StaffWriter = Annotated[RequestContext, Depends(require_page("returns", "write"))]


def _find_by_number(uow: Any, query: str) -> OrderOut | None:
    """The order whose printed number (or id) the customer shows at the counter."""
    return orders_service.find_order_by_number(uow, query) or orders_service.find_order(uow, query)


@router.get("", response_class=HTMLResponse)
def find(request: Request, ctx: StaffReader, q: str = "") -> HTMLResponse:
    """Search an order by number or id, or a customer (name, e-mail, phone, card) and their orders."""
    query = q.strip()
    orders: list[tuple[str, list[OrderSummaryOut]]] = []
    with ctx.reader() as uow:
        if query:
            order = _find_by_number(uow, query)
            if order is not None:
                return _order_page(request, ctx, order.id)
            for hit in customers_service.search(uow, query, limit=5):
                orders.append((hit.customer.display_name, orders_service.orders_of(uow, hit.customer.id, 10)))
        recent = service.list_returns(uow, place_id=ctx.actor.store_id, limit=20)
    return pages.response(
        request,
        "returns/find.html",
        labels=LABELS,
        q=query,
        customers=orders,
        recent=recent,
        searched=bool(query),
    )


def _order_page(
    request: Request,
    ctx: RequestContext,
    order_id: str,
    *,
    done: Any = None,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    with ctx.reader() as uow:
        order = orders_service.get_order(uow, order_id)
        returnable = service.returnability(uow, order_id)
        previous = service.returns_of_order(uow, order_id)
    lines = {line.line_id: line for line in order.lines}
    return pages.response(
        request,
        "returns/order.html",
        status_code=status_code,
        labels=LABELS,
        reasons=REASONS,
        conditions=CONDITIONS,
        order=order,
        lines=lines,
        returnable=returnable,
        previous=previous,
        done=done,
        error=error,
        store_id=ctx.actor.store_id,
    )


@router.get("/orders/{order_id}", response_class=HTMLResponse)
def order_page(request: Request, order_id: str, ctx: StaffReader) -> HTMLResponse:
    return _order_page(request, ctx, order_id)


@router.post("/orders/{order_id}", response_class=HTMLResponse)
async def take_back(request: Request, order_id: str, ctx: StaffWriter) -> HTMLResponse:
    """The customer is at the counter with the goods: the return is created, received here, refunded."""
    form = await request.form()
    lines: list[CounterLineIn] = []
    try:
        for key, value in form.multi_items():
            if not key.startswith("qty:") or not str(value).strip() or str(value).strip() == "0":
                continue
            line_id = key[4:]
            lines.append(
                CounterLineIn.model_validate(
                    {
                        "line_id": line_id,
                        "quantity": int(str(value)),
                        "reason": str(form.get(f"reason:{line_id}") or "changed_mind"),
                        "condition": str(form.get(f"condition:{line_id}") or "resaleable"),
                    }
                )
            )
        if not lines:
            return _order_page(request, ctx, order_id, error="nothing", status_code=422)
        command = TakeBackIn.model_validate(
            {
                "order_id": order_id,
                "lines": lines,
                "place_id": ctx.actor.store_id or (str(form.get("place_id") or "") or None),
                "refund_to": str(form.get("refund_to") or "original"),
            }
        )
        done = service.take_back_in_store(ctx.uow, command)
    except (ValueError, Problem) as exc:
        detail = exc.detail if isinstance(exc, Problem) else str(exc)
        if isinstance(exc, NotFound):
            raise
        return _order_page(request, ctx, order_id, error=detail, status_code=422)
    return _order_page(request, ctx, order_id, done=done)
