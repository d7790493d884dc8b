"""loyalty: pure rules, no I/O — earning, spending lots first-expiring-first, reversals, tiers, value."""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal

from babel.numbers import get_currency_precision

from comptoir.loyalty.schemas import ProgrammeRules, TierRule

ONE = Decimal(1)
EXPIRING_SOON_DAYS = 90


def add_months(moment: datetime, months: int) -> datetime:
    """The same day ``months`` later (the last day of the month when it is shorter: 31 Jan + 1 → 28/29 Feb)."""
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def expiry_of(rules: ProgrammeRules, credited_at: datetime) -> datetime | None:
    return None if rules.expiry_months is None else add_months(credited_at, rules.expiry_months)


# -- earning ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PaidLine:
    line_id: str
    sku: str
    quantity: int
    amount: Decimal
    category_ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class LineEarning:
    line_id: str
    sku: str
    amount: Decimal
    base: Decimal  # points before multipliers (what counts for the tier)
    points: Decimal  # after multipliers, unrounded
    multiplier: Decimal


@dataclass(frozen=True, slots=True)
class Earning:
    points: int
    qualifying: int
    lines: tuple[LineEarning, ...]
    operations: tuple[str, ...]


def category_multiplier(rules: ProgrammeRules, category_ids: Iterable[str]) -> Decimal:
    """The best multiplier among the line's categories (1 when none has one)."""
    by_category = {m.category_id: m.multiplier for m in rules.category_multipliers}
    found = [by_category[c] for c in category_ids if c in by_category]
    return max(found) if found else ONE


def tier_rule(rules: ProgrammeRules, code: str | None) -> TierRule | None:
    return next((t for t in rules.tiers if t.code == code), None)


def operation_multiplier(
    rules: ProgrammeRules, *, at: datetime, channel: str | None, tier: str | None, category_ids: Iterable[str]
) -> tuple[Decimal, str | None]:
    """The best operation running at ``at`` that targets this channel, tier and categories."""
    categories = set(category_ids)
    channel_kind = "store" if channel and channel.startswith("store:") else channel
    best, best_code = ONE, None
    for op in rules.operations:
        if not (op.starts_at <= at < op.ends_at):
            continue
        if op.channels and channel not in op.channels and channel_kind not in op.channels:
            continue
        if op.tiers and tier not in op.tiers:
            continue
        if op.category_ids and not categories.intersection(op.category_ids):
            continue
        if op.multiplier > best:
            best, best_code = op.multiplier, op.code
    return best, best_code


def earn_for_order(
    rules: ProgrammeRules,
    lines: Sequence[PaidLine],
    *,
    tier: str | None,
    channel: str | None,
    at: datetime,
) -> Earning:
    """Points for a paid order: per line, amount paid × points per unit × category × tier × operation.

    The order's points are the sum rounded down once (no point lost to per-line rounding); the
    qualifying points (for tiers) are the base points before multipliers, rounded down.
    """
    tier_mult = t.multiplier if (t := tier_rule(rules, tier)) is not None else ONE
    earned: list[LineEarning] = []
    operations: list[str] = []
    for line in lines:
        amount = max(line.amount, Decimal(0))
        base = amount * rules.points_per_unit
        op_mult, op_code = operation_multiplier(
            rules, at=at, channel=channel, tier=tier, category_ids=line.category_ids
        )
        if op_code and op_code not in operations:
            operations.append(op_code)
        multiplier = category_multiplier(rules, line.category_ids) * tier_mult * op_mult
        earned.append(LineEarning(line.line_id, line.sku, amount, base, base * multiplier, multiplier))
    points = int(sum((e.points for e in earned), Decimal(0)).to_integral_value(ROUND_FLOOR))
    qualifying = int(sum((e.base for e in earned), Decimal(0)).to_integral_value(ROUND_FLOOR))
    return Earning(points, qualifying, tuple(earned), tuple(operations))


