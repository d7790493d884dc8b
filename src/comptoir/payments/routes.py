"""payments: HTTP API (thin: parse, call the service, map errors)."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from comptoir.core.api import PROBLEM_RESPONSES, RequestContext, allow, app_state
from comptoir.core.context import SYSTEM
from comptoir.core.errors import Forbidden, InvalidInput, NotFound
from comptoir.core.uow import UnitOfWork
from comptoir.payments import policies, provider_events, service
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
# A customer reads their own payments and vouchers; staff, shop and secret keys take, capture and refund
# (a shop-bound one: the payments taken in its shops). Provider events are signed, not keyed.
Reader = Annotated[RequestContext, Depends(allow("payments", "read", "customer", "staff", "shop", "secret"))]
Writer = Annotated[RequestContext, Depends(allow("payments", "write", "customer", "staff", "shop", "secret"))]
StaffReader = Annotated[RequestContext, Depends(allow("payments", "read", "staff", "shop", "secret"))]
StaffWriter = Annotated[RequestContext, Depends(allow("payments", "write", "staff", "shop", "secret"))]
Signed = Annotated[RequestContext, Depends(allow(None, "write", "public"))]


def _own_payments(ctx: RequestContext, payments: list[PaymentOut], what: str, rid: str) -> None:
    """A customer reaches their own payments; a shop-bound caller those taken in its shops."""
    actor = ctx.actor
    if actor.kind == "customer" and any(p.customer_id != actor.customer_id for p in payments):
        raise NotFound(f"{what} {rid} does not exist.", slug="not-found")
    if actor.kind == "customer" and not payments:
        raise NotFound(f"{what} {rid} does not exist.", slug="not-found")
    if actor.shops is not None and any(
        not p.channel.startswith("store:") or p.channel.split(":", 1)[1] not in actor.shops for p in payments
    ):
        raise NotFound(f"{what} {rid} does not exist.", slug="not-found")


def _own_card(ctx: RequestContext, card: GiftCardOut) -> GiftCardOut:
    """A customer reaches their own cards and vouchers only (a card's code is not proof of ownership)."""
    if ctx.actor.kind == "customer" and card.customer_id != ctx.actor.customer_id:
        raise NotFound(policies.REFUSAL_TEXT["unknown"], slug="gift-card-not-found")
    return card


# -- payments of an order --------------------------------------------------------------------------------------


@router.get("/orders/{order_id}", summary="An order's payments and refunds")
def order_payments(order_id: str, ctx: Reader) -> OrderPaymentsOut:
    with ctx.reader() as uow:
        out = service.order_payments(uow, order_id)
    _own_payments(ctx, out.payments, "Order", order_id)
    return out


@router.post("/orders/{order_id}/capture", summary="Capture every pending or authorised payment of an order")
def capture_order(order_id: str, ctx: StaffWriter) -> list[PaymentOut]:
    with ctx.uow() as uow:
        _own_payments(ctx, service.order_payments(uow, order_id).payments, "Order", order_id)
        out = service.capture_order(uow, order_id)
        uow.commit()
    return out


@router.post(
    "/orders/{order_id}/void",
    summary="Cancel an order's payments: void authorisations, give back stored value and captured money",
)
def void_order(order_id: str, ctx: StaffWriter) -> list[PaymentOut]:
    with ctx.uow() as uow:
        _own_payments(ctx, service.order_payments(uow, order_id).payments, "Order", order_id)
        out = service.void_order(uow, order_id)
        uow.commit()
    return out


@router.get("/payments/{payment_id}", summary="One payment")
def get_payment(payment_id: str, ctx: Reader) -> PaymentOut:
    with ctx.reader() as uow:
        out = service.get_payment(uow, payment_id)
    _own_payments(ctx, [out], "Payment", payment_id)
    return out


@router.get("/payments/{payment_id}/events", summary="Every state change of a payment (append-only)")
def payment_events(payment_id: str, ctx: StaffReader) -> list[PaymentEventOut]:
    with ctx.reader() as uow:
        _own_payments(ctx, [service.get_payment(uow, payment_id)], "Payment", payment_id)
        return service.payment_events(uow, payment_id)


@router.post("/payments/{payment_id}/capture", summary="Capture one payment (e.g. paid at the till)")
def capture(payment_id: str, ctx: StaffWriter) -> PaymentOut:
    with ctx.uow() as uow:
        _own_payments(ctx, [service.get_payment(uow, payment_id)], "Payment", payment_id)
        out = service.capture(uow, payment_id)
        uow.commit()
    return out


@router.post("/refunds", status_code=201, summary="Refund part of an order to its payments or as a voucher")
def refund(body: RefundIn, ctx: StaffWriter, response: Response) -> RefundOut:
    with ctx.uow() as uow:
        _own_payments(ctx, service.order_payments(uow, body.order_id).payments, "Order", body.order_id)
        out = service.refund(uow, body)
        uow.commit()
    response.headers["Location"] = f"/v1/payments/orders/{out.order_id}"
    return out


# -- gift cards and vouchers -----------------------------------------------------------------------------------


@router.post("/gift-cards", status_code=201, summary="Issue a gift card or voucher (the PIN is shown once)")
def issue_gift_card(body: GiftCardIssueIn, ctx: StaffWriter, response: Response) -> GiftCardIssuedOut:
    with ctx.uow() as uow:
        out = service.issue_gift_card(uow, body)
        uow.commit()
    response.headers["Location"] = f"/v1/payments/gift-cards/{out.code}"
    return out


@router.get("/gift-cards", summary="A customer's gift cards and vouchers")
def customer_gift_cards(
    ctx: Reader, customer_id: Annotated[str | None, Query(min_length=1, max_length=64)] = None
) -> list[GiftCardOut]:
    owner = ctx.customer_filter(customer_id)
    if owner is None:
        raise InvalidInput("Name the customer (customer_id).", field="customer_id")
    with ctx.reader() as uow:
        return service.customer_gift_cards(uow, owner)


@router.put("/gift-cards/{code}/status", summary="Block a lost card, or unblock it")
def set_gift_card_status(code: str, body: GiftCardStatusIn, ctx: Writer) -> GiftCardOut:
    with ctx.uow() as uow:
        _own_card(ctx, service.gift_card(uow, code))
        if ctx.actor.kind == "customer" and body.status != "disabled":
            raise Forbidden("A customer may block a lost card; the retailer unblocks it.", slug="staff-only")
        out = service.set_gift_card_status(uow, code, body)
        uow.commit()
    return out


@router.get("/gift-cards/{code}", summary="A gift card's balance, expiry and status")
def gift_card(code: str, ctx: Reader) -> GiftCardOut:
    with ctx.reader() as uow:
        return _own_card(ctx, service.gift_card(uow, code))


@router.get("/gift-cards/{code}/movements", summary="A gift card's history, newest first")
def gift_card_movements(
    code: str, ctx: Reader, limit: Annotated[int, Query(ge=1, le=500)] = 100
) -> list[GiftCardMovementOut]:
    with ctx.reader() as uow:
        _own_card(ctx, service.gift_card(uow, code))
        return service.gift_card_movements(uow, code, limit=limit)


@router.post("/gift-cards/{code}/redemptions", status_code=201, summary="Take value from a gift card")
def redeem_gift_card(code: str, body: GiftCardRedeemIn, ctx: StaffWriter) -> GiftCardMovementOut:
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
async def provider_event(provider: str, request: Request, ctx: Signed) -> ProviderEventAck:
    body = await request.body()
    headers = {k.lower(): v for k, v in request.headers.items()}
    state = app_state(request)

    def run() -> ProviderEventAck:
        with UnitOfWork(state.db, SYSTEM) as uow:
            out = provider_events.handle(uow, provider, headers, body)
            uow.commit()
        return out

    return await run_in_threadpool(run)
