"""loyalty: the domain's operations (its public interface with schemas.py and events.py).

Every change of a member's points goes through :func:`_lock` (the account row, ``SELECT … FOR
UPDATE``; several accounts in key order) and ends with one guarded ``UPDATE … SET balance = balance
+ :delta WHERE balance + :delta >= 0`` whose row count is checked, so the balance never goes
negative and two redemptions of the same points cannot both pass, whatever the number of API
processes. On SQLite, writers already hold the database's write lock from ``BEGIN IMMEDIATE``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import bindparam, func, insert, or_, select, update
from sqlalchemy.engine import CursorResult, Row

from comptoir.core import clock
from comptoir.core.db import insert_ignore
from comptoir.core.errors import Conflict, InvalidInput, NotFound, check_version
from comptoir.core.ids import new_id
from comptoir.core.pagination import Page, decode_cursor, encode_cursor
from comptoir.core.uow import UnitOfWork
from comptoir.loyalty import policies
from comptoir.loyalty.events import (
    LedgersMerged,
    LedgersUnmerged,
    PointsAdjusted,
    PointsEarned,
    PointsExpired,
    PointsRefunded,
    PointsReversed,
    PointsSpent,
    TierChanged,
)
from comptoir.loyalty.models import Account, LedgerEntry, Lot, LotUse, Programme, table
from comptoir.loyalty.schemas import (
    AdjustmentIn,
    ExpiringPointsOut,
    ExpiryRunOut,
    LedgerEntryOut,
    LoyaltyAccountOut,
    ProgrammeOut,
    ProgrammeRules,
    RedeemPointsIn,
    RewardExchangeOut,
    RewardOut,
    RewardRule,
)
from comptoir.pricing import service as pricing_service
from comptoir.pricing.schemas import IssueCouponIn

A = table(Account)
E = table(LedgerEntry)
L = table(Lot)
U = table(LotUse)
P = table(Programme)

PROGRAMME_ID = "default"
MAX_HISTORY_PAGE = 200


class InsufficientPoints(Conflict):
    slug = "insufficient-points"
    title = "Not enough points"


class ReferenceReused(Conflict):
    slug = "loyalty-reference-reused"
    title = "This reference was used for another operation"


class RewardUnavailable(Conflict):
    slug = "reward-unavailable"
    title = "This reward cannot be exchanged"


# -- programme ---------------------------------------------------------------------------------------------


def programme_rules(uow: UnitOfWork) -> ProgrammeRules:
    """The programme in force (the defaults, without tiers or rewards, until one is set)."""
    row = uow.session.execute(select(P.c.rules).where(P.c.id == PROGRAMME_ID)).first()
    return ProgrammeRules.model_validate(row[0]) if row else ProgrammeRules()


def get_programme(uow: UnitOfWork) -> ProgrammeOut:
    row = uow.session.execute(
        select(P.c.rules, P.c.version, P.c.updated_at).where(P.c.id == PROGRAMME_ID)
    ).first()
    if row is None:
        return ProgrammeOut(**ProgrammeRules().model_dump(), version=0, updated_at=None)
    return ProgrammeOut(
        **ProgrammeRules.model_validate(row.rules).model_dump(),
        version=row.version,
        updated_at=row.updated_at,
    )


def set_programme(
    uow: UnitOfWork, rules: ProgrammeRules, *, expected_version: int | None = None
) -> ProgrammeOut:
    """Replace the programme's rules (they apply from now on; past entries are never recomputed)."""
    now = clock.now()
    data = rules.model_dump(mode="json")
    row = uow.session.execute(select(P.c.version).where(P.c.id == PROGRAMME_ID).with_for_update()).first()
    if row is None:
        check_version(0, expected_version)
        inserted = insert_ignore(
            uow.session,
            Programme,
            [
                {
                    "id": PROGRAMME_ID,
                    "rules": data,
                    "version": 1,
                    "updated_at": now,
                    "updated_by_key": uow.actor.key_id,
                }
            ],
        )
        if not inserted:
            raise Conflict("The programme was created at the same moment; reload it and try again.")
    else:
        check_version(row.version, expected_version)
        done = uow.session.execute(
            update(P)
            .where(P.c.id == PROGRAMME_ID, P.c.version == row.version)
            .values(rules=data, version=row.version + 1, updated_at=now, updated_by_key=uow.actor.key_id)
        )
        if cast(CursorResult[Any], done).rowcount != 1:
            raise Conflict("The programme changed at the same moment; reload it and try again.")
    return get_programme(uow)


def rewards(uow: UnitOfWork) -> list[RewardOut]:
    rules = programme_rules(uow)
    return [_reward_out(rules, r) for r in rules.rewards if r.active]


