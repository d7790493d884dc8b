"""loyalty: the one place that locks points, and the writes that keep balance, lots and ledger together.

Every change of a member's points goes through :func:`lock` (the account row, ``SELECT … FOR
UPDATE``; several accounts in key order) and ends with :func:`write`: one guarded ``UPDATE … SET
balance = balance + :delta WHERE balance + :delta >= 0`` whose row count is checked, so the balance
never goes negative and two redemptions of the same points cannot both pass, whatever the number of
API processes. On SQLite, writers already hold the database's write lock from ``BEGIN IMMEDIATE``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import bindparam, func, insert, or_, select, update
from sqlalchemy.engine import CursorResult, Row

from comptoir.core import clock
from comptoir.core.db import insert_ignore
from comptoir.core.errors import Conflict
from comptoir.core.ids import new_id
from comptoir.core.uow import UnitOfWork
from comptoir.loyalty import policies
from comptoir.loyalty.events import PointsExpired, TierChanged
from comptoir.loyalty.models import Account, LedgerEntry, Lot, LotUse, table
from comptoir.loyalty.programme import programme_rules
from comptoir.loyalty.schemas import LedgerEntryOut, ProgrammeRules

A = table(Account)
E = table(LedgerEntry)
L = table(Lot)
U = table(LotUse)


class InsufficientPoints(Conflict):
    slug = "insufficient-points"
    title = "Not enough points"


class ReferenceReused(Conflict):
    slug = "loyalty-reference-reused"
    title = "This reference was used for another operation"


@dataclass
class Locked:
    """An account row held under lock, with the changes to write for it."""

    customer_id: str
    balance: int
    lifetime_points: int
    tier: str | None
    tier_since: datetime | None
    tier_review_at: datetime | None
    now: datetime
    delta: int = 0
    lifetime_delta: int = 0
    entries: list[dict[str, Any]] = field(default_factory=list)
    lots: list[dict[str, Any]] = field(default_factory=list)
    lot_deltas: list[dict[str, Any]] = field(default_factory=list)
    uses: list[dict[str, Any]] = field(default_factory=list)

    @property
    def current(self) -> int:
        return self.balance + self.delta

    def entry(
        self,
        kind: str,
        points: int,
        *,
        key: str | None = None,
        reference: str | None = None,
        order_id: str | None = None,
        related_entry_id: str | None = None,
        channel: str | None = None,
        reason: str | None = None,
        expires_at: datetime | None = None,
        qualifying: int = 0,
        api_key_id: str | None = None,
        data: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        self.delta += points
        row = {
            "id": new_id("lpe"),
            "customer_id": self.customer_id,
            "kind": kind,
            "points": points,
            "balance_after": self.current,
            "qualifying": qualifying,
            "key": key,
            "reference": reference,
            "order_id": order_id,
            "related_entry_id": related_entry_id,
            "channel": channel,
            "reason": reason,
            "expires_at": expires_at,
            "occurred_at": self.now,
            "api_key_id": api_key_id,
            "data": data or {},
        }
        self.entries.append(row)
        return row

    def credit_lot(self, entry: dict[str, Any], points: int, expires_at: datetime | None) -> None:
        self.lots.append(
            {
                "id": new_id("lot"),
                "customer_id": self.customer_id,
                "entry_id": entry["id"],
                "order_id": entry["order_id"],
                "points": points,
                "remaining": points,
                "credited_at": self.now,
                "expires_at": expires_at,
            }
        )

    def move(self, entry: dict[str, Any], uses: Iterable[tuple[str, int]], *, sign: int) -> None:
        """Take from (sign -1) or give back to (sign +1) lots, remembering which for the entry."""
        for lot_id, n in uses:
            self.lot_deltas.append({"lot": lot_id, "n": sign * n})
            self.uses.append({"entry_id": entry["id"], "lot_id": lot_id, "points": n})

    def expire_due(
        self, lots: list[policies.LotState]
    ) -> tuple[list[policies.LotState], PointsExpired | None]:
        """Expire what is due before anything else, so expiry is exact whenever the job last ran."""
        due, live = policies.split_due(lots, self.now)
        total = sum(lot.remaining for lot in due)
        if not total:
            return live, None
        entry = self.entry("expire", -total, reason="points expired")
        self.move(entry, [(lot.id, lot.remaining) for lot in due], sign=-1)
        return live, PointsExpired(
            customer_id=self.customer_id, entry_id=entry["id"], points=total, balance=entry["balance_after"]
        )


def resolve(uow: UnitOfWork, customer_id: str) -> str:
    """Follow a merge: the id whose account now holds the customer's points."""
    merged_into = uow.session.execute(
        select(A.c.merged_into).where(A.c.customer_id == customer_id)
    ).scalar_one_or_none()
    return merged_into or customer_id


