"""The customer's orders from every channel (web orders and shop sales with their e-receipts), an
order's detail with its status and pickup, the e-receipt, and returns started from an order line.

Every id in a URL is checked against the signed-in customer exactly as the API checks it
(``ctx.own_resource``): another customer's order, receipt or return answers 404, as one that does not
exist.
"""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from comptoir.core.errors import InvalidInput, NotFound, Problem
from comptoir.orders import service as orders_service
from comptoir.orders.schemas import OrderOut
from comptoir.receipts import service as receipts_service
from comptoir.receipts.schemas import ReceiptOut
from comptoir.returns import service as returns_service
from comptoir.returns.schemas import RETURN_STATUSES, ReturnabilityOut, ReturnIn, ReturnLineIn
from comptoir.storefront.account_common import (
    GENERAL_ERROR,
    RETURN_REASONS,
    channel_name,
    local_path,
    not_found,
    places,
    problem_message,
    render,
    say,
    variants,
)
from comptoir.storefront.rendering import ShopRoute
from comptoir.storefront.session import ShopperContext, SignedInShopper
from comptoir.stores import service as stores_service

router = APIRouter(prefix="/shop/account", include_in_schema=False, route_class=ShopRoute)
MAX_ORDERS = 100


def _store_ids(channels: list[str]) -> list[str]:
    return [c.split(":", 1)[1] for c in channels if c.startswith("store:")]


@router.get("/orders", response_class=HTMLResponse)
def orders(request: Request, shop: SignedInShopper) -> HTMLResponse:
    """Every order of the customer, newest first, on every channel; a shop sale links its e-receipt."""
    ctx, customer_id = shop.ctx, shop.customer_id
    assert customer_id is not None
    with ctx.reader() as uow:
        found = orders_service.orders_of(uow, customer_id, limit=MAX_ORDERS)
        receipts = {
            r.order_id: r
            for r in receipts_service.receipts_of(
                uow, ctx.settings, customer_id=customer_id, limit=MAX_ORDERS
            )
        }
        known = places(uow, _store_ids([o.channel for o in found]))
    rows = [
        {"order": o, "where": channel_name(o.channel, known, shop.lang), "receipt": receipts.get(o.id)}
        for o in found
    ]
    return render(request, shop, "storefront/account/orders.html", rows=rows, section="orders")


def _own_order(shop: ShopperContext, order: OrderOut) -> OrderOut:
    shop.ctx.own_resource(order.customer_id, orders_service.order_shops(order), "Order", order.id)
    return order


@router.get("/orders/{order_id}", response_class=HTMLResponse)
def order_detail(request: Request, order_id: str, shop: SignedInShopper) -> HTMLResponse:
    ctx = shop.ctx
    try:
        with ctx.reader() as uow:
            order = _own_order(shop, orders_service.get_order(uow, order_id))
            receipt = receipts_service.receipt_for_order(uow, order.id, ctx.settings)
            returns = returns_service.returns_of_order(uow, order.id)
            returnable = _returnable(uow, order)
            names = variants(uow, [line.sku for line in order.lines], shop.lang)
            known = places(
                uow,
                [order.pickup_place_id, *_store_ids([order.channel])]
                + [f.place_id for f in order.fulfilments],
            )
    except NotFound:
        return not_found(request, shop)
    return render(
        request,
        shop,
        "storefront/account/order.html",
        order=order,
        where=channel_name(order.channel, known, shop.lang),
        receipt=receipt,
        returns=returns,
        returnable=returnable,
        names=names,
        places=known,
        section="orders",
    )


def _returnable(uow: object, order: OrderOut) -> ReturnabilityOut | None:
    """What may come back now (None when nothing: a cancelled order, a policy refusing all)."""
    if order.status == "cancelled":
        return None
    try:
        out = returns_service.returnability(uow, order.id)  # type: ignore[arg-type]
    except Problem:
        return None
    return out if out.methods and any(line.returnable > 0 for line in out.lines) else None


# -- e-receipts -----------------------------------------------------------------------------------------


def _own_receipt(shop: ShopperContext, receipt: ReceiptOut) -> ReceiptOut:
    shop.ctx.own_resource(receipt.customer_id, [receipt.place_id], "Receipt", receipt.id)
    return receipt


@router.get("/receipts/{receipt_id}", response_class=HTMLResponse)
def receipt(request: Request, receipt_id: str, shop: SignedInShopper) -> HTMLResponse:
    """The e-receipt as printed, with links to view it alone and to download it as a PDF."""
    try:
        with shop.ctx.reader() as uow:
            found = _own_receipt(shop, receipts_service.get_receipt(uow, receipt_id, shop.ctx.settings))
    except NotFound:
        return not_found(request, shop)
    return render(
        request,
        shop,
        "storefront/account/receipt.html",
        receipt=found,
        document=found.document,
        view_url=local_path(found.url),
        pdf_url=local_path(found.pdf_url),
        section="orders",
    )


# -- returns --------------------------------------------------------------------------------------------


