"""loyalty: the periodic work — points expiring at their date, the yearly tier review."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from comptoir.core import clock
from comptoir.core.uow import UnitOfWork
from comptoir.loyalty import ledger, policies
from comptoir.loyalty.programme import programme_rules
from comptoir.loyalty.schemas import ExpiryRunOut


def expire_points(uow: UnitOfWork, *, now: datetime | None = None, limit: int = 500) -> ExpiryRunOut:
    """Expire the points left in lots whose date passed, for up to ``limit`` members at a time."""
    now = now or clock.now()
    customers = (
        uow.session.execute(
            select(ledger.L.c.customer_id)
            .where(ledger.L.c.remaining > 0, ledger.L.c.expires_at <= now)
            .group_by(ledger.L.c.customer_id)
            .order_by(ledger.L.c.customer_id)
            .limit(limit)
        )
        .scalars()
        .all()
    )
    total = 0
    for customer_id in customers:
        acct = ledger.lock(uow, customer_id, create=False)
        if acct is None:
            continue
        acct.now = now
        _, expired = acct.expire_due(ledger.live_lots(uow, acct.customer_id))
        if expired is None:
            continue
        ledger.write(uow, acct)
        uow.record(expired)
        total += expired.points
    return ExpiryRunOut(accounts=len(customers), points=total)


def review_tiers(uow: UnitOfWork, *, now: datetime | None = None, limit: int = 500) -> int:
    """The yearly tier review of members whose window ended; returns how many tiers changed."""
    now = now or clock.now()
    rules = programme_rules(uow)
    due = (
        uow.session.execute(
            select(ledger.A.c.customer_id)
            .where(ledger.A.c.tier_review_at <= now, ledger.A.c.merged_into.is_(None))
            .order_by(ledger.A.c.customer_id)
            .limit(limit)
        )
        .scalars()
        .all()
    )
    changed = 0
    for customer_id in due:
        acct = ledger.lock(uow, customer_id, create=False)
        if acct is None:
            continue
        acct.now = now
        decision = policies.review(
            rules, acct.tier, acct.tier_since, ledger.qualifying_points(uow, customer_id, rules, now), now
        )
        ledger.write(uow, acct, tier=decision)
        if decision.changed:
            uow.record(ledger.tier_event(acct, decision, rules))
            changed += 1
    return changed
