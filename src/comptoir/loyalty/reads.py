"""loyalty: reading a member's account — balance, tier, expiring points, history, the 360° section."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import or_, select

from comptoir.core import clock
from comptoir.core.pagination import Page, decode_cursor, encode_cursor
from comptoir.core.uow import UnitOfWork
from comptoir.loyalty import ledger, policies
from comptoir.loyalty.programme import programme_rules
from comptoir.loyalty.schemas import ExpiringPointsOut, LedgerEntryOut, LoyaltyAccountOut

MAX_HISTORY_PAGE = 200
TIERS_CHUNK = 5000


def resolve_customer(uow: UnitOfWork, customer_id: str) -> str:
    """The id whose account holds ``customer_id``'s points (the survivor after a merge)."""
    return ledger.resolve(uow, customer_id)


def account(uow: UnitOfWork, customer_id: str) -> LoyaltyAccountOut:
    """Balance, tier, points expiring soon and a link to the history (an empty account if none yet)."""
    rules = programme_rules(uow)
    now = clock.now()
    customer_id = ledger.resolve(uow, customer_id)
    row = uow.session.execute(
        select(ledger.A.c.balance, ledger.A.c.lifetime_points, ledger.A.c.tier, ledger.A.c.tier_since).where(
            ledger.A.c.customer_id == customer_id
        )
    ).first()
    lots = ledger.live_lots(uow, customer_id) if row is not None else []
    due, live = policies.split_due(lots, now)
    balance = (row.balance if row else 0) - sum(lot.remaining for lot in due)
    tier = (row.tier if row else None) or policies.lowest_tier(rules)
    qualifying = ledger.qualifying_points(uow, customer_id, rules, now) if row is not None else 0
    nxt, missing = policies.next_tier(rules, tier, qualifying)
    rule = policies.tier_rule(rules, tier)
    soon = policies.expiring_soon(live, now, now + timedelta(days=policies.EXPIRING_SOON_DAYS))
    return LoyaltyAccountOut(
        customer_id=customer_id,
        programme=rules.name,
        balance=balance,
        value=policies.value_of(rules, balance),
        currency=rules.currency,
        tier=tier,
        tier_name=rule.name if rule else None,
        tier_since=row.tier_since if row else None,
        qualifying_points=qualifying,
        next_tier=nxt,
        points_to_next_tier=missing,
        lifetime_points=row.lifetime_points if row else 0,
        expiring_soon=[ExpiringPointsOut(points=p, expires_at=at) for at, p in soon],
        history_url=f"/v1/loyalty/accounts/{customer_id}/history",
    )


def tier_of(uow: UnitOfWork, customer_id: str) -> str | None:
    """The customer's tier code (pricing targets promotions by tier); None when there are no tiers."""
    customer_id = ledger.resolve(uow, customer_id)
    tier = uow.session.execute(
        select(ledger.A.c.tier).where(ledger.A.c.customer_id == customer_id)
    ).scalar_one_or_none()
    return tier or policies.lowest_tier(programme_rules(uow))


def tiers_of(uow: UnitOfWork, customer_ids: Sequence[str]) -> dict[str, str | None]:
    """Each customer's tier code as :func:`tier_of` gives it, for many customers in one query per
    thousands (ids as they are: an audience's are survivors, whose accounts hold the tiers)."""
    lowest = policies.lowest_tier(programme_rules(uow))
    ids = list(dict.fromkeys(customer_ids))
    found: dict[str, str | None] = {}
    for start in range(0, len(ids), TIERS_CHUNK):
        chunk = ids[start : start + TIERS_CHUNK]
        rows = uow.session.execute(
            select(ledger.A.c.customer_id, ledger.A.c.tier).where(ledger.A.c.customer_id.in_(chunk))
        )
        found.update({customer_id: tier for customer_id, tier in rows})
    return {customer_id: found.get(customer_id) or lowest for customer_id in ids}


def history(
    uow: UnitOfWork, customer_id: str, *, cursor: str | None = None, limit: int = 50
) -> Page[LedgerEntryOut]:
    """The ledger of a member, newest first (with the entries of customers merged into them)."""
    customer_id = ledger.resolve(uow, customer_id)
    limit = max(1, min(limit, MAX_HISTORY_PAGE))
    aliases = select(ledger.A.c.customer_id).where(ledger.A.c.merged_into == customer_id)
    stmt = select(ledger.E).where(
        or_(ledger.E.c.customer_id == customer_id, ledger.E.c.customer_id.in_(aliases))
    )
    if cursor:
        stmt = stmt.where(ledger.E.c.id < decode_cursor(cursor))
    rows = uow.session.execute(stmt.order_by(ledger.E.c.id.desc()).limit(limit + 1)).all()
    page = rows[:limit]
    return Page[LedgerEntryOut](
        items=[ledger.entry_out(r) for r in page],
        next_cursor=encode_cursor(page[-1].id) if len(rows) > limit and page else None,
    )


def customer_section(uow: UnitOfWork, customer_id: str) -> dict[str, Any]:
    """This domain's section of the 360° customer view: balance, tier, expiring points, last movements."""
    out = account(uow, customer_id)
    recent = history(uow, customer_id, limit=10)
    return {
        "programme": out.programme,
        "balance": out.balance,
        "value": str(out.value),
        "currency": out.currency,
        "tier": out.tier,
        "tier_name": out.tier_name,
        "qualifying_points": out.qualifying_points,
        "next_tier": out.next_tier,
        "points_to_next_tier": out.points_to_next_tier,
        "expiring_soon": [e.model_dump(mode="json") for e in out.expiring_soon],
        "history": [e.model_dump(mode="json") for e in recent.items],
    }
