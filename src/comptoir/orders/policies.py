"""orders: pure rules, no I/O — fulfilment state machines, order status, pickup expiry, money.

The sourcing engine (which places serve which lines) is in :mod:`comptoir.orders.sourcing`, pure too.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from comptoir.core.money import quantize

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
    "carry_out": (),
}

INITIAL_STATUS: dict[str, str] = {
    "ship_from_warehouse": "placed",
    "ship_from_store": "placed",
    "pickup_from_store_stock": "placed",
    "pickup_after_transfer": "placed",
    "reserve_and_collect": "ready_for_pickup",
    "carry_out": "collected",
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
    if all(s == "placed" for s in live):
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
