"""loyalty: earning the points of a paid order, and taking them back when it is cancelled or refunded."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Row

from comptoir.core.uow import UnitOfWork
from comptoir.loyalty import ledger, policies
from comptoir.loyalty.events import PointsEarned, PointsReversed
from comptoir.loyalty.programme import programme_rules
from comptoir.loyalty.schemas import LedgerEntryOut


def earn_for_order(
    uow: UnitOfWork,
    *,
    order_id: str,
    customer_id: str,
    channel: str | None,
    currency: str,
    lines: Sequence[policies.PaidLine],
) -> LedgerEntryOut | None:
    """Credit the points of a paid order (once per order); None when it earns nothing."""
    rules = programme_rules(uow)
    if currency.upper() != rules.currency:
        return None
    acct = ledger.lock(uow, customer_id)
    assert acct is not None
    key = f"earn:{order_id}"
    existing = ledger.by_key(uow, key)
    if existing is not None:
        return ledger.entry_out(existing)
    spent_on_order = uow.session.execute(
        select(func.coalesce(func.sum(ledger.E.c.points), 0)).where(
            ledger.E.c.order_id == order_id, ledger.E.c.kind.in_(("redeem", "refund"))
        )
    ).scalar_one()
    paid_with_points = policies.value_of(rules, -int(spent_on_order)) if spent_on_order < 0 else Decimal(0)
    lines = policies.without_points_paid(lines, paid_with_points)
    earning = policies.earn_for_order(rules, lines, tier=acct.tier, channel=channel, at=acct.now)
    if earning.points <= 0 and earning.qualifying <= 0:
        return None
    expires_at = policies.expiry_of(rules, acct.now)
    entry = acct.entry(
        "earn",
        earning.points,
        key=key,
        order_id=order_id,
        channel=channel,
        expires_at=expires_at,
        qualifying=earning.qualifying,
        reason=", ".join(earning.operations) or None,
        data={
            "lines": [
                {
                    "line_id": e.line_id,
                    "sku": e.sku,
                    "amount": str(e.amount),
                    "base": str(e.base),
                    "points": str(e.points),
                    "multiplier": str(e.multiplier),
                }
                for e in earning.lines
            ],
            "operations": list(earning.operations),
        },
    )
    if earning.points > 0:
        acct.credit_lot(entry, earning.points, expires_at)
    acct.lifetime_delta += earning.points
    qualifying = ledger.qualifying_points(uow, acct.customer_id, rules, acct.now) + earning.qualifying
    decision = policies.promote(rules, acct.tier, acct.tier_since, acct.tier_review_at, qualifying, acct.now)
    ledger.write(uow, acct, tier=decision)
    uow.record(
        PointsEarned(
            customer_id=acct.customer_id,
            entry_id=entry["id"],
            points=earning.points,
            balance=entry["balance_after"],
            order_id=order_id,
            channel=channel,
            expires_at=expires_at.isoformat() if expires_at else None,
        )
    )
    if decision.changed:
        uow.record(ledger.tier_event(acct, decision, rules))
    return ledger.entry_out(entry)


def reverse_for_order(
    uow: UnitOfWork,
    *,
    order_id: str,
    cause: str,
    reference: str,
    refunded: Sequence[policies.RefundedLine] | None = None,
) -> LedgerEntryOut | None:
    """Take back an order's points: all that is left of them (cancelled) or in proportion to a refund.

    Taken from the order's own lot first, then first-expiring-first; what was already spent and cannot
    be taken without the balance going negative is recorded as ``unrecovered``.
    """
    earned = ledger.by_key(uow, f"earn:{order_id}")
    if earned is None:
        return None
    acct = ledger.lock(uow, earned.customer_id)
    assert acct is not None
    key = f"reverse:{order_id}:{reference}"
    existing = ledger.by_key(uow, key)
    if existing is not None:
        return ledger.entry_out(existing)
    points, qualifying = _to_reverse(uow, order_id, earned, refunded)
    if points <= 0 and qualifying <= 0:
        return None
    live, expired = acct.expire_due(ledger.live_lots(uow, acct.customer_id))
    uses = policies.take(live, points, prefer_order=order_id)
    taken = sum(n for _, n in uses)
    entry = acct.entry(
        "reverse",
        -taken,
        key=key,
        reference=reference,
        order_id=order_id,
        related_entry_id=earned.id,
        reason=cause,
        qualifying=-qualifying,
        api_key_id=uow.actor.key_id,
        data={"intended": points, "unrecovered": points - taken},
    )
    acct.move(entry, uses, sign=-1)
    ledger.write(uow, acct)
    if expired is not None:
        uow.record(expired)
    uow.record(
        PointsReversed(
            customer_id=acct.customer_id,
            entry_id=entry["id"],
            points=taken,
            balance=entry["balance_after"],
            order_id=order_id,
            cause=cause,
            unrecovered=points - taken,
        )
    )
    return ledger.entry_out(entry)


def _to_reverse(
    uow: UnitOfWork, order_id: str, earned: Row[Any], refunded: Sequence[policies.RefundedLine] | None
) -> tuple[int, int]:
    """The points and qualifying points still to take back: all that is left, or the refund's share."""
    previous = uow.session.execute(
        select(ledger.E.c.qualifying, ledger.E.c.data).where(
            ledger.E.c.order_id == order_id, ledger.E.c.kind == "reverse"
        )
    ).all()
    already = sum(int(r.data.get("intended", 0)) for r in previous)
    already_q = -sum(r.qualifying for r in previous)
    if refunded is None:
        return earned.points - already, earned.qualifying - already_q
    lines = [
        policies.LineEarning(
            line_id=line["line_id"],
            sku=line["sku"],
            amount=Decimal(line["amount"]),
            base=Decimal(line["base"]),
            points=Decimal(line["points"]),
            multiplier=Decimal(line["multiplier"]),
        )
        for line in earned.data.get("lines", [])
    ]
    return policies.reversal_for_refund(
        lines,
        refunded,
        earned_points=earned.points,
        earned_qualifying=earned.qualifying,
        already_reversed=already,
        already_reversed_qualifying=already_q,
    )
