"""carts: pure rules, no I/O.

Who may reach a cart
    A customer token reaches only that customer's carts (and, to claim it, an anonymous cart whose
    cart token it also presents). The public customer-facing keys (``web``, ``app``) without a
    customer token reach only anonymous carts, by their cart token. Staff channels (a seller's tablet
    ``store:<id>``, the call centre, a live session's host, the back office) reach any cart by id.
    A cart that cannot be reached answers 404, so ids cannot be probed.

Merging an anonymous cart into the customer's at sign-in (and two customers' carts when the customers
domain merges two customers)
    * If the customer has no open cart, the anonymous cart simply becomes theirs (no merge).
    * Otherwise the customer's open cart survives. Each line of the other cart whose SKU is not in it
      is added, keeping the channel (and key) that added it. A SKU in both carts gets the sum of the
      quantities, capped at ``MAX_QUANTITY_PER_LINE`` (reported in ``capped_skus``); it keeps the
      surviving line's channel. Lines beyond ``MAX_LINES`` are dropped (reported too).
    * Coupons are united (the surviving cart's first), up to ``MAX_COUPONS``.
    * The other cart is closed as ``merged`` with ``merged_into`` pointing at the survivor, so a client
      still holding its token learns where its lines went. ``carts.cart_merged`` is published.
    * A merge is idempotent: a cart already merged is not merged again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

MAX_QUANTITY_PER_LINE = 99
MAX_LINES = 100
MAX_COUPONS = 10

# Channels whose keys are public (embedded in a website or an app): they need a token to reach a cart.
CUSTOMER_FACING = ("web", "app", "live")

# Reasons pricing gives for a coupon that may still apply later (the cart or the customer changes):
# such a coupon is kept on the cart; any other reason refuses it when it is added.
KEEP_COUPON_REASONS = frozenset({"conditions_not_met", "customer_required", "superseded"})

OPEN = ("open", "abandoned")


def channel_of(actor_channel: str | None) -> str:
    """The channel a line or a cart records: the key's channel, ``back-office`` for unbound keys."""
    return actor_channel or "back-office"


def may_reach(
    *,
    actor_channel: str | None,
    actor_customer_id: str | None,
    cart_customer_id: str | None,
    token_matches: bool,
) -> bool:
    if actor_customer_id is not None:
        if cart_customer_id is not None:
            return cart_customer_id == actor_customer_id
        return token_matches
    if channel_of(actor_channel) in CUSTOMER_FACING:
        return cart_customer_id is None and token_matches
    return True


def may_name_customer(actor_channel: str | None) -> bool:
    """Only staff channels start a cart for a named customer; web and app use the customer token."""
    return channel_of(actor_channel) not in CUSTOMER_FACING


def added_quantity(current: int, added: int) -> int | None:
    """The line's quantity after adding ``added``; ``None`` when it would exceed the cap."""
    total = current + added
    return total if total <= MAX_QUANTITY_PER_LINE else None


def coupon_refused(reason: str) -> bool:
    return reason not in KEEP_COUPON_REASONS


def unite_coupons(kept: list[str], added: list[str]) -> list[str]:
    out = list(kept)
    for code in added:
        if code not in out and len(out) < MAX_COUPONS:
            out.append(code)
    return out


@dataclass(frozen=True)
class LineState:
    sku: str
    quantity: int


@dataclass
class MergePlan:
    """What merging ``source`` lines into ``target`` lines does."""

    new_quantities: dict[str, int] = field(default_factory=dict)  # target SKU -> summed quantity
    added: list[str] = field(default_factory=list)  # source SKUs added as new lines, in source order
    capped: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)  # beyond MAX_LINES


def plan_merge(target: list[LineState], source: list[LineState]) -> MergePlan:
    plan = MergePlan()
    by_sku = {line.sku: line.quantity for line in target}
    count = len(target)
    for line in source:
        if line.sku in by_sku:
            summed = by_sku[line.sku] + line.quantity
            if summed > MAX_QUANTITY_PER_LINE:
                summed = MAX_QUANTITY_PER_LINE
                plan.capped.append(line.sku)
            if summed != by_sku[line.sku]:
                plan.new_quantities[line.sku] = summed
            by_sku[line.sku] = summed
        elif count >= MAX_LINES:
            plan.dropped.append(line.sku)
        else:
            plan.added.append(line.sku)
            by_sku[line.sku] = min(line.quantity, MAX_QUANTITY_PER_LINE)
            count += 1
    return plan


def is_idle(updated_at: datetime, now: datetime, delay: timedelta) -> bool:
    return now - updated_at >= delay


def surviving_cart(
    survivor_cart: tuple[str, datetime] | None, others: list[tuple[str, datetime]]
) -> str | None:
    """When customers merge: the surviving customer's open cart, else the most recently changed one."""
    if survivor_cart is not None:
        return survivor_cart[0]
    if not others:
        return None
    return max(others, key=lambda c: (c[1], c[0]))[0]


# A wishlist keeps up to this many SKUs: adding one more is refused (the customer removes one first).
MAX_WISHLIST_ITEMS = 200
