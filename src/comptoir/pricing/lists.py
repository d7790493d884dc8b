"""Price lists, their prices and the price history (every change kept, for the Omnibus reference)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select, update

from comptoir.core import clock
from comptoir.core.errors import Conflict, InvalidInput, check_version, not_found
from comptoir.core.ids import new_id
from comptoir.core.money import check_minor_units
from comptoir.core.pagination import Page, paginate
from comptoir.core.uow import UnitOfWork
from comptoir.pricing import catalogue, facts, policies
from comptoir.pricing.events import PriceChanged
from comptoir.pricing.models import Price, PriceHistory, PriceList, SkuFacts, table
from comptoir.pricing.schemas import (
    PriceHistoryOut,
    PriceIn,
    PriceListIn,
    PriceListOut,
    PriceListPatch,
    PriceOut,
    PricesIn,
    PricesSetOut,
)


def _out(row: PriceList, count: int = 0) -> PriceListOut:
    return PriceListOut(
        id=row.id,
        code=row.code,
        name=row.name,
        currency=row.currency,
        channels=list(row.channels),
        store_ids=list(row.store_ids),
        customer_groups=list(row.customer_groups),
        priority=row.priority,
        prices_include_tax=row.prices_include_tax,
        is_sale=row.is_sale,
        valid_from=row.valid_from,
        valid_until=row.valid_until,
        active=row.active,
        version=row.version,
        price_count=count,
    )


def _load(uow: UnitOfWork, id_or_code: str) -> PriceList:
    row = (
        uow.session.get(PriceList, id_or_code)
        or uow.session.execute(select(PriceList).where(PriceList.code == id_or_code)).scalar_one_or_none()
    )
    if row is None:
        raise not_found("Price list", id_or_code)
    return row


def create_price_list(uow: UnitOfWork, cmd: PriceListIn) -> PriceListOut:
    if uow.session.execute(select(PriceList.id).where(PriceList.code == cmd.code)).first():
        raise Conflict(f"A price list with code {cmd.code} exists.", slug="price-list-exists")
    row = PriceList(id=new_id("prl"), **cmd.model_dump())
    uow.session.add(row)
    uow.session.flush()
    catalogue.bump(uow)
    return _out(row)


def update_price_list(
    uow: UnitOfWork, id_or_code: str, patch: PriceListPatch, expected_version: int | None = None
) -> PriceListOut:
    row = _load(uow, id_or_code)
    check_version(row.version, expected_version)
    for name, value in patch.model_dump(exclude_unset=True).items():
        setattr(row, name, value)
    if row.valid_from and row.valid_until and row.valid_until <= row.valid_from:
        raise InvalidInput("valid_until must come after valid_from", field="valid_until")
    uow.session.flush()
    catalogue.bump(uow)
    return get_price_list(uow, row.id)


def get_price_list(uow: UnitOfWork, id_or_code: str) -> PriceListOut:
    row = _load(uow, id_or_code)
    count = uow.session.execute(
        select(func.count()).select_from(Price).where(Price.price_list_id == row.id)
    ).scalar_one()
    return _out(row, count)


def list_price_lists(uow: UnitOfWork) -> list[PriceListOut]:
    counts = dict(
        uow.session.execute(select(Price.price_list_id, func.count()).group_by(Price.price_list_id)).all()
    )
    rows = uow.session.execute(select(PriceList).order_by(PriceList.currency, PriceList.code)).scalars()
    return [_out(r, counts.get(r.id, 0)) for r in rows]


def set_prices(uow: UnitOfWork, id_or_code: str, cmd: PricesIn) -> PricesSetOut:
    """Set (or remove) many prices at once; every real change closes the previous history row, opens
    a new one and records ``pricing.price_changed``. Unchanged prices write nothing."""
    plist = _load(uow, id_or_code)
    now = clock.now()
    _check_prices(cmd, plist.currency)
    skus = [p.sku for p in cmd.prices]
    current = {
        r.sku: r
        for r in uow.session.execute(
            select(Price).where(Price.price_list_id == plist.id, Price.sku.in_(skus))
        ).scalars()
    }
    references = _recent_lowest(
        uow,
        plist,
        [p.sku for p in cmd.prices if p.amount is not None and (plist.is_sale or p.compare_at is not None)],
        now,
    )
    changed = unchanged = removed = 0
    history_rows: list[dict[str, object]] = []
    closing: list[str] = []
    for p in cmd.prices:
        row = current.get(p.sku)
        if p.amount is None:
            if row is not None:
                uow.session.delete(row)
                closing.append(p.sku)
                removed += 1
                uow.record(_event(plist, p.sku, row.amount, None, None, None))
            continue
        amount = policies.money(p.amount)
        compare_at = policies.money(p.compare_at) if p.compare_at is not None else None
        if row is not None and _same(row, amount, compare_at, p):
            unchanged += 1
            continue
        old = row.amount if row is not None else None
        if row is None:
            row = Price(sku=p.sku, price_list_id=plist.id)
            uow.session.add(row)
        row.amount, row.compare_at, row.vat_rate = amount, compare_at, p.vat_rate
        row.valid_from, row.valid_until, row.updated_at = p.valid_from, p.valid_until, now
        if old is not None:
            closing.append(p.sku)
        history_rows.append(
            {
                "price_list_id": plist.id,
                "sku": p.sku,
                "amount": amount,
                "compare_at": compare_at,
                "effective_from": max(now, p.valid_from) if p.valid_from else now,
                "effective_until": p.valid_until,
                "changed_by": uow.actor.key_id or uow.actor.channel,
            }
        )
        changed += 1
        uow.record(_event(plist, p.sku, old, amount, compare_at, p, references.get(p.sku)))
    _close_history(uow, plist.id, closing, now)
    if history_rows:
        uow.session.execute(table(PriceHistory).insert(), history_rows)
        known = set(uow.session.execute(select(SkuFacts.sku).where(SkuFacts.sku.in_(skus))).scalars())
        facts.refresh(uow, [row["sku"] for row in history_rows if row["sku"] not in known])  # type: ignore[misc]
    uow.session.flush()
    return PricesSetOut(price_list_id=plist.id, changed=changed, unchanged=unchanged, removed=removed)


def _check_prices(cmd: PricesIn, currency: str) -> None:
    for i, p in enumerate(cmd.prices):
        if p.amount is not None:
            check_minor_units(p.amount, currency, f"prices/{i}/amount")
        if p.compare_at is not None:
            check_minor_units(p.compare_at, currency, f"prices/{i}/compare_at")
        if p.valid_from and p.valid_until and p.valid_until <= p.valid_from:
            raise InvalidInput("valid_until must come after valid_from", field=f"prices/{i}/valid_until")
        if p.amount is not None and p.compare_at is not None and p.compare_at <= p.amount:
            raise InvalidInput(
                "compare_at (the regular price) must be above the price", field=f"prices/{i}/compare_at"
            )


def _close_history(uow: UnitOfWork, price_list_id: str, skus: list[str], now: datetime) -> None:
    """The prices in force of these SKUs end now; a scheduled price not yet in force is replaced."""
    if not skus:
        return
    uow.session.execute(
        update(PriceHistory)
        .where(
            PriceHistory.price_list_id == price_list_id,
            PriceHistory.sku.in_(skus),
            (PriceHistory.effective_until.is_(None)) | (PriceHistory.effective_until > now),
            PriceHistory.effective_from <= now,
        )
        .values(effective_until=now)
    )
    # A scheduled price not yet in force is replaced, not closed.
    uow.session.execute(
        table(PriceHistory)
        .delete()
        .where(
            PriceHistory.price_list_id == price_list_id,
            PriceHistory.sku.in_(skus),
            PriceHistory.effective_from > now,
        )
    )


def _same(row: Price, amount: Decimal, compare_at: Decimal | None, p: PriceIn) -> bool:
    return (
        policies.money(row.amount) == amount
        and (row.compare_at is None) == (compare_at is None)
        and (row.compare_at is None or policies.money(row.compare_at) == compare_at)
        and row.vat_rate == p.vat_rate
        and row.valid_from == p.valid_from
        and row.valid_until == p.valid_until
    )


def _event(
    plist: PriceList,
    sku: str,
    old: Decimal | None,
    new: Decimal | None,
    compare_at: Decimal | None,
    p: PriceIn | None,
    reference: Decimal | None = None,
) -> PriceChanged:
    return PriceChanged(
        price_list_id=plist.id,
        sku=sku,
        currency=plist.currency,
        old_amount=str(policies.money(old)) if old is not None else None,
        new_amount=str(new) if new is not None else None,
        compare_at=str(compare_at) if compare_at is not None else None,
        reference_price=str(policies.money(reference)) if reference is not None else None,
        valid_from=p.valid_from.isoformat() if p and p.valid_from else None,
        valid_until=p.valid_until.isoformat() if p and p.valid_until else None,
    )


def _recent_lowest(
    uow: UnitOfWork, plist: PriceList, skus: Sequence[str], now: datetime
) -> dict[str, Decimal]:
    """For a reduction announced now: each SKU's lowest price of the last 30 days in the lists of this
    currency open to every customer (the figure ``price_changed`` carries; the exact reference for a
    given channel and customer is computed when a cart or a SKU is priced)."""
    if not skus:
        return {}
    open_lists = [
        r.id
        for r in uow.session.execute(
            select(PriceList.id, PriceList.customer_groups).where(PriceList.currency == plist.currency)
        )
        if not r.customer_groups
    ]
    h = table(PriceHistory)
    rows = uow.session.execute(
        select(h.c.sku, func.min(h.c.amount))
        .where(
            h.c.sku.in_(list(skus)),
            h.c.price_list_id.in_(open_lists),
            h.c.effective_from < now,
            (h.c.effective_until.is_(None)) | (h.c.effective_until > now - policies.OMNIBUS_WINDOW),
        )
        .group_by(h.c.sku)
    ).all()
    return {sku: amount for sku, amount in rows if amount is not None}


def _price_out(r: Price) -> PriceOut:
    return PriceOut(
        price_list_id=r.price_list_id,
        sku=r.sku,
        amount=policies.money(r.amount),
        compare_at=policies.money(r.compare_at) if r.compare_at is not None else None,
        vat_rate=r.vat_rate,
        valid_from=r.valid_from,
        valid_until=r.valid_until,
        updated_at=r.updated_at,
    )


def prices_of(uow: UnitOfWork, id_or_code: str, skus: Sequence[str] | None, limit: int) -> list[PriceOut]:
    return prices_page(uow, id_or_code, skus, cursor=None, limit=limit).items


def prices_page(
    uow: UnitOfWork, id_or_code: str, skus: Sequence[str] | None, *, cursor: str | None, limit: int
) -> Page[PriceOut]:
    """A list's prices in SKU order, a page after ``cursor``."""
    plist = _load(uow, id_or_code)
    q = select(Price).where(Price.price_list_id == plist.id)
    if skus:
        q = q.where(Price.sku.in_(list(skus)))
    return paginate(uow.session, q, Price.sku, cursor=cursor, limit=limit, convert=_price_out)


