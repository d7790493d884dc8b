"""Loyalty rules without a database: earning, reversal, lots, tiers, value of points, access."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from comptoir.loyalty import policies
from comptoir.loyalty.policies import LotState, PaidLine, RefundedLine
from comptoir.loyalty.schemas import OperationRule
from tests.loyalty.conftest import HOME, T0, rules_without_operations

RULES = rules_without_operations()


def at(days: int) -> datetime:
    return T0 + timedelta(days=days)


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (datetime(2026, 1, 31, tzinfo=UTC), 1, datetime(2026, 2, 28, tzinfo=UTC)),
        (datetime(2024, 2, 29, tzinfo=UTC), 24, datetime(2026, 2, 28, tzinfo=UTC)),
        (datetime(2026, 3, 2, tzinfo=UTC), -12, datetime(2025, 3, 2, tzinfo=UTC)),
        (datetime(2026, 11, 15, tzinfo=UTC), 3, datetime(2027, 2, 15, tzinfo=UTC)),
    ],
    ids=["end-of-month", "leap-day", "backwards", "over-new-year"],
)
def test_add_months(start, months, expected) -> None:  # type: ignore[no-untyped-def]
    assert policies.add_months(start, months) == expected


def test_earning_rounds_down_once_and_counts_base_points_for_the_tier() -> None:
    lines = [PaidLine("l1", "A", 1, Decimal("19.99")), PaidLine("l2", "B", 2, Decimal("20.50"), (HOME,))]
    earning = policies.earn_for_order(RULES, lines, tier="prestige", channel="web", at=T0)
    # (19.99 + 20.50 x 2) x 1.5 = 91.485 -> 91; base 40.49 -> 40
    assert (earning.points, earning.qualifying, earning.operations) == (91, 40, ())


def test_an_operation_targets_channels_tiers_and_categories() -> None:
    op = OperationRule(
        code="prestige-maison",
        label="Triple points maison Prestige en magasin",
        multiplier=Decimal(3),
        starts_at=at(-1),
        ends_at=at(1),
        channels=["store"],
        tiers=["prestige"],
        category_ids=[HOME],
    )
    rules = RULES.model_copy(update={"operations": [op]})
    line = PaidLine("l1", "A", 1, Decimal(10), (HOME,))
    in_store = policies.earn_for_order(rules, [line], tier="prestige", channel="store:st_lyon", at=T0)
    on_web = policies.earn_for_order(rules, [line], tier="prestige", channel="web", at=T0)
    too_late = policies.earn_for_order(rules, [line], tier="prestige", channel="store:st_lyon", at=at(1))
    essentiel = policies.earn_for_order(rules, [line], tier="essentiel", channel="store:st_lyon", at=T0)
    assert [in_store.points, on_web.points, too_late.points, essentiel.points] == [90, 30, 30, 20]


def test_reversal_is_proportional_per_line_and_capped() -> None:
    earned = policies.earn_for_order(
        RULES,
        [PaidLine("l1", "PLAID", 1, Decimal(40), (HOME,)), PaidLine("l2", "PULL", 1, Decimal(80))],
        tier="essentiel",
        channel="web",
        at=T0,
    )
    assert earned.points == 160

    def reverse(*refunded: RefundedLine, already: int = 0) -> tuple[int, int]:
        return policies.reversal_for_refund(
            earned.lines,
            refunded,
            earned_points=earned.points,
            earned_qualifying=earned.qualifying,
            already_reversed=already,
            already_reversed_qualifying=0,
        )

    assert reverse(RefundedLine("PLAID", Decimal(40), "l1")) == (80, 40)
    assert reverse(RefundedLine("PULL", Decimal(20))) == (20, 20)  # found by sku
    assert reverse(RefundedLine("UNKNOWN", Decimal(60))) == (80, 60)  # order's average rate
    assert reverse(RefundedLine("PLAID", Decimal(40), "l1"), already=150) == (10, 40)


def test_lots_are_spent_soonest_expiring_first_and_the_orders_own_first_when_reversing() -> None:
    lots = [
        LotState("lot_b", 100, at(300), "ord_2"),
        LotState("lot_never", 100, None, None),
        LotState("lot_a", 50, at(100), "ord_1"),
    ]
    assert policies.take(lots, 120) == [("lot_a", 50), ("lot_b", 70)]
    assert policies.take(lots, 120, prefer_order="ord_2") == [("lot_b", 100), ("lot_a", 20)]
    assert policies.take(lots, 1000) == [("lot_a", 50), ("lot_b", 100), ("lot_never", 100)]
    due, live = policies.split_due(lots, at(100))
    assert ([d.id for d in due], [lot.id for lot in live]) == (["lot_a"], ["lot_b", "lot_never"])
    assert policies.expiring_soon(lots, at(0), at(200)) == [(at(100), 50)]


def test_tiers_promote_at_once_and_are_reviewed_at_the_end_of_the_window() -> None:
    assert policies.tier_for(RULES, 999) == "essentiel"
    assert policies.tier_for(RULES, 3000) == "prestige"
    assert policies.next_tier(RULES, "essentiel", 400) == ("privilege", 600)
    assert policies.next_tier(RULES, "prestige", 5000) == (None, None)
    promoted = policies.promote(RULES, "essentiel", None, None, 1200, T0)
    assert promoted == policies.TierDecision("privilege", True, T0, policies.add_months(T0, 12))
    kept = policies.promote(RULES, "prestige", at(-10), at(355), 1200, T0)
    assert kept == policies.TierDecision("prestige", False, at(-10), at(355))
    demoted = policies.review(RULES, "prestige", at(-365), 1200, T0)
    assert demoted == policies.TierDecision("privilege", True, T0, policies.add_months(T0, 12))
    to_base = policies.review(RULES, "privilege", at(-365), 10, T0)
    assert to_base == policies.TierDecision("essentiel", True, T0, None)


def test_points_as_money_never_give_more_than_they_are_worth() -> None:
    assert policies.value_of(RULES, 499) == Decimal("9.98")
    odd = RULES.model_copy(update={"point_value": Decimal("0.015")})
    assert policies.value_of(odd, 3) == Decimal("0.04")  # 0.045 rounded down
    assert policies.points_needed(odd, Decimal("0.04")) == 3
    assert policies.points_needed(RULES, Decimal(0)) == 0


@pytest.mark.parametrize(
    ("channel_kind", "signed_in", "target", "allowed"),
    [
        ("web", "cus_a", "cus_a", True),
        ("app", "cus_b", "cus_a", False),
        ("web", None, "cus_a", False),
        ("store", None, "cus_a", True),
        ("call-centre", None, "cus_a", True),
        ("back-office", None, "cus_a", True),
    ],
)
def test_who_may_reach_an_account(channel_kind, signed_in, target, allowed) -> None:  # type: ignore[no-untyped-def]
    assert (policies.may_reach_account(channel_kind, signed_in, target) is None) is allowed
