"""The payment state machine, how refunds are split and gift-card rules — no database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import product

import pytest
from hypothesis import given
from hypothesis import strategies as st

from comptoir.payments import policies
from comptoir.payments.policies import Refundable, RefundTooLarge, split_refund

STATES = ["pending", "authorised", "captured", "partially_refunded", "refunded", "voided", "failed"]
ALLOWED = {
    ("pending", "authorised"),
    ("pending", "captured"),
    ("pending", "voided"),
    ("pending", "failed"),
    ("authorised", "captured"),
    ("authorised", "voided"),
    ("authorised", "failed"),
    ("captured", "partially_refunded"),
    ("captured", "refunded"),
    ("partially_refunded", "partially_refunded"),
    ("partially_refunded", "refunded"),
}


@pytest.mark.parametrize(("current", "target"), list(product(STATES, STATES)), ids="{0[0]}->{0[1]}".format)
def test_every_transition_is_allowed_or_refused_as_specified(current: str, target: str) -> None:
    # given a payment in `current`, when asked to move to `target`, then only the listed moves pass
    expected = (current, target) in ALLOWED
    assert policies.can_transition(current, target) is expected  # type: ignore[arg-type]
    if expected:
        policies.check_transition(current, target)  # type: ignore[arg-type]
    else:
        with pytest.raises(policies.TransitionRefused, match=f"from {current} to {target}"):
            policies.check_transition(current, target)  # type: ignore[arg-type]


def test_terminal_states_and_guard_sources() -> None:
    assert {"refunded", "voided", "failed"} == policies.TERMINAL
    assert policies.sources_for("captured") == ("authorised", "pending")
    assert policies.sources_for("voided") == ("authorised", "pending")
    assert policies.sources_for("refunded") == ("captured", "partially_refunded")


@pytest.mark.parametrize(
    ("captured", "refunded", "state"),
    [("10", "0", "captured"), ("10", "4", "partially_refunded"), ("10", "10", "refunded")],
)
def test_state_after_refund(captured: str, refunded: str, state: str) -> None:
    assert policies.state_after_refund(Decimal(captured), Decimal(refunded)) == state


def test_out_of_order_provider_events_are_stale() -> None:
    assert policies.is_stale("captured", "authorised")
    assert policies.is_stale("authorised", "authorised")
    assert policies.is_stale("voided", "captured")
    assert not policies.is_stale("pending", "authorised")
    assert not policies.is_stale("authorised", "captured")


def test_stored_value_is_taken_first_and_the_card_last() -> None:
    methods = ["card", "pay_in_store", "gift_card", "loyalty_points"]
    assert policies.authorisation_order(methods) == [3, 2, 1, 0]  # type: ignore[arg-type]


def r(pid: str, method: str, amount: str, whole: bool = False) -> Refundable:
    return Refundable(pid, method, Decimal(amount), whole)  # type: ignore[arg-type]


def test_refund_goes_to_gift_card_first_then_card() -> None:
    # given an order paid 20 by card and 30 by gift card, when 35 is refunded
    split = split_refund(Decimal("35"), [r("p1", "card", "20"), r("p2", "gift_card", "30")])
    # then the gift card gets its 30 back and the card 5
    assert split.parts == [("p2", Decimal("30")), ("p1", Decimal("5"))]
    assert split.to_voucher == 0


def test_points_go_back_whole_or_the_rest_becomes_a_voucher() -> None:
    # given 10 paid in points only, when 4 is refunded, then points cannot go back in part: a voucher of 4
    split = split_refund(Decimal("4"), [r("p1", "loyalty_points", "10", whole=True)])
    assert split.parts == [] and split.to_voucher == Decimal("4")
    # when the card can take it instead, the card does
    split = split_refund(Decimal("4"), [r("p1", "loyalty_points", "10", whole=True), r("p2", "card", "5")])
    assert split.parts == [("p2", Decimal("4"))] and split.to_voucher == 0
    # and a refund covering the points gives them back whole
    split = split_refund(Decimal("12"), [r("p1", "loyalty_points", "10", whole=True), r("p2", "card", "5")])
    assert split.parts == [("p1", Decimal("10")), ("p2", Decimal("2"))]


def test_never_more_than_what_remains_refundable() -> None:
    with pytest.raises(RefundTooLarge) as refused:
        split_refund(Decimal("50.01"), [r("p1", "card", "20"), r("p2", "gift_card", "30")])
    assert refused.value.available == Decimal("50")


amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("500"), places=2)


@given(
    payments=st.lists(
        st.tuples(st.sampled_from(["card", "gift_card", "loyalty_points", "pay_in_store"]), amounts),
        min_size=1,
        max_size=5,
    ),
    share=st.decimals(min_value=Decimal("0.01"), max_value=Decimal("1"), places=2),
)
def test_split_refund_invariants(payments: list[tuple[str, Decimal]], share: Decimal) -> None:
    given_payments = [r(f"p{i}", m, str(a), whole=m == "loyalty_points") for i, (m, a) in enumerate(payments)]
    total = sum((p.refundable for p in given_payments), Decimal(0))
    amount = max(Decimal("0.01"), (total * share).quantize(Decimal("0.01")))
    split = split_refund(amount, given_payments)
    by_id = {p.payment_id: p for p in given_payments}
    # every euro asked is placed exactly once
    assert sum((a for _, a in split.parts), Decimal(0)) + split.to_voucher == amount
    for pid, part in split.parts:
        assert Decimal(0) < part <= by_id[pid].refundable
        if by_id[pid].whole_only:
            assert part == by_id[pid].refundable
    assert len({pid for pid, _ in split.parts}) == len(split.parts)
    # a voucher only happens for what whole-only points could not take
    if split.to_voucher:
        assert any(p.whole_only for p in given_payments)


NOW = datetime(2026, 11, 27, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({}, None),
        ({"status": "disabled"}, "disabled"),
        ({"pin_failures": 5}, "locked"),
        ({"expires_at": NOW - timedelta(seconds=1)}, "expired"),
        ({"currency": "GBP"}, "currency"),
        ({"balance": Decimal("9.99")}, "insufficient_balance"),
    ],
)
def test_gift_card_refusals(changes: dict[str, object], reason: str | None) -> None:
    card: dict[str, object] = {
        "status": "active",
        "currency": "EUR",
        "balance": Decimal("10.00"),
        "expires_at": NOW + timedelta(days=1),
        "pin_failures": 0,
    }
    card.update(changes)
    assert policies.gift_card_refusal(**card, asked_currency="EUR", asked=Decimal("10.00"), now=NOW) == reason  # type: ignore[arg-type]


def test_codes_are_readable_and_masked() -> None:
    code = policies.new_gift_card_code()
    assert code.startswith("GC-") and len(code) == 22
    assert not set(code.replace("-", "")[2:]) & set("01OI")
    assert policies.mask_code(code) == "•••• " + code[-4:]
    assert policies.normalise_code(" gc-ab cd ") == "GC-ABCD"
    assert len(policies.new_pin()) == 6
