"""Promotions ("commercial operations") and their coupons: define, change, stop, generate codes."""

from __future__ import annotations

import os
from datetime import datetime
from decimal import Decimal

from sqlalchemy import and_, func, or_, select, update

from comptoir.core import clock
from comptoir.core.db import insert_ignore
from comptoir.core.errors import Conflict, InvalidInput, check_version, not_found
from comptoir.core.ids import new_id
from comptoir.core.pagination import MAX_LIMIT, Page, decode_cursor, encode_cursor
from comptoir.core.uow import UnitOfWork
from comptoir.pricing import catalogue, policies, promotion_rules
from comptoir.pricing.events import CouponIssued, PromotionEnded, PromotionStarted
from comptoir.pricing.models import Coupon, Promotion, Redemption, table
from comptoir.pricing.policies import ZERO
from comptoir.pricing.schemas import (
    CouponBatchIn,
    CouponBatchOut,
    CouponIn,
    CouponOut,
    IssueCouponIn,
    PromotionIn,
    PromotionOut,
    PromotionPatch,
)


def _check_params(kind: str, params: dict[str, object]) -> None:
    errors = promotion_rules.validate_params(kind, params)
    if errors:
        raise InvalidInput(
            errors[0][1], errors=[{"pointer": "#/" + name, "detail": message} for name, message in errors]
        )


def running(row: Promotion, at: datetime) -> bool:
    return row.status == "active" and not row.exhausted and policies.in_window(at, row.starts_at, row.ends_at)


def capped(row: Promotion) -> bool:
    """A budget or a use cap: its counters are kept on the row, guarded (pricing.locking)."""
    return row.budget is not None or row.max_uses is not None


def ledger_usage(uow: UnitOfWork, promotion_ids: list[str]) -> dict[str, tuple[int, Decimal]]:
    """Orders using each promotion and the discount they got, from its redemptions not given back."""
    if not promotion_ids:
        return {}
    r = table(Redemption)
    rows = uow.session.execute(
        select(r.c.promotion_id, func.count(), func.coalesce(func.sum(r.c.amount), 0))
        .where(r.c.promotion_id.in_(promotion_ids), r.c.released_at.is_(None))
        .group_by(r.c.promotion_id)
    ).all()
    return {pid: (int(n), Decimal(amount)) for pid, n, amount in rows}


def _outs(uow: UnitOfWork, rows: list[Promotion]) -> list[PromotionOut]:
    """Uncapped promotions keep no counters (nothing locks them): their usage is read from the ledger."""
    usage = ledger_usage(uow, [r.id for r in rows if not capped(r)])
    return [to_out(r, None if capped(r) else usage.get(r.id, (0, ZERO))) for r in rows]


def to_out(row: Promotion, usage: tuple[int, Decimal] | None = None) -> PromotionOut:
    """``usage``: (uses, discount given) of an uncapped promotion, from :func:`ledger_usage`."""
    uses, budget_used = usage if usage is not None else (row.uses, row.budget_used)
    return PromotionOut(
        id=row.id,
        name=row.name,
        label=row.label,
        kind=row.kind,
        status=row.status,
        running=running(row, clock.now()),
        currency=row.currency,
        params=dict(row.params),
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        priority=row.priority,
        stacking=row.stacking,
        channels=list(row.channels),
        segments=list(row.segments),
        tiers=list(row.tiers),
        requires_coupon=row.requires_coupon,
        budget=policies.money(row.budget) if row.budget is not None else None,
        budget_used=policies.money(budget_used),
        max_uses=row.max_uses,
        uses=uses,
        exhausted=row.exhausted,
        version=row.version,
    )


def _load(uow: UnitOfWork, promotion_id: str) -> Promotion:
    row = uow.session.get(Promotion, promotion_id)
    if row is None:
        raise not_found("Promotion", promotion_id)
    return row


def _announce_if_running(uow: UnitOfWork, row: Promotion) -> None:
    if running(row, clock.now()) and not row.started_announced:
        row.started_announced = True
        uow.record(started_event(row))


def started_event(row: Promotion) -> PromotionStarted:
    return PromotionStarted(
        promotion_id=row.id,
        name=row.name,
        kind=row.kind,
        channels=list(row.channels),
        starts_at=row.starts_at.isoformat() if row.starts_at else None,
        ends_at=row.ends_at.isoformat() if row.ends_at else None,
    )


def ended_event(row: Promotion, reason: str) -> PromotionEnded:
    return PromotionEnded(promotion_id=row.id, name=row.name, kind=row.kind, reason=reason)


