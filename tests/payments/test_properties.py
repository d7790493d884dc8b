"""Invariants over random sequences of payment operations (hypothesis, on the real database)."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from comptoir.core.db import Database
from comptoir.core.errors import Conflict
from comptoir.core.uow import UnitOfWork
from comptoir.payments import service
from comptoir.payments.models import GiftCard, GiftCardMovement
from comptoir.payments.providers.sandbox import Sandbox
from comptoir.payments.schemas import GiftCardIssueIn, RefundIn
from tests.payments.conftest import authorise_in, card, gift, till

cents = st.integers(min_value=1, max_value=20_000).map(lambda c: Decimal(c) / 100)
operation = st.one_of(
    st.tuples(st.just("capture")),
    st.tuples(st.just("refund"), cents, st.sampled_from(["original", "voucher"])),
    st.tuples(st.just("void")),
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    card_amount=cents,
    gift_amount=cents,
    till_amount=cents,
    operations=st.lists(operation, min_size=1, max_size=6),
)
def test_money_is_never_created_nor_lost(
    db: Database,
    sandbox: Sandbox,
    card_amount: Decimal,
    gift_amount: Decimal,
    till_amount: Decimal,
    operations: list[tuple[Any, ...]],
) -> None:
    order_id = f"ord_{uuid.uuid4().hex[:10]}"
    with UnitOfWork(db) as uow:
        gc = service.issue_gift_card(
            uow,
            GiftCardIssueIn(amount=Decimal("300"), currency="EUR", with_pin=False, reference=f"p-{order_id}"),
        )
        service.authorise(
            uow,
            authorise_in(
                order_id, card(str(card_amount)), gift(str(gift_amount), gc.code), till(str(till_amount))
            ),
        )
        uow.commit()
    refunded_by_us = Decimal(0)
    for i, op in enumerate(operations):
        try:
            with UnitOfWork(db) as uow:
                if op[0] == "capture":
                    service.capture_order(uow, order_id)
                elif op[0] == "void":
                    service.void_order(uow, order_id)
                else:
                    out = service.refund(
                        uow,
                        RefundIn(
                            order_id=order_id,
                            amount=op[1],
                            currency="EUR",
                            to=op[2],
                            reference=f"{order_id}-{i}",
                        ),
                    )
                    refunded_by_us += out.amount
                uow.commit()
        except Conflict:
            pass  # refused as a whole (more than captured, or a state that does not allow it)
        with UnitOfWork(db, read_only=True) as uow:
            payments = service.payments_of(uow, order_id)
            for p in payments:
                assert Decimal(0) <= p.refunded_amount <= p.captured_amount <= p.amount
                assert p.refundable_amount == p.captured_amount - p.refunded_amount
            refunds = service.refunds_of(uow, order_id)
            assert sum((r.amount for r in refunds), Decimal(0)) == sum(
                (p.refunded_amount for p in payments), Decimal(0)
            )
            for r in refunds:
                assert sum((part.amount for part in r.parts), Decimal(0)) == r.amount
            balances = uow.session.execute(
                select(GiftCard.id, GiftCard.balance, GiftCard.initial_amount)
            ).all()
            for gift_card_id, balance, initial in balances:
                moved = uow.session.execute(
                    select(func.coalesce(func.sum(GiftCardMovement.amount), 0)).where(
                        GiftCardMovement.gift_card_id == gift_card_id
                    )
                ).scalar_one()
                assert Decimal(str(balance)).quantize(Decimal("0.01")) == Decimal(str(moved)).quantize(
                    Decimal("0.01")
                )
                assert Decimal(0) <= Decimal(str(balance)) <= Decimal(str(initial))
    card_payment = next(p for p in payments if p.method == "card")
    intent = sandbox.intents[card_payment.provider_reference]  # type: ignore[index]
    # the provider agrees with us about the card
    assert intent.amount_captured == card_payment.captured_amount
    refunds_to_card = sum(
        (
            part.amount
            for r in refunds
            if r.to == "original"
            for part in r.parts
            if part.payment_id == card_payment.id
        ),
        Decimal(0),
    )
    assert intent.amount_refunded == refunds_to_card
