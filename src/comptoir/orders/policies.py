"""orders: pure rules, no I/O — fulfilment state machines, order status, pickup expiry, money.

The sourcing engine (which places serve which lines) is in :mod:`comptoir.orders.sourcing`, pure too.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from pydantic import ConfigDict, Field

from comptoir.core.money import DecimalStr, quantize
from comptoir.core.types import Schema
from comptoir.orders.sourcing import SourcingRules
from comptoir.pricing.schemas import DeliveryMethod, DeliveryMode

OPEN_ORDER_STATUSES = ("placed", "in_progress", "ready_for_pickup")
TERMINAL = frozenset({"collected", "delivered", "cancelled", "expired"})


def money(value: Any, currency: str) -> Decimal:
    return quantize(Decimal(value), currency)


# --- fulfilment state machines ------------------------------------------------------------------
@dataclass(frozen=True)
class Move:
    action: str
    source: frozenset[str]
    target: str


def _m(action: str, sources: Iterable[str], target: str) -> Move:
    return Move(action, frozenset(sources), target)


# Each kind of fulfilment has its own path; "cancel" is allowed until goods have left the place.
MACHINES: dict[str, tuple[Move, ...]] = {
    "ship_from_warehouse": (
        _m("allocate", ["placed"], "allocated"),
        _m("pick", ["allocated"], "picking"),
        _m("ship", ["picking"], "shipped"),
        _m("deliver", ["shipped"], "delivered"),
        _m("cancel", ["placed", "allocated", "picking"], "cancelled"),
    ),
    "ship_from_store": (
        _m("allocate", ["placed"], "allocated"),
        _m("pick", ["allocated"], "picking"),
        _m("ship", ["picking"], "shipped"),
        _m("deliver", ["shipped"], "delivered"),
        _m("cancel", ["placed", "allocated", "picking"], "cancelled"),
    ),
    "pickup_from_store_stock": (
        _m("allocate", ["placed"], "allocated"),
        _m("pick", ["allocated"], "picking"),
        _m("ready", ["picking"], "ready_for_pickup"),
        _m("collect", ["ready_for_pickup"], "collected"),
        _m("expire", ["ready_for_pickup"], "expired"),
        _m("cancel", ["placed", "allocated", "picking", "ready_for_pickup"], "cancelled"),
    ),
    "pickup_after_transfer": (
        _m("dispatch_transfer", ["placed"], "in_transit"),
        _m("receive_transfer", ["in_transit"], "allocated"),
        _m("pick", ["allocated"], "picking"),
        _m("ready", ["picking"], "ready_for_pickup"),
        _m("collect", ["ready_for_pickup"], "collected"),
        _m("expire", ["ready_for_pickup"], "expired"),
        _m("cancel", ["placed", "in_transit", "allocated", "picking", "ready_for_pickup"], "cancelled"),
    ),
    # Held on the shelf from the start, paid at the till when the customer comes.
    "reserve_and_collect": (
        _m("collect", ["ready_for_pickup"], "collected"),
        _m("expire", ["ready_for_pickup"], "expired"),
        _m("cancel", ["ready_for_pickup"], "cancelled"),
    ),
    # A till or scan & go sale: the goods leave with the customer once the payment is authorised (at
    # once, or after the bank's 3-D Secure challenge); a failed authentication cancels the sale.
    "carry_out": (
        _m("collect", ["awaiting_payment"], "collected"),
        _m("cancel", ["awaiting_payment"], "cancelled"),
    ),
}

INITIAL_STATUS: dict[str, str] = {
    "ship_from_warehouse": "placed",
    "ship_from_store": "placed",
    "pickup_from_store_stock": "placed",
    "pickup_after_transfer": "placed",
    "reserve_and_collect": "ready_for_pickup",
    "carry_out": "awaiting_payment",
}


class TransitionRefused(ValueError):
    def __init__(self, kind: str, status: str, action: str, allowed: list[str]) -> None:
        self.kind, self.status, self.action, self.allowed = kind, status, action, allowed
        super().__init__(
            f"A {kind} fulfilment in status {status} cannot {action}"
            + (f" (allowed: {', '.join(allowed)})." if allowed else " (it is finished).")
        )


def allowed_actions(kind: str, status: str) -> list[str]:
    return [m.action for m in MACHINES[kind] if status in m.source]


def next_status(kind: str, status: str, action: str) -> str:
    """The status after ``action``, or :class:`TransitionRefused`."""
    for move in MACHINES[kind]:
        if move.action == action and status in move.source:
            return move.target
    raise TransitionRefused(kind, status, action, allowed_actions(kind, status))


def acting_place(kind: str, action: str, place_id: str, source_place_id: str) -> str | None:
    """The place whose staff take ``action`` on a fulfilment (None: either place, e.g. cancelling).

    The source sends a transfer; everything after it happens at the pickup store; every other kind is
    handled where its stock is (a shipping place, or a store serving its own counter)."""
    if action == "cancel":
        return None
    if action == "dispatch_transfer":
        return source_place_id
    return place_id if kind == "pickup_after_transfer" else source_place_id


def goods_leave_on(kind: str, action: str) -> bool:
    """When stock physically leaves the business: ``inventory.fulfil`` and payment capture happen then."""
    return action in ("ship", "collect")


def order_status(fulfilment_statuses: Iterable[str]) -> str:
    """An order's status from its fulfilments'."""
    statuses = list(fulfilment_statuses)
    live = [s for s in statuses if s not in ("cancelled", "expired")]
    if not live:
        return "cancelled"
    if all(s in ("collected", "delivered") for s in live):
        return "completed"
    if all(s in ("ready_for_pickup", "collected", "delivered") for s in live) and "ready_for_pickup" in live:
        return "ready_for_pickup"
    if all(s in ("placed", "awaiting_payment") for s in live):
        return "placed"
    return "in_progress"


def pickup_deadline(ready_at: datetime, hold_days: int) -> datetime:
    """Uncollected goods go back to stock ``hold_days`` after they were ready (end of that day, UTC)."""
    day_end = (ready_at + timedelta(days=hold_days)).replace(hour=23, minute=59, second=59, microsecond=0)
    return day_end


def fulfilment_kind(mode: str, source_kind: str, source_place_id: str, pickup_place_id: str | None) -> str:
    """How a fulfilment reaches the customer, from the order mode and where its stock comes from."""
    if mode == "store_sale":
        return "carry_out"
    if mode == "reserve_and_collect":
        return "reserve_and_collect"
    if mode == "click_and_collect":
        return "pickup_from_store_stock" if source_place_id == pickup_place_id else "pickup_after_transfer"
    return "ship_from_warehouse" if source_kind == "warehouse" else "ship_from_store"


def hold_kind(fulfilment_kind: str) -> str:
    """The kind of inventory hold a fulfilment takes (inventory's vocabulary)."""
    if fulfilment_kind == "reserve_and_collect":
        return "reserve_collect"
    return "checkout" if fulfilment_kind == "carry_out" else "order"


def payment_status(states: Iterable[str]) -> str:
    """The order's payment status from its payments' states (payments domain vocabulary)."""
    live = [s for s in states if s not in ("voided", "failed")]
    if not live:
        return "voided"
    if all(s == "refunded" for s in live):
        return "refunded"
    if any(s in ("refunded", "partially_refunded") for s in live):
        return "partially_refunded"
    if all(s == "captured" for s in live):
        return "paid"
    if any(s == "pending" for s in live):
        return "pending"
    return "authorised"


def store_sale_payment(payments: Iterable[tuple[str, str]]) -> str:
    """What a store sale does with its payments, given as (method, state) in the payments domain's
    vocabulary: ``settle`` (every tender authorised or taken, a till tender pending at the counter: the
    goods leave now), ``wait`` (a card awaits the bank's 3-D Secure challenge) or ``cancel`` (the
    authentication failed: nothing is sold)."""
    payments = list(payments)
    if any(state == "failed" for _, state in payments):
        return "cancel"
    if any(method == "card" and state == "pending" for method, state in payments):
        return "wait"
    return "settle"


DEFAULT_SHIPPING_FEES: dict[DeliveryMethod, Decimal] = {
    "standard": Decimal("4.90"),
    "express": Decimal("9.90"),
}


# --- retailer rules ---------------------------------------------------------------------------------
class OrdersRules(Schema):
    """The retailer's order rules (``GET/PUT /v1/orders/rules``), stored as one JSON row."""

    model_config = ConfigDict(extra="forbid")
    sourcing: SourcingRules = Field(default_factory=SourcingRules)
    pickup_hold_days: int = Field(default=7, ge=1, le=60, description="Days a ready click & collect waits")
    reserve_hold_hours: int = Field(
        default=48, ge=1, le=24 * 14, description="Hours goods are held for reserve & collect"
    )
    shipping_fees: dict[DeliveryMethod, DecimalStr] = Field(
        default_factory=lambda: dict(DEFAULT_SHIPPING_FEES),
        description="Shipping fee per method for home delivery (before shipping promotions)",
    )
    card_required_for_delivery: bool = Field(default=True, description="Home delivery must be paid online")


def shipping_fee(rules: OrdersRules, mode: DeliveryMode, method: DeliveryMethod) -> Decimal | None:
    """The shipping fee for a mode and method; None when the retailer does not offer the method."""
    if mode != "home_delivery":
        return Decimal("0")
    return rules.shipping_fees.get(method)


@dataclass(frozen=True)
class Tender:
    method: str
    amount: Decimal
    details: dict[str, str]


class TenderProblem(ValueError):
    def __init__(self, message: str, field: str) -> None:
        self.field = field
        super().__init__(message)


DEFERRED_METHODS = ("pay_in_store", "pay_at_pickup")


def split_tenders(
    mode: str, total: Decimal, tenders: list[tuple[str, Decimal | None, dict[str, str]]], rules: OrdersRules
) -> list[Tender]:
    """Check the tenders against the order total and mode; the last one without an amount takes the rest.

    No tender given: reserve & collect is paid at the till (``pay_in_store``), click & collect at pickup.
    """
    if not tenders:
        if mode == "reserve_and_collect":
            tenders = [("pay_in_store", None, {})]
        elif mode == "click_and_collect":
            tenders = [("pay_at_pickup", None, {})]
        else:
            raise TenderProblem("Say how the order is paid.", "tenders")
    out: list[Tender] = []
    remaining = total
    for index, (method, amount, details) in enumerate(tenders):
        if method == "pay_at_pickup" and mode not in ("click_and_collect", "reserve_and_collect"):
            raise TenderProblem("Paying at pickup needs a pickup order.", f"tenders/{index}/method")
        if method == "pay_in_store" and mode not in (
            "reserve_and_collect",
            "store_sale",
            "click_and_collect",
        ):
            raise TenderProblem("Paying in store needs a store sale or a pickup.", f"tenders/{index}/method")
        if mode == "home_delivery" and rules.card_required_for_delivery and method in DEFERRED_METHODS:
            raise TenderProblem("Home delivery is paid when ordering.", f"tenders/{index}/method")
        if amount is None:
            if index != len(tenders) - 1:
                raise TenderProblem(
                    "Only the last tender may leave its amount out.", f"tenders/{index}/amount"
                )
            amount = remaining
        if amount > remaining:
            raise TenderProblem(f"The tenders exceed the order total of {total}.", f"tenders/{index}/amount")
        remaining -= amount
        if amount > 0:
            out.append(Tender(method, amount, dict(details)))
    if remaining != 0:
        raise TenderProblem(f"The tenders leave {remaining} of {total} unpaid.", "tenders")
    return out


def order_number(random_bytes: bytes) -> str:
    """A short order number read aloud at the till: ``CMD-`` and 8 characters of Crockford base32."""
    alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
    value = int.from_bytes(random_bytes[:5], "big")
    chars = []
    for _ in range(8):
        chars.append(alphabet[value & 31])
        value >>= 5
    return "CMD-" + "".join(reversed(chars))


def normalise_order_number(number: str) -> str:
    """An order number as read out or typed ("cmd 7k2m9qxa", "7K2M9QXA") in its stored form."""
    norm = number.strip().upper().replace(" ", "")
    if not norm.startswith("CMD-"):
        norm = "CMD-" + norm.removeprefix("CMD")
    return norm