def create_promotion(uow: UnitOfWork, cmd: PromotionIn) -> PromotionOut:
    _check_params(cmd.kind, cmd.params)
    row = Promotion(
        id=new_id("prm"),
        name=cmd.name,
        label=cmd.label or cmd.name,
        kind=cmd.kind,
        status=cmd.status,
        currency=cmd.currency,
        starts_at=cmd.starts_at,
        ends_at=cmd.ends_at,
        priority=cmd.priority,
        stacking=cmd.stacking,
        channels=cmd.channels,
        segments=sorted(set(cmd.segments)),
        tiers=sorted(set(cmd.tiers)),
        params=cmd.params,
        requires_coupon=cmd.requires_coupon,
        budget=cmd.budget,
        budget_used=Decimal(0),
        max_uses=cmd.max_uses,
        uses=0,
        exhausted=False,
        started_announced=False,
        ended_announced=False,
    )
    uow.session.add(row)
    uow.session.flush()
    _announce_if_running(uow, row)
    catalogue.bump(uow)
    return to_out(row)


def update_promotion(
    uow: UnitOfWork, promotion_id: str, patch: PromotionPatch, expected_version: int | None = None
) -> PromotionOut:
    row = _load(uow, promotion_id)
    check_version(row.version, expected_version)
    was_running = running(row, clock.now())
    values = patch.model_dump(exclude_unset=True)
    if "params" in values:
        _check_params(row.kind, values["params"] or {})
    for name, value in values.items():
        setattr(row, name, value)
    if row.starts_at and row.ends_at and row.ends_at <= row.starts_at:
        raise InvalidInput("ends_at must come after starts_at", field="ends_at")
    if capped(row) and ("budget" in values or "max_uses" in values):
        # An uncapped promotion kept no counters: a new cap starts from what its orders already used.
        row.uses, row.budget_used = ledger_usage(uow, [row.id]).get(row.id, (0, ZERO))
    if row.budget is not None:
        row.exhausted = row.budget_used >= row.budget
    uow.session.flush()
    if was_running and not running(row, clock.now()) and not row.ended_announced:
        row.ended_announced = True
        uow.record(ended_event(row, "stopped" if row.status == "stopped" else "changed"))
    elif running(row, clock.now()):
        row.ended_announced = False
        _announce_if_running(uow, row)
    catalogue.bump(uow)
    return _outs(uow, [row])[0]


def stop_promotion(uow: UnitOfWork, promotion_id: str) -> PromotionOut:
    return update_promotion(uow, promotion_id, PromotionPatch(status="stopped"))


def get_promotion(uow: UnitOfWork, promotion_id: str) -> PromotionOut:
    return _outs(uow, [_load(uow, promotion_id)])[0]


