"""payments: the domain's operations (its public interface with schemas.py and events.py)."""

from __future__ import annotations

from comptoir.core.errors import Conflict
from comptoir.core.uow import UnitOfWork
from comptoir.payments.schemas import AuthoriseIn, PaymentOut, RefundIn, RefundOut


class PaymentDeclined(Conflict):
    """The card provider declined the card (or the gift card cannot pay): the checkout fails as a whole."""

    slug = "payment-declined"
    title = "Payment declined"


class GiftCardUnavailable(Conflict):
    """Unknown code, wrong PIN, expired, disabled, other currency or not enough balance."""

    slug = "gift-card-unavailable"
    title = "Gift card cannot pay"


class PaymentStateConflict(Conflict):
    """The payment's state does not allow the operation (e.g. capture a voided payment)."""

    slug = "payment-state-conflict"
    title = "Payment state does not allow this"


class RefundExceedsCaptured(Conflict):
    slug = "refund-exceeds-captured"
    title = "Refund larger than what was captured"


def authorise(uow: UnitOfWork, cmd: AuthoriseIn) -> list[PaymentOut]:
    raise NotImplementedError


def capture(uow: UnitOfWork, payment_id: str) -> PaymentOut:
    raise NotImplementedError


def capture_order(uow: UnitOfWork, order_id: str) -> list[PaymentOut]:
    raise NotImplementedError


def void_order(uow: UnitOfWork, order_id: str) -> list[PaymentOut]:
    raise NotImplementedError


def refund(uow: UnitOfWork, cmd: RefundIn) -> RefundOut:
    raise NotImplementedError


def payments_of(uow: UnitOfWork, order_id: str) -> list[PaymentOut]:
    raise NotImplementedError
