"""returns: the records — their errors, how a return reads (``ReturnOut``), the lookups, the row lock."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select

from comptoir.core.errors import Conflict, not_found
from comptoir.core.money import quantize
from comptoir.core.uow import UnitOfWork
from comptoir.returns import policies
from comptoir.returns.models import Return, ReturnLine
from comptoir.returns.schemas import ReturnLineOut, ReturnOut, ReturnPolicyIn


class NotReturnable(Conflict):
    """The policy refuses the return (window passed, excluded item, method not allowed)."""

    slug = "not-returnable"
    title = "This cannot be returned"


class ReturnExceedsBought(Conflict):
    slug = "return-exceeds-bought"
    title = "More units than bought"


class ReturnStateConflict(Conflict):
    slug = "return-state-conflict"
    title = "The return's state does not allow this"


REFUSALS = {
    policies.WINDOW_PASSED: "the return window has passed",
    policies.EXCLUDED_CATEGORY: "its category cannot be returned (hygiene, personalised…)",
    policies.EXCLUDED_SKU: "this item cannot be returned",
    policies.NOTHING_LEFT: "more units than bought and not already returned",
    policies.METHOD_NOT_ALLOWED: "this purchase cannot be returned this way",
    policies.VOUCHER_NOT_ALLOWED: "refunds as a voucher are not offered",
}
LIVE_STATUSES = ("requested", "received", "refunded")


def refused(code: str, detail_of: str, field: str) -> NotReturnable:
    return NotReturnable(
        f"{detail_of}: {REFUSALS.get(code, code)}.",
        errors=[{"pointer": "#/" + field, "detail": REFUSALS.get(code, code)}],
        reason=code,
    )


def check_refund_to(policy: ReturnPolicyIn, refund_to: str) -> None:
    """409 ``not-returnable`` naming ``refund_to`` when the policy does not offer that refund method."""
    refusal = policies.refund_to_refusal(policy, refund_to)
    if refusal:
        raise refused(refusal, "Refund", "refund_to")


def return_out(row: Return, lines: Sequence[ReturnLine]) -> ReturnOut:
    return ReturnOut(
        id=row.id,
        number=row.number,
        order_id=row.order_id,
        order_number=row.order_number,
        customer_id=row.customer_id,
        channel=row.channel,
        origin=row.origin,
        method=row.method,
        place_id=row.place_id,
        status=row.status,
        refund_to=row.refund_to,
        currency=row.currency,
        lines=[
            ReturnLineOut(
                line_id=line.line_id,
                sku=line.sku,
                quantity=line.quantity,
                reason=line.reason,
                comment=line.comment,
                unit_price=quantize(line.unit_price, row.currency),
                condition=line.condition,
                action=line.action,
                received_quantity=line.received_quantity,
                accepted_quantity=line.accepted_quantity,
                restocked_quantity=line.restocked_quantity,
                refund_amount=quantize(line.refund_amount, row.currency),
            )
            for line in sorted(lines, key=lambda x: x.position)
        ],
        shipping_refund=quantize(row.shipping_refund, row.currency),
        total_refund=quantize(row.total_refund, row.currency),
        refund_id=row.refund_id,
        voucher_code=row.voucher_code,
        note=row.note,
        rejection_reason=row.rejection_reason,
        created_at=row.created_at,
        received_at=row.received_at,
        refunded_at=row.refunded_at,
        version=row.version,
    )


def return_outs(uow: UnitOfWork, rows: Sequence[Return]) -> list[ReturnOut]:
    if not rows:
        return []
    by_return: dict[str, list[ReturnLine]] = {r.id: [] for r in rows}
    for line in uow.session.scalars(select(ReturnLine).where(ReturnLine.return_id.in_(list(by_return)))):
        by_return[line.return_id].append(line)
    return [return_out(r, by_return[r.id]) for r in rows]


def lines_of(uow: UnitOfWork, return_id: str) -> list[ReturnLine]:
    return list(
        uow.session.scalars(
            select(ReturnLine).where(ReturnLine.return_id == return_id).order_by(ReturnLine.position)
        )
    )


def visible(uow: UnitOfWork, row: Return | None, return_id: str) -> Return:
    """A signed-in customer sees only their own returns (as if the others did not exist)."""
    customer = uow.actor.customer_id
    if row is None or (customer is not None and row.customer_id != customer):
        raise not_found("Return", return_id)
    return row


def get_return(uow: UnitOfWork, return_id: str) -> ReturnOut:
    row = visible(uow, uow.session.get(Return, return_id), return_id)
    return return_out(row, lines_of(uow, row.id))


def returns_of(uow: UnitOfWork, customer_id: str, limit: int = 20) -> list[ReturnOut]:
    """The customer's returns, newest first, whatever channel they were made on."""
    rows = uow.session.scalars(
        select(Return)
        .where(Return.customer_id == customer_id)
        .order_by(Return.created_at.desc(), Return.id.desc())
        .limit(limit)
    ).all()
    return return_outs(uow, rows)


def returns_of_order(uow: UnitOfWork, order_id: str) -> list[ReturnOut]:
    rows = uow.session.scalars(
        select(Return).where(Return.order_id == order_id).order_by(Return.created_at, Return.id)
    ).all()
    return return_outs(uow, rows)


def list_returns(
    uow: UnitOfWork,
    *,
    customer_id: str | None = None,
    order_id: str | None = None,
    status: str | None = None,
    place_id: str | None = None,
    limit: int = 50,
) -> list[ReturnOut]:
    query = select(Return)
    if uow.actor.customer_id is not None:
        customer_id = uow.actor.customer_id
    if customer_id is not None:
        query = query.where(Return.customer_id == customer_id)
    if order_id is not None:
        query = query.where(Return.order_id == order_id)
    if status is not None:
        query = query.where(Return.status == status)
    if place_id is not None:
        query = query.where(Return.place_id == place_id)
    rows = uow.session.scalars(query.order_by(Return.created_at.desc(), Return.id.desc()).limit(limit)).all()
    return return_outs(uow, rows)


def facts_of(row: Return) -> dict[str, Any]:
    return {
        "return_id": row.id,
        "number": row.number,
        "order_id": row.order_id,
        "customer_id": row.customer_id,
        "channel": row.channel,
        "method": row.method,
        "place_id": row.place_id,
    }


def locked(uow: UnitOfWork, return_id: str, *allowed: str) -> Return:
    row = uow.session.scalars(
        select(Return)
        .where(Return.id == return_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()
    row = visible(uow, row, return_id)
    if row.status not in allowed:
        raise ReturnStateConflict(
            f"Return {row.number} is {row.status}; this needs it {' or '.join(allowed)}.", state=row.status
        )
    return row


def customer_section(uow: UnitOfWork, customer_id: str) -> dict[str, Any]:
    """This domain's section of the 360° customer view: recent returns, whatever channel."""
    recent = returns_of(uow, customer_id, limit=10)
    return {
        "recent_returns": [
            {
                "id": r.id,
                "number": r.number,
                "order_id": r.order_id,
                "order_number": r.order_number,
                "status": r.status,
                "method": r.method,
                "place_id": r.place_id,
                "refund_to": r.refund_to,
                "total_refund": str(r.total_refund),
                "currency": r.currency,
                "items": sum(line.quantity for line in r.lines),
                "created_at": r.created_at.isoformat(),
            }
            for r in recent
        ],
        "open_returns": sum(1 for r in recent if r.status in ("requested", "received")),
    }
