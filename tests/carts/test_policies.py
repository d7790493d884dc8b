"""Cart rules without a database: who reaches a cart, merging lines, coupons, idleness."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from comptoir.carts import policies
from comptoir.carts.policies import MAX_LINES, MAX_QUANTITY_PER_LINE, LineState, plan_merge


@pytest.mark.parametrize(
    ("channel", "actor_customer", "cart_customer", "token", "allowed"),
    [
        ("web", None, None, True, True),
        ("web", None, None, False, False),
        ("app", None, "cus_a", True, False),
        ("web", "cus_a", "cus_a", False, True),
        ("web", "cus_a", "cus_b", True, False),
        ("app", "cus_a", None, True, True),
        ("app", "cus_a", None, False, False),
        ("store:st_1", None, "cus_b", False, True),
        ("call-centre", None, None, False, True),
        ("live", None, "cus_a", False, False),
        (None, None, "cus_a", False, True),
        ("store:st_1", "cus_a", "cus_b", False, False),
    ],
    ids=[
        "web-anon-token",
        "web-anon-no-token",
        "app-customer-cart-without-customer-token",
        "own-cart",
        "someone-else",
        "customer-claims-anon-with-token",
        "customer-anon-without-token",
        "tablet-any-cart",
        "call-centre",
        "live-shopper-without-token",
        "back-office",
        "customer-token-binds-staff-too",
    ],
)
def test_who_reaches_a_cart(
    channel: str | None, actor_customer: str | None, cart_customer: str | None, token: bool, allowed: bool
) -> None:
    assert (
        policies.may_reach(
            actor_channel=channel,
            actor_customer_id=actor_customer,
            cart_customer_id=cart_customer,
            token_matches=token,
        )
        is allowed
    )


def test_merge_sums_same_skus_adds_others_and_caps() -> None:
    plan = plan_merge(
        [LineState("A", 2), LineState("B", 98)],
        [LineState("A", 3), LineState("B", 5), LineState("C", 1)],
    )
    assert plan.new_quantities == {"A": 5, "B": 99}
    assert plan.added == ["C"] and plan.capped == ["B"] and plan.dropped == []


def test_merge_drops_lines_beyond_the_cart_size() -> None:
    target = [LineState(f"T{i}", 1) for i in range(MAX_LINES - 1)]
    plan = plan_merge(target, [LineState("X", 1), LineState("Y", 1)])
    assert plan.added == ["X"] and plan.dropped == ["Y"]


def test_coupons_are_united_in_order_up_to_the_limit() -> None:
    assert policies.unite_coupons(["A", "B"], ["B", "C"]) == ["A", "B", "C"]
    many = [f"C{i}" for i in range(policies.MAX_COUPONS)]
    assert policies.unite_coupons(many, ["EXTRA"]) == many


@pytest.mark.parametrize(
    ("reason", "refused"),
    [("unknown", True), ("expired", True), ("conditions_not_met", False), ("customer_required", False)],
)
def test_coupons_that_may_apply_later_are_kept(reason: str, refused: bool) -> None:
    assert policies.coupon_refused(reason) is refused


def test_adding_beyond_the_cap_is_refused() -> None:
    assert policies.added_quantity(90, 9) == 99
    assert policies.added_quantity(90, 10) is None


def test_idle_and_surviving_cart() -> None:
    now = datetime(2026, 11, 27, 12, tzinfo=UTC)
    assert policies.is_idle(now - timedelta(minutes=60), now, timedelta(minutes=60))
    assert not policies.is_idle(now - timedelta(minutes=59), now, timedelta(minutes=60))
    assert policies.surviving_cart(("own", now - timedelta(days=3)), [("other", now)]) == "own"
    assert policies.surviving_cart(None, [("old", now - timedelta(days=1)), ("new", now)]) == "new"
    assert policies.surviving_cart(None, []) is None


lines = st.lists(
    st.tuples(st.sampled_from([f"S{i}" for i in range(12)]), st.integers(1, MAX_QUANTITY_PER_LINE)),
    max_size=12,
    unique_by=lambda x: x[0],
)


@given(target=lines, source=lines)
def test_merging_never_loses_a_sku_nor_exceeds_the_cap(
    target: list[tuple[str, int]], source: list[tuple[str, int]]
) -> None:
    plan = plan_merge([LineState(*x) for x in target], [LineState(*x) for x in source])
    before = dict(target)
    after = {**before, **{sku: q for sku, q in source if sku in plan.added}, **plan.new_quantities}
    assert set(after) == set(before) | {sku for sku, _ in source}
    for sku, quantity in after.items():
        expected = min(before.get(sku, 0) + dict(source).get(sku, 0), MAX_QUANTITY_PER_LINE)
        assert quantity == expected
        assert (sku in plan.capped) == (
            before.get(sku, 0) + dict(source).get(sku, 0) > MAX_QUANTITY_PER_LINE and sku in before
        )