def without_points_paid(lines: Sequence[PaidLine], paid_with_points: Decimal) -> list[PaidLine]:
    """The lines' amounts less the part paid with points, spread in proportion: points earn no points."""
    total = sum((line.amount for line in lines), Decimal(0))
    if paid_with_points <= 0 or total <= 0:
        return list(lines)
    share = max(total - paid_with_points, Decimal(0)) / total
    return [replace(line, amount=line.amount * share) for line in lines]


@dataclass(frozen=True, slots=True)
class RefundedLine:
    sku: str
    amount: Decimal
    line_id: str | None = None


def reversal_for_refund(
    earned_lines: Sequence[LineEarning],
    refunded: Sequence[RefundedLine],
    *,
    earned_points: int,
    earned_qualifying: int,
    already_reversed: int,
    already_reversed_qualifying: int,
) -> tuple[int, int]:
    """(points, qualifying points) to take back for a refund, proportional to the amount refunded.

    Each refunded line takes back its own line's points × refunded / paid (a line bought at double
    points gives back double). A refunded line that matches no earning line (by line id, else sku)
    takes back at the order's average rate. Never more than what is left of the order's points.
    """
    by_line = {e.line_id: e for e in earned_lines}
    by_sku: dict[str, LineEarning] = {}
    for e in earned_lines:
        by_sku.setdefault(e.sku, e)
    paid_total = sum((e.amount for e in earned_lines), Decimal(0))
    points = Decimal(0)
    base = Decimal(0)
    for r in refunded:
        line = by_line.get(r.line_id) if r.line_id else None
        line = line or by_sku.get(r.sku)
        if line is not None and line.amount > 0:
            share = min(r.amount / line.amount, ONE)
            points += line.points * share
            base += line.base * share
        elif paid_total > 0:
            share = min(r.amount / paid_total, ONE)
            points += Decimal(earned_points) * share
            base += Decimal(earned_qualifying) * share
    take = min(int(points.to_integral_value(ROUND_HALF_UP)), earned_points - already_reversed)
    take_q = min(int(base.to_integral_value(ROUND_HALF_UP)), earned_qualifying - already_reversed_qualifying)
    return max(take, 0), max(take_q, 0)


# -- lots: spend first-expiring-first -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LotState:
    id: str
    remaining: int
    expires_at: datetime | None
    order_id: str | None = None


def fifo_order(lots: Iterable[LotState]) -> list[LotState]:
    """Soonest expiry first, never-expiring last, then oldest (ids are time-ordered)."""
    return sorted(lots, key=lambda lot: (lot.expires_at is None, lot.expires_at or datetime.min, lot.id))


def split_due(lots: Iterable[LotState], now: datetime) -> tuple[list[LotState], list[LotState]]:
    """(lots whose points expired by ``now`` with points left, lots still spendable)."""
    due: list[LotState] = []
    live: list[LotState] = []
    for lot in lots:
        if lot.remaining <= 0:
            continue
        (due if lot.expires_at is not None and lot.expires_at <= now else live).append(lot)
    return due, live


def take(lots: Sequence[LotState], points: int, *, prefer_order: str | None = None) -> list[tuple[str, int]]:
    """Which lots give ``points`` (first-expiring-first; the order's own lots first when reversing).

    Takes as much as the lots hold when they hold less: the caller decides whether that is allowed.
    """
    ordered = fifo_order(lots)
    if prefer_order is not None:
        ordered = [lot for lot in ordered if lot.order_id == prefer_order] + [
            lot for lot in ordered if lot.order_id != prefer_order
        ]
    uses: list[tuple[str, int]] = []
    left = points
    for lot in ordered:
        if left <= 0:
            break
        n = min(lot.remaining, left)
        if n > 0:
            uses.append((lot.id, n))
            left -= n
    return uses


def expiring_soon(lots: Iterable[LotState], now: datetime, until: datetime) -> list[tuple[datetime, int]]:
    """Points expiring between ``now`` and ``until``, summed per expiry date, soonest first."""
    by_date: dict[datetime, int] = {}
    for lot in lots:
        if lot.remaining > 0 and lot.expires_at is not None and now < lot.expires_at <= until:
            by_date[lot.expires_at] = by_date.get(lot.expires_at, 0) + lot.remaining
    return sorted(by_date.items())