def promotions_page(
    uow: UnitOfWork, *, status: str | None, running_only: bool, cursor: str | None, limit: int
) -> Page[PromotionOut]:
    """Promotions, highest priority first then oldest, a page after ``cursor`` (``<priority>:<id>``)."""
    q = select(Promotion).where(Promotion.kind != "voucher")
    if status:
        q = q.where(Promotion.status == status)
    if running_only:
        now = clock.now()
        q = q.where(
            Promotion.status == "active",
            Promotion.exhausted.is_(False),
            or_(Promotion.starts_at.is_(None), Promotion.starts_at <= now),
            or_(Promotion.ends_at.is_(None), Promotion.ends_at > now),
        )
    if cursor:
        priority, _, after = decode_cursor(cursor, _promotion_key).partition(":")
        q = q.where(
            or_(
                Promotion.priority < int(priority),
                and_(Promotion.priority == int(priority), Promotion.id > after),
            )
        )
    limit = max(1, min(limit, MAX_LIMIT))
    rows = list(uow.session.scalars(q.order_by(Promotion.priority.desc(), Promotion.id).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = encode_cursor(f"{rows[-1].priority}:{rows[-1].id}") if more else None
    return Page[PromotionOut](items=[to_out(r) for r in rows], next_cursor=next_cursor)


def _promotion_key(raw: str) -> str:
    priority, sep, ident = raw.partition(":")
    int(priority)  # ValueError: not a cursor of this list
    if not sep or not ident:
        raise ValueError("not a promotion cursor")
    return raw


def list_promotions(
    uow: UnitOfWork, *, status: str | None = None, running_only: bool = False
) -> list[PromotionOut]:
    q = select(Promotion).where(Promotion.kind != "voucher")
    if status:
        q = q.where(Promotion.status == status)
    rows = uow.session.execute(q.order_by(Promotion.priority.desc(), Promotion.id)).scalars()
    outs = _outs(uow, list(rows))
    return [o for o in outs if o.running] if running_only else outs


# -- coupons ------------------------------------------------------------------------------------
def coupon_ledger_uses(uow: UnitOfWork, codes: list[str]) -> dict[str, int]:
    """Orders using each coupon, from the redemptions not given back."""
    if not codes:
        return {}
    r = table(Redemption)
    rows = uow.session.execute(
        select(r.c.coupon_code, func.count(func.distinct(r.c.order_id)))
        .where(r.c.coupon_code.in_(codes), r.c.released_at.is_(None))
        .group_by(r.c.coupon_code)
    ).all()
    return {code: int(n) for code, n in rows}


def _coupon_outs(uow: UnitOfWork, rows: list[Coupon]) -> list[CouponOut]:
    """A coupon without a use cap keeps no counter (nothing locks it): its uses come from the ledger."""
    uses = coupon_ledger_uses(uow, [r.code for r in rows if r.max_uses is None])
    return [coupon_out(r, uses=None if r.max_uses is not None else uses.get(r.code, 0)) for r in rows]


def coupon_out(row: Coupon, at: datetime | None = None, *, uses: int | None = None) -> CouponOut:
    at = at or clock.now()
    if row.status != "active":
        status = "disabled"
    elif row.valid_until is not None and at >= row.valid_until:
        status = "expired"
    elif row.max_uses is not None and row.uses >= row.max_uses:
        status = "used"
    else:
        status = "active"
    return CouponOut(
        code=row.code,
        promotion_id=row.promotion_id,
        customer_id=row.customer_id,
        label=row.label,
        amount=policies.money(row.amount) if row.amount is not None else None,
        currency=row.currency,
        valid_from=row.valid_from,
        valid_until=row.valid_until,
        max_uses=row.max_uses,
        max_uses_per_customer=row.max_uses_per_customer,
        uses=row.uses if uses is None else uses,
        status=status,
        reference=row.reference,
    )


def _random_code(prefix: str) -> str:
    return policies.coupon_code(os.urandom(10), prefix)


def create_coupon(uow: UnitOfWork, promotion_id: str, cmd: CouponIn) -> CouponOut:
    promo = _load(uow, promotion_id)
    code = (cmd.code or _random_code("")).upper()
    if uow.session.get(Coupon, code) is not None:
        raise Conflict(f"Coupon {code} exists.", slug="coupon-exists")
    row = Coupon(
        code=code,
        promotion_id=promo.id,
        customer_id=cmd.customer_id,
        label="",
        max_uses=cmd.max_uses,
        max_uses_per_customer=cmd.max_uses_per_customer,
        valid_from=cmd.valid_from,
        valid_until=cmd.valid_until,
        uses=0,
        status="active",
        created_at=clock.now(),
    )
    uow.session.add(row)
    if not promo.requires_coupon:
        promo.requires_coupon = True
    uow.session.flush()
    catalogue.bump(uow)
    return coupon_out(row)


def create_coupon_batch(uow: UnitOfWork, promotion_id: str, cmd: CouponBatchIn) -> CouponBatchOut:
    promo = _load(uow, promotion_id)
    batch_id = new_id("cpb")
    now = clock.now()
    codes: list[str] = []
    while len(codes) < cmd.count:
        wanted = {_random_code(cmd.prefix) for _ in range(cmd.count - len(codes))}
        rows = [
            {
                "code": code,
                "promotion_id": promo.id,
                "customer_id": None,
                "label": "",
                "max_uses": cmd.max_uses,
                "max_uses_per_customer": cmd.max_uses_per_customer,
                "valid_from": cmd.valid_from,
                "valid_until": cmd.valid_until,
                "uses": 0,
                "status": "active",
                "batch_id": batch_id,
                "created_at": now,
            }
            for code in sorted(wanted)
        ]
        insert_ignore(uow.session, Coupon, rows)
        codes = list(uow.session.execute(select(Coupon.code).where(Coupon.batch_id == batch_id)).scalars())
    promo.requires_coupon = True
    uow.session.flush()
    catalogue.bump(uow)
    return CouponBatchOut(batch_id=batch_id, promotion_id=promo.id, codes=sorted(codes))


def get_coupon(uow: UnitOfWork, code: str) -> CouponOut:
    row = uow.session.get(Coupon, code.strip().upper())
    if row is None:
        raise not_found("Coupon", code)
    return _coupon_outs(uow, [row])[0]


def disable_coupon(uow: UnitOfWork, code: str) -> CouponOut:
    row = uow.session.get(Coupon, code.strip().upper())
    if row is None:
        raise not_found("Coupon", code)
    row.status = "disabled"
    uow.session.flush()
    return _coupon_outs(uow, [row])[0]


def _voucher_promotion(uow: UnitOfWork, currency: str) -> Promotion:
    """The one promotion every issued voucher of a currency hangs from (applied after the others)."""
    pid = f"prm_vouchers_{currency.lower()}"
    row = uow.session.get(Promotion, pid)
    if row is not None:
        return row
    insert_ignore(
        uow.session,
        Promotion,
        [
            {
                "id": pid,
                "name": f"Vouchers ({currency})",
                "label": "Voucher",
                "kind": "voucher",
                "status": "active",
                "currency": currency,
                "priority": -1000,
                "stacking": "stackable",
                "channels": [],
                "segments": [],
                "tiers": [],
                "params": {"scope": "cart"},
                "requires_coupon": True,
                "budget_used": Decimal(0),
                "uses": 0,
                "exhausted": False,
                "started_announced": True,
                "ended_announced": False,
                "version": 1,
                "created_at": clock.now(),
                "updated_at": clock.now(),
            }
        ],
    )
    catalogue.bump(uow)
    return uow.session.get(Promotion, pid)  # type: ignore[return-value]


def issue_coupon(uow: UnitOfWork, cmd: IssueCouponIn) -> CouponOut:
    """A personal, single-use, fixed-amount voucher (loyalty rewards, return vouchers); the same
    ``reference`` gives back the same coupon."""
    existing = uow.session.execute(
        select(Coupon).where(Coupon.reference == cmd.reference)
    ).scalar_one_or_none()
    if existing is not None:
        return _coupon_outs(uow, [existing])[0]
    promo = _voucher_promotion(uow, cmd.currency)
    row = Coupon(
        code=_random_code("V-"),
        promotion_id=promo.id,
        customer_id=cmd.customer_id,
        label=cmd.label,
        amount=policies.money(cmd.amount),
        currency=cmd.currency,
        valid_from=None,
        valid_until=cmd.valid_until,
        max_uses=1,
        max_uses_per_customer=None,
        uses=0,
        status="active",
        reference=cmd.reference,
        created_at=clock.now(),
    )
    uow.session.add(row)
    uow.session.flush()
    uow.record(
        CouponIssued(
            code=row.code,
            promotion_id=promo.id,
            customer_id=cmd.customer_id,
            amount=str(row.amount),
            currency=cmd.currency,
            reference=cmd.reference,
        )
    )
    return coupon_out(row)


def coupons_of(uow: UnitOfWork, customer_id: str) -> list[CouponOut]:
    rows = uow.session.execute(
        select(Coupon).where(Coupon.customer_id == customer_id).order_by(Coupon.created_at.desc())
    ).scalars()
    return _coupon_outs(uow, list(rows))


def announce_windows(uow: UnitOfWork) -> int:
    """Record ``promotion_started`` / ``promotion_ended`` for promotions whose window opened or closed."""
    now = clock.now()
    count = 0
    rows = uow.session.execute(
        select(Promotion).where(
            Promotion.status == "active",
            Promotion.kind != "voucher",
            (Promotion.started_announced.is_(False)) | (Promotion.ended_announced.is_(False)),
        )
    ).scalars()
    for row in rows:
        if not row.started_announced and running(row, now):
            row.started_announced = True
            uow.record(started_event(row))
            count += 1
        elif row.started_announced and not row.ended_announced and row.ends_at and now >= row.ends_at:
            row.ended_announced = True
            uow.record(ended_event(row, "expired"))
            count += 1
    uow.session.flush()
    return count


def mark_exhausted(uow: UnitOfWork, promotion_ids: list[str]) -> None:
    """Promotions whose budget or uses ran out leave every process's cache (and announce their end)."""
    if not promotion_ids:
        return
    t = table(Promotion)
    done = uow.session.execute(
        update(t)
        .where(
            t.c.id.in_(promotion_ids),
            t.c.exhausted.is_(False),
            ((t.c.budget.is_not(None)) & (t.c.budget_used >= t.c.budget))
            | ((t.c.max_uses.is_not(None)) & (t.c.uses >= t.c.max_uses)),
        )
        .values(exhausted=True)
        .returning(t.c.id, t.c.name, t.c.kind)
    ).all()
    for r in done:
        uow.record(PromotionEnded(promotion_id=r.id, name=r.name, kind=r.kind, reason="budget_exhausted"))
    if done:
        catalogue.bump(uow)
