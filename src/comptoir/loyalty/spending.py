"""loyalty: spending points (redemptions, rewards), giving them back, and staff adjustments."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from comptoir.core.errors import InvalidInput
from comptoir.core.uow import UnitOfWork
from comptoir.loyalty import ledger, policies
from comptoir.loyalty.events import PointsAdjusted, PointsRefunded, PointsSpent
from comptoir.loyalty.programme import get_reward, programme_rules, reward_out, rules_in
from comptoir.loyalty.schemas import AdjustmentIn, LedgerEntryOut, RedeemPointsIn, RewardExchangeOut
from comptoir.pricing import service as pricing_service
from comptoir.pricing.schemas import IssueCouponIn


def redeem_points(uow: UnitOfWork, cmd: RedeemPointsIn) -> LedgerEntryOut:
    """Spend points (first-expiring-first); raises InsufficientPoints (409). Idempotent by reference."""
    return _redeem(uow, cmd, reward=None)


def _redeem(uow: UnitOfWork, cmd: RedeemPointsIn, *, reward: str | None) -> LedgerEntryOut:
    rules = programme_rules(uow)
    if cmd.points < rules.min_redemption:
        raise InvalidInput(f"At least {rules.min_redemption} points can be redeemed at once.", field="points")
    key = f"redeem:{cmd.reference}"
    acct = ledger.lock(uow, cmd.customer_id, create=False)
    existing = ledger.by_key(uow, key)
    if existing is not None:
        if existing.points != -cmd.points or (acct is not None and existing.customer_id != acct.customer_id):
            raise ledger.ReferenceReused(
                f"The reference {cmd.reference!r} was already used for another redemption."
            )
        return ledger.entry_out(existing)
    if acct is None:
        raise ledger.InsufficientPoints(
            f"Customer {cmd.customer_id} has 0 points; {cmd.points} were asked.",
            balance=0,
            requested=cmd.points,
        )
    live, expired = acct.expire_due(ledger.live_lots(uow, acct.customer_id))
    spendable = sum(lot.remaining for lot in live)
    if spendable < cmd.points:
        raise ledger.InsufficientPoints(
            f"Customer {cmd.customer_id} has {spendable} points; {cmd.points} were asked.",
            balance=spendable,
            requested=cmd.points,
        )
    entry = acct.entry(
        "redeem",
        -cmd.points,
        key=key,
        reference=cmd.reference,
        order_id=cmd.order_id,
        channel=cmd.channel,
        reason=f"reward {reward}" if reward else None,
        api_key_id=uow.actor.key_id,
        data={"reward": reward} if reward else None,
    )
    acct.move(entry, policies.take(live, cmd.points), sign=-1)
    ledger.write(uow, acct)
    if expired is not None:
        uow.record(expired)
    uow.record(
        PointsSpent(
            customer_id=acct.customer_id,
            entry_id=entry["id"],
            points=cmd.points,
            balance=entry["balance_after"],
            reference=cmd.reference,
            channel=cmd.channel,
            reward=reward,
        )
    )
    return ledger.entry_out(entry)


def refund_points(uow: UnitOfWork, reference: str) -> LedgerEntryOut | None:
    """Give back the redemption made with ``reference`` to the lots it came from (keeping their expiry).

    None when no redemption has this reference; replaying returns the first refund.
    """
    redemption = ledger.by_key(uow, f"redeem:{reference}")
    if redemption is None:
        return None
    acct = ledger.lock(uow, redemption.customer_id)
    assert acct is not None
    key = f"refund:{reference}"
    existing = ledger.by_key(uow, key)
    if existing is not None:
        return ledger.entry_out(existing)
    uses = uow.session.execute(
        select(ledger.U.c.lot_id, ledger.U.c.points, ledger.L.c.customer_id, ledger.L.c.expires_at)
        .join(ledger.L, ledger.L.c.id == ledger.U.c.lot_id)
        .where(ledger.U.c.entry_id == redemption.id)
    ).all()
    entry = acct.entry(
        "refund",
        -redemption.points,
        key=key,
        reference=reference,
        order_id=redemption.order_id,
        related_entry_id=redemption.id,
        channel=redemption.channel,
        api_key_id=uow.actor.key_id,
    )
    acct.move(entry, [(u.lot_id, u.points) for u in uses if u.customer_id == acct.customer_id], sign=+1)
    for use in uses:
        if use.customer_id != acct.customer_id:
            # The lot went back to another customer since (a merge undone): a new lot, same expiry.
            acct.credit_lot(entry, use.points, use.expires_at)
    ledger.write(uow, acct)
    uow.record(
        PointsRefunded(
            customer_id=acct.customer_id,
            entry_id=entry["id"],
            points=-redemption.points,
            balance=entry["balance_after"],
            reference=reference,
        )
    )
    return ledger.entry_out(entry)


def points_value(uow: UnitOfWork, points: int, currency: str) -> Decimal:
    """What ``points`` are worth when paying, in ``currency`` (the programme's), rounded down."""
    rules = rules_in(uow, currency)
    if points < 0:
        raise InvalidInput("Points cannot be negative.", field="points")
    return policies.value_of(rules, points)


def points_for_amount(uow: UnitOfWork, amount: Decimal, currency: str) -> int:
    """Points needed to pay ``amount`` (rounded up to a whole point)."""
    rules = rules_in(uow, currency)
    if amount < 0:
        raise InvalidInput("The amount cannot be negative.", field="amount")
    return policies.points_needed(rules, amount)


def adjust(uow: UnitOfWork, customer_id: str, cmd: AdjustmentIn) -> LedgerEntryOut:
    """A staff correction: adds points (a new lot, with the usual expiry) or removes them FIFO."""
    rules = programme_rules(uow)
    key = f"adjust:{cmd.reference}" if cmd.reference else None
    acct = ledger.lock(uow, customer_id)
    assert acct is not None
    if key is not None and (existing := ledger.by_key(uow, key)) is not None:
        if existing.points != cmd.points or existing.customer_id != acct.customer_id:
            raise ledger.ReferenceReused(
                f"The reference {cmd.reference!r} was already used for another adjustment."
            )
        return ledger.entry_out(existing)
    live, expired = acct.expire_due(ledger.live_lots(uow, acct.customer_id))
    expires_at = policies.expiry_of(rules, acct.now) if cmd.points > 0 else None
    if cmd.points < 0 and sum(lot.remaining for lot in live) < -cmd.points:
        raise ledger.InsufficientPoints(
            f"Customer {customer_id} has {acct.current} points; {-cmd.points} cannot be removed.",
            balance=acct.current,
        )
    entry = acct.entry(
        "adjust",
        cmd.points,
        key=key,
        reference=cmd.reference,
        reason=cmd.reason,
        channel=uow.actor.channel,
        expires_at=expires_at,
        api_key_id=uow.actor.key_id,
    )
    if cmd.points > 0:
        acct.credit_lot(entry, cmd.points, expires_at)
    else:
        acct.move(entry, policies.take(live, -cmd.points), sign=-1)
    ledger.write(uow, acct)
    if expired is not None:
        uow.record(expired)
    uow.record(
        PointsAdjusted(
            customer_id=acct.customer_id,
            entry_id=entry["id"],
            points=cmd.points,
            balance=entry["balance_after"],
            reason=cmd.reason,
        )
    )
    return ledger.entry_out(entry)


def exchange_reward(
    uow: UnitOfWork, customer_id: str, code: str, reference: str, channel: str
) -> RewardExchangeOut:
    """Points for a voucher: the points are spent and a personal single-use coupon issued, together.

    Idempotent by ``reference``: a replay returns the same entry and the same coupon.
    """
    rules, reward = get_reward(uow, code)
    entry = _redeem(
        uow,
        RedeemPointsIn(
            customer_id=customer_id, points=reward.points, reference=f"reward:{reference}", channel=channel
        ),
        reward=reward.code,
    )
    coupon = pricing_service.issue_coupon(
        uow,
        IssueCouponIn(
            customer_id=entry.customer_id,
            amount=reward.amount,
            currency=rules.currency,
            label=reward.label,
            valid_until=entry.occurred_at + timedelta(days=reward.valid_days),
            reference=f"loyalty:{entry.id}",
        ),
    )
    return RewardExchangeOut(
        entry=entry,
        reward=reward_out(rules, reward),
        coupon_code=coupon.code,
        promotion_id=coupon.promotion_id,
        valid_until=coupon.valid_until,
    )