def _reward_out(rules: ProgrammeRules, reward: RewardRule) -> RewardOut:
    return RewardOut(
        code=reward.code,
        label=reward.label,
        points=reward.points,
        amount=reward.amount,
        currency=rules.currency,
        valid_days=reward.valid_days,
    )


# -- locking and writing ------------------------------------------------------------------------------------


@dataclass
class _Locked:
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


def resolve_customer(uow: UnitOfWork, customer_id: str) -> str:
    """The id whose account holds ``customer_id``'s points (the survivor after a merge)."""
    return _resolve(uow, customer_id)


def _resolve(uow: UnitOfWork, customer_id: str) -> str:
    """Follow a merge: the id whose account now holds the customer's points."""
    merged_into = uow.session.execute(
        select(A.c.merged_into).where(A.c.customer_id == customer_id)
    ).scalar_one_or_none()
    return merged_into or customer_id


def _lock(uow: UnitOfWork, customer_id: str, *, create: bool = True) -> _Locked | None:
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
            return _locked(row)
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
                TierChanged(customer_id=customer_id, previous_tier=None, tier=tier, direction="promotion")
            )
    raise Conflict(f"The loyalty account of {customer_id} is being merged; try again.")


def _locked(row: Any) -> _Locked:
    return _Locked(
        customer_id=row.customer_id,
        balance=row.balance,
        lifetime_points=row.lifetime_points,
        tier=row.tier,
        tier_since=row.tier_since,
        tier_review_at=row.tier_review_at,
        now=clock.now(),
    )


def _live_lots(uow: UnitOfWork, customer_id: str) -> list[policies.LotState]:
    rows = uow.session.execute(
        select(L.c.id, L.c.remaining, L.c.expires_at, L.c.order_id).where(
            L.c.customer_id == customer_id, L.c.remaining > 0
        )
    ).all()
    return [policies.LotState(r.id, r.remaining, r.expires_at, r.order_id) for r in rows]


def _write(uow: UnitOfWork, acct: _Locked, *, tier: policies.TierDecision | None = None) -> None:
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


def _by_key(uow: UnitOfWork, key: str) -> Row[Any] | None:
    return uow.session.execute(select(E).where(E.c.key == key)).first()


def _entry_out(row: Row[Any] | dict[str, Any]) -> LedgerEntryOut:
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


def _qualifying(uow: UnitOfWork, customer_id: str, rules: ProgrammeRules, now: datetime) -> int:
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


def _tier_event(acct: _Locked, decision: policies.TierDecision, rules: ProgrammeRules) -> TierChanged:
    up = policies.rank(rules, decision.tier) > policies.rank(rules, acct.tier)
    return TierChanged(
        customer_id=acct.customer_id,
        previous_tier=acct.tier,
        tier=decision.tier,
        direction="promotion" if up else "demotion",
    )


# -- the contract's operations -----------------------------------------------------------------------------


def account(uow: UnitOfWork, customer_id: str) -> LoyaltyAccountOut:
    """Balance, tier, points expiring soon and a link to the history (an empty account if none yet)."""
    rules = programme_rules(uow)
    now = clock.now()
    customer_id = _resolve(uow, customer_id)
    row = uow.session.execute(
        select(A.c.balance, A.c.lifetime_points, A.c.tier, A.c.tier_since).where(
            A.c.customer_id == customer_id
        )
    ).first()
    lots = _live_lots(uow, customer_id) if row is not None else []
    due, live = policies.split_due(lots, now)
    balance = (row.balance if row else 0) - sum(lot.remaining for lot in due)
    tier = (row.tier if row else None) or policies.lowest_tier(rules)
    qualifying = _qualifying(uow, customer_id, rules, now) if row is not None else 0
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
    customer_id = _resolve(uow, customer_id)
    tier = uow.session.execute(select(A.c.tier).where(A.c.customer_id == customer_id)).scalar_one_or_none()
    return tier or policies.lowest_tier(programme_rules(uow))


def redeem_points(uow: UnitOfWork, cmd: RedeemPointsIn) -> LedgerEntryOut:
    """Spend points (first-expiring-first); raises InsufficientPoints (409). Idempotent by reference."""
    return _redeem(uow, cmd, reward=None)


