"""The loyalty service as other domains and handlers call it: earn, redeem, refund, expire, reverse, merge."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from comptoir.core.errors import InvalidInput
from comptoir.loyalty import service
from comptoir.loyalty.policies import RefundedLine
from comptoir.loyalty.schemas import AdjustmentIn, OperationRule, RedeemPointsIn
from tests.loyalty.conftest import HOME, ledger_state, rules_without_operations

pytestmark = pytest.mark.usefixtures("programme")


def redeem(step, customer_id: str, points: int, reference: str, channel: str = "web"):  # type: ignore[no-untyped-def]
    with step() as uow:
        return service.redeem_points(
            uow, RedeemPointsIn(customer_id=customer_id, points=points, reference=reference, channel=channel)
        )


def test_a_paid_order_earns_one_point_per_euro_rounded_down_once(pay, step, db) -> None:  # type: ignore[no-untyped-def]
    # given two lines of 19.90 and 30.60 paid on the web
    # when the order is paid
    entry = pay("ord_1", "cus_a", "19.90", "30.60")
    # then 50 points (50.50 rounded down once, not 19 + 30), expiring in 24 months
    assert entry is not None
    assert (entry.kind, entry.points, entry.balance_after) == ("earn", 50, 50)
    assert entry.expires_at == entry.occurred_at.replace(year=entry.occurred_at.year + 2)
    with step() as uow:
        acct = service.account(uow, "cus_a")
    assert (acct.balance, acct.value, acct.tier, acct.qualifying_points) == (
        50,
        Decimal("1.00"),
        "essentiel",
        50,
    )
    assert ledger_state(db, "cus_a") == (50, 50, 50)


def test_earning_is_idempotent_by_order(pay, db) -> None:  # type: ignore[no-untyped-def]
    first = pay("ord_1", "cus_a", "100")
    again = pay("ord_1", "cus_a", "100")
    assert again == first
    assert ledger_state(db, "cus_a") == (100, 100, 100)


def test_category_tier_and_operation_multipliers_combine(step, pay, now) -> None:  # type: ignore[no-untyped-def]
    # given a double-points weekend on the web only, and home linen at x2
    rules = rules_without_operations(
        operations=[
            OperationRule(
                code="weekend",
                label="Week-end double points",
                multiplier=Decimal(2),
                starts_at=now.at - timedelta(days=1),
                ends_at=now.at + timedelta(days=1),
                channels=["web"],
            )
        ]
    )
    with step() as uow:
        service.set_programme(uow, rules, expected_version=1)
    # when a home-linen line of 10 € is paid on the web, then in a store
    web = pay("ord_web", "cus_a", "10", categories=(HOME,))
    shop = pay("ord_shop", "cus_b", "10", categories=(HOME,), channel="store:st_paris_rivoli")
    # then the web earns 10 x 2 (category) x 2 (operation); the shop only the category's x2
    assert web is not None and web.points == 40 and web.reason == "weekend"
    assert shop is not None and shop.points == 20 and shop.reason is None


def test_reaching_a_tier_promotes_at_once_and_its_multiplier_applies_next_time(pay, step) -> None:  # type: ignore[no-untyped-def]
    pay("ord_1", "cus_a", "999")
    with step() as uow:
        assert service.tier_of(uow, "cus_a") == "essentiel"
    pay("ord_2", "cus_a", "1")
    with step() as uow:
        assert service.tier_of(uow, "cus_a") == "privilege"
    third = pay("ord_3", "cus_a", "100")
    assert third is not None and third.points == 125  # Privilège earns x1.25
    with step() as uow:
        acct = service.account(uow, "cus_a")
    # qualifying points count the base points (1,100), not the multiplied ones
    assert (acct.tier, acct.qualifying_points, acct.next_tier, acct.points_to_next_tier) == (
        "privilege",
        1100,
        "prestige",
        1900,
    )


def test_tier_is_kept_for_the_window_then_reviewed(pay, step, now) -> None:  # type: ignore[no-untyped-def]
    pay("ord_1", "cus_a", "1000")
    # eleven months later the review is not due: nothing changes
    now.advance(days=330)
    with step() as uow:
        assert service.review_tiers(uow) == 0
        assert service.tier_of(uow, "cus_a") == "privilege"
    # after twelve months, no purchase in the window: back to Essentiel
    now.advance(days=40)
    with step() as uow:
        assert service.review_tiers(uow) == 1
        assert service.tier_of(uow, "cus_a") == "essentiel"
        assert [e.event_type for e in uow.pending_events] == ["loyalty.tier_changed"]


def test_redeeming_spends_the_soonest_expiring_points_first(pay, step, now, db) -> None:  # type: ignore[no-untyped-def]
    pay("ord_old", "cus_a", "100")
    now.advance(days=200)
    pay("ord_new", "cus_a", "100")
    entry = redeem(step, "cus_a", 150, "pay_1")
    assert (entry.kind, entry.points, entry.balance_after) == ("redeem", -150, 50)
    # when the first lot's date passes, nothing is left of it; the second keeps its 50
    now.at = now.at.replace(year=now.at.year + 2) - timedelta(days=100)
    with step() as uow:
        run = service.expire_points(uow)
    assert (run.accounts, run.points) == (0, 0)
    assert ledger_state(db, "cus_a") == (50, 50, 50)
    now.advance(days=200)
    with step() as uow:
        run = service.expire_points(uow)
    assert (run.accounts, run.points) == (1, 50)
    assert ledger_state(db, "cus_a") == (0, 0, 0)


def test_expired_points_cannot_be_spent_even_before_the_job_runs(pay, step, now) -> None:  # type: ignore[no-untyped-def]
    pay("ord_1", "cus_a", "100")
    now.advance(days=800)
    with step() as uow:
        assert service.account(uow, "cus_a").balance == 0
    with pytest.raises(service.InsufficientPoints):
        redeem(step, "cus_a", 50, "pay_1")


def test_not_enough_points_is_a_409_and_writes_nothing(pay, step, db) -> None:  # type: ignore[no-untyped-def]
    pay("ord_1", "cus_a", "100")
    with pytest.raises(service.InsufficientPoints) as refused:
        redeem(step, "cus_a", 101, "pay_1")
    assert refused.value.status == 409
    assert refused.value.extensions == {"balance": 100, "requested": 101}
    assert ledger_state(db, "cus_a") == (100, 100, 100)


def test_redemption_replays_by_reference_and_refuses_a_reused_one(pay, step, db) -> None:  # type: ignore[no-untyped-def]
    pay("ord_1", "cus_a", "300")
    first = redeem(step, "cus_a", 100, "pay_1")
    assert redeem(step, "cus_a", 100, "pay_1") == first
    with pytest.raises(service.ReferenceReused):
        redeem(step, "cus_a", 60, "pay_1")
    assert ledger_state(db, "cus_a") == (200, 200, 200)


def test_below_the_minimum_redemption_names_the_field(pay, step) -> None:  # type: ignore[no-untyped-def]
    pay("ord_1", "cus_a", "300")
    with pytest.raises(InvalidInput) as refused:
        redeem(step, "cus_a", 10, "pay_1")
    assert refused.value.errors == [
        {"pointer": "#/points", "detail": "At least 50 points can be redeemed at once."}
    ]


def test_refund_gives_the_points_back_once(pay, step, db) -> None:  # type: ignore[no-untyped-def]
    pay("ord_1", "cus_a", "300")
    redeem(step, "cus_a", 250, "pay_1")
    with step() as uow:
        refund = service.refund_points(uow, "pay_1")
        assert service.refund_points(uow, "pay_unknown") is None
    assert refund is not None and (refund.kind, refund.points, refund.balance_after) == ("refund", 250, 300)
    with step() as uow:
        assert service.refund_points(uow, "pay_1") == refund
    assert ledger_state(db, "cus_a") == (300, 300, 300)


def test_points_value_and_points_for_amount(step) -> None:  # type: ignore[no-untyped-def]
    with step() as uow:
        assert service.points_value(uow, 500, "EUR") == Decimal("10.00")
        assert service.points_value(uow, 1, "EUR") == Decimal("0.02")
        assert service.points_for_amount(uow, Decimal("10.00"), "EUR") == 500
        assert service.points_for_amount(uow, Decimal("10.01"), "EUR") == 501
        with pytest.raises(InvalidInput) as refused:
            service.points_value(uow, 500, "USD")
    assert refused.value.errors[0]["pointer"] == "#/currency"


def test_a_cancelled_order_takes_back_what_is_left_of_its_points(pay, step, db) -> None:  # type: ignore[no-untyped-def]
    # given 100 points from the order, 20 from an adjustment, and 90 spent
    pay("ord_1", "cus_a", "100")
    with step() as uow:
        service.adjust(uow, "cus_a", AdjustmentIn(points=20, reason="goodwill"))
    redeem(step, "cus_a", 90, "pay_1")
    # when the order is cancelled
    with step() as uow:
        entry = service.reverse_for_order(
            uow, order_id="ord_1", cause="order_cancelled", reference="cancelled"
        )
        events = [(e.event_type, e.data()) for e in uow.pending_events]
    # then the 30 points left are taken, 70 could not be taken back, the balance stays at zero
    assert entry is not None and (entry.points, entry.balance_after) == (-30, 0)
    assert events[0][1]["unrecovered"] == 70
    assert ledger_state(db, "cus_a") == (0, 0, 0)


def test_a_partial_refund_takes_back_points_in_proportion_per_line(pay, step, db) -> None:  # type: ignore[no-untyped-def]
    # given a home-linen line (x2) of 50 € and another line of 50 €: 150 points
    pay("ord_1", "cus_a", "50", categories=(HOME,))
    pay("ord_2", "cus_a", "50")
    assert ledger_state(db, "cus_a") == (150, 150, 150)
    # when half of the home-linen line is refunded, then all of it, then again (replay)
    with step() as uow:
        half = service.reverse_for_order(
            uow,
            order_id="ord_1",
            cause="return_refunded",
            reference="ret_1",
            refunded=[RefundedLine(sku="SKU-1", amount=Decimal("25"), line_id="l1")],
        )
        rest = service.reverse_for_order(
            uow,
            order_id="ord_1",
            cause="return_refunded",
            reference="ret_2",
            refunded=[RefundedLine(sku="SKU-1", amount=Decimal("50"), line_id="l1")],
        )
        replay = service.reverse_for_order(
            uow,
            order_id="ord_1",
            cause="return_refunded",
            reference="ret_2",
            refunded=[RefundedLine(sku="SKU-1", amount=Decimal("50"), line_id="l1")],
        )
    assert half is not None and half.points == -50
    assert rest is not None and rest.points == -50  # never more than the order earned
    assert replay == rest
    assert ledger_state(db, "cus_a") == (50, 50, 50)


def test_merged_customers_share_one_ledger_and_old_ids_follow(pay, step, db) -> None:  # type: ignore[no-untyped-def]
    pay("ord_a", "cus_a", "600")
    pay("ord_b", "cus_b", "500")
    redeem(step, "cus_b", 100, "pay_b")
    with step() as uow:
        moved = service.merge_accounts(uow, "cus_a", ["cus_b"], "mrg_1")
        assert service.merge_accounts(uow, "cus_a", ["cus_b"], "mrg_1") == 0
        types = [e.event_type for e in uow.pending_events]
    assert moved == 400
    # then the survivor holds 1,000 points and its qualifying points reach Privilège
    assert types == ["loyalty.ledgers_merged", "loyalty.tier_changed"]
    with step() as uow:
        acct = service.account(uow, "cus_b")
        assert (acct.customer_id, acct.balance, acct.tier, acct.qualifying_points) == (
            "cus_a",
            1000,
            "privilege",
            1100,
        )
        history = service.history(uow, "cus_a", limit=50)
    assert sorted(e.kind for e in history.items) == ["earn", "earn", "merge_in", "merge_out", "redeem"]
    assert ledger_state(db, "cus_a") == (1000, 1000, 1000)
    # points earned or spent later under the old id land on the survivor
    pay("ord_b2", "cus_b", "10")
    redeem(step, "cus_b", 60, "pay_b2")
    assert ledger_state(db, "cus_a") == (952, 952, 952)  # 10 € at Privilège: 12 points
    assert ledger_state(db, "cus_b") == (0, 0, 0)


def test_history_pages_newest_first(pay, step) -> None:  # type: ignore[no-untyped-def]
    for i in range(5):
        pay(f"ord_{i}", "cus_a", "10")
    with step() as uow:
        first = service.history(uow, "cus_a", limit=3)
        second = service.history(uow, "cus_a", cursor=first.next_cursor, limit=3)
    assert [e.order_id for e in first.items] == ["ord_4", "ord_3", "ord_2"]
    assert [e.order_id for e in second.items] == ["ord_1", "ord_0"]
    assert second.next_cursor is None


def test_a_negative_adjustment_cannot_go_below_zero(pay, step, db) -> None:  # type: ignore[no-untyped-def]
    pay("ord_1", "cus_a", "40")
    with pytest.raises(service.InsufficientPoints):
        with step() as uow:
            service.adjust(uow, "cus_a", AdjustmentIn(points=-41, reason="mistake"))
    with step() as uow:
        entry = service.adjust(uow, "cus_a", AdjustmentIn(points=-40, reason="mistake"))
    assert (entry.points, entry.balance_after, entry.reason) == (-40, 0, "mistake")
    assert ledger_state(db, "cus_a") == (0, 0, 0)


def test_360_section(pay, step) -> None:  # type: ignore[no-untyped-def]
    pay("ord_1", "cus_a", "120")
    with step() as uow:
        section = service.customer_section(uow, "cus_a")
    assert section["balance"] == 120 and section["value"] == "2.40" and section["tier_name"] == "Essentiel"
    assert [h["kind"] for h in section["history"]] == ["earn"]


def test_the_part_of_an_order_paid_with_points_earns_no_points(pay, step) -> None:  # type: ignore[no-untyped-def]
    # given 1,000 points, 500 of which (10 €) pay part of a 100 € order
    pay("ord_0", "cus_a", "1000")
    with step() as uow:
        service.redeem_points(
            uow,
            RedeemPointsIn(
                customer_id="cus_a", points=500, reference="pay_1", channel="app", order_id="ord_1"
            ),
        )
    # when the order is paid: 90 € paid otherwise, at Privilège (x1.25)
    entry = pay("ord_1", "cus_a", "60", "40")
    # then it earns on 90 €, not 100 €
    assert entry is not None and entry.points == 112


def test_an_undone_merge_gives_back_what_is_left_of_the_points_brought(pay, step, db) -> None:  # type: ignore[no-untyped-def]
    # given cus_b (300 points) merged into cus_a (200 points), then 250 points spent, soonest first
    pay("ord_b", "cus_b", "300")
    pay("ord_a", "cus_a", "200")
    with step() as uow:
        service.merge_accounts(uow, "cus_a", ["cus_b"], "mrg_1")
    redeem(step, "cus_a", 250, "pay_1")
    # when the merge is undone (and the event delivered twice)
    with step() as uow:
        moved = service.unmerge_accounts(uow, "cus_a", ["cus_b"], "mrg_1")
        assert service.unmerge_accounts(uow, "cus_a", ["cus_b"], "mrg_1") == 0
    # then cus_b gets back the 50 points left of its lot, cus_a keeps its own 200
    assert moved == 50
    assert ledger_state(db, "cus_b") == (50, 50, 50)
    assert ledger_state(db, "cus_a") == (200, 200, 200)
    with step() as uow:
        assert service.account(uow, "cus_b").customer_id == "cus_b"


def test_refunding_after_an_undone_merge_keeps_both_ledgers_whole(pay, step, db) -> None:  # type: ignore[no-untyped-def]
    # given cus_b merged into cus_a, then a redemption taken from the points cus_b brought
    pay("ord_b", "cus_b", "300")
    with step() as uow:
        service.merge_accounts(uow, "cus_a", ["cus_b"], "mrg_1")
    redeem(step, "cus_a", 200, "pay_1")
    with step() as uow:
        service.unmerge_accounts(uow, "cus_a", ["cus_b"], "mrg_1")
    # when the redemption is refunded
    with step() as uow:
        service.refund_points(uow, "pay_1")
    # then the payer (cus_a) gets the points back, cus_b keeps the 100 left of its lot
    assert ledger_state(db, "cus_a") == (200, 200, 200)
    assert ledger_state(db, "cus_b") == (100, 100, 100)
