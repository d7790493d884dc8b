"""payments: refunds — money given back for an order, to its tenders or as a voucher.

Exposed through :mod:`comptoir.payments.service`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import insert, select

from comptoir.core import clock
from comptoir.core.errors import Conflict, InvalidInput, NotFound
from comptoir.core.ids import new_id
from comptoir.core.money import quantize
from comptoir.core.uow import UnitOfWork
from comptoir.loyalty import service as loyalty_service
from comptoir.payments import giftcards, ledger, policies, providers
from comptoir.payments.events import PaymentRefunded
from comptoir.payments.ledger import PaymentRow
from comptoir.payments.models import Refund, RefundPart, refund_parts_table, refunds_table
from comptoir.payments.schemas import GiftCardIssuedOut, GiftCardIssueIn, RefundIn, RefundOut, RefundPartOut


class RefundExceedsCaptured(Conflict):
    slug = "refund-exceeds-captured"
    title = "Refund larger than what was captured"


def refund_out(uow: UnitOfWork, refund_row: Any) -> RefundOut:
    currency = refund_row.currency
    parts = uow.session.execute(
        select(RefundPart.payment_id, RefundPart.amount, RefundPart.provider_reference, ledger.P.c.method)
        .join(ledger.P, ledger.P.c.id == RefundPart.payment_id)
        .where(RefundPart.refund_id == refund_row.id)
        .order_by(RefundPart.payment_id)
    ).all()
    voucher = None
    if refund_row.voucher_id is not None:
        card = giftcards._by_id(uow, refund_row.voucher_id)
        voucher = GiftCardIssuedOut(**giftcards._out(card).model_dump(), pin=None)
    return RefundOut(
        id=refund_row.id,
        order_id=refund_row.order_id,
        reference=refund_row.reference,
        to=refund_row.to,
        currency=currency,
        amount=quantize(Decimal(refund_row.amount), currency),
        parts=[
            RefundPartOut(
                payment_id=part.payment_id,
                method=part.method,
                amount=quantize(Decimal(part.amount), currency),
                provider_reference=part.provider_reference,
            )
            for part in parts
        ],
        voucher=voucher,
        created_at=refund_row.created_at,
    )


def refund(uow: UnitOfWork, cmd: RefundIn) -> RefundOut:
    """Give ``amount`` back for the order: to the original tenders (split by the refund policy) or as a
    voucher. Idempotent by ``reference``; never more than what remains captured."""
    done = uow.session.execute(select(Refund).where(Refund.reference == cmd.reference)).scalar_one_or_none()
    if done is not None:
        if done.order_id != cmd.order_id:
            raise Conflict(
                f"Refund reference {cmd.reference} was used for order {done.order_id}.",
                slug="refund-reference-reused",
            )
        return refund_out(uow, done)
    payments = ledger.of_order(uow, cmd.order_id, lock=True)
    if not payments:
        raise NotFound(f"Order {cmd.order_id} has no payments.", slug="payments-not-found")
    if any(p.currency != cmd.currency for p in payments):
        raise InvalidInput(f"The order was paid in {payments[0].currency}.", field="currency")
    amount = quantize(cmd.amount, cmd.currency)
    split = _split_refund(cmd, amount, payments)
    refund_id = new_id("rfd")
    now = clock.now()
    parts, to_voucher = _refund_parts(uow, cmd, split, payments, refund_id)
    voucher_id = None
    voucher_code = None
    if to_voucher > 0:
        voucher = giftcards.issue(
            uow,
            GiftCardIssueIn(
                amount=to_voucher,
                currency=cmd.currency,
                kind="voucher",
                with_pin=False,
                customer_id=cmd.customer_id or payments[0].customer_id,
                reference=f"refund:{cmd.reference}",
            ),
        )
        voucher_id, voucher_code = voucher.id, voucher.code
    uow.session.execute(
        insert(refunds_table),
        {
            "id": refund_id,
            "reference": cmd.reference,
            "order_id": cmd.order_id,
            "to": cmd.to,
            "currency": cmd.currency,
            "amount": amount,
            "voucher_id": voucher_id,
            "reason": cmd.reason or None,
            "created_at": now,
        },
    )
    _record_refund_parts(uow, cmd, refund_id, parts, voucher_code)
    row = uow.session.execute(select(Refund).where(Refund.id == refund_id)).scalar_one()
    return refund_out(uow, row)


def _split_refund(cmd: RefundIn, amount: Decimal, payments: list[PaymentRow]) -> policies.RefundSplit:
    """The refund policy's split of ``amount`` over the payments still refundable."""
    refundable = [
        policies.Refundable(
            payment_id=p.id,
            method=p.method,  # type: ignore[arg-type]
            refundable=p.refundable,
            whole_only=p.method == "loyalty_points",
        )
        for p in payments
        if p.state in policies.REFUNDABLE
    ]
    try:
        return policies.split_refund(amount, refundable)
    except policies.RefundTooLarge as exc:
        raise RefundExceedsCaptured(
            f"Only {exc.available} {cmd.currency} can still be refunded on order {cmd.order_id}.",
            refundable=str(exc.available),
            errors=[{"pointer": "#/amount", "detail": f"at most {exc.available}"}],
        ) from None