# -- tiers -----------------------------------------------------------------------------------------------


def lowest_tier(rules: ProgrammeRules) -> str | None:
    return rules.tiers[0].code if rules.tiers else None


def tier_for(rules: ProgrammeRules, qualifying: int) -> str | None:
    """The highest tier whose threshold the qualifying points reach."""
    reached = [t for t in rules.tiers if qualifying >= t.threshold]
    return reached[-1].code if reached else lowest_tier(rules)


def rank(rules: ProgrammeRules, code: str | None) -> int:
    for i, t in enumerate(rules.tiers):
        if t.code == code:
            return i
    return -1


def next_tier(rules: ProgrammeRules, current: str | None, qualifying: int) -> tuple[str | None, int | None]:
    """(the next tier up, qualifying points still missing), or (None, None) at the top."""
    r = rank(rules, current)
    for t in rules.tiers[r + 1 :]:
        if t.threshold > qualifying:
            return t.code, t.threshold - qualifying
    return None, None


@dataclass(frozen=True, slots=True)
class TierDecision:
    tier: str | None
    changed: bool
    since: datetime | None
    review_at: datetime | None


def promote(
    rules: ProgrammeRules,
    current: str | None,
    since: datetime | None,
    review_at: datetime | None,
    qualifying: int,
    now: datetime,
) -> TierDecision:
    """After points are earned: move up at once when the window's points reach a higher tier.

    A tier reached is kept for one qualification window (``qualification_months``); a promotion
    starts a new one.
    """
    reached = tier_for(rules, qualifying)
    if current is None or rank(rules, current) < 0:
        current, since, review_at = lowest_tier(rules), None, None
    if rank(rules, reached) > rank(rules, current):
        return TierDecision(reached, True, now, add_months(now, rules.qualification_months))
    return TierDecision(current, False, since, review_at)


def review(
    rules: ProgrammeRules, current: str | None, since: datetime | None, qualifying: int, now: datetime
) -> TierDecision:
    """The yearly review, at the end of the window: the tier the last window's points reach.

    Moving down (or staying up) starts a new window; at the lowest tier there is nothing to review.
    """
    reached = tier_for(rules, qualifying)
    changed = reached != current
    review_at = None if reached == lowest_tier(rules) else add_months(now, rules.qualification_months)
    return TierDecision(reached, changed, now if changed else since, review_at)


# -- points as money ---------------------------------------------------------------------------------------


def value_of(rules: ProgrammeRules, points: int) -> Decimal:
    """What ``points`` are worth when paying, rounded down to the currency's minor unit."""
    exponent = Decimal(1).scaleb(-get_currency_precision(rules.currency))
    return (Decimal(points) * rules.point_value).quantize(exponent, rounding=ROUND_FLOOR)


def points_needed(rules: ProgrammeRules, amount: Decimal) -> int:
    """Whole points that pay at least ``amount`` (rounded up)."""
    if amount <= 0:
        return 0
    return int((amount / rules.point_value).to_integral_value(ROUND_CEILING))


# -- who may reach an account ---------------------------------------------------------------------------------

CUSTOMER_FACING = frozenset({"web", "app"})


def may_reach_account(channel_kind: str, signed_in_id: str | None, target_id: str) -> str | None:
    """Why the caller may not reach ``target_id``'s points (ids already resolved), or ``None``.

    A signed-in customer reaches only their own account; a website or app key without a customer
    token reaches nobody's; staff channels (back office, stores, call centre, live) reach every one.
    """
    if signed_in_id is not None:
        return None if signed_in_id == target_id else "A customer may only see and spend their own points."
    if channel_kind in CUSTOMER_FACING:
        return "Points on this channel need the signed-in customer's token (X-Customer-Token)."
    return None