def lock(uow: UnitOfWork, customer_id: str, *, create: bool = True) -> Locked | None:
    """The one place that locks points: the account row, following merges. None if absent and not created."""
    session = uow.session
    for _ in range(3):
        row = session.execute(
            select(
                A.c.customer_id,
                A.c.balance,
                A.c.lifetime_points,
                A.c.tier,
                A.c.tier_since,
                A.c.tier_review_at,
                A.c.merged_into,
            )
            .where(A.c.customer_id == customer_id)
            .with_for_update()
        ).first()
        if row is not None and row.merged_into:
            customer_id = row.merged_into
            continue
        if row is not None:
            return locked(row)
        if not create:
            return None
        now = clock.now()
        tier = policies.lowest_tier(programme_rules(uow))
        created = insert_ignore(
            session,
            Account,
            [
                {
                    "customer_id": customer_id,
                    "balance": 0,
                    "lifetime_points": 0,
                    "tier": tier,
                    "created_at": now,
                    "updated_at": now,
                }
            ],
        )
        if created and tier is not None:  # a new member starts at the lowest tier (pricing keeps tiers)
            uow.record(
                TierChanged(customer_id=customer_id, previous_tier=None, tier=tier, direction="joined")
            )
    raise Conflict(f"The loyalty account of {customer_id} is being merged; try again.")


def locked(row: Any) -> Locked:
    return Locked(
        customer_id=row.customer_id,
        balance=row.balance,
        lifetime_points=row.lifetime_points,
        tier=row.tier,
        tier_since=row.tier_since,
        tier_review_at=row.tier_review_at,
        now=clock.now(),
    )


def live_lots(uow: UnitOfWork, customer_id: str) -> list[policies.LotState]:
    rows = uow.session.execute(
        select(L.c.id, L.c.remaining, L.c.expires_at, L.c.order_id).where(
            L.c.customer_id == customer_id, L.c.remaining > 0
        )
    ).all()
    return [policies.LotState(r.id, r.remaining, r.expires_at, r.order_id) for r in rows]


def write(uow: UnitOfWork, acct: Locked, *, tier: policies.TierDecision | None = None) -> None:
    """Write the account's pending entries, lots and balance; the guarded UPDATE checks the balance."""
    session = uow.session
    if acct.entries:
        session.execute(insert(E), acct.entries)
    if acct.lots:
        session.execute(insert(L), acct.lots)
    if acct.lot_deltas:
        session.execute(
            update(L).where(L.c.id == bindparam("lot")).values(remaining=L.c.remaining + bindparam("n")),
            acct.lot_deltas,
        )
    if acct.uses:
        session.execute(insert(U), acct.uses)
    values: dict[str, Any] = {
        "balance": A.c.balance + acct.delta,
        "lifetime_points": A.c.lifetime_points + acct.lifetime_delta,
        "updated_at": acct.now,
    }
    if tier is not None:
        values.update(tier=tier.tier, tier_since=tier.since, tier_review_at=tier.review_at)
    done = session.execute(
        update(A).where(A.c.customer_id == acct.customer_id, A.c.balance + acct.delta >= 0).values(**values)
    )
    if cast(CursorResult[Any], done).rowcount != 1:
        raise InsufficientPoints(
            f"Customer {acct.customer_id} does not have the points for this operation.",
            balance=acct.balance,
        )
    acct.balance, acct.delta = acct.current, 0
    acct.lifetime_points += acct.lifetime_delta
    acct.lifetime_delta = 0
    acct.entries, acct.lots, acct.lot_deltas, acct.uses = [], [], [], []


def by_key(uow: UnitOfWork, key: str) -> Row[Any] | None:
    return uow.session.execute(select(E).where(E.c.key == key)).first()


def entry_out(row: Row[Any] | dict[str, Any]) -> LedgerEntryOut:
    data = row if isinstance(row, dict) else row._mapping
    return LedgerEntryOut(
        id=data["id"],
        customer_id=data["customer_id"],
        kind=data["kind"],
        points=data["points"],
        balance_after=data["balance_after"],
        reference=data["reference"],
        order_id=data["order_id"],
        channel=data["channel"],
        reason=data["reason"],
        expires_at=data["expires_at"],
        occurred_at=data["occurred_at"],
    )


def qualifying_points(uow: UnitOfWork, customer_id: str, rules: ProgrammeRules, now: datetime) -> int:
    """Qualifying points over the window, the accounts merged into this one included."""
    since = policies.add_months(now, -rules.qualification_months)
    aliases = select(A.c.customer_id).where(A.c.merged_into == customer_id)
    total = uow.session.execute(
        select(func.coalesce(func.sum(E.c.qualifying), 0)).where(
            or_(E.c.customer_id == customer_id, E.c.customer_id.in_(aliases)),
            E.c.occurred_at >= since,
            E.c.qualifying != 0,
        )
    ).scalar_one()
    return int(total)


def tier_event(acct: Locked, decision: policies.TierDecision, rules: ProgrammeRules) -> TierChanged:
    up = policies.rank(rules, decision.tier) > policies.rank(rules, acct.tier)
    return TierChanged(
        customer_id=acct.customer_id,
        previous_tier=acct.tier,
        tier=decision.tier,
        direction="promotion" if up else "demotion",
    )
