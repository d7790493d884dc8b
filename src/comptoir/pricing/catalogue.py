"""The price lists and live promotions, cached in each process and checked against a version row.

Every pricing reads ``pricing_state.version`` (one primary-key read, in the same statement as the
prices when there are some). When it differs from the cached one the whole set is loaded again with
two Core queries; every change of a price list, promotion or
coupon definition bumps the version in the same transaction, so another process never prices with a
stale set once the change is committed.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select, update

from comptoir.core.cache import VersionedCache
from comptoir.core.db import insert_ignore
from comptoir.core.uow import UnitOfWork
from comptoir.pricing import policies
from comptoir.pricing.models import PriceList, PricingState, Promotion, table

STATE_KEY = "catalogue"


@dataclass(frozen=True, slots=True)
class PromoDef:
    id: str
    name: str
    label: str
    kind: str
    currency: str
    starts_at: datetime | None
    ends_at: datetime | None
    priority: int
    stacking: str
    channels: tuple[str, ...]
    segments: tuple[str, ...]
    tiers: tuple[str, ...]
    params: dict[str, Any]
    requires_coupon: bool
    budget: Decimal | None
    max_uses: int | None
    created_at: datetime

    def live(self, at: datetime) -> bool:
        return policies.in_window(at, self.starts_at, self.ends_at)

    def to_promo(
        self, code: str | None = None, amount: Decimal | None = None, label: str = ""
    ) -> policies.Promo:
        params = self.params if amount is None else {**self.params, "amount": str(amount), "scope": "cart"}
        return policies.Promo(
            id=self.id,
            kind=self.kind,
            label=label or self.label,
            priority=self.priority,
            stacking=self.stacking,
            params=params,
            code=code,
            starts_at=self.starts_at or self.created_at,
        )


@dataclass(frozen=True, slots=True)
class Catalogue:
    version: int
    lists: dict[str, policies.ListRule]
    promotions: dict[str, PromoDef]
    automatic: tuple[tuple[PromoDef, policies.Promo], ...]  # those that apply without a coupon
    needs_segments: bool  # some list or promotion targets customer segments
    needs_tiers: bool
    gift_skus: frozenset[str]
    # Omnibus references already computed: they look only at the past, so they never change
    # (the key holds everything they depend on, the set's version included).
    references: dict[tuple[Any, ...], Decimal | None] = field(default_factory=dict)


_cache: VersionedCache[str, Catalogue] = VersionedCache(lambda catalogue: catalogue.version)


def _db_key(uow: UnitOfWork) -> str:
    return uow.db.url


# Built once: every priced cart reads it (alone, or as a column of the prices it reads).
VERSION = select(table(PricingState).c.version).where(table(PricingState).c.key == STATE_KEY)


def current_version(uow: UnitOfWork) -> int:
    version = uow.session.connection().execute(VERSION).scalar_one_or_none()
    return version or 0


def bump(uow: UnitOfWork) -> None:
    """Mark the cached set stale in every process (call in the transaction that changes it)."""
    new = secrets.randbits(62) + 1
    result = uow.session.execute(
        update(PricingState).where(PricingState.key == STATE_KEY).values(version=new)
    )
    if result.rowcount == 0:  # type: ignore[attr-defined]
        insert_ignore(uow.session, PricingState, [{"key": STATE_KEY, "version": new}])
        uow.session.execute(update(PricingState).where(PricingState.key == STATE_KEY).values(version=new))


def cached(uow: UnitOfWork) -> Catalogue | None:
    """The set this process holds, unchecked (the caller compares its version with one read later)."""
    return _cache.get(_db_key(uow))


def load(uow: UnitOfWork) -> Catalogue:
    version = current_version(uow)
    key = _db_key(uow)
    cached = _cache.current(key, version)
    if cached is not None:
        return cached
    return _cache.put(key, _read(uow, version))


def clear() -> None:
    _cache.clear()


def _read(uow: UnitOfWork, version: int) -> Catalogue:
    t = table(PriceList)
    lists = {
        r.id: policies.ListRule(
            id=r.id,
            code=r.code,
            name=r.name,
            currency=r.currency,
            channels=tuple(r.channels or ()),
            store_ids=tuple(r.store_ids or ()),
            customer_groups=tuple(r.customer_groups or ()),
            priority=r.priority,
            prices_include_tax=r.prices_include_tax,
            is_sale=r.is_sale,
            valid_from=r.valid_from,
            valid_until=r.valid_until,
        )
        for r in uow.session.connection().execute(select(t).where(t.c.active.is_(True)))
    }
    p = table(Promotion)
    rows = uow.session.connection().execute(
        select(p).where(p.c.status == "active", p.c.exhausted.is_(False)).order_by(p.c.id)
    )
    promotions = {}
    for r in rows:
        promotions[r.id] = PromoDef(
            id=r.id,
            name=r.name,
            label=r.label,
            kind=r.kind,
            currency=r.currency,
            starts_at=r.starts_at,
            ends_at=r.ends_at,
            priority=r.priority,
            stacking=r.stacking,
            channels=tuple(r.channels or ()),
            segments=tuple(r.segments or ()),
            tiers=tuple(r.tiers or ()),
            params=dict(r.params or {}),
            requires_coupon=r.requires_coupon,
            budget=r.budget,
            max_uses=r.max_uses,
            created_at=r.created_at,
        )
    automatic = tuple((d, d.to_promo()) for d in promotions.values() if not d.requires_coupon)
    return Catalogue(
        version=version,
        lists=lists,
        promotions=promotions,
        automatic=automatic,
        needs_segments=any(rule.customer_groups for rule in lists.values())
        or any(d.segments for d in promotions.values()),
        needs_tiers=any(d.tiers for d in promotions.values()),
        gift_skus=frozenset(str(d.params["gift_sku"]) for d in promotions.values() if d.kind == "gift"),
    )