def _redeem(uow: UnitOfWork, cmd: RedeemPointsIn, *, reward: str | None) -> LedgerEntryOut:
    rules = programme_rules(uow)
    if cmd.points < rules.min_redemption:
        raise InvalidInput(f"At least {rules.min_redemption} points can be redeemed at once.", field="points")
    key = f"redeem:{cmd.reference}"
    acct = _lock(uow, cmd.customer_id, create=False)
    existing = _by_key(uow, key)
    if existing is not None:
        if existing.points != -cmd.points or (acct is not None and existing.customer_id != acct.customer_id):
            raise ReferenceReused(f"The reference {cmd.reference!r} was already used for another redemption.")
        return _entry_out(existing)
    if acct is None:
        raise InsufficientPoints(
            f"Customer {cmd.customer_id} has 0 points; {cmd.points} were asked.",
            balance=0,
            requested=cmd.points,
        )
    live, expired = acct.expire_due(_live_lots(uow, acct.customer_id))
    spendable = sum(lot.remaining for lot in live)
    if spendable < cmd.points:
        raise InsufficientPoints(
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
    _write(uow, acct)
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
    return _entry_out(entry)


def refund_points(uow: UnitOfWork, reference: str) -> LedgerEntryOut | None:
    """Give back the redemption made with ``reference`` to the lots it came from (keeping their expiry).

    None when no redemption has this reference; replaying returns the first refund.
    """
    redemption = _by_key(uow, f"redeem:{reference}")
    if redemption is None:
        return None
    acct = _lock(uow, redemption.customer_id)
    assert acct is not None
    key = f"refund:{reference}"
    existing = _by_key(uow, key)
    if existing is not None:
        return _entry_out(existing)
    uses = uow.session.execute(
        select(U.c.lot_id, U.c.points, L.c.customer_id, L.c.expires_at)
        .join(L, L.c.id == U.c.lot_id)
        .where(U.c.entry_id == redemption.id)
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
    _write(uow, acct)
    uow.record(
        PointsRefunded(
            customer_id=acct.customer_id,
            entry_id=entry["id"],
            points=-redemption.points,
            balance=entry["balance_after"],
            reference=reference,
        )
    )
    return _entry_out(entry)


def points_value(uow: UnitOfWork, points: int, currency: str) -> Decimal:
    """What ``points`` are worth when paying, in ``currency`` (the programme's), rounded down."""
    rules = _rules_in(uow, currency)
    if points < 0:
        raise InvalidInput("Points cannot be negative.", field="points")
    return policies.value_of(rules, points)


def points_for_amount(uow: UnitOfWork, amount: Decimal, currency: str) -> int:
    """Points needed to pay ``amount`` (rounded up to a whole point)."""
    rules = _rules_in(uow, currency)
    if amount < 0:
        raise InvalidInput("The amount cannot be negative.", field="amount")
    return policies.points_needed(rules, amount)


def _rules_in(uow: UnitOfWork, currency: str) -> ProgrammeRules:
    rules = programme_rules(uow)
    if currency.upper() != rules.currency:
        raise InvalidInput(
            f"Points are worth {rules.currency}, not {currency}: pay with points in {rules.currency}.",
            field="currency",
        )
    return rules


# -- earning and taking back ---------------------------------------------------------------------------------


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
    acct = _lock(uow, customer_id)
    assert acct is not None
    key = f"earn:{order_id}"
    existing = _by_key(uow, key)
    if existing is not None:
        return _entry_out(existing)
    spent_on_order = uow.session.execute(
        select(func.coalesce(func.sum(E.c.points), 0)).where(
            E.c.order_id == order_id, E.c.kind.in_(("redeem", "refund"))
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
    qualifying = _qualifying(uow, acct.customer_id, rules, acct.now) + earning.qualifying
    decision = policies.promote(rules, acct.tier, acct.tier_since, acct.tier_review_at, qualifying, acct.now)
    _write(uow, acct, tier=decision)
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
        uow.record(_tier_event(acct, decision, rules))
    return _entry_out(entry)


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
    earned = _by_key(uow, f"earn:{order_id}")
    if earned is None:
        return None
    acct = _lock(uow, earned.customer_id)
    assert acct is not None
    key = f"reverse:{order_id}:{reference}"
    existing = _by_key(uow, key)
    if existing is not None:
        return _entry_out(existing)
    previous = uow.session.execute(
        select(E.c.qualifying, E.c.data).where(E.c.order_id == order_id, E.c.kind == "reverse")
    ).all()
    already = sum(int(r.data.get("intended", 0)) for r in previous)
    already_q = -sum(r.qualifying for r in previous)
    if refunded is None:
        points, qualifying = earned.points - already, earned.qualifying - already_q
    else:
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
        points, qualifying = policies.reversal_for_refund(
            lines,
            refunded,
            earned_points=earned.points,
            earned_qualifying=earned.qualifying,
            already_reversed=already,
            already_reversed_qualifying=already_q,
        )
    if points <= 0 and qualifying <= 0:
        return None
    live, expired = acct.expire_due(_live_lots(uow, acct.customer_id))
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
    _write(uow, acct)
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
    return _entry_out(entry)


def adjust(uow: UnitOfWork, customer_id: str, cmd: AdjustmentIn) -> LedgerEntryOut:
    """A staff correction: adds points (a new lot, with the usual expiry) or removes them FIFO."""
    rules = programme_rules(uow)
    key = f"adjust:{cmd.reference}" if cmd.reference else None
    acct = _lock(uow, customer_id)
    assert acct is not None
    if key is not None and (existing := _by_key(uow, key)) is not None:
        if existing.points != cmd.points or existing.customer_id != acct.customer_id:
            raise ReferenceReused(f"The reference {cmd.reference!r} was already used for another adjustment.")
        return _entry_out(existing)
    live, expired = acct.expire_due(_live_lots(uow, acct.customer_id))
    expires_at = policies.expiry_of(rules, acct.now) if cmd.points > 0 else None
    if cmd.points < 0 and sum(lot.remaining for lot in live) < -cmd.points:
        raise InsufficientPoints(
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
    _write(uow, acct)
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
    return _entry_out(entry)


# -- merges ---------------------------------------------------------------------------------------------------


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
    rows = {
        r.customer_id: r
        for r in uow.session.execute(
            select(A)
            .where(A.c.customer_id.in_([surviving_id, *merged]))
            .order_by(A.c.customer_id)
            .with_for_update()
        ).all()
    }
    survivor = _locked(rows[surviving_id])
    best = survivor.tier, survivor.tier_since, survivor.tier_review_at
    moved = 0
    merged_now: list[str] = []
    for mid in merged:
        row = rows.get(mid)
        if row is None or row.merged_into is not None:
            continue
        giver = _locked(row)
        key = f"merge:{merge_id}:{mid}"
        if _by_key(uow, key) is not None:
            continue
        uow.session.execute(update(L).where(L.c.customer_id == mid).values(customer_id=surviving_id))
        out = giver.entry(
            "merge_out",
            -giver.balance,
            key=key,
            reference=merge_id,
            related_entry_id=None,
            reason=f"merged into {surviving_id}",
        )
        survivor.entry(
            "merge_in",
            giver.balance,
            key=f"{key}:in",
            reference=merge_id,
            related_entry_id=out["id"],
            reason=f"merged from {mid}",
        )
        survivor.lifetime_delta += giver.lifetime_points
        giver.lifetime_delta -= giver.lifetime_points
        moved += giver.balance
        _write(uow, giver)
        uow.session.execute(
            update(A)
            .where(A.c.customer_id == mid)
            .values(merged_into=surviving_id, tier=None, tier_since=None, tier_review_at=None)
        )
        if policies.rank(rules, giver.tier) > policies.rank(rules, best[0]):
            best = giver.tier, giver.tier_since, giver.tier_review_at
        merged_now.append(mid)
    if not merged_now:
        return 0
    uow.session.execute(update(A).where(A.c.merged_into.in_(merged_now)).values(merged_into=surviving_id))
    # The best tier among the merged accounts, then a promotion if their points together reach higher.
    qualifying = _qualifying(uow, surviving_id, rules, now)
    decision = policies.promote(rules, *best, qualifying, now)
    if decision.tier == best[0] and best[0] != survivor.tier:
        decision = policies.TierDecision(best[0], True, best[1], best[2])
    _write(uow, survivor, tier=decision)
    uow.record(
        LedgersMerged(
            surviving_id=surviving_id, merged_ids=merged_now, points_moved=moved, balance=survivor.balance
        )
    )
    if decision.tier != survivor.tier:
        uow.record(_tier_event(survivor, decision, rules))
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
    rows = {
        r.customer_id: r
        for r in uow.session.execute(
            select(A)
            .where(A.c.customer_id.in_([surviving_id, *restored]))
            .order_by(A.c.customer_id)
            .with_for_update()
        ).all()
    }
    if surviving_id not in rows:
        return 0
    survivor = _locked(rows[surviving_id])
    moved = 0
    restored_now: list[str] = []
    for rid in restored:
        row = rows.get(rid)
        if row is None or row.merged_into != surviving_id:
            continue
        key = f"unmerge:{merge_id}:{rid}"
        if _by_key(uow, key) is not None:
            continue
        theirs = select(E.c.id).where(E.c.customer_id == rid)
        lots = uow.session.execute(
            select(L.c.id, L.c.remaining).where(L.c.customer_id == surviving_id, L.c.entry_id.in_(theirs))
        ).all()
        points = sum(lot.remaining for lot in lots)
        if lots:
            uow.session.execute(update(L).where(L.c.id.in_([lot.id for lot in lots])).values(customer_id=rid))
        back = _locked(row)
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
        uow.session.execute(update(A).where(A.c.customer_id == rid).values(merged_into=None))
        qualifying = int(
            uow.session.execute(
                select(func.coalesce(func.sum(E.c.qualifying), 0)).where(
                    E.c.customer_id == rid,
                    E.c.occurred_at >= policies.add_months(now, -rules.qualification_months),
                )
            ).scalar_one()
        )
        _write(uow, back, tier=policies.review(rules, None, None, qualifying, now))
        moved += points
        restored_now.append(rid)
    if restored_now:
        _write(uow, survivor)
        uow.record(
            LedgersUnmerged(
                surviving_id=surviving_id,
                restored_ids=restored_now,
                points_moved=moved,
                balance=survivor.balance,
            )
        )
    return moved


# -- periodic work ----------------------------------------------------------------------------------------------


def expire_points(uow: UnitOfWork, *, now: datetime | None = None, limit: int = 500) -> ExpiryRunOut:
    """Expire the points left in lots whose date passed, for up to ``limit`` members at a time."""
    now = now or clock.now()
    customers = (
        uow.session.execute(
            select(L.c.customer_id)
            .where(L.c.remaining > 0, L.c.expires_at <= now)
            .group_by(L.c.customer_id)
            .order_by(L.c.customer_id)
            .limit(limit)
        )
        .scalars()
        .all()
    )
    total = 0
    for customer_id in customers:
        acct = _lock(uow, customer_id, create=False)
        if acct is None:
            continue
        acct.now = now
        _, expired = acct.expire_due(_live_lots(uow, acct.customer_id))
        if expired is None:
            continue
        _write(uow, acct)
        uow.record(expired)
        total += expired.points
    return ExpiryRunOut(accounts=len(customers), points=total)


def review_tiers(uow: UnitOfWork, *, now: datetime | None = None, limit: int = 500) -> int:
    """The yearly tier review of members whose window ended; returns how many tiers changed."""
    now = now or clock.now()
    rules = programme_rules(uow)
    due = (
        uow.session.execute(
            select(A.c.customer_id)
            .where(A.c.tier_review_at <= now, A.c.merged_into.is_(None))
            .order_by(A.c.customer_id)
            .limit(limit)
        )
        .scalars()
        .all()
    )
    changed = 0
    for customer_id in due:
        acct = _lock(uow, customer_id, create=False)
        if acct is None:
            continue
        acct.now = now
        decision = policies.review(
            rules, acct.tier, acct.tier_since, _qualifying(uow, customer_id, rules, now), now
        )
        _write(uow, acct, tier=decision)
        if decision.changed:
            uow.record(_tier_event(acct, decision, rules))
            changed += 1
    return changed


# -- reading ------------------------------------------------------------------------------------------------


def history(
    uow: UnitOfWork, customer_id: str, *, cursor: str | None = None, limit: int = 50
) -> Page[LedgerEntryOut]:
    """The ledger of a member, newest first (with the entries of customers merged into them)."""
    customer_id = _resolve(uow, customer_id)
    limit = max(1, min(limit, MAX_HISTORY_PAGE))
    aliases = select(A.c.customer_id).where(A.c.merged_into == customer_id)
    stmt = select(E).where(or_(E.c.customer_id == customer_id, E.c.customer_id.in_(aliases)))
    if cursor:
        stmt = stmt.where(E.c.id < decode_cursor(cursor))
    rows = uow.session.execute(stmt.order_by(E.c.id.desc()).limit(limit + 1)).all()
    page = rows[:limit]
    return Page[LedgerEntryOut](
        items=[_entry_out(r) for r in page],
        next_cursor=encode_cursor(page[-1].id) if len(rows) > limit and page else None,
    )


def get_reward(uow: UnitOfWork, code: str) -> tuple[ProgrammeRules, RewardRule]:
    rules = programme_rules(uow)
    reward = next((r for r in rules.rewards if r.code == code), None)
    if reward is None:
        raise NotFound(f"The rewards catalogue has no reward {code!r}.", slug="reward-not-found")
    if not reward.active:
        raise RewardUnavailable(f"The reward {code!r} is no longer offered.")
    return rules, reward


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
        reward=_reward_out(rules, reward),
        coupon_code=coupon.code,
        promotion_id=coupon.promotion_id,
        valid_until=coupon.valid_until,
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
