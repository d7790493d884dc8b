"""Pricing a cart (the hot path); one SKU's shelf price and its explanation are in ``shelf``.

A cart is priced in a handful of round trips whatever its size: the cached price lists and promotions
(one version read), one batched query for every line's prices and catalogue facts, the price history
of the discounted lines only (Omnibus), and the coupons typed, if any.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import bindparam, or_, select

from comptoir.catalog import service as catalog
from comptoir.core import clock
from comptoir.core.errors import Problem
from comptoir.core.uow import UnitOfWork
from comptoir.pricing import catalogue, policies, promotion_rules
from comptoir.pricing import customers as customer_facts
from comptoir.pricing.catalogue import Catalogue, PromoDef
from comptoir.pricing.errors import SkuNotPriced
from comptoir.pricing.models import Coupon, CouponCustomerUse, Price, PriceHistory, Promotion, SkuFacts, table
from comptoir.pricing.schemas import (
    Adjustment,
    PriceCartIn,
    PricedCart,
    PricedLine,
    RejectedCoupon,
)

ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class Facts:
    category_ids: tuple[str, ...]
    tax_class: str


@dataclass(frozen=True, slots=True)
class Resolved:
    rule: policies.ListRule
    row: policies.PriceRow
    since: datetime  # when this price came into force
    unit_price: Decimal  # VAT included
    vat_rate: Decimal
    candidates: list[tuple[policies.ListRule, policies.PriceRow]]


def _customer_context(
    uow: UnitOfWork, cat: Catalogue, customer_id: str | None
) -> tuple[frozenset[str], str | None]:
    return customer_facts.targeting(uow, customer_id, segments=cat.needs_segments, tier=cat.needs_tiers)


_P, _F = table(Price), table(SkuFacts)
# Built once (with expanding IN lists): every priced cart runs it.
_PRICE_ROWS = (
    select(
        _P.c.sku,
        _P.c.price_list_id,
        _P.c.amount,
        _P.c.compare_at,
        _P.c.vat_rate,
        _P.c.valid_from,
        _P.c.valid_until,
        _P.c.updated_at,
        _F.c.category_ids,
        _F.c.tax_class,
    )
    .select_from(_P.outerjoin(_F, _F.c.sku == _P.c.sku))
    .add_columns(catalogue.VERSION.scalar_subquery().label("catalogue_version"))
    .where(_P.c.sku.in_(bindparam("skus", expanding=True)))
    .where(_P.c.price_list_id.in_(bindparam("list_ids", expanding=True)))
)


def _price_rows(
    uow: UnitOfWork, skus: Sequence[str], list_ids: Sequence[str]
) -> tuple[dict[str, list[tuple[policies.PriceRow, datetime]]], dict[str, Facts], int | None]:
    """Every price of these SKUs in these lists, the SKUs' catalogue facts, and the catalogue version
    read in the same statement (None without rows): one query."""
    rows = (
        uow.session.connection().execute(_PRICE_ROWS, {"skus": list(skus), "list_ids": list(list_ids)}).all()
    )
    version = (rows[0].catalogue_version or 0) if rows else None
    prices: dict[str, list[tuple[policies.PriceRow, datetime]]] = {}
    facts: dict[str, Facts] = {}
    for r in rows:
        prices.setdefault(r.sku, []).append(
            (
                policies.PriceRow(
                    r.price_list_id, r.amount, r.compare_at, r.vat_rate, r.valid_from, r.valid_until
                ),
                r.updated_at,
            )
        )
        if r.tax_class is not None:
            facts[r.sku] = Facts(tuple(c for c in r.category_ids.split("/") if c), r.tax_class)
    missing = [sku for sku in prices if sku not in facts]
    if missing:
        # Not yet in our copy (the catalogue's events are on their way): ask the catalogue.
        for sku, v in catalog.get_variants(uow, missing).items():
            facts[sku] = Facts(tuple(v.category_ids), v.tax_class)
    return prices, facts, version


def _resolve(
    rows: list[tuple[policies.PriceRow, datetime]] | None,
    cat: Catalogue,
    ctx: policies.PriceContext,
    facts: Facts | None,
) -> Resolved | None:
    if not rows:
        return None
    since_of = {row.price_list_id: updated for row, updated in rows}
    ranked = policies.resolve([row for row, _ in rows], cat.lists, ctx)
    if not ranked:
        return None
    rule, row = ranked[0]
    rate = policies.vat_rate_for(facts.tax_class if facts else None, row.vat_rate)
    unit = row.amount if rule.prices_include_tax else policies.including_tax(row.amount, rate)
    starts = [t for t in (rule.valid_from, row.valid_from, since_of[row.price_list_id]) if t is not None]
    return Resolved(rule, row, max(starts), policies.money(unit), rate, ranked)


def _history(
    uow: UnitOfWork, skus: Sequence[str], list_ids: Sequence[str], earliest: datetime
) -> dict[str, list[policies.HistoryRow]]:
    h = table(PriceHistory)
    window_start = earliest - policies.OMNIBUS_WINDOW
    rows = (
        uow.session.connection()
        .execute(
            select(h.c.sku, h.c.price_list_id, h.c.amount, h.c.effective_from, h.c.effective_until).where(
                h.c.sku.in_(skus),
                h.c.price_list_id.in_(list_ids),
                or_(h.c.effective_until.is_(None), h.c.effective_until > window_start),
            )
        )
        .all()
    )
    out: dict[str, list[policies.HistoryRow]] = {}
    for r in rows:
        out.setdefault(r.sku, []).append(
            policies.HistoryRow(r.price_list_id, r.amount, r.effective_from, r.effective_until)
        )
    return out


def _targeted(d: PromoDef, cmd: PriceCartIn, segments: frozenset[str], tier: str | None) -> str | None:
    """None when the promotion targets this cart, else why not (a coupon's rejection reason)."""
    if d.currency != cmd.currency:
        return "currency"
    if not policies.channel_matches(d.channels, cmd.channel, cmd.store_id):
        return "not_for_channel"
    if d.segments and not (segments & set(d.segments)):
        return "not_for_segment"
    if d.tiers and tier not in d.tiers:
        return "not_for_tier"
    return None


def _coupons(
    uow: UnitOfWork,
    cmd: PriceCartIn,
    cat: Catalogue,
    at: datetime,
    segments: frozenset[str],
    tier: str | None,
) -> tuple[list[policies.Promo], list[RejectedCoupon]]:
    if not cmd.coupons:
        return [], []
    c = table(Coupon)
    found = {r.code: r for r in uow.session.connection().execute(select(c).where(c.c.code.in_(cmd.coupons)))}
    own_uses: dict[str, int] = {}
    if cmd.customer_id is not None and found:
        u = table(CouponCustomerUse)
        own_uses = {
            r.code: r.uses
            for r in uow.session.connection().execute(
                select(u.c.code, u.c.uses).where(
                    u.c.code.in_(list(found)), u.c.customer_id == cmd.customer_id
                )
            )
        }
    promos: list[policies.Promo] = []
    rejected: list[RejectedCoupon] = []
    used_promotions: set[str] = set()
    for code in cmd.coupons:
        row = found.get(code)
        reason: str | None = None
        definition = cat.promotions.get(row.promotion_id) if row is not None else None
        if row is None or row.status != "active":
            reason = "unknown"
        elif (
            definition is None
            or (definition.ends_at is not None and at >= definition.ends_at)
            or (row.valid_until is not None and at >= row.valid_until)
        ):
            reason = "expired"
        elif (row.valid_from is not None and at < row.valid_from) or not definition.live(at):
            reason = "not_started"
        elif row.max_uses is not None and row.uses >= row.max_uses:
            reason = "exhausted"
        elif row.customer_id is not None and row.customer_id != cmd.customer_id:
            reason = "not_for_customer" if cmd.customer_id else "customer_required"
        elif row.max_uses_per_customer is not None and cmd.customer_id is None:
            reason = "customer_required"
        elif row.max_uses_per_customer is not None and own_uses.get(code, 0) >= row.max_uses_per_customer:
            reason = "used_by_customer"
        elif row.currency is not None and row.currency != cmd.currency:
            reason = "currency"
        elif definition.id in used_promotions and definition.kind != "voucher":
            reason = "superseded"  # two codes of one promotion: it applies once
        else:
            reason = _targeted(definition, cmd, segments, tier)
        if reason is not None or definition is None or row is None:
            rejected.append(RejectedCoupon(code=code, reason=reason or "unknown"))
            continue
        used_promotions.add(definition.id)
        promos.append(definition.to_promo(code=code, amount=row.amount, label=row.label or definition.label))
    return promos, rejected


def _over_budget(uow: UnitOfWork, cat: Catalogue, outcome: policies.Outcome) -> set[str]:
    """Promotions with a budget whose discount in this cart exceeds what is left of it (read fresh:
    the cached set knows only that the budget was not spent when it was loaded)."""
    capped = (
        {p.id for p in outcome.applied if cat.promotions[p.id].budget is not None}
        if outcome.applied
        else set()
    )
    if not capped:
        return set()
    given: dict[str, Decimal] = dict.fromkeys(capped, ZERO)
    for line in outcome.lines:
        for a in line.adjustments:
            if a.promotion_id in given:
                given[a.promotion_id] -= a.amount
    for a in outcome.cart_adjustments:
        if a.promotion_id in given:
            given[a.promotion_id] -= a.amount
    p = table(Promotion)
    left = {
        r.id: r.budget - r.budget_used
        for r in uow.session.connection().execute(
            select(p.c.id, p.c.budget, p.c.budget_used).where(p.c.id.in_(sorted(capped)))
        )
    }
    return {pid for pid, amount in given.items() if pid in left and amount > left[pid]}


def price_cart(uow: UnitOfWork, cmd: PriceCartIn) -> PricedCart:
    # The cached lists and promotions are checked against the version read with the prices (a round trip
    # fewer than reading it first); a pricing made with a stale set, or refused, is checked and redone.
    cat = catalogue.cached(uow)
    if cat is not None:
        try:
            priced, seen = _price_cart(uow, cmd, cat)
        except Problem:
            if catalogue.current_version(uow) == cat.version:
                raise
        else:
            if (seen if seen is not None else catalogue.current_version(uow)) == cat.version:
                return priced
    return _price_cart(uow, cmd, catalogue.load(uow))[0]


def _price_cart(uow: UnitOfWork, cmd: PriceCartIn, cat: Catalogue) -> tuple[PricedCart, int | None]:
    """The cart priced with ``cat``, and the catalogue version read with the prices (None: not read)."""
    at = cmd.at or clock.now()
    segments, tier = _customer_context(uow, cat, cmd.customer_id)
    ctx = policies.PriceContext(cmd.currency, cmd.channel, cmd.store_id, segments, at)
    list_ids = [rule.id for rule in cat.lists.values() if policies.list_applies(rule, ctx)]
    automatic = [
        (d, promo) for d, promo in cat.automatic if d.live(at) and _targeted(d, cmd, segments, tier) is None
    ]
    coupon_promos, rejected = _coupons(uow, cmd, cat, at, segments, tier)
    gift_skus = {
        str(p.params["gift_sku"])
        for p in [*(promo for _, promo in automatic), *coupon_promos]
        if p.kind == "gift"
    }
    skus = list(dict.fromkeys([line.sku for line in cmd.lines] + sorted(gift_skus)))
    rows, facts, seen = _price_rows(uow, skus, list_ids) if skus and list_ids else ({}, {}, None)
    resolved, lines = _resolve_lines(cmd, rows, facts, cat, ctx)
    lines, outcome = _promote(uow, cmd, cat, lines, [promo for _, promo in automatic] + coupon_promos)
    applied_codes = [p.code for p in outcome.applied if p.code]
    rejected += [
        RejectedCoupon(code=p.code or "", reason="conditions_not_met")
        for p in coupon_promos
        if p.code not in applied_codes
    ]
    references = _references(uow, cat, (cmd, ctx, list_ids), lines, resolved, outcome)
    priced_lines = [_priced_line(line, resolved[line.sku], references.get(line.sku)) for line in lines]
    gift_lines = _gift_lines(outcome, rows, facts, cat, ctx)
    shipping = cmd.shipping.amount if cmd.shipping else ZERO
    subtotal = sum((line.base for line in lines), ZERO)
    item_discounts = sum((a.amount for line in lines for a in line.adjustments), ZERO)
    cart_discounts = sum((a.amount for a in outcome.cart_adjustments if a.kind != "free_shipping"), ZERO)
    shipping_total = shipping - outcome.shipping_discount
    discount_total = item_discounts + cart_discounts
    tax_total = sum((pl.tax_amount for pl in priced_lines), ZERO) + policies.tax_in(
        shipping_total, policies.SHIPPING_VAT_RATE
    )
    # Built from values this module computed and checked: no second validation on the hot path.
    priced = PricedCart.model_construct(
        currency=cmd.currency,
        channel=cmd.channel,
        store_id=cmd.store_id,
        customer_id=cmd.customer_id,
        lines=priced_lines,
        cart_adjustments=[_adjustment(a) for a in outcome.cart_adjustments],
        gift_lines=gift_lines,
        subtotal=policies.money(subtotal),
        discount_total=policies.money(discount_total),
        shipping_total=policies.money(shipping_total),
        tax_total=policies.money(tax_total),
        total=policies.money(subtotal + discount_total + shipping_total),
        applied_coupons=[c for c in cmd.coupons if c in applied_codes],
        rejected_coupons=rejected,
        priced_at=at,
        promotions_version=cat.version,
    )
    return priced, seen


def _resolve_lines(
    cmd: PriceCartIn,
    rows: dict[str, list[tuple[policies.PriceRow, datetime]]],
    facts: dict[str, Facts],
    cat: Catalogue,
    ctx: policies.PriceContext,
) -> tuple[dict[str, Resolved], list[policies.Line]]:
    """Each line's price for the context (422 naming the line when its SKU has none)."""
    resolved: dict[str, Resolved] = {}
    lines: list[policies.Line] = []
    for i, item in enumerate(cmd.lines):
        res = resolved.get(item.sku) or _resolve(rows.get(item.sku), cat, ctx, facts.get(item.sku))
        if res is None:
            raise SkuNotPriced(item.sku, field=f"lines/{i}/sku")
        resolved[item.sku] = res
        f = facts.get(item.sku)
        lines.append(
            policies.Line(
                item.line_id,
                item.sku,
                item.quantity,
                res.unit_price,
                f.category_ids if f else (),
                res.vat_rate,
            )
        )
    return resolved, lines


def _promote(
    uow: UnitOfWork,
    cmd: PriceCartIn,
    cat: Catalogue,
    lines: list[policies.Line],
    promos: list[policies.Promo],
) -> tuple[list[policies.Line], policies.Outcome]:
    """The promotions applied to the lines; one whose budget left cannot cover this cart is not offered
    (its order would be refused), and the lines are promoted again without it."""
    shipping = cmd.shipping.amount if cmd.shipping else None
    delivery = promotion_rules.Delivery(cmd.shipping.mode, cmd.shipping.method) if cmd.shipping else None
    pristine = [
        policies.Line(x.line_id, x.sku, x.quantity, x.unit_price, x.category_ids, x.vat_rate) for x in lines
    ]
    outcome = promotion_rules.apply_promotions(lines, promos, shipping, delivery)
    over = _over_budget(uow, cat, outcome)
    if not over:
        return lines, outcome
    kept = [p for p in promos if p.id not in over]
    return pristine, promotion_rules.apply_promotions(pristine, kept, shipping, delivery)


def _references(
    uow: UnitOfWork,
    cat: Catalogue,
    context: tuple[PriceCartIn, policies.PriceContext, list[str]],
    lines: list[policies.Line],
    resolved: dict[str, Resolved],
    outcome: policies.Outcome,
) -> dict[str, Decimal | None]:
    """Omnibus: for every discounted line, the lowest price of the 30 days before the discount began."""
    cmd, ctx, list_ids = context
    starts: dict[str, datetime] = {}
    promo_start = {p.id: p.starts_at for p in outcome.applied}
    for line in lines:
        res = resolved[line.sku]
        moments = [promo_start[a.promotion_id] for a in line.adjustments if promo_start.get(a.promotion_id)]
        if res.rule.is_sale or res.row.compare_at is not None:
            moments.append(res.since)
        if moments:
            first = min(m for m in moments if m is not None)
            starts[line.sku] = min(first, starts.get(line.sku, first))
    references: dict[str, Decimal | None] = {}
    context_key = (cmd.currency, cmd.channel, cmd.store_id, ctx.segments, tuple(list_ids))
    to_look_up: dict[str, datetime] = {}
    for sku, started in starts.items():
        key = (sku, started, context_key)
        if key in cat.references:
            references[sku] = cat.references[key]
        else:
            to_look_up[sku] = started
    if not to_look_up:
        return references
    history = _history(uow, sorted(to_look_up), list_ids, min(to_look_up.values()))
    for sku, started in to_look_up.items():
        lowest = policies.lowest_price_before(history.get(sku, []), cat.lists, ctx, started)
        # The 30 days before a past start are history that no later change rewrites.
        if lowest is not None and started <= clock.now() and len(cat.references) < 100_000:
            cat.references[(sku, started, context_key)] = lowest
        if lowest is None:
            # Not sold in the 30 days before: the reference is the regular price it starts from.
            res = resolved[sku]
            lowest = res.row.compare_at if res.rule.is_sale or res.row.compare_at else res.unit_price
        references[sku] = lowest
    return references


def _gift_lines(
    outcome: policies.Outcome,
    rows: dict[str, list[tuple[policies.PriceRow, datetime]]],
    facts: dict[str, Facts],
    cat: Catalogue,
    ctx: policies.PriceContext,
) -> list[PricedLine]:
    out = []
    for promo, sku in outcome.gifts:
        res = _resolve(rows.get(sku), cat, ctx, facts.get(sku))
        if res is None:
            continue  # a gift with no price here cannot be given; the promotion says nothing
        gift = policies.Line(f"gift:{promo.id}", sku, 1, res.unit_price, (), res.vat_rate)
        gift.add(policies.Applied(promo.id, promo.code, promo.kind, promo.label, -res.unit_price))
        out.append(_priced_line(gift, res, None, is_gift=True))
    return out


def _adjustment(a: policies.Applied) -> Adjustment:
    return Adjustment.model_construct(
        promotion_id=a.promotion_id,
        code=a.code,
        kind=a.kind,  # type: ignore[arg-type]
        label=a.label,
        amount=a.amount,
    )


def _priced_line(
    line: policies.Line, res: Resolved, reference: Decimal | None, *, is_gift: bool = False
) -> PricedLine:
    total = policies.money(line.total)
    payable = policies.money(line.total + line.cart_share)
    return PricedLine.model_construct(
        line_id=line.line_id,
        sku=line.sku,
        quantity=line.quantity,
        unit_price=res.unit_price,
        unit_price_excl_tax=policies.excluding_tax(res.unit_price, res.vat_rate),
        price_list_id=res.rule.id,
        price_list_name=res.rule.name,
        reference_price=policies.money(reference) if reference is not None else None,
        compare_at_price=_money(res.row.compare_at),
        vat_rate=res.vat_rate,
        adjustments=[_adjustment(a) for a in line.adjustments],
        total=total,
        cart_discount_share=policies.money(line.cart_share),
        amount_payable=payable,
        tax_amount=policies.tax_in(payable, res.vat_rate),
        gift=is_gift,
    )


def _money(amount: Decimal | None) -> Decimal | None:
    return policies.money(amount) if amount is not None else None
