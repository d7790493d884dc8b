"""payments: the facts this domain publishes.

Amounts are strings in the payment's currency. ``method`` is one of
card, pay_in_store, pay_at_pickup, gift_card, loyalty_points.
"""

from typing import ClassVar

from comptoir.core.events import DomainEvent


class _PaymentFact(DomainEvent):
    payment_id: str
    order_id: str
    customer_id: str | None
    method: str
    amount: str
    currency: str
    provider_reference: str | None = None


class PaymentAuthorised(_PaymentFact):
    """Money is held (card) or the tender is recorded for the till (state pending or authorised)."""

    event_type: ClassVar[str] = "payments.payment_authorised"
    state: str


class PaymentCaptured(_PaymentFact):
    event_type: ClassVar[str] = "payments.payment_captured"


class PaymentFailed(_PaymentFact):
    event_type: ClassVar[str] = "payments.payment_failed"
    reason: str


class PaymentVoided(_PaymentFact):
    event_type: ClassVar[str] = "payments.payment_voided"
    reason: str


class PaymentRefunded(_PaymentFact):
    """``amount`` is what this refund gave back on this payment; ``refund_id``/``reference`` tie the parts."""

    event_type: ClassVar[str] = "payments.payment_refunded"
    refund_id: str
    reference: str
    refunded_total: str


class PaymentDisputed(_PaymentFact):
    """The card holder disputed a captured payment with their bank (chargeback opened)."""

    event_type: ClassVar[str] = "payments.payment_disputed"
    reason: str


class GiftCardIssued(DomainEvent):
    event_type: ClassVar[str] = "payments.gift_card_issued"
    gift_card_id: str
    kind: str
    amount: str
    currency: str
    customer_id: str | None
    expires_at: str | None
    reference: str
