"""returns: paying back the accepted units — to the original payment or as a voucher — and the delivery."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import select

from comptoir.core import clock
from comptoir.core.money import quantize
from comptoir.core.uow import UnitOfWork
from comptoir.payments import service as payments_service
from comptoir.payments.schemas import RefundIn
from comptoir.returns import policies
from comptoir.returns.events import ReturnedLineFact, ReturnRefunded
from comptoir.returns.models import SHIPPING_LINE, Claim, Return, ReturnLine
from comptoir.returns.records import (
    ReturnExceedsBought,
    check_refund_to,
    facts_of,
    lines_of,
    locked,
    return_out,
)
from comptoir.returns.rules import current_policy
from comptoir.returns.schemas import RefundReturnIn, ReturnOut, ReturnPolicyIn


def refund(uow: UnitOfWork, return_id: str, command: RefundReturnIn) -> ReturnOut:
    """Pay back the accepted units, to the original payment or as a voucher (once: replaying a refunded
    return answers it as it is)."""
    row = locked(uow, return_id, "received", "refunded")
    if row.status == "refunded":  # a replay, or a second click that waited for the first
        return return_out(row, lines_of(uow, row.id))
    policy = current_policy(uow)
    if command.refund_to is not None:
        check_refund_to(policy, command.refund_to)
        row.refund_to = command.refund_to
    lines = lines_of(uow, row.id)
    # Every claim of the order, locked in key order: whether this return brings the last units back
    # (and so the delivery costs) must not race another return's refund.
    claims = {
        c.line_id: c
        for c in uow.session.scalars(
            select(Claim)
            .where(Claim.order_id == row.order_id)
            .order_by(Claim.line_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    }
    facts = _refund_lines(row, lines, claims)
    _refund_shipping(row, claims, policy)
    lines_total = sum((line.refund_amount for line in lines), Decimal(0))
    total = quantize(lines_total + row.shipping_refund, row.currency)
    row.total_refund = total
    refund_id = ""
    if total > 0:
        out = payments_service.refund(
            uow,
            RefundIn(
                order_id=row.order_id,
                amount=total,
                currency=row.currency,
                to=row.refund_to,
                reference=f"return:{row.id}",
                reason=f"return {row.number}",
                customer_id=row.customer_id,
            ),
        )
        refund_id = out.id
        row.refund_id = out.id
        row.voucher_code = out.voucher.code if out.voucher is not None else None
    row.status = "refunded"
    row.refunded_at = clock.now()
    uow.session.flush()
    uow.record(
        ReturnRefunded(
            **facts_of(row),
            lines=facts,
            total=str(total),
            currency=row.currency,
            refund_to=row.refund_to,
            refund_id=refund_id,
        )
    )
    return return_out(row, lines)


def _refund_lines(
    row: Return, lines: Sequence[ReturnLine], claims: dict[str, Claim]
) -> list[ReturnedLineFact]:
    """Each line's refund, given the units of the line refunded before; the claims count them."""
    facts = []
    for line in sorted(lines, key=lambda x: x.line_id):
        if not line.accepted_quantity:
            line.refund_amount = Decimal(0)
            continue
        claim = claims[line.line_id]
        amount = policies.refund_for(
            claim.line_total, claim.bought, claim.refunded, line.accepted_quantity, row.currency
        )
        if claim.refunded + line.accepted_quantity > claim.bought:
            raise ReturnExceedsBought(f"Line {line.line_id}: refunding more units than bought.")
        claim.refunded += line.accepted_quantity
        claim.refunded_amount += amount
        line.refund_amount = amount
        facts.append(
            ReturnedLineFact(
                line_id=line.line_id, sku=line.sku, quantity=line.accepted_quantity, amount=str(amount)
            )
        )
    return facts


def _refund_shipping(row: Return, claims: dict[str, Claim], policy: ReturnPolicyIn) -> None:
    """The delivery costs, refunded once, by the policy (e.g. when everything came back)."""
    shipping = claims.get(SHIPPING_LINE)
    if shipping is None:
        return
    goods = [c for key, c in claims.items() if key != SHIPPING_LINE]
    row.shipping_refund = policies.shipping_refund(
        policy,
        row.origin,  # type: ignore[arg-type]
        shipping.line_total,
        everything_back=all(c.refunded == c.bought for c in goods),
        already=shipping.refunded > 0,
    )
    if row.shipping_refund > 0:
        shipping.refunded = 1
        shipping.refunded_amount = row.shipping_refund