def _refund_parts(
    uow: UnitOfWork, cmd: RefundIn, split: policies.RefundSplit, payments: list[PaymentRow], refund_id: str
) -> tuple[list[tuple[PaymentRow, Decimal, str | None]], Decimal]:
    """Pay each part back through its payment's method (unless refunding as a voucher): the parts with
    their provider's reference, and the amount that goes to a voucher instead."""
    by_id = {p.id: p for p in payments}
    parts: list[tuple[PaymentRow, Decimal, str | None]] = []
    to_voucher = split.to_voucher
    for payment_id, part in split.parts:
        p = by_id[payment_id]
        if cmd.to == "voucher":
            parts.append((p, part, None))
            to_voucher += part
            continue
        reference, paid_back = _pay_back(uow, p, part, cmd.reference, refund_id)
        if not paid_back:  # e.g. the gift card expired meanwhile: that part becomes a voucher
            to_voucher += part
        parts.append((p, part, reference))
    return parts, to_voucher


def _record_refund_parts(
    uow: UnitOfWork,
    cmd: RefundIn,
    refund_id: str,
    parts: list[tuple[PaymentRow, Decimal, str | None]],
    voucher_code: str | None,
) -> None:
    """Add each part to its payment's refunded amount, file it with the refund and announce it."""
    for p, part, reference in parts:
        provider_reference = reference or voucher_code
        moved = ledger.add_refunded(
            uow, p, part, reason=f"refund {cmd.reference}", provider_reference=provider_reference
        )
        uow.session.execute(
            insert(refund_parts_table),
            {
                "refund_id": refund_id,
                "payment_id": p.id,
                "amount": part,
                "provider_reference": provider_reference,
            },
        )
        uow.record(
            PaymentRefunded(
                **ledger.fact(moved, part),
                refund_id=refund_id,
                reference=cmd.reference,
                refunded_total=str(moved.refunded_amount),
            )
        )


def _pay_back(
    uow: UnitOfWork, p: PaymentRow, amount: Decimal, reference: str, refund_id: str
) -> tuple[str | None, bool]:
    """Give ``amount`` back through the payment's own method: (reference to show, whether it went back)."""
    if p.method == "gift_card":
        assert p.gift_card_id is not None
        movement = giftcards.credit(
            uow,
            p.gift_card_id,
            amount,
            kind="refund",
            reference=f"{reference}:{p.id}",
            payment_id=p.id,
            order_id=p.order_id,
        )
        return p.provider_reference, movement is not None
    if p.method == "loyalty_points":
        loyalty_service.refund_points(uow, ledger.points_reference(p.id))
        return p.provider_reference, True
    if p.method == "card":
        assert p.provider is not None and p.provider_reference is not None
        result = providers.card_provider(p.provider).refund(
            p.provider_reference, amount, idempotency_key=f"refund:{reference}:{p.id}"
        )
        return result.reference, True
    return None, True  # paid at the till: the till hands the money back
