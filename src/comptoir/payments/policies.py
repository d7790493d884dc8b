"""payments: pure rules, no I/O — the payment state machine, how a refund is split, gift-card rules."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from comptoir.payments.schemas import Method, PaymentState

# -- the payment state machine -------------------------------------------------------------------------------

TRANSITIONS: dict[PaymentState, frozenset[PaymentState]] = {
    # pay in store / at pickup waiting for the till, or a card waiting for 3-D Secure
    "pending": frozenset({"authorised", "captured", "voided", "failed"}),
    "authorised": frozenset({"captured", "voided", "failed"}),
    "captured": frozenset({"partially_refunded", "refunded"}),
    "partially_refunded": frozenset({"partially_refunded", "refunded"}),
    "refunded": frozenset(),
    "voided": frozenset(),
    "failed": frozenset(),
}
TERMINAL: frozenset[PaymentState] = frozenset(s for s, nxt in TRANSITIONS.items() if not nxt)
CAPTURABLE: frozenset[PaymentState] = frozenset({"pending", "authorised"})
REFUNDABLE: frozenset[PaymentState] = frozenset({"captured", "partially_refunded"})
# A payment in one of these states still counts towards what the order is paid (or will be).
LIVE: frozenset[PaymentState] = frozenset({"pending", "authorised", "captured", "partially_refunded"})


class TransitionRefused(ValueError):
    def __init__(self, current: PaymentState, target: PaymentState) -> None:
        super().__init__(f"a payment cannot go from {current} to {target}")
        self.current = current
        self.target = target


def can_transition(current: PaymentState, target: PaymentState) -> bool:
    return target in TRANSITIONS[current]


def check_transition(current: PaymentState, target: PaymentState) -> None:
    if not can_transition(current, target):
        raise TransitionRefused(current, target)


def sources_for(target: PaymentState) -> tuple[PaymentState, ...]:
    """The states a guarded ``UPDATE … WHERE state IN (…)`` may move from to reach ``target``."""
    return tuple(sorted(s for s, nxt in TRANSITIONS.items() if target in nxt))


def state_after_refund(captured: Decimal, refunded: Decimal) -> PaymentState:
    if refunded <= 0:
        return "captured"
    return "refunded" if refunded >= captured else "partially_refunded"


def is_stale(current: PaymentState, target: PaymentState) -> bool:
    """A provider event that arrives after the payment already went past it (out-of-order delivery)."""
    order = {"pending": 0, "authorised": 1, "captured": 2, "partially_refunded": 3, "refunded": 4}
    if current in ("voided", "failed"):
        return True
    return current == target or order.get(current, 0) > order.get(target, 0)


# -- methods -------------------------------------------------------------------------------------------------

# Recorded and settled at the till.
TILL_METHODS: frozenset[Method] = frozenset({"pay_in_store", "pay_at_pickup"})
# Debited in the caller's transaction and so captured at once.
STORED_VALUE_METHODS: frozenset[Method] = frozenset({"gift_card", "loyalty_points"})


def authorisation_order(methods: list[Method]) -> list[int]:
    """Indexes of the tenders in the order to take them: stored value first (it may refuse inside the
    transaction, costing nothing), the card last (a provider call that must be voided if anything fails)."""
    rank: dict[Method, int] = {
        "loyalty_points": 0,
        "gift_card": 1,
        "pay_in_store": 2,
        "pay_at_pickup": 2,
        "card": 3,
    }
    return sorted(range(len(methods)), key=lambda i: (rank[methods[i]], i))


def initial_state(method: Method) -> PaymentState:
    if method in STORED_VALUE_METHODS:
        return "captured"
    return "pending"


# -- refunds -------------------------------------------------------------------------------------------------

# Money goes back first where the customer cannot spend it elsewhere anyway (stored value), then to cards,
# then at the till. A retailer may choose another order (e.g. cards first).
DEFAULT_REFUND_ORDER: tuple[Method, ...] = (
    "gift_card",
    "loyalty_points",
    "card",
    "pay_in_store",
    "pay_at_pickup",
)


@dataclass(frozen=True)
class Refundable:
    payment_id: str
    method: Method
    refundable: Decimal  # captured - refunded
    whole_only: bool = False  # points go back as a whole redemption, never in part


@dataclass(frozen=True)
class RefundSplit:
    parts: list[tuple[str, Decimal]]  # (payment id, amount)
    to_voucher: Decimal  # what no tender could take back (e.g. part of a points payment)


class RefundTooLarge(ValueError):
    def __init__(self, asked: Decimal, available: Decimal) -> None:
        super().__init__(f"refund of {asked} exceeds the {available} still refundable")
        self.asked = asked
        self.available = available


def split_refund(
    amount: Decimal, payments: list[Refundable], order: tuple[Method, ...] = DEFAULT_REFUND_ORDER
) -> RefundSplit:
    """Spread ``amount`` over the payments in ``order`` of method (then in the order given).

    Never more than what is refundable overall (``RefundTooLarge``). A whole-only payment (points) takes
    its full refundable amount or nothing; what remains that no tender can take goes to a voucher.
    """
    available = sum((p.refundable for p in payments), Decimal(0))
    if amount > available:
        raise RefundTooLarge(amount, available)
    rank = {m: i for i, m in enumerate(order)}
    ranked = sorted(enumerate(payments), key=lambda ip: (rank.get(ip[1].method, len(order)), ip[0]))
    remaining = amount
    parts: list[tuple[str, Decimal]] = []
    for _, p in ranked:
        if remaining <= 0:
            break
        if p.refundable <= 0:
            continue
        if p.whole_only:
            if remaining >= p.refundable:
                parts.append((p.payment_id, p.refundable))
                remaining -= p.refundable
            continue
        take = min(remaining, p.refundable)
        parts.append((p.payment_id, take))
        remaining -= take
    return RefundSplit(parts=parts, to_voucher=remaining)


# -- gift cards ----------------------------------------------------------------------------------------------

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud at a till
PIN_ATTEMPTS = 5


def new_gift_card_code(prefix: str = "GC") -> str:
    body = "".join(secrets.choice(CODE_ALPHABET) for _ in range(16))
    return f"{prefix}-{body[0:4]}-{body[4:8]}-{body[8:12]}-{body[12:16]}"


def new_pin() -> str:
    return f"{secrets.randbelow(10**6):06d}"


def normalise_code(code: str) -> str:
    return code.strip().upper().replace(" ", "")


def mask_code(code: str) -> str:
    """For pages and logs: only the last four characters."""
    return "•••• " + code[-4:] if len(code) > 4 else code


def gift_card_refusal(
    *,
    status: str,
    currency: str,
    balance: Decimal,
    expires_at: datetime | None,
    pin_failures: int,
    asked_currency: str,
    asked: Decimal,
    now: datetime,
) -> str | None:
    """Why a card cannot pay ``asked`` now, or None when it can (checked again by the guarded UPDATE)."""
    if status != "active":
        return "disabled"
    if pin_failures >= PIN_ATTEMPTS:
        return "locked"
    if expires_at is not None and expires_at <= now:
        return "expired"
    if currency != asked_currency:
        return "currency"
    if balance < asked:
        return "insufficient_balance"
    return None


REFUSAL_TEXT = {
    "unknown": "No gift card or voucher has this code.",
    "pin": "The PIN does not match this gift card.",
    "disabled": "This gift card is disabled.",
    "locked": "This gift card is locked after too many wrong PINs; ask the retailer to unlock it.",
    "expired": "This gift card has expired.",
    "currency": "This gift card is in another currency.",
    "insufficient_balance": "The gift card balance is lower than the amount asked.",
    "not_owner": "This voucher is personal: it pays its owner's orders only.",
}


def owner_refusal(card_owner: str | None, has_pin: bool, payer: str | None) -> str | None:
    """A personal or refund voucher without a PIN pays only its owner's orders (its code alone, seen
    on a screen or a receipt, must not pay someone else's); a PIN proves the holder."""
    if card_owner is None or has_pin:
        return None
    return None if payer == card_owner else "not_owner"