def _return_page(
    request: Request,
    shop: ShopperContext,
    order_id: str,
    *,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    with shop.ctx.reader() as uow:
        order = _own_order(shop, orders_service.get_order(uow, order_id))
        returnable = _returnable(uow, order)
        names = variants(uow, [line.sku for line in order.lines], shop.lang)
        shops = sorted(
            (p for p in stores_service.all_places(uow, kind="store") if p.status == "open"),
            key=lambda p: p.name,
        )
    if returnable is None:
        return render(
            request,
            shop,
            "storefront/account/return_form.html",
            order=order,
            returnable=None,
            section="orders",
        )
    return render(
        request,
        shop,
        "storefront/account/return_form.html",
        status_code=status_code,
        order=order,
        returnable=returnable,
        names=names,
        shops=shops,
        preferred=order.pickup_place_id or next(iter(_store_ids([order.channel])), None),
        reasons=RETURN_REASONS,
        error=error,
        section="orders",
    )


@router.get("/orders/{order_id}/return", response_class=HTMLResponse)
def return_form(request: Request, order_id: str, shop: SignedInShopper) -> HTMLResponse:
    try:
        return _return_page(request, shop, order_id)
    except NotFound:
        return not_found(request, shop)


@router.post("/orders/{order_id}/return", response_model=None)
async def start_return(request: Request, order_id: str, shop: SignedInShopper) -> Response:
    """Start a return of the chosen lines (the returns service's rules: window, exclusions, quantities)."""
    form = await request.form()
    lines: list[ReturnLineIn] = []
    try:
        for key, value in form.multi_items():
            if key.startswith("qty:") and str(value).strip() not in ("", "0"):
                line_id = key[4:]
                reason = str(form.get(f"reason:{line_id}") or "changed_mind")
                lines.append(ReturnLineIn(line_id=line_id, quantity=int(str(value)), reason=reason))
        method = str(form.get("method") or "by_post")
        place_id = str(form.get("place_id") or "") or None
        command = ReturnIn(
            order_id=order_id,
            lines=lines,
            method=method,
            place_id=place_id if method == "in_store" else None,
        )
    except (ValidationError, ValueError):
        message = problem_message(_no_lines(), shop.lang) if not lines else say(shop.lang, GENERAL_ERROR)
        return _safe_return_page(request, shop, order_id, message)
    try:
        with shop.ctx.uow() as uow:
            _own_order(shop, orders_service.get_order(uow, order_id))
            out = returns_service.create_return(uow, command)
            shop.ctx.own_resource(out.customer_id, [out.place_id], "Return", out.id)
            uow.commit()
    except NotFound:
        return not_found(request, shop)
    except Problem as problem:
        return _safe_return_page(request, shop, order_id, problem_message(problem, shop.lang), problem.status)
    return RedirectResponse(f"/shop/account/returns/{out.id}", status_code=303)


def _no_lines() -> Problem:
    return InvalidInput("Choose at least one line.", field="lines")


def _safe_return_page(
    request: Request, shop: ShopperContext, order_id: str, message: str, status_code: int = 422
) -> HTMLResponse:
    try:
        return _return_page(request, shop, order_id, error=message, status_code=status_code)
    except NotFound:
        return not_found(request, shop)


@router.get("/returns", response_class=HTMLResponse)
def returns(request: Request, shop: SignedInShopper) -> HTMLResponse:
    assert shop.customer_id is not None
    with shop.ctx.reader() as uow:
        found = returns_service.returns_of(uow, shop.customer_id, limit=MAX_ORDERS)
        known = places(uow, [r.place_id for r in found])
    return render(
        request, shop, "storefront/account/returns.html", returns=found, places=known, section="returns"
    )


@router.get("/returns/{return_id}", response_class=HTMLResponse)
def return_detail(request: Request, return_id: str, shop: SignedInShopper) -> HTMLResponse:
    try:
        with shop.ctx.reader() as uow:
            found = returns_service.get_return(uow, return_id)
            shop.ctx.own_resource(found.customer_id, [found.place_id], "Return", found.id)
            names = variants(uow, [line.sku for line in found.lines], shop.lang)
            known = places(uow, [found.place_id])
    except NotFound:
        return not_found(request, shop)
    return render(
        request,
        shop,
        "storefront/account/return.html",
        ret=found,
        names=names,
        places=known,
        statuses=RETURN_STATUSES,
        section="returns",
    )


@router.post("/returns/{return_id}/cancel", response_model=None)
def cancel_return(request: Request, return_id: str, shop: SignedInShopper) -> Response:
    """Cancel a return not yet sent or handed over (the returns service says when it no longer can)."""
    try:
        with shop.ctx.uow() as uow:
            found = returns_service.get_return(uow, return_id)
            shop.ctx.own_resource(found.customer_id, [found.place_id], "Return", found.id)
            returns_service.cancel(uow, return_id)
            uow.commit()
    except NotFound:
        return not_found(request, shop)
    except Problem:
        pass  # already received or refunded: the page shows its state
    return RedirectResponse(f"/shop/account/returns/{return_id}", status_code=303)