def price_history(uow: UnitOfWork, sku: str, price_list: str | None, limit: int) -> list[PriceHistoryOut]:
    q = select(PriceHistory).where(PriceHistory.sku == sku)
    if price_list:
        q = q.where(PriceHistory.price_list_id == _load(uow, price_list).id)
    rows = uow.session.execute(
        q.order_by(PriceHistory.effective_from.desc(), PriceHistory.id.desc()).limit(limit)
    ).scalars()
    return [
        PriceHistoryOut(
            price_list_id=r.price_list_id,
            sku=r.sku,
            amount=policies.money(r.amount),
            compare_at=policies.money(r.compare_at) if r.compare_at is not None else None,
            effective_from=r.effective_from,
            effective_until=r.effective_until,
        )
        for r in rows
    ]


def backfill_history(
    uow: UnitOfWork,
    id_or_code: str,
    sku: str,
    periods: Sequence[tuple[Decimal, datetime, datetime]],
) -> int:
    """Record prices a SKU had before Comptoir knew it (migrating from another system), so the
    Omnibus reference looks at the real past. Periods must end before the SKU's first known price."""
    plist = _load(uow, id_or_code)
    first = uow.session.execute(
        select(func.min(PriceHistory.effective_from)).where(
            PriceHistory.price_list_id == plist.id, PriceHistory.sku == sku
        )
    ).scalar_one()
    rows = []
    for i, (amount, start, end) in enumerate(sorted(periods, key=lambda p: p[1])):
        if end <= start or (first is not None and end > first) or end > clock.now():
            raise InvalidInput(
                "a past period must end after it starts, before the first known price and not in the future",
                field=f"periods/{i}",
            )
        rows.append(
            {
                "price_list_id": plist.id,
                "sku": sku,
                "amount": policies.money(amount),
                "compare_at": None,
                "effective_from": start,
                "effective_until": end,
                "changed_by": "backfill",
            }
        )
    if rows:
        uow.session.execute(table(PriceHistory).insert(), rows)
    return len(rows)
