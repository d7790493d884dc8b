"""Invariants of the engine, for any cart and any set of promotions (hypothesis)."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from comptoir.pricing import policies, promotion_rules
from comptoir.pricing.policies import Line, Promo

SKUS = ["A", "B", "C", "D"]
CATS = {"A": ("c1",), "B": ("c1", "c2"), "C": ("c2",), "D": ()}

cents = st.integers(min_value=0, max_value=50_000).map(lambda c: Decimal(c) / 100)
lines_st = st.lists(st.tuples(st.sampled_from(SKUS), st.integers(1, 6), cents), min_size=0, max_size=6).map(
    lambda items: [Line(f"l{i}", sku, qty, price, CATS[sku]) for i, (sku, qty, price) in enumerate(items)]
)
targets = st.fixed_dictionaries(
    {},
    optional={
        "skus": st.lists(st.sampled_from(SKUS), max_size=2),
        "category_ids": st.lists(st.sampled_from(["c1", "c2"]), max_size=1),
        "min_subtotal": cents.map(str),
    },
)


@st.composite
def promos_st(draw: st.DrawFn) -> list[Promo]:
    out = []
    for i in range(draw(st.integers(0, 6))):
        kind = draw(
            st.sampled_from(["percent_off", "fixed_off", "buy_x_get_y", "bundle", "free_shipping", "voucher"])
        )
        params = dict(draw(targets))
        if kind == "percent_off":
            params["percent"] = str(draw(st.integers(1, 100)))
            params["scope"] = draw(st.sampled_from(["item", "cart"]))
        elif kind in ("fixed_off", "voucher"):
            params["amount"] = str(draw(cents))
            params["scope"] = "cart" if kind == "voucher" else draw(st.sampled_from(["item", "cart"]))
        elif kind == "buy_x_get_y":
            params.update(buy=draw(st.integers(1, 3)), get=draw(st.integers(1, 2)))
        elif kind == "bundle":
            params.update(items={"A": 1, "C": draw(st.integers(1, 2))}, price=str(draw(cents)))
        out.append(
            Promo(
                id=f"p{i}",
                kind=kind,
                label=kind,
                priority=draw(st.integers(-2, 2)),
                stacking=draw(st.sampled_from(["stackable", "stackable", "exclusive"])),
                params=params,
            )
        )
    return out


@settings(max_examples=300, deadline=None)
@given(lines=lines_st, promos=promos_st(), shipping=st.one_of(st.none(), cents))
def test_a_price_never_goes_negative_and_the_parts_add_up(
    lines: list[Line], promos: list[Promo], shipping: Decimal | None
) -> None:
    outcome = promotion_rules.apply_promotions(
        lines, promos, shipping, promotion_rules.Delivery("home_delivery", "standard")
    )
    for line in outcome.lines:
        assert line.total >= 0
        assert line.total + line.cart_share >= 0
        assert all(a.amount <= 0 for a in line.adjustments)
    assert all(a.amount <= 0 for a in outcome.cart_adjustments)
    assert 0 <= outcome.shipping_discount <= (shipping or 0)
    cart_merch = sum((a.amount for a in outcome.cart_adjustments if a.kind != "free_shipping"), Decimal(0))
    # every cart discount is shared out to the lines to the cent
    assert sum((line.cart_share for line in outcome.lines), Decimal(0)) == cart_merch
    # an exclusive promotion, when applied, is the only one
    if any(p.stacking == "exclusive" for p in outcome.applied):
        assert len(outcome.applied) == 1


@settings(max_examples=200, deadline=None)
@given(lines=lines_st, shipping=st.one_of(st.none(), cents))
def test_applying_no_promotion_is_the_identity(lines: list[Line], shipping: Decimal | None) -> None:
    before = [(line.line_id, line.sku, line.quantity, line.unit_price) for line in lines]
    outcome = promotion_rules.apply_promotions(lines, [], shipping, None)
    assert [(line.line_id, line.sku, line.quantity, line.unit_price) for line in outcome.lines] == before
    assert all(
        line.total == line.base and line.adjustments == [] and line.cart_share == 0 for line in outcome.lines
    )
    assert outcome.cart_adjustments == [] and outcome.gifts == [] and outcome.shipping_discount == 0


@given(
    amount=st.integers(-100_000, 100_000).map(lambda c: Decimal(c) / 100),
    weights=st.lists(cents, min_size=1, max_size=8),
)
def test_allocation_sums_exactly(amount: Decimal, weights: list[Decimal]) -> None:
    parts = promotion_rules.allocate(amount, weights)
    if sum(weights) > 0:
        assert sum(parts, Decimal(0)) == amount
        assert all((p <= 0) if amount <= 0 else (p >= 0) for p in parts)
    else:
        assert parts == [Decimal(0)] * len(weights)


@given(amount=cents, rate=st.sampled_from(sorted(policies.FRENCH_VAT_RATES)))
def test_vat_split_adds_back_to_the_price(amount: Decimal, rate: Decimal) -> None:
    assert policies.excluding_tax(amount, rate) + policies.tax_in(amount, rate) == amount
    assert policies.tax_in(amount, rate) >= 0
