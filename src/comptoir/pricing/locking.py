"""The one place pricing serialises writes: coupon uses, per-customer uses and promotion budgets.

Every counter moves by a guarded ``UPDATE … WHERE <still allowed>`` whose row count is checked, in a
fixed order (promotions by id, then coupons by code, then per-customer rows by code) so concurrent
orders never deadlock. On PostgreSQL a racing UPDATE waits for the other transaction and re-checks
its WHERE against the committed row: the last use or the last euro of budget goes to exactly one order.

Only a promotion with a budget or a use cap has something to guard: its row is updated (and so locked
until the order commits). A promotion without either — a site-wide sale, free delivery — is never
locked: every order using it writes only its own redemption rows, the ledger its usage is read from
(:func:`comptoir.pricing.promotions.ledger_usage`), so checkouts using it do not wait for each other.
A coupon code is the same: only one with ``max_uses`` is counted on its row; per-customer uses are
rows of their own (one customer's orders wait for each other, nobody else's).
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from sqlalchemy import select, update

from comptoir.core import clock
from comptoir.core.db import insert_ignore
from comptoir.core.uow import UnitOfWork
from comptoir.pricing import catalogue, policies
from comptoir.pricing.errors import CouponUnavailable, PromotionBudgetExhausted
from comptoir.pricing.events import PromotionsCommitted, PromotionsReleased
from comptoir.pricing.models import Coupon, CouponCustomerUse, Promotion, Redemption, table
from comptoir.pricing.promotions import mark_exhausted
from comptoir.pricing.schemas import Adjustment, PricedCart

ZERO = Decimal(0)


def _consumption(priced: PricedCart) -> tuple[dict[str, Decimal], dict[str, str]]:
    """Discount given per promotion (positive) and the coupon that unlocked it."""
    amounts: dict[str, Decimal] = defaultdict(lambda: ZERO)
    codes: dict[str, str] = {}
    adjustments: list[Adjustment] = [a for line in priced.lines for a in line.adjustments]
    adjustments += [a for line in priced.gift_lines for a in line.adjustments]
    adjustments += priced.cart_adjustments
    for a in adjustments:
        amounts[a.promotion_id] += -a.amount
        if a.code:
            codes[a.promotion_id] = a.code
    return dict(amounts), codes


def commit_promotions(uow: UnitOfWork, order_id: str, customer_id: str | None, priced: PricedCart) -> None:
    """Record the coupon uses and budget an order consumes; idempotent by ``order_id``. Raises
    ``PromotionBudgetExhausted`` or ``CouponUnavailable`` (409) when a racing order took the last of it."""
    amounts, codes = _consumption(priced)
    if not amounts:
        return
    already = uow.session.execute(
        select(Redemption.id).where(Redemption.order_id == order_id).limit(1)
    ).first()
    if already is not None:
        return
    limited = _count_capped_promotions(uow, amounts)
    coupon_codes = sorted(set(codes.values()))
    _count_coupon_uses(uow, coupon_codes, customer_id)
    now = clock.now()
    uow.session.execute(
        table(Redemption).insert(),
        [
            {
                "order_id": order_id,
                "promotion_id": promotion_id,
                "coupon_code": codes.get(promotion_id),
                "customer_id": customer_id,
                "amount": policies.money(amount),
                "currency": priced.currency,
                "committed_at": now,
                "released_at": None,
            }
            for promotion_id, amount in sorted(amounts.items())
        ],
    )
    mark_exhausted(uow, limited)
    uow.record(
        PromotionsCommitted(
            order_id=order_id,
            customer_id=customer_id,
            promotion_ids=sorted(amounts),
            coupons=coupon_codes,
            discount_total=str(policies.money(sum(amounts.values(), ZERO))),
            currency=priced.currency,
        )
    )


def _count_capped_promotions(uow: UnitOfWork, amounts: dict[str, Decimal]) -> list[str]:
    """One guarded UPDATE per capped promotion (by id); returns those whose counters moved."""
    p = table(Promotion)
    limited: list[str] = []
    for promotion_id in _capped(uow, sorted(amounts)):
        amount = policies.money(amounts[promotion_id])
        result = uow.session.execute(
            update(p)
            .where(
                p.c.id == promotion_id,
                (p.c.budget.is_(None)) | (p.c.budget_used + amount <= p.c.budget),
                (p.c.max_uses.is_(None)) | (p.c.uses < p.c.max_uses),
            )
            .values(budget_used=p.c.budget_used + amount, uses=p.c.uses + 1)
            .returning(p.c.budget, p.c.max_uses)
        ).first()
        if result is None:
            raise PromotionBudgetExhausted(promotion_id)
        if result.budget is not None or result.max_uses is not None:
            limited.append(promotion_id)
    return limited


def _count_coupon_uses(uow: UnitOfWork, coupon_codes: list[str], customer_id: str | None) -> None:
    """Each coupon's use, then each per-customer use, guarded (by code): 409 when a racing order took it."""
    c = table(Coupon)
    rules = {r.code: r for r in uow.session.execute(select(c).where(c.c.code.in_(coupon_codes)))}
    for code in coupon_codes:
        rule = rules.get(code)
        if rule is None:
            raise CouponUnavailable(code, "unknown")
        if rule.customer_id is not None and rule.customer_id != customer_id:
            raise CouponUnavailable(code, "not_for_customer")
        if rule.max_uses_per_customer is not None and customer_id is None:
            raise CouponUnavailable(code, "customer_required")
        if rule.max_uses is None:
            continue  # a shared code without a cap: its uses are its redemptions, its row is not locked
        done = uow.session.execute(
            update(c)
            .where(
                c.c.code == code,
                c.c.status == "active",
                (c.c.max_uses.is_(None)) | (c.c.uses < c.c.max_uses),
            )
            .values(uses=c.c.uses + 1)
        )
        if done.rowcount != 1:  # type: ignore[attr-defined]
            raise CouponUnavailable(code, "exhausted")
    u = table(CouponCustomerUse)
    for code in coupon_codes:
        limit = rules[code].max_uses_per_customer
        if limit is None or customer_id is None:
            continue
        insert_ignore(uow.session, CouponCustomerUse, [{"code": code, "customer_id": customer_id, "uses": 0}])
        done = uow.session.execute(
            update(u)
            .where(u.c.code == code, u.c.customer_id == customer_id, u.c.uses < limit)
            .values(uses=u.c.uses + 1)
        )
        if done.rowcount != 1:  # type: ignore[attr-defined]
            raise CouponUnavailable(code, "used_by_customer")


