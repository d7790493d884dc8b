"""Return rules without a database: windows, exclusions, methods, conditions, refund amounts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from comptoir.returns import policies
from comptoir.returns.schemas import CategoryWindowIn, ReturnPolicyIn

T0 = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)


def facts(
    sku: str = "SKU-1", categories: tuple[str, ...] = (), bought: int = 2, claimed: int = 0
) -> policies.LineFacts:
    return policies.LineFacts("l1", sku, categories, bought, claimed)


# --- origin and methods -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("mode", "origin"),
    [
        ("store_sale", "store"),
        ("home_delivery", "online"),
        ("click_and_collect", "online"),
        ("reserve_and_collect", "online"),
    ],
)
def test_a_till_sale_is_a_store_purchase_everything_else_online(mode: str, origin: str) -> None:
    assert policies.origin_of(mode) == origin


def test_online_orders_come_back_in_store_or_by_post() -> None:
    assert policies.allowed_methods(ReturnPolicyIn(), "online") == ["in_store", "by_post"]


def test_store_purchases_by_post_only_when_the_retailer_allows_it() -> None:
    assert policies.allowed_methods(ReturnPolicyIn(), "store") == ["in_store"]
    assert policies.method_refusal(ReturnPolicyIn(), "store", "by_post") == policies.METHOD_NOT_ALLOWED
    allows = ReturnPolicyIn(store_sales_by_post=True)
    assert policies.allowed_methods(allows, "store") == ["in_store", "by_post"]
    assert policies.method_refusal(allows, "store", "by_post") is None


# --- windows -------------------------------------------------------------------------------------
def test_window_by_channel() -> None:
    policy = ReturnPolicyIn(online_window_days=30, store_window_days=15)
    assert policies.window_days(policy, "online", []) == 30
    assert policies.window_days(policy, "store", []) == 15


def test_a_category_window_overrides_the_channel_and_the_longest_wins() -> None:
    policy = ReturnPolicyIn(
        online_window_days=30,
        category_windows=[
            CategoryWindowIn(category_id="toys", days=60),
            CategoryWindowIn(category_id="sale", days=7),
        ],
    )
    assert policies.window_days(policy, "online", ["sale"]) == 7
    assert policies.window_days(policy, "online", ["sale", "toys"]) == 60
    assert policies.window_days(policy, "online", ["shoes"]) == 30


def test_the_last_day_of_the_window_is_still_in_and_the_next_is_out() -> None:
    policy = ReturnPolicyIn(online_window_days=30)
    on_last_day = T0 + timedelta(days=30)
    assert (
        policies.line_refusal(policy, "online", facts(), started_at=T0, now=on_last_day, quantity=1) is None
    )
    assert (
        policies.line_refusal(
            policy, "online", facts(), started_at=T0, now=on_last_day + timedelta(seconds=1), quantity=1
        )
        == policies.WINDOW_PASSED
    )


def test_the_window_counts_from_delivery_or_collection_when_known() -> None:
    delivered = T0 + timedelta(days=4)
    assert policies.window_start(T0, []) == T0
    assert policies.window_start(T0, [T0 + timedelta(days=2), delivered]) == delivered


# --- exclusions ------------------------------------------------------------------------------------
def test_hygiene_and_personalised_categories_are_never_returnable() -> None:
    policy = ReturnPolicyIn(excluded_category_ids=["hygiene", "personalised"], excluded_skus=["GIFT-CARD"])
    assert policies.exclusion(policy, "SKU-1", ["beauty", "hygiene"]) == policies.EXCLUDED_CATEGORY
    assert policies.exclusion(policy, "GIFT-CARD", []) == policies.EXCLUDED_SKU
    assert policies.exclusion(policy, "SKU-1", ["beauty"]) is None
    # an exclusion wins even inside the window
    assert (
        policies.line_refusal(
            policy, "store", facts(categories=("personalised",)), started_at=T0, now=T0, quantity=1
        )
        == policies.EXCLUDED_CATEGORY
    )


def test_voucher_refunds_can_be_switched_off() -> None:
    assert policies.refund_to_refusal(ReturnPolicyIn(), "voucher") is None
    assert (
        policies.refund_to_refusal(ReturnPolicyIn(voucher_allowed=False), "voucher")
        == policies.VOUCHER_NOT_ALLOWED
    )
    assert policies.refund_to_refusal(ReturnPolicyIn(voucher_allowed=False), "original") is None


# --- conditions ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("condition", "action", "accepted", "restocked"),
    [
        ("resaleable", "restock", True, True),
        ("damaged", "write_off", True, False),
        ("faulty", "no_restock", True, False),
        ("used", "refuse", False, False),
        ("missing", "refuse", False, False),
    ],
)
def test_default_condition_actions(condition: str, action: str, accepted: bool, restocked: bool) -> None:
    got = policies.action_for(ReturnPolicyIn(), condition)  # type: ignore[arg-type]
    assert got == action
    assert policies.is_accepted(got) is accepted
    assert policies.is_restocked(got) is restocked


def test_a_retailer_may_refuse_damaged_goods_and_keep_the_other_defaults() -> None:
    policy = ReturnPolicyIn.model_validate({"condition_actions": {"damaged": "refuse"}})
    assert policies.action_for(policy, "damaged") == "refuse"
    assert policies.action_for(policy, "resaleable") == "restock"


# --- quantities and amounts ----------------------------------------------------------------------------
def test_claims_never_exceed_what_was_bought() -> None:
    assert policies.may_claim(bought=3, claimed=1, quantity=2)
    assert not policies.may_claim(bought=3, claimed=2, quantity=2)
    assert not policies.may_claim(bought=3, claimed=0, quantity=0)


def test_units_share_the_line_discount_and_the_last_takes_the_remainder() -> None:
    # 3 units for 10.00 (a 3-for-10 promotion): 3.33, 3.33, then 3.34
    total = Decimal("10.00")
    assert policies.refund_for(total, 3, 0, 1, "EUR") == Decimal("3.33")
    assert policies.refund_for(total, 3, 1, 1, "EUR") == Decimal("3.33")
    assert policies.refund_for(total, 3, 2, 1, "EUR") == Decimal("3.34")
    assert policies.refund_for(total, 3, 0, 3, "EUR") == Decimal("10.00")


def test_amounts_follow_the_currency_minor_unit() -> None:
    assert policies.refund_for(Decimal("1000"), 3, 0, 1, "JPY") == Decimal("333")
    assert policies.unit_price(Decimal("19.90"), 2, "EUR") == Decimal("9.95")


@given(
    total=st.decimals(min_value=Decimal("0"), max_value=Decimal("100000"), places=2),
    bought=st.integers(min_value=1, max_value=50),
    asks=st.lists(st.integers(min_value=1, max_value=60), min_size=1, max_size=12),
)
def test_partial_returns_never_refund_more_than_paid_and_exactly_all_of_it_at_the_end(
    total: Decimal, bought: int, asks: list[int]
) -> None:
    claimed = 0
    refunded = Decimal(0)
    for ask in asks:
        if not policies.may_claim(bought, claimed, ask):
            continue
        amount = policies.refund_for(total, bought, claimed, ask, "EUR")
        assert amount >= 0
        claimed += ask
        refunded += amount
        assert claimed <= bought
        assert refunded <= total
    if claimed == bought:
        assert refunded == total
    rest = bought - claimed
    if rest:
        refunded += policies.refund_for(total, bought, claimed, rest, "EUR")
        assert refunded == total


@given(
    bought=st.integers(min_value=1, max_value=20),
    asks=st.lists(st.integers(min_value=-5, max_value=25), max_size=20),
)
def test_cumulative_claims_never_exceed_the_quantity_bought(bought: int, asks: list[int]) -> None:
    claimed = 0
    for ask in asks:
        if policies.may_claim(bought, claimed, ask):
            claimed += ask
        assert 0 <= claimed <= bought


def test_delivery_is_refunded_once_with_the_last_units_of_an_online_order() -> None:
    policy = ReturnPolicyIn()
    paid = Decimal("4.90")
    assert policies.shipping_refund(policy, "online", paid, everything_back=True, already=False) == paid
    assert policies.shipping_refund(policy, "online", paid, everything_back=False, already=False) == 0
    assert policies.shipping_refund(policy, "online", paid, everything_back=True, already=True) == 0
    assert policies.shipping_refund(policy, "store", paid, everything_back=True, already=False) == 0
    off = ReturnPolicyIn(refund_shipping_on_full_return=False)
    assert policies.shipping_refund(off, "online", paid, everything_back=True, already=False) == 0
