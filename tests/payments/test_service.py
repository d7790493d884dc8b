"""The payments service as orders and returns call it: authorise, capture, void, refund, compensation."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from comptoir.core.db import Database
from comptoir.core.models import OutboxEvent
from comptoir.core.uow import UnitOfWork
from comptoir.loyalty import service as loyalty_service
from comptoir.loyalty.schemas import AdjustmentIn
from comptoir.payments import compensation, service
from comptoir.payments.providers.sandbox import Sandbox
from comptoir.payments.schemas import RefundIn
from tests.payments.conftest import authorise_in, card, gift, points, till

Step = Callable[..., Any]


def events(db: Database, prefix: str = "payments.") -> list[tuple[str, dict[str, Any]]]:
    with UnitOfWork(db, read_only=True) as uow:
        rows = uow.session.execute(
            select(OutboxEvent.type, OutboxEvent.payload)
            .where(OutboxEvent.type.like(f"{prefix}%"))
            .order_by(OutboxEvent.seq)
        ).all()
    return [(t, p) for t, p in rows]


def balance(step: Step, code: str) -> Decimal:
    with step() as uow:
        return service.gift_card(uow, code).balance


def test_mixed_tenders_take_stored_value_at_once_and_hold_the_card(
    step: Step, sandbox: Sandbox, issue: Any
) -> None:
    # given a 30 € gift card
    gc = issue("30.00")
    # when an order is paid 20 by gift card, 45.50 by card and 10 at pickup
    with step() as uow:
        out = service.authorise(
            uow, authorise_in("ord_1", gift("20", gc.code), card("45.50"), till("10", "pay_at_pickup"))
        )
    # then the gift card is captured (debited), the card authorised at the provider, the pickup pending
    states = {p.method: (p.state, str(p.amount), str(p.captured_amount)) for p in out}
    assert states == {
        "gift_card": ("captured", "20.00", "20.00"),
        "card": ("authorised", "45.50", "0.00"),
        "pay_at_pickup": ("pending", "10.00", "0.00"),
    }
    assert balance(step, gc.code) == Decimal("10.00")
    card_payment = next(p for p in out if p.method == "card")
    assert sandbox.intents[card_payment.provider_reference].status == "requires_capture"  # type: ignore[index]
    assert sandbox.intents[card_payment.provider_reference].metadata == {
        "payment_id": card_payment.id,
        "order_id": "ord_1",
    }  # type: ignore[index]
    # and replaying the authorisation returns the same payments
    with step() as uow:
        again = service.authorise(uow, authorise_in("ord_1", gift("20", gc.code), card("45.50")))
    assert [p.id for p in again] == [p.id for p in out]
    # when the goods leave, everything is captured
    with step() as uow:
        captured = service.capture_order(uow, "ord_1")
    assert {p.state for p in captured} == {"captured"}
    assert sandbox.intents[card_payment.provider_reference].status == "succeeded"  # type: ignore[index]


def test_a_declined_card_leaves_nothing_taken(step: Step, db: Database, sandbox: Sandbox, issue: Any) -> None:
    gc = issue("30.00")
    # when the gift card would pay 20 and the card is declined
    with pytest.raises(service.PaymentDeclined) as declined, step() as uow:
        service.authorise(uow, authorise_in("ord_1", gift("20", gc.code), card("10", "tok_declined")))
    # then the checkout fails naming the tender, and the gift card keeps its balance
    assert declined.value.extensions["decline_code"] == "card_declined"
    assert declined.value.errors == [{"pointer": "#/tenders/1/details/card_token", "detail": "declined"}]
    assert balance(step, gc.code) == Decimal("30.00")
    with step() as uow:
        assert service.payments_of(uow, "ord_1") == []


def test_card_authorised_then_caller_fails_is_voided_at_once(db: Database, sandbox: Sandbox) -> None:
    # given a checkout that authorises a card, then fails (e.g. stock ran out) and rolls back
    with pytest.raises(RuntimeError), UnitOfWork(db) as uow:
        out = service.authorise(uow, authorise_in("ord_1", card("80")))
        reference = out[0].provider_reference
        raise RuntimeError("out of stock")
    # then the provider no longer holds the money
    assert sandbox.intents[reference].status == "canceled"  # type: ignore[index]
    with UnitOfWork(db) as uow:
        assert service.payments_of(uow, "ord_1") == []


def test_committed_authorisation_is_not_voided_by_a_later_rollback(db: Database, sandbox: Sandbox) -> None:
    with UnitOfWork(db) as uow:
        out = service.authorise(uow, authorise_in("ord_1", card("80")))
        uow.commit()
    # a later unit of work on the same session factory rolling back does not touch it
    with UnitOfWork(db) as uow:
        service.payments_of(uow, "ord_1")
    assert sandbox.intents[out[0].provider_reference].status == "requires_capture"  # type: ignore[index]


def test_reconciliation_voids_authorisations_of_orders_that_never_committed(
    db: Database, step: Step, sandbox: Sandbox
) -> None:
    # given a process that died after the provider authorised but before the commit (nothing of ours left)
    from comptoir.payments import providers

    provider = providers.card_provider()
    lost = provider.authorise(
        idempotency_key="pay_lost",
        amount=Decimal("25"),
        currency="EUR",
        token="tok_visa",
        metadata={"payment_id": "pay_lost", "order_id": "ord_lost"},
    )
    # and a live order's authorisation
    with step() as uow:
        live = service.authorise(uow, authorise_in("ord_live", card("40")))
    # when the reconciliation job runs
    with step() as uow:
        voided = compensation.void_abandoned_authorisations(uow, older_than=timedelta(seconds=-5))
    # then only the orphan is voided
    assert voided == ["pay_lost"]
    assert sandbox.intents[lost.reference].status == "canceled"
    assert sandbox.intents[live[0].provider_reference].status == "requires_capture"  # type: ignore[index]
    # and running it again changes nothing
    with step() as uow:
        assert compensation.void_abandoned_authorisations(uow, older_than=timedelta(seconds=-5)) == []


def test_pay_in_store_is_pending_until_captured_at_the_till(step: Step, db: Database) -> None:
    with step() as uow:
        [p] = service.authorise(uow, authorise_in("ord_1", till("59.90")))
    assert p.state == "pending" and p.captured_amount == 0
    with step() as uow:
        captured = service.capture(uow, p.id)
    assert (captured.state, str(captured.captured_amount)) == ("captured", "59.90")
    with step() as uow:
        assert service.capture(uow, p.id).state == "captured"  # a replay
    assert [t for t, _ in events(db)] == ["payments.payment_authorised", "payments.payment_captured"]
    with step() as uow:
        journal = service.payment_events(uow, p.id)
    assert [(e.from_state, e.to_state) for e in journal] == [(None, "pending"), ("pending", "captured")]


def test_void_order_releases_holds_and_gives_back_stored_value(
    step: Step, db: Database, sandbox: Sandbox, issue: Any
) -> None:
    gc = issue("50.00")
    with step() as uow:
        out = service.authorise(uow, authorise_in("ord_1", gift("15", gc.code), card("30"), till("5")))
    # when the order is cancelled
    with step() as uow:
        after = service.void_order(uow, "ord_1")
    # then the card and till payments are voided, the gift card refunded
    assert {p.method: p.state for p in after} == {
        "gift_card": "refunded",
        "card": "voided",
        "pay_in_store": "voided",
    }
    assert balance(step, gc.code) == Decimal("50.00")
    card_ref = next(p.provider_reference for p in out if p.method == "card")
    assert sandbox.intents[card_ref].status == "canceled"  # type: ignore[index]
    with step() as uow:
        assert service.void_order(uow, "ord_1") == after  # idempotent
        refunds = service.refunds_of(uow, "ord_1")
    assert [(r.reference, str(r.amount)) for r in refunds] == [("cancel:ord_1", "15.00")]


def test_refund_splits_gift_card_first_then_card_and_is_idempotent(
    step: Step, db: Database, sandbox: Sandbox, issue: Any
) -> None:
    gc = issue("40.00")
    with step() as uow:
        service.authorise(uow, authorise_in("ord_1", gift("40", gc.code), card("60")))
        service.capture_order(uow, "ord_1")
    # when 55 is refunded for a return
    cmd = RefundIn(order_id="ord_1", amount=Decimal("55"), currency="EUR", reference="ret_1")
    with step() as uow:
        out = service.refund(uow, cmd)
    # then 40 goes back to the gift card and 15 to the card at the provider
    assert [(p.method, str(p.amount)) for p in sorted(out.parts, key=lambda p: p.method)] == [
        ("card", "15.00"),
        ("gift_card", "40.00"),
    ]
    assert balance(step, gc.code) == Decimal("40.00")
    card_part = next(p for p in out.parts if p.method == "card")
    assert card_part.provider_reference is not None and card_part.provider_reference.startswith("re_")
    # replaying the reference returns the first refund and refunds nothing more
    with step() as uow:
        again = service.refund(uow, cmd)
    assert again.id == out.id
    intent = next(iter(sandbox.intents.values()))
    assert intent.amount_refunded == Decimal("15")
    with step() as uow:
        states = {p.method: (p.state, str(p.refunded_amount)) for p in service.payments_of(uow, "ord_1")}
    assert states == {"gift_card": ("refunded", "40.00"), "card": ("partially_refunded", "15.00")}
    # and never more than what remains captured
    with pytest.raises(service.RefundExceedsCaptured) as refused, step() as uow:
        service.refund(
            uow, RefundIn(order_id="ord_1", amount=Decimal("45.01"), currency="EUR", reference="ret_2")
        )
    assert refused.value.extensions["refundable"] == "45.00"
    refunded = [p for t, p in events(db) if t == "payments.payment_refunded"]
    assert sorted((p["method"], p["amount"], p["refunded_total"]) for p in refunded) == [
        ("card", "15.00", "15.00"),
        ("gift_card", "40.00", "40.00"),
    ]


def test_refund_to_a_voucher(step: Step, sandbox: Sandbox) -> None:
    with step() as uow:
        service.authorise(uow, authorise_in("ord_1", card("60")))
        service.capture_order(uow, "ord_1")
    with step() as uow:
        out = service.refund(
            uow,
            RefundIn(order_id="ord_1", amount=Decimal("25"), currency="EUR", to="voucher", reference="ret_1"),
        )
    # then a voucher of 25 is issued for the customer, and the card is not refunded at the provider
    assert out.voucher is not None
    assert (out.voucher.kind, str(out.voucher.balance), out.voucher.customer_id) == (
        "voucher",
        "25.00",
        "cus_1",
    )
    assert out.parts[0].provider_reference == out.voucher.code
    assert next(iter(sandbox.intents.values())).amount_refunded == 0
    with step() as uow:
        [p] = service.payments_of(uow, "ord_1")
    assert (p.state, str(p.refundable_amount)) == ("partially_refunded", "35.00")


def test_refund_to_an_expired_gift_card_becomes_a_voucher(
    step: Step, issue: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from comptoir.core import clock

    gc = issue("20.00")
    with step() as uow:
        service.authorise(uow, authorise_in("ord_1", gift("20", gc.code)))
    later = clock.now() + timedelta(days=400)
    monkeypatch.setattr(clock, "now", lambda: later)
    with step() as uow:
        out = service.refund(
            uow, RefundIn(order_id="ord_1", amount=Decimal("20"), currency="EUR", reference="ret_1")
        )
    assert out.voucher is not None and str(out.voucher.balance) == "20.00"
    assert balance(step, gc.code) == Decimal("0.00")


def test_loyalty_points_as_a_tender_and_given_back(step: Step) -> None:
    with step() as uow:
        loyalty_service.adjust(uow, "cus_1", AdjustmentIn(points=2000, reason="welcome gift", reference="w1"))
    with step() as uow:
        before = loyalty_service.account(uow, "cus_1").balance
        need = loyalty_service.points_for_amount(uow, Decimal("10"), "EUR")
        [p] = service.authorise(uow, authorise_in("ord_1", points("10")))
    assert p.state == "captured"
    with step() as uow:
        assert loyalty_service.account(uow, "cus_1").balance == before - need
        service.void_order(uow, "ord_1")
    with step() as uow:
        assert loyalty_service.account(uow, "cus_1").balance == before
        assert service.payments_of(uow, "ord_1")[0].state == "refunded"


def test_points_need_a_customer(step: Step) -> None:
    from comptoir.core.errors import InvalidInput

    with pytest.raises(InvalidInput) as refused, step() as uow:
        service.authorise(uow, authorise_in("ord_1", points("10"), customer_id=None))
    assert refused.value.errors[0]["pointer"] == "#/customer_id"


def test_gift_card_with_pin_and_wrong_pin(step: Step, issue: Any) -> None:
    gc = issue("30.00", with_pin=True)
    assert gc.pin is not None and gc.has_pin
    with pytest.raises(service.GiftCardUnavailable) as refused, step() as uow:
        service.authorise(
            uow, authorise_in("ord_1", gift("5", gc.code, pin="000000" if gc.pin != "000000" else "111111"))
        )
    assert refused.value.extensions["reason"] == "pin"
    assert refused.value.errors[0]["pointer"] == "#/tenders/0/details/gift_card_code"
    with step() as uow:
        service.authorise(uow, authorise_in("ord_1", gift("5", gc.code, pin=gc.pin)))
    assert balance(step, gc.code) == Decimal("25.00")


def test_3ds_card_waits_for_the_customer(step: Step, sandbox: Sandbox) -> None:
    with step() as uow:
        [p] = service.authorise(uow, authorise_in("ord_1", card("70", "tok_3ds")))
    assert p.state == "pending" and p.next_action is not None and p.next_action["type"] == "redirect"
    with pytest.raises(service.PaymentStateConflict), step() as uow:
        service.capture_order(uow, "ord_1")


def test_capture_refused_after_void(step: Step, sandbox: Sandbox) -> None:
    with step() as uow:
        [p] = service.authorise(uow, authorise_in("ord_1", card("70")))
        service.void_order(uow, "ord_1")
    with pytest.raises(service.PaymentStateConflict) as refused, step() as uow:
        service.capture(uow, p.id)
    assert refused.value.extensions["state"] == "voided"


def test_counts_in_outbox(db: Database, step: Step) -> None:
    with step() as uow:
        service.authorise(uow, authorise_in("ord_1", till("1")))
    with UnitOfWork(db, read_only=True) as uow:
        assert uow.session.execute(select(func.count()).select_from(OutboxEvent)).scalar_one() == 1
