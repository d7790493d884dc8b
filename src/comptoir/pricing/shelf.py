"""One SKU's price read without a cart: the shelf price of many SKUs (catalogue pages, search hits) and
the explanation of one (which list, why, every other candidate, the Omnibus reference)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from comptoir.core import clock
from comptoir.core.errors import NotFound
from comptoir.core.uow import UnitOfWork
from comptoir.pricing import catalogue, policies
from comptoir.pricing.engine import _customer_context, _history, _money, _price_rows, _resolve
from comptoir.pricing.schemas import CandidatePrice, PriceResolution, ShelfPrice


def explain_price(
    uow: UnitOfWork,
    sku: str,
    *,
    currency: str,
    channel: str,
    store_id: str | None,
    customer_id: str | None,
    at: datetime | None,
) -> PriceResolution:
    """Which price applies to ``sku`` here, from which list and why, every other candidate, and the
    Omnibus reference when the price is a discount."""
    at = at or clock.now()
    cat = catalogue.load(uow)
    segments, _ = _customer_context(uow, cat, customer_id)
    if store_id is None and channel.startswith("store:"):
        store_id = channel.split(":", 1)[1]
    ctx = policies.PriceContext(currency, channel, store_id, segments, at)
    same_currency = [rule.id for rule in cat.lists.values() if rule.currency == currency]
    rows, facts, _ = _price_rows(uow, [sku], same_currency) if same_currency else ({}, {}, None)
    res = _resolve(rows.get(sku), cat, ctx, facts.get(sku))
    candidates = []
    for row, _ in rows.get(sku, []):
        rule = cat.lists[row.price_list_id]
        applies = policies.list_applies(rule, ctx) and policies.in_window(at, row.valid_from, row.valid_until)
        candidates.append(
            CandidatePrice(
                price_list_id=rule.id,
                price_list_code=rule.code,
                amount=policies.money(row.amount),
                applies=applies,
                chosen=res is not None and res.rule.id == rule.id,
                specificity=policies.specificity(rule),
                priority=rule.priority,
                explanation=policies.why(rule),
            )
        )
    candidates.sort(key=lambda c: (not c.applies, -c.specificity, -c.priority, c.amount, c.price_list_code))
    if res is None:
        raise NotFound(
            f"No price applies to SKU {sku} for {channel} in {currency}.", slug="price-not-found", sku=sku
        )
    reference = None
    if res.rule.is_sale or res.row.compare_at is not None:
        applicable = [rule.id for rule in cat.lists.values() if policies.list_applies(rule, ctx)]
        history = _history(uow, [sku], applicable, res.since)
        reference = policies.lowest_price_before(history.get(sku, []), cat.lists, ctx, res.since)
        if reference is None:  # not sold in the 30 days before: the regular price it is reduced from
            reference = res.row.compare_at
    return PriceResolution(
        sku=sku,
        currency=currency,
        channel=channel,
        store_id=store_id,
        price=res.unit_price,
        price_excl_tax=policies.excluding_tax(res.unit_price, res.vat_rate),
        vat_rate=res.vat_rate,
        price_list_id=res.rule.id,
        price_list_code=res.rule.code,
        explanation=f"Most specific list that applies: {policies.why(res.rule)}",
        compare_at_price=_money(res.row.compare_at),
        discounted=res.rule.is_sale or res.row.compare_at is not None,
        discount_started_at=res.since if (res.rule.is_sale or res.row.compare_at is not None) else None,
        reference_price=_money(reference),
        candidates=candidates,
        at=at,
    )


def shelf_prices(
    uow: UnitOfWork,
    skus: Sequence[str],
    *,
    currency: str,
    channel: str,
    store_id: str | None,
    customer_id: str | None,
    at: datetime | None = None,
) -> dict[str, ShelfPrice]:
    """The price each SKU sells at here (as on a shelf label or a search hit), with its regular price
    and the Omnibus reference when discounted: the same resolution as :func:`explain_price`, for many
    SKUs in two queries. SKUs no list prices here are left out."""
    at = at or clock.now()
    cat = catalogue.load(uow)
    segments, _ = _customer_context(uow, cat, customer_id)
    if store_id is None and channel.startswith("store:"):
        store_id = channel.split(":", 1)[1]
    ctx = policies.PriceContext(currency, channel, store_id, segments, at)
    same_currency = [rule.id for rule in cat.lists.values() if rule.currency == currency]
    if not same_currency or not skus:
        return {}
    rows, facts, _ = _price_rows(uow, list(dict.fromkeys(skus)), same_currency)
    resolved = {
        sku: res for sku in rows if (res := _resolve(rows.get(sku), cat, ctx, facts.get(sku))) is not None
    }
    discounted = {sku: r for sku, r in resolved.items() if r.rule.is_sale or r.row.compare_at is not None}
    references: dict[str, Decimal | None] = {}
    if discounted:
        applicable = [rule.id for rule in cat.lists.values() if policies.list_applies(rule, ctx)]
        history = _history(uow, list(discounted), applicable, min(r.since for r in discounted.values()))
        for sku, r in discounted.items():
            found = policies.lowest_price_before(history.get(sku, []), cat.lists, ctx, r.since)
            references[sku] = found if found is not None else r.row.compare_at
    return {
        sku: ShelfPrice(
            sku=sku,
            currency=currency,
            price=r.unit_price,
            compare_at_price=_money(r.row.compare_at),
            discounted=sku in discounted,
            reference_price=_money(references.get(sku)),
        )
        for sku, r in resolved.items()
    }
