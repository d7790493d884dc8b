"""Pure order rules: state machines per fulfilment, order and payment status, tenders, numbers."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from comptoir.orders import policies
from comptoir.orders.policies import OrdersRules, TenderProblem, TransitionRefused


@pytest.mark.parametrize(
    ("kind", "path"),
    [
        ("pickup_from_store_stock", ["allocate", "pick", "ready", "collect"]),
        ("pickup_after_transfer", ["dispatch_transfer", "receive_transfer", "pick", "ready", "collect"]),
        ("ship_from_warehouse", ["allocate", "pick", "ship", "deliver"]),
        ("ship_from_store", ["allocate", "pick", "ship", "deliver"]),
        ("reserve_and_collect", ["collect"]),
        ("carry_out", ["collect"]),
    ],
)
def test_each_fulfilment_kind_has_its_happy_path(kind: str, path: list[str]) -> None:
    status = policies.INITIAL_STATUS[kind]
    for action in path:
        status = policies.next_status(kind, status, action)
    assert status in ("collected", "delivered")


def test_a_shipped_parcel_cannot_be_cancelled():
    with pytest.raises(TransitionRefused) as refused:
        policies.next_status("ship_from_store", "shipped", "cancel")
    assert refused.value.allowed == ["deliver"]
    assert (
        str(refused.value)
        == "A ship_from_store fulfilment in status shipped cannot cancel (allowed: deliver)."
    )


def test_only_a_ready_pickup_expires():
    assert policies.next_status("pickup_from_store_stock", "ready_for_pickup", "expire") == "expired"
    with pytest.raises(TransitionRefused):
        policies.next_status("pickup_from_store_stock", "picking", "expire")
    with pytest.raises(TransitionRefused):
        policies.next_status("ship_from_warehouse", "shipped", "expire")


def test_a_store_sale_is_finished_once_paid():
    assert policies.INITIAL_STATUS["carry_out"] == "awaiting_payment"
    assert policies.allowed_actions("carry_out", "awaiting_payment") == ["collect", "cancel"]
    assert policies.next_status("carry_out", "awaiting_payment", "collect") == "collected"
    assert policies.allowed_actions("carry_out", "collected") == []
    assert policies.order_status(["awaiting_payment"]) == "placed"


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        (["placed", "placed"], "placed"),
        (["placed", "picking"], "in_progress"),
        (["ready_for_pickup", "ready_for_pickup"], "ready_for_pickup"),
        (["ready_for_pickup", "picking"], "in_progress"),
        (["delivered", "collected"], "completed"),
        (["delivered", "cancelled"], "completed"),
        (["cancelled", "expired"], "cancelled"),
    ],
)
def test_order_status_follows_its_fulfilments(statuses: list[str], expected: str) -> None:
    assert policies.order_status(statuses) == expected


@pytest.mark.parametrize(
    ("states", "expected"),
    [
        (["authorised", "captured"], "authorised"),
        (["captured", "captured"], "paid"),
        (["pending"], "pending"),
        (["captured", "voided"], "paid"),
        (["voided"], "voided"),
        (["refunded"], "refunded"),
        (["captured", "partially_refunded"], "partially_refunded"),
    ],
)
def test_payment_status_from_payment_states(states: list[str], expected: str) -> None:
    assert policies.payment_status(states) == expected


@pytest.mark.parametrize(
    ("mode", "source_kind", "source", "pickup", "expected"),
    [
        ("home_delivery", "warehouse", "wh", None, "ship_from_warehouse"),
        ("home_delivery", "store", "s1", None, "ship_from_store"),
        ("click_and_collect", "store", "s1", "s1", "pickup_from_store_stock"),
        ("click_and_collect", "warehouse", "wh", "s1", "pickup_after_transfer"),
        ("reserve_and_collect", "store", "s1", "s1", "reserve_and_collect"),
        ("store_sale", "store", "s1", None, "carry_out"),
    ],
)
def test_fulfilment_kind(mode: str, source_kind: str, source: str, pickup: str | None, expected: str) -> None:
    assert policies.fulfilment_kind(mode, source_kind, source, pickup) == expected


def test_pickup_deadline_is_the_end_of_the_last_day():
    ready = datetime(2026, 3, 2, 15, 30, tzinfo=UTC)
    assert policies.pickup_deadline(ready, 7) == datetime(2026, 3, 9, 23, 59, 59, tzinfo=UTC)


def test_tenders_split_the_total_and_the_last_takes_the_rest():
    tenders = policies.split_tenders(
        "home_delivery",
        Decimal("59.80"),
        [("gift_card", Decimal("20.00"), {"gift_card_code": "GC1"}), ("card", None, {"card_token": "tok"})],
        OrdersRules(),
    )
    assert [(t.method, t.amount) for t in tenders] == [
        ("gift_card", Decimal("20.00")),
        ("card", Decimal("39.80")),
    ]


@pytest.mark.parametrize(
    ("mode", "expected"), [("reserve_and_collect", "pay_in_store"), ("click_and_collect", "pay_at_pickup")]
)
def test_pickups_default_to_paying_there(mode: str, expected: str) -> None:
    assert [t.method for t in policies.split_tenders(mode, Decimal("10"), [], OrdersRules())] == [expected]


@pytest.mark.parametrize(
    ("mode", "tenders", "field", "message"),
    [
        ("home_delivery", [], "tenders", "Say how the order is paid."),
        (
            "home_delivery",
            [("pay_at_pickup", None, {})],
            "tenders/0/method",
            "Paying at pickup needs a pickup order.",
        ),
        ("home_delivery", [("card", Decimal("5"), {})], "tenders", "The tenders leave 5.00 of 10.00 unpaid."),
        (
            "home_delivery",
            [("card", Decimal("11"), {})],
            "tenders/0/amount",
            "The tenders exceed the order total of 10.00.",
        ),
        (
            "home_delivery",
            [("card", None, {}), ("gift_card", Decimal("1"), {})],
            "tenders/0/amount",
            "Only the last tender may leave its amount out.",
        ),
    ],
)
def test_bad_tenders_name_the_field(mode: str, tenders: list, field: str, message: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(TenderProblem) as problem:
        policies.split_tenders(mode, Decimal("10.00"), tenders, OrdersRules())
    assert (problem.value.field, str(problem.value)) == (field, message)


def test_order_numbers_are_short_and_unambiguous():
    assert policies.order_number(b"\x00\x00\x00\x00\x00") == "CMD-00000000"
    assert policies.order_number(b"\xff\xff\xff\xff\xff") == "CMD-ZZZZZZZZ"
    assert len(policies.order_number(b"\x12\x34\x56\x78\x9a")) == 12


def test_shipping_fee_only_for_home_delivery():
    rules = OrdersRules()
    assert policies.shipping_fee(rules, "home_delivery", "express") == Decimal("9.90")
    assert policies.shipping_fee(rules, "click_and_collect", "express") == Decimal("0")
    assert policies.shipping_fee(rules, "home_delivery", "drone") is None
