"""receipts: HTTP API (thin: parse, call the service, map errors).

The till calls ``POST /v1/receipts`` when the customer asks for an e-receipt (the e-mail typed at the
till); staff find a receipt by its sale and send it again. The customer's signed link needs no key:
see :mod:`comptoir.receipts.pages`.
"""

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from comptoir.core.api import PROBLEM_RESPONSES, RequestContext, allow
from comptoir.core.errors import Forbidden, Problem, not_found
from comptoir.core.pagination import Page
from comptoir.receipts import service
from comptoir.receipts.schemas import IssueReceiptIn, ReceiptOut, SendReceiptIn

router = APIRouter(prefix="/v1/receipts", tags=["receipts"], responses=PROBLEM_RESPONSES)
# Tills (shop keys, sellers) issue receipts for their shop; a customer reads and re-sends their own;
# staff and secret keys read every shop's (a shop-bound one: its shops' only).
Reader = Annotated[RequestContext, Depends(allow("receipts", "read", "customer", "staff", "shop", "secret"))]
Writer = Annotated[RequestContext, Depends(allow("receipts", "write", "customer", "staff", "shop", "secret"))]
TillWriter = Annotated[RequestContext, Depends(allow("receipts", "write", "staff", "shop", "secret"))]


def _own(ctx: RequestContext, out: ReceiptOut) -> ReceiptOut:
    ctx.own_resource(out.customer_id, [out.place_id], "Receipt", out.id)
    return out


@router.post("", status_code=201, summary="Issue a sale's receipt (from the till) and e-mail it if asked")
def issue(body: IssueReceiptIn, ctx: TillWriter, response: Response) -> ReceiptOut:
    with ctx.uow() as uow:
        out = _own(ctx, service.issue_receipt(uow, ctx.settings, body))
        uow.commit()
    response.headers["Location"] = f"/v1/receipts/{out.id}"
    return out


@router.get("", summary="Receipts of a sale, a customer or a store (newest first)")
def list_receipts(
    ctx: Reader,
    order_id: str | None = None,
    customer_id: str | None = None,
    place_id: str | None = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Page[ReceiptOut]:
    customer_id = ctx.customer_filter(customer_id)
    shops = ctx.shop_filter(place_id)
    if shops is not None and len(shops) > 1:
        raise Forbidden("Name one of your shops with place_id.", slug="place-required")
    place_id = shops[0] if shops else place_id
    with ctx.reader() as uow:
        if order_id is not None:
            found = service.receipt_for_order(uow, order_id, ctx.settings)
            try:
                items = [_own(ctx, found)] if found is not None else []
            except Problem:
                items = []
            return Page[ReceiptOut](items=items, next_cursor=None)
        return service.receipts_page(
            uow, ctx.settings, customer_id=customer_id, place_id=place_id, cursor=cursor, limit=limit
        )


@router.get("/{receipt_id}", summary="One receipt: the document as printed, its signed links")
def get_receipt(receipt_id: str, ctx: Reader) -> ReceiptOut:
    with ctx.reader() as uow:
        return _own(ctx, service.get_receipt(uow, receipt_id, ctx.settings))


@router.post("/{receipt_id}/send", summary="E-mail the receipt (again), to its e-mail or another")
def send(receipt_id: str, body: SendReceiptIn, ctx: Writer) -> ReceiptOut:
    if ctx.actor.kind == "customer" and body.email is not None:
        raise Forbidden("A customer's receipt goes to the address it was issued to.", slug="own-address")
    with ctx.uow() as uow:
        _own(ctx, service.get_receipt(uow, receipt_id, ctx.settings))
        out = service.request_send(uow, ctx.settings, receipt_id, body)
        uow.commit()
    return out


@router.post(
    "/{receipt_id}/links/revoke",
    summary="Revoke the receipt's signed links (a link sent to the wrong address); answers with a fresh one",
)
def revoke_links(receipt_id: str, ctx: Writer) -> ReceiptOut:
    with ctx.uow() as uow:
        _own(ctx, service.get_receipt(uow, receipt_id, ctx.settings))
        out = service.revoke_links(uow, ctx.settings, receipt_id)
        uow.commit()
    return out


@router.get("/orders/{order_id}", summary="The receipt of a sale")
def receipt_of_order(order_id: str, ctx: Reader) -> ReceiptOut:
    with ctx.reader() as uow:
        found = service.receipt_for_order(uow, order_id, ctx.settings)
    if found is None:
        raise not_found("Receipt of order", order_id)
    return _own(ctx, found)
