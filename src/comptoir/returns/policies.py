"""returns: pure rules, no I/O — windows, exclusions, methods, conditions and refund amounts.

Everything here takes plain values (the policy, the order's facts, the quantities) so it is tested
without a database; the service gathers the facts and applies what these functions decide.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_DOWN, Decimal

from babel.numbers import get_currency_precision

from comptoir.returns.schemas import (
    Condition,
    ConditionAction,
    Origin,
    ReturnMethod,
    ReturnPolicyIn,
)

DEFAULT_POLICY = ReturnPolicyIn()

# Stable refusal codes (the API's problem detail names them, the staff page translates them).
WINDOW_PASSED = "window-passed"
EXCLUDED_CATEGORY = "excluded-category"
EXCLUDED_SKU = "excluded-sku"
METHOD_NOT_ALLOWED = "method-not-allowed"
NOTHING_LEFT = "nothing-left-to-return"
VOUCHER_NOT_ALLOWED = "voucher-not-allowed"


def origin_of(mode: str) -> Origin:
    """A till sale (carried out at once) is a store purchase; every other order was placed at a distance
    (web, app, call centre, or a seller's tablet for delivery or pickup)."""
    return "store" if mode == "store_sale" else "online"


def allowed_methods(policy: ReturnPolicyIn, origin: Origin) -> list[ReturnMethod]:
    """Any purchase may come back to any store; by post when online, or when the retailer allows it
    for till sales."""
    if origin == "online" or policy.store_sales_by_post:
        return ["in_store", "by_post"]
    return ["in_store"]


def window_days(policy: ReturnPolicyIn, origin: Origin, category_ids: Iterable[str]) -> int:
    """The line's window: the channel's, unless one of its categories sets its own (the longest wins,
    so a line in a 'long returns' category keeps its extension whatever other category it is in)."""
    own = {w.category_id: w.days for w in policy.category_windows}
    specific = [own[c] for c in category_ids if c in own]
    if specific:
        return max(specific)
    return policy.online_window_days if origin == "online" else policy.store_window_days


def window_end(started_at: datetime, days: int) -> datetime:
    return started_at + timedelta(days=days)


def exclusion(policy: ReturnPolicyIn, sku: str, category_ids: Iterable[str]) -> str | None:
    """Why a line can never come back (personalised, hygiene…), or None."""
    if sku in set(policy.excluded_skus):
        return EXCLUDED_SKU
    excluded = set(policy.excluded_category_ids)
    if any(c in excluded for c in category_ids):
        return EXCLUDED_CATEGORY
    return None


@dataclass(frozen=True)
class LineFacts:
    line_id: str
    sku: str
    category_ids: tuple[str, ...]
    bought: int
    claimed: int  # units already in other live returns (requested, received or refunded)


def line_refusal(
    policy: ReturnPolicyIn,
    origin: Origin,
    line: LineFacts,
    *,
    started_at: datetime,
    now: datetime,
    quantity: int,
) -> str | None:
    """Why ``quantity`` units of the line may not be returned now, or None when they may."""
    excluded = exclusion(policy, line.sku, line.category_ids)
    if excluded is not None:
        return excluded
    if now > window_end(started_at, window_days(policy, origin, line.category_ids)):
        return WINDOW_PASSED
    if not may_claim(line.bought, line.claimed, quantity):
        return NOTHING_LEFT
    return None


def method_refusal(policy: ReturnPolicyIn, origin: Origin, method: ReturnMethod) -> str | None:
    return None if method in allowed_methods(policy, origin) else METHOD_NOT_ALLOWED


def refund_to_refusal(policy: ReturnPolicyIn, refund_to: str) -> str | None:
    return VOUCHER_NOT_ALLOWED if refund_to == "voucher" and not policy.voucher_allowed else None


def may_claim(bought: int, claimed: int, quantity: int) -> bool:
    """Cumulative returns never exceed the quantity bought."""
    return quantity > 0 and claimed + quantity <= bought


def action_for(policy: ReturnPolicyIn, condition: Condition) -> ConditionAction:
    """What an inspected condition means: restock (resaleable), write off (damaged), keep out of stock
    without writing off (faulty: back to the supplier), or refuse the unit (used, missing)."""
    return policy.condition_actions.get(condition, "refuse")


def is_accepted(action: ConditionAction) -> bool:
    return action != "refuse"


def is_restocked(action: ConditionAction) -> bool:
    return action == "restock"


def _minor(currency: str) -> Decimal:
    return Decimal(1).scaleb(-get_currency_precision(currency))


def cumulative_refund(line_total: Decimal, bought: int, returned: int, currency: str) -> Decimal:
    """What the first ``returned`` units of a line are worth, from what the customer paid for the line.

    Rounded down to the minor unit except for the last unit, which takes the remainder: any sequence
    of partial returns sums to exactly the line total when everything came back, never more.
    """
    if bought <= 0 or returned <= 0:
        return Decimal(0).quantize(_minor(currency))
    if returned >= bought:
        return line_total.quantize(_minor(currency))
    share = line_total * returned / bought
    return share.quantize(_minor(currency), rounding=ROUND_DOWN)


def refund_for(
    line_total: Decimal, bought: int, already_refunded_units: int, units: int, currency: str
) -> Decimal:
    """The refund for ``units`` more units of a line of which ``already_refunded_units`` were refunded."""
    before = cumulative_refund(line_total, bought, already_refunded_units, currency)
    after = cumulative_refund(line_total, bought, already_refunded_units + units, currency)
    return after - before


def unit_price(line_total: Decimal, bought: int, currency: str) -> Decimal:
    """What one unit cost the customer (discounts spread), for display."""
    return cumulative_refund(line_total, bought, 1, currency) if bought else Decimal(0)


def window_start(created_at: datetime, handed_over: Sequence[datetime]) -> datetime:
    """Windows count from when the customer got the goods (delivery, collection, till); before that,
    from the order."""
    return max(handed_over) if handed_over else created_at


def shipping_refund(
    policy: ReturnPolicyIn, origin: Origin, shipping_paid: Decimal, *, everything_back: bool, already: bool
) -> Decimal:
    """The delivery paid for an online order is refunded once, with the return that brings the last
    units back (the consumer withdrew from the whole contract); never for a till sale."""
    if origin != "online" or not policy.refund_shipping_on_full_return or already or not everything_back:
        return Decimal(0)
    return shipping_paid
