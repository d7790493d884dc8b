"""orders: HTTP API (thin: parse, call the service, map errors)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Response

from comptoir.core.api import PROBLEM_RESPONSES, IfMatch, RequestContext, etag, require
from comptoir.core.auth import require_channel_kind
from comptoir.core.errors import Forbidden, not_found
from comptoir.core.pagination import Page, decode_cursor, encode_cursor
from comptoir.orders import service
from comptoir.orders.policies import OrdersRules
from comptoir.orders.schemas import (
    CancelIn,
    CheckoutIn,
    FulfilmentStatus,
    FulfilmentTransitionIn,
    OrderMode,
    OrderOut,
    OrderStatus,
    OrderSummaryOut,
    PickListOut,
)

router = APIRouter(prefix="/v1/orders", tags=["orders"], responses=PROBLEM_RESPONSES)
Reader = Annotated[RequestContext, Depends(require("orders", "read"))]
Writer = Annotated[RequestContext, Depends(require("orders", "write"))]
Limit = Annotated[int, Query(ge=1, le=200)]
# Who moves goods: stores, warehouses and the back office (the systems behind them), never a shop front.
STAFF = ("store", "back-office", "call-centre")


def _visible(ctx: RequestContext, order: OrderOut) -> OrderOut:
    """A signed-in customer sees only their orders; a store key sees the orders its store handles."""
    actor = ctx.actor
    if actor.customer_id is not None and order.customer_id != actor.customer_id:
        raise not_found("Order", order.id)
    return order


@router.post(
    "/checkout", status_code=201, summary="Turn a cart into an order (all or nothing; send Idempotency-Key)"
)
def checkout(
    body: CheckoutIn,
    ctx: Writer,
    response: Response,
    x_cart_token: Annotated[str | None, Header(description="An anonymous cart's token")] = None,
) -> OrderOut:
    with ctx.uow() as uow:
        out = service.checkout(uow, body, cart_token=x_cart_token)
        uow.commit()
    response.headers["Location"] = f"/v1/orders/{out.id}"
    response.headers["ETag"] = etag(out.version)
    return out


@router.get("", summary="Orders, newest first (filter by status, mode, channel, customer, store, number)")
def list_orders(
    ctx: Reader,
    status: OrderStatus | None = None,
    mode: OrderMode | None = None,
    channel: str | None = None,
    customer_id: str | None = None,
    place_id: Annotated[str | None, Query(description="Orders taken in, or collected at, this store")] = None,
    number: Annotated[
        str | None, Query(max_length=40, description="The order number staff see (CMD-…, case forgiving)")
    ] = None,
    cursor: str | None = None,
    limit: Limit = 50,
) -> Page[OrderSummaryOut]:
    if ctx.actor.customer_id is not None:
        customer_id = ctx.actor.customer_id
    before = decode_cursor(cursor) if cursor else None
    with ctx.reader() as uow:
        items = service.list_orders(
            uow,
            limit=limit + 1,
            status=status,
            mode=mode,
            channel=channel,
            customer_id=customer_id,
            before=before,
            place_id=place_id,
            number=number,
        )
    more = len(items) > limit
    items = items[:limit]
    return Page[OrderSummaryOut](
        items=items, next_cursor=encode_cursor(items[-1].id) if more and items else None
    )


@router.get("/rules", summary="The retailer's sourcing and fulfilment rules")
def get_rules(ctx: Reader, response: Response) -> OrdersRules:
    with ctx.reader() as uow:
        rules, version = service.load_rules(uow, fresh=True), service.rules_version(uow)
    response.headers["ETag"] = etag(version)
    return rules


@router.put("/rules", summary="Replace the sourcing and fulfilment rules (If-Match)")
def put_rules(body: OrdersRules, ctx: Writer, if_match: IfMatch, response: Response) -> OrdersRules:
    require_channel_kind(ctx.actor, "back-office")
    with ctx.uow() as uow:
        version = service.save_rules(uow, body, expected_version=if_match)
        uow.commit()
    response.headers["ETag"] = etag(version)
    return body


@router.get("/pick-lists/{place_id}", summary="What a store or warehouse has to prepare, by shelf location")
def pick_list(
    place_id: str, ctx: Reader, status: Annotated[list[FulfilmentStatus] | None, Query()] = None
) -> PickListOut:
    require_channel_kind(ctx.actor, *STAFF)
    if ctx.actor.store_id is not None and ctx.actor.store_id != place_id:
        raise Forbidden("A store key sees its own pick list only.")
    with ctx.reader() as uow:
        if status:
            return service.pick_list(uow, place_id, tuple(status))
        return service.pick_list(uow, place_id)


@router.post(
    "/fulfilments/{fulfilment_id}/transitions",
    summary="Move a fulfilment on: allocate, pick, ready, collect, ship, deliver, dispatch/receive a transfer",
)
def fulfilment_transition(
    fulfilment_id: str, body: FulfilmentTransitionIn, ctx: Writer, response: Response
) -> OrderOut:
    require_channel_kind(ctx.actor, *STAFF)
    with ctx.uow() as uow:
        order_id = service.transition(uow, fulfilment_id, body.action, tracking_number=body.tracking_number)
        uow.commit()
    with ctx.reader() as uow:
        out = service.get_order(uow, order_id)
    response.headers["ETag"] = etag(out.version)
    return out


@router.get("/{order_id}", summary="An order with its lines, fulfilments, payments and sourcing decision")
def get_order(order_id: str, ctx: Reader, response: Response) -> OrderOut:
    with ctx.reader() as uow:
        out = _visible(ctx, service.get_order(uow, order_id))
    response.headers["ETag"] = etag(out.version)
    return out


@router.post(
    "/{order_id}/cancel", summary="Cancel what has not left yet: stock, promotions and payments released"
)
def cancel_order(order_id: str, body: CancelIn, ctx: Writer) -> OrderOut:
    with ctx.uow() as uow:
        _visible(ctx, service.get_order(uow, order_id))
        service.cancel(uow, order_id, body.reason)
        uow.commit()
    with ctx.reader() as uow:
        return service.get_order(uow, order_id)
