"""payments: HTTP API (thin: parse, call the service, map errors)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from comptoir.core.api import PROBLEM_RESPONSES, RequestContext, app_state, require
from comptoir.core.context import SYSTEM
from comptoir.core.uow import UnitOfWork
from comptoir.payments import provider_events, service
from comptoir.payments.giftcards import GiftCardUnavailable
from comptoir.payments.schemas import (
    GiftCardIssuedOut,
    GiftCardIssueIn,
    GiftCardMovementOut,
    GiftCardOut,
    GiftCardRedeemIn,
    GiftCardStatusIn,
    OrderPaymentsOut,
    PaymentEventOut,
    PaymentOut,
    ProviderEventAck,
    RefundIn,
    RefundOut,
)

router = APIRouter(prefix="/v1/payments", tags=["payments"], responses=PROBLEM_RESPONSES)
Reader = Annotated[RequestContext, Depends(require("payments", "read"))]
Writer = Annotated[RequestContext, Depends(require("payments", "write"))]


# -- payments of an order --------------------------------------------------------------------------------------


@router.get("/orders/{order_id}", summary="An order's payments and refunds")
def order_payments(order_id: str, ctx: Reader) -> OrderPaymentsOut:
    with ctx.reader() as uow:
        return service.order_payments(uow, order_id)


@router.post("/orders/{order_id}/capture", summary="Capture every pending or authorised payment of an order")
def capture_order(order_id: str, ctx: Writer) -> list[PaymentOut]:
    with ctx.uow() as uow:
        out = service.capture_order(uow, order_id)
        uow.commit()
    return out


@router.post(
    "/orders/{order_id}/void",
    summary="Cancel an order's payments: void authorisations, give back stored value and captured money",
)
def void_order(order_id: str, ctx: Writer) -> list[PaymentOut]:
    with ctx.uow() as uow:
        out = service.void_order(uow, order_id)
        uow.commit()
    return out


@router.get("/payments/{payment_id}", summary="One payment")
def get_payment(payment_id: str, ctx: Reader) -> PaymentOut:
    with ctx.reader() as uow:
        return service.get_payment(uow, payment_id)


@router.get("/payments/{payment_id}/events", summary="Every state change of a payment (append-only)")
def payment_events(payment_id: str, ctx: Reader) -> list[PaymentEventOut]:
    with ctx.reader() as uow:
        return service.payment_events(uow, payment_id)


@router.post("/payments/{payment_id}/capture", summary="Capture one payment (e.g. paid at the till)")
def capture(payment_id: str, ctx: Writer) -> PaymentOut:
    with ctx.uow() as uow:
        out = service.capture(uow, payment_id)
        uow.commit()
    return out


@router.post("/refunds", status_code=201, summary="Refund part of an order to its payments or as a voucher")
def refund(body: RefundIn, ctx: Writer, response: Response) -> RefundOut:
    with ctx.uow() as uow:
        out = service.refund(uow, body)
        uow.commit()
    response.headers["Location"] = f"/v1/payments/orders/{out.order_id}"
    return out


# -- gift cards and vouchers -----------------------------------------------------------------------------------


@router.post("/gift-cards", status_code=201, summary="Issue a gift card or voucher (the PIN is shown once)")
def issue_gift_card(body: GiftCardIssueIn, ctx: Writer, response: Response) -> GiftCardIssuedOut:
    with ctx.uow() as uow:
        out = service.issue_gift_card(uow, body)
        uow.commit()
    response.headers["Location"] = f"/v1/payments/gift-cards/{out.code}"
    return out


@router.get("/gift-cards", summary="A customer's gift cards and vouchers")
def customer_gift_cards(
    ctx: Reader, customer_id: Annotated[str, Query(min_length=1, max_length=64)]
) -> list[GiftCardOut]:
    with ctx.reader() as uow:
        return service.customer_gift_cards(uow, customer_id)


@router.put("/gift-cards/{code}/status", summary="Block a lost card, or unblock it")
def set_gift_card_status(code: str, body: GiftCardStatusIn, ctx: Writer) -> GiftCardOut:
    with ctx.uow() as uow:
        out = service.set_gift_card_status(uow, code, body)
        uow.commit()
    return out


@router.get("/gift-cards/{code}", summary="A gift card's balance, expiry and status")
def gift_card(code: str, ctx: Reader) -> GiftCardOut:
    with ctx.reader() as uow:
        return service.gift_card(uow, code)


@router.get("/gift-cards/{code}/movements", summary="A gift card's history, newest first")
def gift_card_movements(
    code: str, ctx: Reader, limit: Annotated[int, Query(ge=1, le=500)] = 100
) -> list[GiftCardMovementOut]:
    with ctx.reader() as uow:
        return service.gift_card_movements(uow, code, limit=limit)


@router.post("/gift-cards/{code}/redemptions", status_code=201, summary="Take value from a gift card")
def redeem_gift_card(code: str, body: GiftCardRedeemIn, ctx: Writer) -> GiftCardMovementOut:
    with ctx.uow() as uow:
        try:
            out = service.redeem_gift_card(uow, code, body)
        except GiftCardUnavailable as exc:
            if exc.extensions.get("reason") == "pin":
                uow.commit()  # keep the wrong-PIN count (SQLite counts it in this transaction)
            raise
        uow.commit()
    return out


# -- provider events ---------------------------------------------------------------------------------------------


@router.post(
    "/providers/{provider}/events",
    summary="Signed events from the card provider (Standard Webhooks signature, no API key)",
)
async def provider_event(provider: str, request: Request) -> ProviderEventAck:
    body = await request.body()
    headers = {k.lower(): v for k, v in request.headers.items()}
    state = app_state(request)

    def run() -> ProviderEventAck:
        with UnitOfWork(state.db, SYSTEM) as uow:
            out = provider_events.handle(uow, provider, headers, body)
            uow.commit()
        return out

    return await run_in_threadpool(run)
