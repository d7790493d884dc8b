"""loyalty: customers merged (their points, lots and tier move to the survivor) and merges undone."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.engine import Row

from comptoir.core import clock
from comptoir.core.db import insert_ignore
from comptoir.core.uow import UnitOfWork
from comptoir.loyalty import ledger, policies
from comptoir.loyalty.events import LedgersMerged, LedgersUnmerged
from comptoir.loyalty.models import Account
from comptoir.loyalty.programme import programme_rules


def merge_accounts(uow: UnitOfWork, surviving_id: str, merged_ids: Sequence[str], merge_id: str) -> int:
    """Move the merged customers' points, lots and tier to the survivor; returns the points moved.

    Accounts are locked in key order (no deadlock with a concurrent merge or redemption). The merged
    accounts keep their history and point to the survivor, which every later operation follows.
    """
    merged = sorted({m for m in merged_ids if m != surviving_id})
    if not merged:
        return 0
    rules = programme_rules(uow)
    now = clock.now()
    insert_ignore(
        uow.session,
        Account,
        [
            {
                "customer_id": surviving_id,
                "balance": 0,
                "lifetime_points": 0,
                "tier": policies.lowest_tier(rules),
                "created_at": now,
                "updated_at": now,
            }
        ],
    )
    rows = _lock_accounts(uow, [surviving_id, *merged])
    survivor = ledger.locked(rows[surviving_id])
    best = survivor.tier, survivor.tier_since, survivor.tier_review_at
    moved = 0
    merged_now: list[str] = []
    for mid in merged:
        row = rows.get(mid)
        if row is None or row.merged_into is not None:
            continue
        giver = ledger.locked(row)
        key = f"merge:{merge_id}:{mid}"
        if ledger.by_key(uow, key) is not None:
            continue
        moved += _move_into(uow, giver, survivor, key=key, merge_id=merge_id)
        if policies.rank(rules, giver.tier) > policies.rank(rules, best[0]):
            best = giver.tier, giver.tier_since, giver.tier_review_at
        merged_now.append(mid)
    if not merged_now:
        return 0
    uow.session.execute(
        update(ledger.A).where(ledger.A.c.merged_into.in_(merged_now)).values(merged_into=surviving_id)
    )
    # The best tier among the merged accounts, then a promotion if their points together reach higher.
    qualifying = ledger.qualifying_points(uow, surviving_id, rules, now)
    decision = policies.promote(rules, *best, qualifying, now)
    if decision.tier == best[0] and best[0] != survivor.tier:
        decision = policies.TierDecision(best[0], True, best[1], best[2])
    ledger.write(uow, survivor, tier=decision)
    uow.record(
        LedgersMerged(
            surviving_id=surviving_id, merged_ids=merged_now, points_moved=moved, balance=survivor.balance
        )
    )
    if decision.tier != survivor.tier:
        uow.record(ledger.tier_event(survivor, decision, rules))
    return moved


def _lock_accounts(uow: UnitOfWork, customer_ids: Sequence[str]) -> dict[str, Row[Any]]:
    """The accounts' rows, locked in key order (no deadlock with a concurrent merge or redemption)."""
    return {
        r.customer_id: r
        for r in uow.session.execute(
            select(ledger.A)
            .where(ledger.A.c.customer_id.in_(customer_ids))
            .order_by(ledger.A.c.customer_id)
            .with_for_update()
        ).all()
    }


def _move_into(
    uow: UnitOfWork, giver: ledger.Locked, survivor: ledger.Locked, *, key: str, merge_id: str
) -> int:
    """Move one merged account's lots, balance and lifetime points to the survivor; the points moved.

    The giver's entries and account row are written here; the survivor's are written by the caller
    once every merged account has been moved.
    """
    uow.session.execute(
        update(ledger.L)
        .where(ledger.L.c.customer_id == giver.customer_id)
        .values(customer_id=survivor.customer_id)
    )
    out = giver.entry(
        "merge_out",
        -giver.balance,
        key=key,
        reference=merge_id,
        related_entry_id=None,
        reason=f"merged into {survivor.customer_id}",
    )
    survivor.entry(
        "merge_in",
        giver.balance,
        key=f"{key}:in",
        reference=merge_id,
        related_entry_id=out["id"],
        reason=f"merged from {giver.customer_id}",
    )
    survivor.lifetime_delta += giver.lifetime_points
    giver.lifetime_delta -= giver.lifetime_points
    moved = giver.balance
    ledger.write(uow, giver)
    uow.session.execute(
        update(ledger.A)
        .where(ledger.A.c.customer_id == giver.customer_id)
        .values(merged_into=survivor.customer_id, tier=None, tier_since=None, tier_review_at=None)
    )
    return moved


def unmerge_accounts(uow: UnitOfWork, surviving_id: str, restored_ids: Sequence[str], merge_id: str) -> int:
    """A merge undone: each restored customer gets back what is left of the points they brought.

    Their lots are known by the entry that credited them (still under the restored id): what those
    lots have left goes back, with its expiry dates; points spent meanwhile stay spent, and points
    earned after the merge stay with the survivor. Returns the points moved back.
    """
    restored = sorted({r for r in restored_ids if r != surviving_id})
    if not restored:
        return 0
    rules = programme_rules(uow)
    now = clock.now()
    rows = _lock_accounts(uow, [surviving_id, *restored])
    if surviving_id not in rows:
        return 0
    survivor = ledger.locked(rows[surviving_id])
    moved = 0
    restored_now: list[str] = []
    for rid in restored:
        row = rows.get(rid)
        if row is None or row.merged_into != surviving_id:
            continue
        key = f"unmerge:{merge_id}:{rid}"
        if ledger.by_key(uow, key) is not None:
            continue
        theirs = select(ledger.E.c.id).where(ledger.E.c.customer_id == rid)
        lots = uow.session.execute(
            select(ledger.L.c.id, ledger.L.c.remaining).where(
                ledger.L.c.customer_id == surviving_id, ledger.L.c.entry_id.in_(theirs)
            )
        ).all()
        points = sum(lot.remaining for lot in lots)
        if lots:
            uow.session.execute(
                update(ledger.L).where(ledger.L.c.id.in_([lot.id for lot in lots])).values(customer_id=rid)
            )
        back = ledger.locked(row)
        out = survivor.entry(
            "merge_out", -points, key=key, reference=merge_id, reason=f"merge undone: back to {rid}"
        )
        back.entry(
            "merge_in",
            points,
            key=f"{key}:in",
            reference=merge_id,
            related_entry_id=out["id"],
            reason=f"merge with {surviving_id} undone",
        )
        uow.session.execute(update(ledger.A).where(ledger.A.c.customer_id == rid).values(merged_into=None))
        qualifying = int(
            uow.session.execute(
                select(func.coalesce(func.sum(ledger.E.c.qualifying), 0)).where(
                    ledger.E.c.customer_id == rid,
                    ledger.E.c.occurred_at >= policies.add_months(now, -rules.qualification_months),
                )
            ).scalar_one()
        )
        ledger.write(uow, back, tier=policies.review(rules, None, None, qualifying, now))
        moved += points
        restored_now.append(rid)
    if restored_now:
        ledger.write(uow, survivor)
        uow.record(
            LedgersUnmerged(
                surviving_id=surviving_id,
                restored_ids=restored_now,
                points_moved=moved,
                balance=survivor.balance,
            )
        )
    return moved
