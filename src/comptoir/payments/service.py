"""payments: the domain's operations (its public interface with schemas.py and events.py).

Every function takes the caller's unit of work and never commits: a checkout that fails after
:func:`authorise` rolls back the gift-card and points debits with everything else, and the card
authorisation is voided (see :mod:`comptoir.payments.compensation`).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import select

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
    PaymentVoided,
)
from comptoir.payments.giftcards import GiftCardUnavailable
from comptoir.payments.ledger import PaymentRow, PaymentStateConflict
from comptoir.payments.models import PaymentEvent, Refund
from comptoir.payments.providers.base import ProviderRefused, ProviderUnavailable
from comptoir.payments.refunds import RefundExceedsCaptured, refund, refund_out
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
        uow.record(PaymentAuthorised(**ledger.fact(p), state=p.state))
        if p.state == "captured":  # stored value is taken at once
            uow.record(PaymentCaptured(**ledger.fact(p, p.captured_amount)))
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
                reference=ledger.points_reference(payment_id),
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
                "provider_reference": ledger.points_reference(payment_id),
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
    uow.record(PaymentCaptured(**ledger.fact(moved, captured)))
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
    uow.record(PaymentVoided(**ledger.fact(moved), reason=reason))
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
    return [refund_out(uow, r) for r in rows]


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
