"""payments: events the card provider sends (3-D Secure completed, captured, failed, refunded, disputed).

They arrive signed (Standard Webhooks HMAC), at least once and in any order: each is kept by
(provider, event id) so a redelivery changes nothing, and an event the payment already went past is
recorded as ``stale`` and ignored. An event for a payment not committed yet answers 404, so the provider
retries it later.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from sqlalchemy import insert, update

from comptoir.core import clock, webhooks
from comptoir.core.db import insert_ignore
from comptoir.core.errors import InvalidInput, NotFound, Problem
from comptoir.core.ids import new_id
from comptoir.core.money import quantize
from comptoir.core.uow import UnitOfWork
from comptoir.payments import ledger, policies
from comptoir.payments.config import get_payments_settings
from comptoir.payments.events import (
    PaymentAuthorised,
    PaymentCaptured,
    PaymentDisputed,
    PaymentFailed,
    PaymentRefunded,
    PaymentVoided,
)
from comptoir.payments.ledger import PaymentRow
from comptoir.payments.models import ProviderEvent, refund_parts_table, refunds_table
from comptoir.payments.schemas import PaymentState, ProviderEventAck

TARGETS: dict[str, PaymentState] = {
    "payment_intent.amount_capturable_updated": "authorised",
    "payment_intent.succeeded": "captured",
    "payment_intent.payment_failed": "failed",
    "payment_intent.canceled": "voided",
}


class InvalidSignature(Problem):
    status = 401
    slug = "invalid-signature"
    title = "The event's signature does not verify"


def verify(provider: str, headers: dict[str, str], body: bytes) -> dict[str, Any]:
    settings = get_payments_settings()
    if provider != settings.provider_name:
        raise NotFound(f"No card provider named {provider} is configured.", slug="provider-not-found")
    if not webhooks.verify(settings.provider_webhook_secret, headers, body):
        raise InvalidSignature("The webhook-signature header does not match this provider's secret.")
    try:
        event = json.loads(body)
        _ = event["id"], event["type"], event["data"]["object"]["id"]
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidInput(f"Not a provider event: {exc}", field="data") from None
    if not isinstance(event, dict):
        raise InvalidInput("Not a provider event.", field="data")
    return event


def handle(uow: UnitOfWork, provider: str, headers: dict[str, str], body: bytes) -> ProviderEventAck:
    event = verify(provider, headers, body)
    obj: dict[str, Any] = event["data"]["object"]
    reference = str(obj["id"])
    payment = ledger.by_provider_reference(uow, provider, reference)
    if payment is None:
        payment_id = (obj.get("metadata") or {}).get("payment_id")
        payment = ledger.one(uow, str(payment_id), lock=True) if payment_id else None
    fresh = insert_ignore(
        uow.session,
        ProviderEvent,
        [
            {
                "provider": provider,
                "event_id": str(event["id"]),
                "type": str(event["type"]),
                "provider_reference": reference,
                "payment_id": payment.id if payment else None,
                "outcome": "received",
                "payload": event,
                "received_at": clock.now(),
            }
        ],
    )
    if not fresh:
        return ProviderEventAck(
            received=True,
            duplicate=True,
            payment_id=payment.id if payment else None,
            state=payment.state if payment else None,
        )
    if payment is None:
        # Not committed yet (the checkout is still running) or never will be: let the provider retry.
        raise NotFound(f"No payment with provider reference {reference} (yet).", slug="payment-not-found")
    outcome, after = _apply(uow, provider, event, obj, payment)
    uow.session.execute(
        update(ProviderEvent)
        .where(ProviderEvent.provider == provider, ProviderEvent.event_id == str(event["id"]))
        .values(outcome=outcome)
    )
    return ProviderEventAck(received=True, duplicate=False, payment_id=after.id, state=after.state)


def _apply(
    uow: UnitOfWork, provider: str, event: dict[str, Any], obj: dict[str, Any], p: PaymentRow
) -> tuple[str, PaymentRow]:
    event_id = str(event["id"])
    kind = str(event["type"])
    target = TARGETS.get(kind)
    if target is not None:
        if policies.is_stale(p.state, target) or not policies.can_transition(p.state, target):
            return "stale", p
        if target == "authorised":
            moved = ledger.move(
                uow, p, "authorised", next_action=None, reason=kind, provider_event_id=event_id
            )
            uow.record(PaymentAuthorised(**ledger.fact(moved), state="authorised"))
        elif target == "captured":
            captured = quantize(Decimal(str(obj.get("amount_captured") or p.amount)), p.currency)
            moved = ledger.move(
                uow,
                p,
                "captured",
                captured_amount=captured,
                next_action=None,
                reason=kind,
                provider_event_id=event_id,
            )
            uow.record(PaymentCaptured(**ledger.fact(moved, captured)))
        elif target == "failed":
            reason = str(obj.get("decline_code") or "declined")
            moved = ledger.move(
                uow,
                p,
                "failed",
                failure_reason=reason,
                next_action=None,
                reason=kind,
                provider_event_id=event_id,
            )
            uow.record(PaymentFailed(**ledger.fact(moved), reason=reason))
        else:
            moved = ledger.move(uow, p, "voided", next_action=None, reason=kind, provider_event_id=event_id)
            uow.record(PaymentVoided(**ledger.fact(moved), reason="cancelled at the provider"))
        return "applied", moved
    if kind == "charge.refunded":
        return _refunded_at_provider(uow, event_id, obj, p)
    if kind == "charge.dispute.created":
        ledger.journal(
            uow,
            p,
            p.state,
            p.state,
            p.captured_amount,
            now=clock.now(),
            reason="disputed",
            provider_event_id=event_id,
        )
        uow.record(
            PaymentDisputed(
                **ledger.fact(p, p.captured_amount), reason=str(obj.get("dispute_reason") or "disputed")
            )
        )
        return "applied", p
    return "ignored", p


def _refunded_at_provider(
    uow: UnitOfWork, event_id: str, obj: dict[str, Any], p: PaymentRow
) -> tuple[str, PaymentRow]:
    """The provider says more was refunded than we know of (a refund made in its dashboard): record it."""
    total = quantize(Decimal(str(obj.get("amount_refunded") or 0)), p.currency)
    extra = total - p.refunded_amount
    if extra <= 0 or p.state not in policies.REFUNDABLE:
        return "stale", p
    refund_id = new_id("rfd")
    reference = f"provider:{event_id}"
    moved = ledger.add_refunded(uow, p, extra, reason="refunded at the provider", provider_event_id=event_id)
    uow.session.execute(
        insert(refunds_table),
        {
            "id": refund_id,
            "reference": reference,
            "order_id": p.order_id,
            "to": "original",
            "currency": p.currency,
            "amount": extra,
            "voucher_id": None,
            "reason": "refunded at the provider",
            "created_at": clock.now(),
        },
    )
    uow.session.execute(
        insert(refund_parts_table),
        {
            "refund_id": refund_id,
            "payment_id": p.id,
            "amount": extra,
            "provider_reference": p.provider_reference,
        },
    )
    uow.record(
        PaymentRefunded(
            **ledger.fact(moved, extra),
            refund_id=refund_id,
            reference=reference,
            refunded_total=str(moved.refunded_amount),
        )
    )
    return "applied", moved
