"""The wishlists' rules, pure: back in stock only from a known "out" to orderable; a price drop only when
lower by the threshold; at most one notice of a kind per customer and SKU a week."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from comptoir.engagement import wish_rules as rules

PRICES = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("10000"), places=2)
NOW = datetime(2027, 6, 7, 8, 0, tzinfo=UTC)


def test_back_in_stock_needs_a_known_out_of_stock_before() -> None:
    assert rules.came_back(False, 1)
    assert not rules.came_back(False, 0)
    assert not rules.came_back(True, 5)  # it was in stock: nothing came back
    assert not rules.came_back(None, 5)  # never seen: no "before", no message


@given(before=PRICES, after=PRICES)
def test_a_drop_is_never_signalled_for_a_rise_or_a_drop_under_the_threshold(
    before: Decimal, after: Decimal
) -> None:
    if rules.dropped(before, after):
        assert after < before
        assert before - after >= before * rules.PRICE_DROP_AT_LEAST


@given(before=PRICES)
def test_a_drop_of_the_threshold_is_signalled(before: Decimal) -> None:
    after = (before * (1 - rules.PRICE_DROP_AT_LEAST)).quantize(Decimal("0.01"), rounding="ROUND_FLOOR")
    assert rules.dropped(before, after)


def test_unknown_prices_signal_nothing() -> None:
    assert not rules.dropped(None, Decimal("10"))
    assert not rules.dropped(Decimal("10"), None)
    assert not rules.dropped(Decimal("0"), Decimal("0"))
    assert not rules.dropped(Decimal("59.90"), Decimal("57.90"))  # 3.3 %


@given(days=st.integers(min_value=0, max_value=30), minutes=st.integers(min_value=0, max_value=24 * 60))
def test_one_notice_of_a_kind_a_week(days: int, minutes: int) -> None:
    last = NOW - timedelta(days=days, minutes=minutes)
    for kind in rules.KINDS:
        allowed = rules.may_notify(last, NOW, kind)
        assert allowed == (NOW - last >= timedelta(days=7))
        assert allowed == (last <= rules.recent_since(NOW, kind))
    assert rules.may_notify(None, NOW, rules.BACK_IN_STOCK)
