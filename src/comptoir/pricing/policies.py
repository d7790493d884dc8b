"""pricing: pure rules, no I/O — price list resolution, VAT, the Omnibus reference, the promotion
engine's types (its rules are in :mod:`comptoir.pricing.promotion_rules`), coupon codes.

Everything here takes plain values and returns plain values so it is tested without a database and
checked by property tests (a price never goes negative; no promotion is the identity).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

ZERO = Decimal(0)
CENT = Decimal("0.01")
HUNDRED = Decimal(100)
OMNIBUS_WINDOW = timedelta(days=30)

# French TVA rates by the catalogue's tax class.
VAT_RATES: dict[str, Decimal] = {
    "standard": Decimal("20"),
    "intermediate": Decimal("10"),
    "reduced": Decimal("5.5"),
    "super_reduced": Decimal("2.1"),
}
FRENCH_VAT_RATES = frozenset(VAT_RATES.values())
SHIPPING_VAT_RATE = VAT_RATES["standard"]


def money(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def vat_rate_for(tax_class: str | None, override: Decimal | None = None) -> Decimal:
    if override is not None:
        return override
    return VAT_RATES.get(tax_class or "standard", VAT_RATES["standard"])


def including_tax(amount_excl: Decimal, rate: Decimal) -> Decimal:
    return money(amount_excl * (HUNDRED + rate) / HUNDRED)


def excluding_tax(amount_incl: Decimal, rate: Decimal) -> Decimal:
    return money(amount_incl * HUNDRED / (HUNDRED + rate))


def tax_in(amount_incl: Decimal, rate: Decimal) -> Decimal:
    """The VAT contained in a tax-inclusive amount."""
    return amount_incl - excluding_tax(amount_incl, rate)


# ---------------------------------------------------------------------------------------------
# channels
# ---------------------------------------------------------------------------------------------
def channel_matches(allowed: Sequence[str], channel: str, store_id: str | None) -> bool:
    """``allowed`` empty = every channel. ``store`` allows every store, ``store:<id>`` one store."""
    if not allowed:
        return True
    kind = "store" if channel.startswith("store:") or store_id else channel
    for entry in allowed:
        if entry in (channel, kind):
            return True
        if store_id and entry == f"store:{store_id}":
            return True
    return False


# ---------------------------------------------------------------------------------------------
# price lists
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ListRule:
    id: str
    code: str
    name: str
    currency: str
    channels: tuple[str, ...]
    store_ids: tuple[str, ...]
    customer_groups: tuple[str, ...]
    priority: int
    prices_include_tax: bool
    is_sale: bool
    valid_from: datetime | None
    valid_until: datetime | None


@dataclass(frozen=True, slots=True)
class PriceContext:
    currency: str
    channel: str
    store_id: str | None
    segments: frozenset[str]
    at: datetime


def in_window(at: datetime, start: datetime | None, end: datetime | None) -> bool:
    return (start is None or start <= at) and (end is None or at < end)


def list_applies(rule: ListRule, ctx: PriceContext) -> bool:
    if rule.currency != ctx.currency or not in_window(ctx.at, rule.valid_from, rule.valid_until):
        return False
    if rule.store_ids and ctx.store_id not in rule.store_ids:
        return False
    if rule.customer_groups and not (ctx.segments & set(rule.customer_groups)):
        return False
    return channel_matches(rule.channels, ctx.channel, ctx.store_id)


def specificity(rule: ListRule) -> int:
    """Customer group beats store beats channel beats the default list."""
    return (4 if rule.customer_groups else 0) + (2 if rule.store_ids else 0) + (1 if rule.channels else 0)


def why(rule: ListRule) -> str:
    parts = []
    if rule.customer_groups:
        parts.append("customer group " + ", ".join(rule.customer_groups))
    if rule.store_ids:
        parts.append("store " + ", ".join(rule.store_ids))
    if rule.channels:
        parts.append("channel " + ", ".join(rule.channels))
    scope = "; ".join(parts) if parts else "every channel"
    return f"{rule.name} ({rule.code}): {scope}, priority {rule.priority}"


@dataclass(frozen=True, slots=True)
class PriceRow:
    price_list_id: str
    amount: Decimal
    compare_at: Decimal | None
    vat_rate: Decimal | None
    valid_from: datetime | None
    valid_until: datetime | None


def rank_key(rule: ListRule, amount: Decimal) -> tuple[int, int, Decimal, str]:
    return (-specificity(rule), -rule.priority, amount, rule.code)


def resolve(
    rows: Iterable[PriceRow], lists: dict[str, ListRule], ctx: PriceContext
) -> list[tuple[ListRule, PriceRow]]:
    """Every applicable (list, price), best first: the first is the price charged."""
    found = []
    for row in rows:
        rule = lists.get(row.price_list_id)
        if rule is None or not list_applies(rule, ctx):
            continue
        if not in_window(ctx.at, row.valid_from, row.valid_until):
            continue
        found.append((rule, row))
    found.sort(key=lambda pair: rank_key(pair[0], pair[1].amount))
    return found


# ---------------------------------------------------------------------------------------------
# Omnibus: the lowest price of the 30 days before a discount started
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class HistoryRow:
    price_list_id: str
    amount: Decimal
    effective_from: datetime
    effective_until: datetime | None


def lowest_price_before(
    history: Sequence[HistoryRow],
    lists: dict[str, ListRule],
    ctx: PriceContext,
    discount_started: datetime,
) -> Decimal | None:
    """The lowest price the customer in ``ctx`` was charged in the 30 days before ``discount_started``.

    At every instant of the window the charged price is the one resolution picks among the lists
    applying then; we walk the instants where any price or list validity changes."""
    start = discount_started - OMNIBUS_WINDOW
    end = discount_started
    points = {start}
    for h in history:
        for t in (h.effective_from, h.effective_until):
            if t is not None and start < t < end:
                points.add(t)
    for rule in lists.values():
        for t in (rule.valid_from, rule.valid_until):
            if t is not None and start < t < end:
                points.add(t)
    lowest: Decimal | None = None
    for t in sorted(points):
        at_ctx = PriceContext(ctx.currency, ctx.channel, ctx.store_id, ctx.segments, t)
        live = [
            PriceRow(h.price_list_id, h.amount, None, None, None, None)
            for h in history
            if h.effective_from <= t and (h.effective_until is None or t < h.effective_until)
        ]
        best = resolve(live, lists, at_ctx)
        if best:
            amount = best[0][1].amount
            lowest = amount if lowest is None else min(lowest, amount)
    return lowest


# ---------------------------------------------------------------------------------------------
# the promotion engine's types (its rules: promotion_rules.py)
# ---------------------------------------------------------------------------------------------
@dataclass(slots=True)
class Line:
    line_id: str
    sku: str
    quantity: int
    unit_price: Decimal  # VAT included
    category_ids: tuple[str, ...] = ()
    vat_rate: Decimal = VAT_RATES["standard"]
    adjustments: list[Applied] = field(default_factory=list)
    cart_share: Decimal = ZERO
    discount: Decimal = ZERO  # sum of the adjustments (kept, not recomputed: the hot path reads it a lot)

    @property
    def base(self) -> Decimal:
        return self.unit_price * self.quantity

    @property
    def total(self) -> Decimal:
        return self.unit_price * self.quantity + self.discount

    def add(self, adjustment: Applied) -> None:
        self.adjustments.append(adjustment)
        self.discount += adjustment.amount


@dataclass(frozen=True, slots=True)
class Promo:
    id: str
    kind: str
    label: str
    priority: int = 0
    stacking: str = "stackable"
    params: dict[str, Any] = field(default_factory=dict)
    code: str | None = None  # the coupon that unlocked it
    starts_at: datetime | None = None
    # Derived from params once (the engine tests them against every line of every cart).
    skus: frozenset[str] = field(default=frozenset(), compare=False)
    category_ids: frozenset[str] = field(default=frozenset(), compare=False)
    excluded: frozenset[str] = field(default=frozenset(), compare=False)
    min_subtotal: Decimal | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        p = self.params
        object.__setattr__(self, "skus", frozenset(p.get("skus") or ()))
        object.__setattr__(self, "category_ids", frozenset(p.get("category_ids") or ()))
        object.__setattr__(self, "excluded", frozenset(p.get("exclude_skus") or ()))
        if p.get("min_subtotal") is not None:
            object.__setattr__(self, "min_subtotal", Decimal(str(p["min_subtotal"])))

    @property
    def targeted(self) -> bool:
        return bool(self.skus or self.category_ids)


@dataclass(frozen=True, slots=True)
class Applied:
    promotion_id: str
    code: str | None
    kind: str
    label: str
    amount: Decimal  # negative
    items_amount: Decimal = ZERO  # on the marker of an item promotion: what it took off the lines


@dataclass(slots=True)
class Outcome:
    lines: list[Line]
    cart_adjustments: list[Applied]
    gifts: list[tuple[Promo, str]]  # (promotion, gift sku) — the caller prices and adds the line
    shipping_discount: Decimal
    applied: list[Promo]


# ---------------------------------------------------------------------------------------------
# coupons
# ---------------------------------------------------------------------------------------------
COUPON_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud at a till


def coupon_code(random_bytes: bytes, prefix: str = "", length: int = 10) -> str:
    body = "".join(COUPON_ALPHABET[b % len(COUPON_ALPHABET)] for b in random_bytes[:length])
    return f"{prefix}{body}"
