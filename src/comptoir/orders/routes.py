"""orders: HTTP API (thin: parse, call the service, map errors)."""

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Response

from comptoir.core import staff
from comptoir.core.access import RETAILER_ROLES
from comptoir.core.api import PROBLEM_RESPONSES, IfMatch, RequestContext, allow, etag
from comptoir.core.errors import Forbidden, InvalidInput, NotFound
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
# Anyone shopping checks out; a customer reads and cancels their own orders; staff, shop and secret keys
# the orders of their shops (all of them when unbound). Goods are moved by staff and shop keys only.
Buyer = Annotated[
    RequestContext, Depends(allow("orders", "write", "publishable", "customer", "staff", "shop", "secret"))
]
Reader = Annotated[RequestContext, Depends(allow("orders", "read", "customer", "staff", "shop", "secret"))]
Writer = Annotated[RequestContext, Depends(allow("orders", "write", "customer", "staff", "shop", "secret"))]
StaffReader = Annotated[RequestContext, Depends(allow("orders", "read", "staff", "shop", "secret"))]
StaffWriter = Annotated[RequestContext, Depends(allow("orders", "write", "staff", "shop", "secret"))]
RulesWriter = Annotated[
    RequestContext,
    Depends(allow("orders", "write", "staff", "secret", roles=RETAILER_ROLES, retailer_wide=True)),
]
Limit = Annotated[int, Query(ge=1, le=200)]


def _visible(ctx: RequestContext, order: OrderOut) -> OrderOut:
    """A customer sees their own orders only; a shop-bound caller the orders its shops handle."""
    ctx.own_resource(order.customer_id, service.order_shops(order), "Order", order.id)
    return order


def _with_seller(ctx: RequestContext, body: CheckoutIn) -> CheckoutIn:
    """The seller of an order taken in a shop is an employee: the one signed in, or — from a shop's
    till — one who works in that shop. Never free text."""
    actor = ctx.actor
    if actor.kind == "staff":
        if body.seller_id not in (None, actor.staff_id):
            raise InvalidInput("You sell as yourself: leave seller_id out.", field="seller_id")
        return body.model_copy(update={"seller_id": actor.staff_id}) if actor.store_id else body
    if body.seller_id is not None:
        with ctx.reader() as uow:
            try:
                person = staff.get_person(uow, body.seller_id)
            except NotFound:
                raise InvalidInput("No employee has this id.", field="seller_id") from None
        if person.blocked or (actor.store_id and person.shops and actor.store_id not in person.shops):
            raise InvalidInput("This employee does not work in this shop.", field="seller_id")
    return body


@router.post(
    "/checkout", status_code=201, summary="Turn a cart into an order (all or nothing; send Idempotency-Key)"
)
def checkout(
    body: CheckoutIn,
    ctx: Buyer,
    response: Response,
    x_cart_token: Annotated[str | None, Header(description="An anonymous cart's token")] = None,
) -> OrderOut:
    if ctx.actor.kind in ("customer", "publishable") and body.customer_id not in (
        None,
        ctx.actor.customer_id,
    ):
        raise Forbidden(
            "A shopper checks out for themselves: leave customer_id out (the customer token says who).",
            slug="other-customer",
        )
    body = _with_seller(ctx, body)
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
    customer_id = ctx.customer_filter(customer_id)
    shops = ctx.shop_filter(place_id)
    if shops is not None and len(shops) > 1:
        raise Forbidden("Name one of your shops with place_id.", slug="place-required")
    place_id = shops[0] if shops else place_id
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
def get_rules(ctx: StaffReader, response: Response) -> OrdersRules:
    with ctx.reader() as uow:
        rules, version = service.load_rules(uow, fresh=True), service.rules_version(uow)
    response.headers["ETag"] = etag(version)
    return rules


@router.put("/rules", summary="Replace the sourcing and fulfilment rules (If-Match)")
def put_rules(body: OrdersRules, ctx: RulesWriter, if_match: IfMatch, response: Response) -> OrdersRules:
    with ctx.uow() as uow:
        version = service.save_rules(uow, body, expected_version=if_match)
        uow.commit()
    response.headers["ETag"] = etag(version)
    return body


@router.get("/pick-lists/{place_id}", summary="What a store or warehouse has to prepare, by shelf location")
def pick_list(
    place_id: str, ctx: StaffReader, status: Annotated[list[FulfilmentStatus] | None, Query()] = None
) -> PickListOut:
    ctx.own_shop(place_id)
    with ctx.reader() as uow:
        if status:
            return service.pick_list(uow, place_id, tuple(status))
        return service.pick_list(uow, place_id)


@router.post(
    "/fulfilments/{fulfilment_id}/transitions",
    summary="Move a fulfilment on: allocate, pick, ready, collect, ship, deliver, dispatch/receive a transfer",
)
def fulfilment_transition(
    fulfilment_id: str, body: FulfilmentTransitionIn, ctx: StaffWriter, response: Response
) -> OrderOut:
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