def _capped(uow: UnitOfWork, promotion_ids: list[str]) -> list[str]:
    """The promotions among these with a budget or a use cap (a plain read: nothing is locked)."""
    p = table(Promotion)
    return list(
        uow.session.scalars(
            select(p.c.id)
            .where(p.c.id.in_(promotion_ids), p.c.budget.is_not(None) | p.c.max_uses.is_not(None))
            .order_by(p.c.id)
        )
    )


def release_promotions(uow: UnitOfWork, order_id: str) -> None:
    """Give back what a cancelled order consumed (budget, promotion and coupon uses); idempotent."""
    r = table(Redemption)
    rows = uow.session.execute(
        select(r).where(r.c.order_id == order_id, r.c.released_at.is_(None)).order_by(r.c.promotion_id)
    ).all()
    if not rows:
        return
    p = table(Promotion)
    c = table(Coupon)
    u = table(CouponCustomerUse)
    reopened = False
    for row in rows:
        back = uow.session.execute(
            update(p)
            .where(p.c.id == row.promotion_id, p.c.budget.is_not(None) | p.c.max_uses.is_not(None))
            .values(budget_used=p.c.budget_used - row.amount, uses=p.c.uses - 1)
            .returning(p.c.exhausted, p.c.budget, p.c.budget_used, p.c.max_uses, p.c.uses)
        ).first()
        if back is not None and back.exhausted:
            under_budget = back.budget is None or back.budget_used < back.budget
            under_uses = back.max_uses is None or back.uses < back.max_uses
            if under_budget and under_uses:
                uow.session.execute(update(p).where(p.c.id == row.promotion_id).values(exhausted=False))
                reopened = True
    for code in sorted({row.coupon_code for row in rows if row.coupon_code}):
        uow.session.execute(
            update(c)
            .where(c.c.code == code, c.c.max_uses.is_not(None), c.c.uses > 0)
            .values(uses=c.c.uses - 1)
        )
        customer_id = next(row.customer_id for row in rows if row.coupon_code == code)
        if customer_id is not None:
            uow.session.execute(
                update(u)
                .where(u.c.code == code, u.c.customer_id == customer_id, u.c.uses > 0)
                .values(uses=u.c.uses - 1)
            )
    uow.session.execute(
        update(r).where(r.c.order_id == order_id, r.c.released_at.is_(None)).values(released_at=clock.now())
    )
    if reopened:
        catalogue.bump(uow)
    uow.record(
        PromotionsReleased(
            order_id=order_id,
            promotion_ids=[row.promotion_id for row in rows],
            coupons=sorted({row.coupon_code for row in rows if row.coupon_code}),
        )
    )
