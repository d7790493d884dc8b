"""payments: the domain's operations (its public interface with schemas.py and events.py).

Every function takes the caller's unit of work and never commits: a checkout that fails after
:func:`authorise` rolls back the gift-card and points debits with everything else, and the card
authorisation is voided (see :mod:`comptoir.payments.compensation`).
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
from comptoir.loyalty import schemas as loyalty_schemas
from comptoir.loyalty import service as loyalty_service
from comptoir.payments import compensation, giftcards, ledger, policies, providers
from comptoir.payments.events import (
    PaymentAuthorised,
    PaymentCaptured,
    PaymentRefunded,
    PaymentVoided,
)
from comptoir.payments.giftcards import GiftCardUnavailable
from comptoir.payments.ledger import PaymentRow, PaymentStateConflict
from comptoir.payments.models import PaymentEvent, Refund, RefundPart, refund_parts_table, refunds_table
from comptoir.payments.providers.base import ProviderRefused, ProviderUnavailable
from comptoir.payments.schemas import (
    AuthoriseIn,
    GiftCardIssuedOut,
    GiftCardIssueIn,
    GiftCardMovementOut,
    GiftCardOut,
    GiftCardRedeemIn,
    GiftCardStatusIn,
    OrderPaymentsOut,
    PaymentEventOut,
    PaymentOut,
    RefundIn,
    RefundOut,
    RefundPartOut,
    TenderIn,
)

__all__ = [
    "GiftCardUnavailable",
    "PaymentDeclined",
    "PaymentStateConflict",
    "ProviderRefused",
    "ProviderUnavailable",
    "RefundExceedsCaptured",
    "authorise",
    "capture",
    "capture_order",
    "customer_section",
    "payments_of",
    "refund",
    "void_order",
]


class PaymentDeclined(Conflict):
    """The card provider declined the card: the checkout fails as a whole."""

    slug = "payment-declined"
    title = "Payment declined"


class RefundExceedsCaptured(Conflict):
    slug = "refund-exceeds-captured"
    title = "Refund larger than what was captured"


def _fact(p: PaymentRow, amount: Decimal | None = None) -> dict[str, Any]:
    return {
        "payment_id": p.id,
        "order_id": p.order_id,
        "customer_id": p.customer_id,
        "method": p.method,
        "amount": str(p.amount if amount is None else amount),
        "currency": p.currency,
        "provider_reference": p.provider_reference,
    }


def _points_reference(payment_id: str) -> str:
    return f"payment:{payment_id}"


# -- authorise -----------------------------------------------------------------------------------------------


def authorise(uow: UnitOfWork, cmd: AuthoriseIn, *, new_order: bool = False) -> list[PaymentOut]:
    """Take or record every tender of an order, all or nothing. Idempotent by ``order_id``: when the order
    already has live payments, they are returned as they are. ``new_order``: the caller made ``order_id``
    in this very transaction (a checkout), so it has no payments yet and they are not looked for."""
    if not new_order:
        existing = ledger.of_order(uow, cmd.order_id)
        if any(p.state in policies.LIVE for p in existing):
            return [p.out() for p in existing]
    methods = [t.method for t in cmd.tenders]
    if any(m == "loyalty_points" for m in methods) and not cmd.customer_id:
        raise InvalidInput("Paying with loyalty points needs a known customer.", field="customer_id")
    created: list[PaymentRow] = []
    for index in policies.authorisation_order(methods):
        created.append(_take(uow, cmd, cmd.tenders[index], index))
    for p in created:
        uow.record(PaymentAuthorised(**_fact(p), state=p.state))
        if p.state == "captured":  # stored value is taken at once
            uow.record(PaymentCaptured(**_fact(p, p.captured_amount)))
    return [p.out() for p in sorted(created, key=lambda p: p.id)]


def _take(uow: UnitOfWork, cmd: AuthoriseIn, tender: TenderIn, index: int) -> PaymentRow:
    payment_id = new_id("pay")
    amount = quantize(tender.amount, cmd.currency)
    base: dict[str, Any] = {
        "id": payment_id,
        "order_id": cmd.order_id,
        "customer_id": cmd.customer_id,
        "method": tender.method,
        "currency": cmd.currency,
        "amount": amount,
        "channel": cmd.channel,
    }
    if tender.method == "gift_card":
        try:
            card, _ = giftcards.debit(
                uow,
                code=tender.details["gift_card_code"],
                pin=tender.details.get("gift_card_pin"),
                amount=amount,
                currency=cmd.currency,
                reference=payment_id,
                payment_id=payment_id,
                order_id=cmd.order_id,
                fresh_reference=True,
                payer=cmd.customer_id,
                check_owner=True,
            )
        except GiftCardUnavailable as exc:
            exc.errors = [{"pointer": f"#/tenders/{index}/details/gift_card_code", "detail": exc.detail}]
            raise
        return ledger.create(
            uow,
            {
                **base,
                "state": "captured",
                "captured_amount": amount,
                "gift_card_id": card["id"],
                "provider_reference": card["code"],
            },
        )
    if tender.method == "loyalty_points":
        assert cmd.customer_id is not None
        points = loyalty_service.points_for_amount(uow, amount, cmd.currency)
        loyalty_service.redeem_points(
            uow,
            loyalty_schemas.RedeemPointsIn(
                customer_id=cmd.customer_id,
                points=points,
                reference=_points_reference(payment_id),
                channel=cmd.channel,
                order_id=cmd.order_id,
            ),
        )
        return ledger.create(
            uow,
            {
                **base,
                "state": "captured",
                "captured_amount": amount,
                "points": points,
                "provider_reference": _points_reference(payment_id),
            },
        )
    if tender.method in policies.TILL_METHODS:
        return ledger.create(uow, {**base, "state": "pending"})
    return _authorise_card(uow, base, tender, index)


def _authorise_card(uow: UnitOfWork, base: dict[str, Any], tender: TenderIn, index: int) -> PaymentRow:
    provider = providers.card_provider()
    payment_id = base["id"]
    result = provider.authorise(
        idempotency_key=payment_id,
        amount=base["amount"],
        currency=base["currency"],
        token=tender.details["card_token"],
        metadata={"payment_id": payment_id, "order_id": base["order_id"]},
        return_url=tender.details.get("return_url"),
    )
    if result.status == "declined":
        raise PaymentDeclined(
            f"The card was declined ({result.decline_code or 'declined'}).",
            decline_code=result.decline_code,
            errors=[{"pointer": f"#/tenders/{index}/details/card_token", "detail": "declined"}],
        )
    compensation.track(uow, provider.name, result.reference, payment_id)
    state = "authorised" if result.status == "requires_capture" else "pending"
    if result.status == "succeeded":
        state = "captured"
    return ledger.create(
        uow,
        {
            **base,
            "state": state,
            "captured_amount": result.amount_captured if state == "captured" else Decimal(0),
            "provider": provider.name,
            "provider_reference": result.reference,
            "next_action": result.next_action,
        },
    )


# -- capture -------------------------------------------------------------------------------------------------


def _get(uow: UnitOfWork, payment_id: str, *, lock: bool = True) -> PaymentRow:
    payment = ledger.one(uow, payment_id, lock=lock)
    if payment is None:
        raise NotFound(f"Payment {payment_id} does not exist.", slug="payment-not-found")
    return payment


def _capture(uow: UnitOfWork, p: PaymentRow) -> PaymentRow:
    if p.state in policies.REFUNDABLE or p.state == "refunded":
        return p  # already captured: a replay
    if p.state not in policies.CAPTURABLE:
        raise PaymentStateConflict(
            f"Payment {p.id} is {p.state}; it cannot be captured.", payment_id=p.id, state=p.state
        )
    if p.method == "card":
        if p.state == "pending":
            raise PaymentStateConflict(
                f"Payment {p.id} waits for the customer to authenticate the card (3-D Secure).",
                payment_id=p.id,
                state=p.state,
            )
        assert p.provider is not None and p.provider_reference is not None
        result = providers.card_provider(p.provider).capture(
            p.provider_reference, p.amount, idempotency_key=f"capture:{p.id}"
        )
        captured = result.amount_captured or p.amount
    else:
        captured = p.amount
    moved = ledger.move(uow, p, "captured", captured_amount=captured, next_action=None, reason="captured")
    uow.record(PaymentCaptured(**_fact(moved, captured)))
    return moved


def capture(uow: UnitOfWork, payment_id: str) -> PaymentOut:
    """Take the money: a card authorisation, or a till payment taken at the counter."""
    return _capture(uow, _get(uow, payment_id)).out()


def capture_order(uow: UnitOfWork, order_id: str) -> list[PaymentOut]:
    """Capture every payment of the order still pending or authorised (goods shipped, collected, sold)."""
    payments = ledger.of_order(uow, order_id, lock=True)
    return [(_capture(uow, p) if p.state in policies.CAPTURABLE else p).out() for p in payments]


# -- void ----------------------------------------------------------------------------------------------------


def _void(uow: UnitOfWork, p: PaymentRow, reason: str) -> PaymentRow:
    if p.method == "card" and p.provider_reference is not None:
        assert p.provider is not None
        providers.card_provider(p.provider).void(
            p.provider_reference, idempotency_key=compensation.void_key(p.id)
        )
        compensation.untrack(uow, p.id)
    moved = ledger.move(uow, p, "voided", next_action=None, reason=reason)
    uow.record(PaymentVoided(**_fact(moved), reason=reason))
    return moved


def void_order(uow: UnitOfWork, order_id: str) -> list[PaymentOut]:
    """The order is cancelled: void what is only held or pending, give back what was taken (gift card
    value, points, captured card money) as a refund with reference ``cancel:<order id>``."""
    payments = ledger.of_order(uow, order_id, lock=True)
    for p in payments:
        if p.state in policies.CAPTURABLE:
            _void(uow, p, "order cancelled")
    after = ledger.of_order(uow, order_id, lock=True)
    left = sum((p.refundable for p in after), Decimal(0))
    if left > 0:
        refund(
            uow,
            RefundIn(
                order_id=order_id,
                amount=left,
                currency=after[0].currency,
                to="original",
                reference=f"cancel:{order_id}",
                reason="order cancelled",
            ),
        )
    return payments_of(uow, order_id)


# -- refunds -------------------------------------------------------------------------------------------------


def _refund_out(uow: UnitOfWork, refund_row: Any) -> RefundOut:
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
        return _refund_out(uow, done)
    payments = ledger.of_order(uow, cmd.order_id, lock=True)
    if not payments:
        raise NotFound(f"Order {cmd.order_id} has no payments.", slug="payments-not-found")
    if any(p.currency != cmd.currency for p in payments):
        raise InvalidInput(f"The order was paid in {payments[0].currency}.", field="currency")
    amount = quantize(cmd.amount, cmd.currency)
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
        split = policies.split_refund(amount, refundable)
    except policies.RefundTooLarge as exc:
        raise RefundExceedsCaptured(
            f"Only {exc.available} {cmd.currency} can still be refunded on order {cmd.order_id}.",
            refundable=str(exc.available),
            errors=[{"pointer": "#/amount", "detail": f"at most {exc.available}"}],
        ) from None
    refund_id = new_id("rfd")
    now = clock.now()
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
                **_fact(moved, part),
                refund_id=refund_id,
                reference=cmd.reference,
                refunded_total=str(moved.refunded_amount),
            )
        )
    row = uow.session.execute(select(Refund).where(Refund.id == refund_id)).scalar_one()
    return _refund_out(uow, row)


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
        loyalty_service.refund_points(uow, _points_reference(p.id))
        return p.provider_reference, True
    if p.method == "card":
        assert p.provider is not None and p.provider_reference is not None
        result = providers.card_provider(p.provider).refund(
            p.provider_reference, amount, idempotency_key=f"refund:{reference}:{p.id}"
        )
        return result.reference, True
    return None, True  # paid at the till: the till hands the money back


# -- reading -------------------------------------------------------------------------------------------------


def payments_of(uow: UnitOfWork, order_id: str) -> list[PaymentOut]:
    return [p.out() for p in ledger.of_order(uow, order_id)]


def get_payment(uow: UnitOfWork, payment_id: str) -> PaymentOut:
    return _get(uow, payment_id, lock=False).out()


def payment_events(uow: UnitOfWork, payment_id: str) -> list[PaymentEventOut]:
    payment = _get(uow, payment_id, lock=False)
    rows = uow.session.execute(
        select(PaymentEvent).where(PaymentEvent.payment_id == payment_id).order_by(PaymentEvent.id)
    ).scalars()
    return [
        PaymentEventOut(
            id=r.id,
            payment_id=r.payment_id,
            from_state=r.from_state,
            to_state=r.to_state,
            amount=quantize(Decimal(r.amount), payment.currency),
            provider_reference=r.provider_reference,
            provider_event_id=r.provider_event_id,
            reason=r.reason,
            occurred_at=r.occurred_at,
        )
        for r in rows
    ]


def refunds_of(uow: UnitOfWork, order_id: str) -> list[RefundOut]:
    rows = uow.session.execute(
        select(Refund).where(Refund.order_id == order_id).order_by(Refund.id)
    ).scalars()
    return [_refund_out(uow, r) for r in rows]


def order_payments(uow: UnitOfWork, order_id: str) -> OrderPaymentsOut:
    payments = payments_of(uow, order_id)
    refunds = refunds_of(uow, order_id)
    currency = payments[0].currency if payments else None
    return OrderPaymentsOut(
        order_id=order_id,
        currency=currency,
        payments=payments,
        refunds=refunds,
        total_captured=sum((p.captured_amount for p in payments), Decimal(0)),
        total_refunded=sum((p.refunded_amount for p in payments), Decimal(0)),
    )


# -- gift cards ----------------------------------------------------------------------------------------------


def issue_gift_card(uow: UnitOfWork, cmd: GiftCardIssueIn) -> GiftCardIssuedOut:
    return giftcards.issue(uow, cmd)


def gift_card(uow: UnitOfWork, code: str) -> GiftCardOut:
    return giftcards.balance(uow, code)


def gift_card_movements(uow: UnitOfWork, code: str, *, limit: int = 100) -> list[GiftCardMovementOut]:
    return giftcards.movements(uow, code, limit=limit)


def redeem_gift_card(uow: UnitOfWork, code: str, cmd: GiftCardRedeemIn) -> GiftCardMovementOut:
    return giftcards.redeem(uow, code, cmd)


def set_gift_card_status(uow: UnitOfWork, code: str, cmd: GiftCardStatusIn) -> GiftCardOut:
    return giftcards.set_status(uow, code, cmd.status)


def customer_gift_cards(uow: UnitOfWork, customer_id: str) -> list[GiftCardOut]:
    rows = uow.session.execute(
        select(giftcards.G).where(giftcards.G.c.customer_id == customer_id).order_by(giftcards.G.c.id)
    ).mappings()
    return [giftcards._out(r) for r in rows]


def customer_section(uow: UnitOfWork, customer_id: str) -> dict[str, Any]:
    """This domain's section of the 360° customer view: the latest payments, whatever the channel, and
    the gift cards and vouchers the customer holds (codes masked: the view is shown at a till)."""
    payments = [p.out() for p in reversed(ledger.load(uow, ledger.P.c.customer_id == customer_id)[-10:])]
    cards = customer_gift_cards(uow, customer_id)
    return {
        "recent_payments": [
            {
                "id": p.id,
                "order_id": p.order_id,
                "method": p.method,
                "state": p.state,
                "amount": str(p.amount),
                "captured_amount": str(p.captured_amount),
                "refunded_amount": str(p.refunded_amount),
                "currency": p.currency,
                "created_at": p.created_at.isoformat(),
            }
            for p in payments
        ],
        "gift_cards": [
            {
                "code": "…" + c.code[-4:],
                "kind": c.kind,
                "balance": str(c.balance),
                "currency": c.currency,
                "status": c.status,
                "expires_at": c.expires_at.isoformat() if c.expires_at else None,
            }
            for c in cards
        ],
    }
