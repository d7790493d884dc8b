"""returns: HTTP API (thin: parse, call the service, map errors).

A return is started from any channel (the till, the website, the call centre) with the order and the
lines; the return place receives and inspects it; then it is refunded. Every channel reads the same
returns at once (one table, no per-channel copy).
"""

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from comptoir.core.access import RETAILER_ROLES
from comptoir.core.api import PROBLEM_RESPONSES, IfMatch, RequestContext, allow, etag
from comptoir.core.errors import InvalidInput, NotFound
from comptoir.orders import service as orders_service
from comptoir.returns import service
from comptoir.returns.schemas import (
    ReceiveIn,
    RefundReturnIn,
    RejectIn,
    ReturnabilityOut,
    ReturnIn,
    ReturnListOut,
    ReturnOut,
    ReturnPolicyIn,
    ReturnPolicyOut,
    ReturnStatus,
)

router = APIRouter(prefix="/v1/returns", tags=["returns"], responses=PROBLEM_RESPONSES)
# A customer starts, reads and cancels returns of their own orders; receiving goods, refunding and
# refusing are staff work (shops for the returns they take, the warehouse and back office for all); the
# return policy is the retailer's (back office, retailer-wide).
Reader = Annotated[RequestContext, Depends(allow("returns", "read", "customer", "staff", "shop", "secret"))]
Writer = Annotated[RequestContext, Depends(allow("returns", "write", "customer", "staff", "shop", "secret"))]
StaffWriter = Annotated[RequestContext, Depends(allow("returns", "write", "staff", "shop", "secret"))]
PolicyReader = Annotated[
    RequestContext, Depends(allow("returns", "read", "publishable", "customer", "staff", "shop", "secret"))
]
PolicyWriter = Annotated[
    RequestContext,
    Depends(allow("returns", "write", "staff", "secret", roles=RETAILER_ROLES, retailer_wide=True)),
]


def _own(ctx: RequestContext, out: ReturnOut) -> ReturnOut:
    """A customer reaches their own returns; a shop-bound caller the returns its shops take."""
    ctx.own_resource(out.customer_id, [out.place_id], "Return", out.id)
    return out


def _tagged(response: Response, out: ReturnOut) -> ReturnOut:
    response.headers["ETag"] = etag(out.version)
    return out


@router.post("", status_code=201, summary="Start a return of an order's lines (in a store or by post)")
def create_return(body: ReturnIn, ctx: Writer, response: Response) -> ReturnOut:
    if body.place_id is not None:
        ctx.own_shop(body.place_id)
    with ctx.uow() as uow:
        out = _own(ctx, service.create_return(uow, body))  # checked before anything is committed
        uow.commit()
    response.headers["Location"] = f"/v1/returns/{out.id}"
    return _tagged(response, out)


@router.get("", summary="Returns of a customer or an order (newest first), from every channel")
def list_returns(
    ctx: Reader,
    customer_id: str | None = None,
    order_id: str | None = None,
    status: ReturnStatus | None = None,
    place_id: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> ReturnListOut:
    customer_id = ctx.customer_filter(customer_id)
    shops = ctx.shop_filter(place_id)
    if shops is not None and len(shops) > 1:
        raise InvalidInput("Name one of your shops (place_id).", field="place_id")
    place_id = shops[0] if shops else place_id
    with ctx.reader() as uow:
        items = service.list_returns(
            uow, customer_id=customer_id, order_id=order_id, status=status, place_id=place_id, limit=limit
        )
    return ReturnListOut(items=items)


@router.get("/policy", summary="The retailer's return policy (ETag = its version)")
def get_policy(ctx: PolicyReader, response: Response) -> ReturnPolicyOut:
    with ctx.reader() as uow:
        out = service.get_policy(uow)
    response.headers["ETag"] = etag(out.version)
    return out


@router.put("/policy", summary="Replace the return policy (windows, exclusions, conditions; send If-Match)")
def set_policy(
    body: ReturnPolicyIn, ctx: PolicyWriter, version: IfMatch, response: Response
) -> ReturnPolicyOut:
    with ctx.uow() as uow:
        out = service.set_policy(uow, body, expected_version=version)
        uow.commit()
    response.headers["ETag"] = etag(out.version)
    return out


@router.get("/orders/{order_id}", summary="What of an order may be returned now, how, and why not the rest")
def returnability(order_id: str, ctx: Reader) -> ReturnabilityOut:
    with ctx.reader() as uow:
        if ctx.actor.kind == "customer" or ctx.actor.shops is not None:
            order = orders_service.get_order(uow, order_id)
            if ctx.actor.kind == "customer":
                ctx.own_customer(order.customer_id, "Order", order_id)
            elif not orders_service.order_shops(order) & ctx.actor.shops:  # type: ignore[operator]
                raise NotFound(f"Order {order_id} does not exist.", slug="not-found")
        return service.returnability(uow, order_id)


@router.get("/{return_id}", summary="One return")
def get_return(return_id: str, ctx: Reader, response: Response) -> ReturnOut:
    with ctx.reader() as uow:
        return _tagged(response, _own(ctx, service.get_return(uow, return_id)))


@router.post(
    "/{return_id}/receive", summary="The goods arrived: inspect each line (restock, write off, refuse)"
)
def receive(return_id: str, body: ReceiveIn, ctx: StaffWriter, response: Response) -> ReturnOut:
    with ctx.uow() as uow:
        _own(ctx, service.get_return(uow, return_id))
        out = service.receive(uow, return_id, body)
        uow.commit()
    return _tagged(response, out)


@router.post("/{return_id}/refund", summary="Refund the accepted units (original payment or voucher)")
def refund(
    return_id: str, ctx: StaffWriter, response: Response, body: RefundReturnIn | None = None
) -> ReturnOut:
    with ctx.uow() as uow:
        _own(ctx, service.get_return(uow, return_id))
        out = service.refund(uow, return_id, body or RefundReturnIn())
        uow.commit()
    return _tagged(response, out)


@router.post("/{return_id}/reject", summary="Refuse a return not yet received")
def reject(return_id: str, body: RejectIn, ctx: StaffWriter, response: Response) -> ReturnOut:
    with ctx.uow() as uow:
        _own(ctx, service.get_return(uow, return_id))
        out = service.reject(uow, return_id, body)
        uow.commit()
    return _tagged(response, out)


@router.post("/{return_id}/cancel", summary="Cancel a return not yet sent or handed over")
def cancel(return_id: str, ctx: Writer, response: Response) -> ReturnOut:
    with ctx.uow() as uow:
        _own(ctx, service.get_return(uow, return_id))
        out = service.cancel(uow, return_id)
        uow.commit()
    return _tagged(response, out)
