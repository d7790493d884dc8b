"""returns: the domain's operations (its public interface with schemas.py and events.py).

A return moves through ``requested → received → refunded`` (or ``rejected`` / ``cancelled``), each
step one unit of work. Creating a return *claims* the units on ``returns_claims`` with a guarded
UPDATE (``claimed + n <= bought``), so two returns of the same line racing from two channels can never
take back more than was bought; refusing or cancelling gives the claim back. Inspection restocks the
accepted units at the return place (``inventory.record_movement``) and tells orders
(``record_returned``); the refund goes through ``payments.refund`` with the return id as reference,
and ``returns.return_refunded`` lets loyalty take the points back.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select, update

from comptoir.core import clock
from comptoir.core.db import insert_ignore
from comptoir.core.errors import Conflict, InvalidInput, NotFound, check_version, not_found
from comptoir.core.ids import new_id
from comptoir.core.money import quantize
from comptoir.core.uow import UnitOfWork
from comptoir.inventory import service as inventory_service
from comptoir.inventory.schemas import MovementIn
from comptoir.orders import service as orders_service
from comptoir.orders.schemas import OrderOut, ReturnedLine
from comptoir.payments import service as payments_service
from comptoir.payments.schemas import RefundIn
from comptoir.returns import policies
from comptoir.returns.events import (
    ReturnCancelled,
    ReturnCreated,
    ReturnedLineFact,
    ReturnReceived,
    ReturnRefunded,
    ReturnRejected,
)
from comptoir.returns.models import SHIPPING_LINE, Claim, Policy, Return, ReturnLine
from comptoir.returns.schemas import (
    InspectionIn,
    ReceiveIn,
    RefundReturnIn,
    RejectIn,
    ReturnabilityLineOut,
    ReturnabilityOut,
    ReturnIn,
    ReturnLineOut,
    ReturnOut,
    ReturnPolicyIn,
    ReturnPolicyOut,
)
from comptoir.stores import service as stores_service

__all__ = [
    "NotReturnable",
    "ReturnExceedsBought",
    "ReturnStateConflict",
    "cancel",
    "create_return",
    "customer_section",
    "expire_unsent",
    "get_policy",
    "get_return",
    "list_returns",
    "receive",
    "refund",
    "reject",
    "returnability",
    "returns_of",
    "returns_of_order",
    "set_policy",
]


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


_REFUSALS = {
    policies.WINDOW_PASSED: "the return window has passed",
    policies.EXCLUDED_CATEGORY: "its category cannot be returned (hygiene, personalised…)",
    policies.EXCLUDED_SKU: "this item cannot be returned",
    policies.NOTHING_LEFT: "more units than bought and not already returned",
    policies.METHOD_NOT_ALLOWED: "this purchase cannot be returned this way",
    policies.VOUCHER_NOT_ALLOWED: "refunds as a voucher are not offered",
}
LIVE_STATUSES = ("requested", "received", "refunded")


# --- policy ------------------------------------------------------------------------------------------
def _policy_row(uow: UnitOfWork) -> Policy | None:
    return uow.session.get(Policy, "default")


def current_policy(uow: UnitOfWork) -> ReturnPolicyIn:
    row = _policy_row(uow)
    return policies.DEFAULT_POLICY if row is None else ReturnPolicyIn.model_validate(row.document)


def get_policy(uow: UnitOfWork) -> ReturnPolicyOut:
    row = _policy_row(uow)
    if row is None:
        return ReturnPolicyOut(**policies.DEFAULT_POLICY.model_dump(), version=0, updated_at=None)
    return ReturnPolicyOut(**row.document, version=row.version, updated_at=row.updated_at)


def set_policy(uow: UnitOfWork, command: ReturnPolicyIn, *, expected_version: int | None) -> ReturnPolicyOut:
    if command.returns_warehouse_id is not None:
        _check_place(uow, command.returns_warehouse_id, "returns_warehouse_id")
    row = _policy_row(uow)
    document = command.model_dump(mode="json")
    if row is None:
        check_version(0, expected_version)
        row = Policy(id="default", document=document, version=1, updated_at=clock.now())
        uow.session.add(row)
    else:
        check_version(row.version, expected_version)
        row.document = document
        row.version += 1
        row.updated_at = clock.now()
    uow.session.flush()
    return get_policy(uow)


def _check_place(uow: UnitOfWork, place_id: str, field: str) -> None:
    try:
        stores_service.get_place(uow, place_id)
    except NotFound as exc:
        raise InvalidInput(f"Place {place_id} does not exist.", field=field) from exc


# --- reading --------------------------------------------------------------------------------------------
def _out(row: Return, lines: Sequence[ReturnLine]) -> ReturnOut:
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


def _outs(uow: UnitOfWork, rows: Sequence[Return]) -> list[ReturnOut]:
    if not rows:
        return []
    by_return: dict[str, list[ReturnLine]] = {r.id: [] for r in rows}
    for line in uow.session.scalars(select(ReturnLine).where(ReturnLine.return_id.in_(list(by_return)))):
        by_return[line.return_id].append(line)
    return [_out(r, by_return[r.id]) for r in rows]


def _lines_of(uow: UnitOfWork, return_id: str) -> list[ReturnLine]:
    return list(
        uow.session.scalars(
            select(ReturnLine).where(ReturnLine.return_id == return_id).order_by(ReturnLine.position)
        )
    )


def _visible(uow: UnitOfWork, row: Return | None, return_id: str) -> Return:
    """A signed-in customer sees only their own returns (as if the others did not exist)."""
    customer = uow.actor.customer_id
    if row is None or (customer is not None and row.customer_id != customer):
        raise not_found("Return", return_id)
    return row


def get_return(uow: UnitOfWork, return_id: str) -> ReturnOut:
    row = _visible(uow, uow.session.get(Return, return_id), return_id)
    return _out(row, _lines_of(uow, row.id))


def returns_of(uow: UnitOfWork, customer_id: str, limit: int = 20) -> list[ReturnOut]:
    """The customer's returns, newest first, whatever channel they were made on."""
    rows = uow.session.scalars(
        select(Return)
        .where(Return.customer_id == customer_id)
        .order_by(Return.created_at.desc(), Return.id.desc())
        .limit(limit)
    ).all()
    return _outs(uow, rows)


def returns_of_order(uow: UnitOfWork, order_id: str) -> list[ReturnOut]:
    rows = uow.session.scalars(
        select(Return).where(Return.order_id == order_id).order_by(Return.created_at, Return.id)
    ).all()
    return _outs(uow, rows)


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
    return _outs(uow, rows)


# --- the order's facts ------------------------------------------------------------------------------------
def _order(uow: UnitOfWork, order_id: str) -> OrderOut:
    order = orders_service.get_order(uow, order_id)
    customer = uow.actor.customer_id
    if customer is not None and order.customer_id != customer:
        raise not_found("Order", order_id)
    return order


def _window_start(order: OrderOut) -> Any:
    handed_over = [f.updated_at for f in order.fulfilments if f.status in ("delivered", "collected")]
    return policies.window_start(order.created_at, handed_over)


def _ensure_claims(uow: UnitOfWork, order: OrderOut) -> dict[str, Claim]:
    insert_ignore(
        uow.session,
        Claim,
        [
            {
                "order_id": order.id,
                "line_id": line.line_id,
                "bought": line.quantity,
                "line_total": line.total,
                "claimed": 0,
                "refunded": 0,
                "refunded_amount": Decimal(0),
            }
            for line in order.lines
        ]
        + [
            {
                "order_id": order.id,
                "line_id": SHIPPING_LINE,
                "bought": 1,
                "line_total": order.totals.shipping_total,
                "claimed": 0,
                "refunded": 0,
                "refunded_amount": Decimal(0),
            }
        ],
    )
    rows = uow.session.scalars(select(Claim).where(Claim.order_id == order.id)).all()
    return {row.line_id: row for row in rows}


def _claims_read(uow: UnitOfWork, order_id: str) -> dict[str, int]:
    rows = uow.session.execute(select(Claim.line_id, Claim.claimed).where(Claim.order_id == order_id)).all()
    return {r.line_id: r.claimed for r in rows}


def _claim(uow: UnitOfWork, order_id: str, line_id: str, quantity: int) -> bool:
    """The one lock: take ``quantity`` units of a line for a return, if still unclaimed."""
    result = uow.session.execute(
        update(Claim)
        .where(Claim.order_id == order_id, Claim.line_id == line_id, Claim.claimed + quantity <= Claim.bought)
        .values(claimed=Claim.claimed + quantity)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def _release(uow: UnitOfWork, order_id: str, line_id: str, quantity: int) -> None:
    if quantity > 0:
        uow.session.execute(
            update(Claim)
            .where(Claim.order_id == order_id, Claim.line_id == line_id, Claim.claimed >= quantity)
            .values(claimed=Claim.claimed - quantity)
            .execution_options(synchronize_session=False)
        )


def returnability(uow: UnitOfWork, order_id: str) -> ReturnabilityOut:
    """What of the order may come back now, by which methods, and why not for the rest."""
    order = _order(uow, order_id)
    policy = current_policy(uow)
    origin = policies.origin_of(order.mode)
    started = _window_start(order)
    claimed = _claims_read(uow, order.id)
    now = clock.now()
    lines = []
    latest_end = None
    for line in order.lines:
        taken = claimed.get(line.line_id, line.returned_quantity)
        facts = policies.LineFacts(line.line_id, line.sku, tuple(line.category_ids), line.quantity, taken)
        refusal = policies.line_refusal(policy, origin, facts, started_at=started, now=now, quantity=1)
        end = policies.window_end(started, policies.window_days(policy, origin, line.category_ids))
        latest_end = end if latest_end is None or end > latest_end else latest_end
        lines.append(
            ReturnabilityLineOut(
                line_id=line.line_id,
                sku=line.sku,
                bought=line.quantity,
                already_returned=taken,
                returnable=0 if refusal else line.quantity - taken,
                unit_price=policies.unit_price(line.total, line.quantity, order.currency),
                refusal=refusal,
            )
        )
    if order.status == "cancelled":
        for out in lines:
            out.returnable, out.refusal = 0, "order-cancelled"
    return ReturnabilityOut(
        order_id=order.id,
        order_number=order.number,
        origin=origin,
        window_ends_at=latest_end,
        methods=policies.allowed_methods(policy, origin),
        lines=lines,
    )


# --- create ---------------------------------------------------------------------------------------------
def _refused(code: str, detail_of: str, field: str) -> NotReturnable:
    return NotReturnable(
        f"{detail_of}: {_REFUSALS.get(code, code)}.",
        errors=[{"pointer": "#/" + field, "detail": _REFUSALS.get(code, code)}],
        reason=code,
    )


def _return_place(uow: UnitOfWork, command: ReturnIn, policy: ReturnPolicyIn) -> str:
    if command.method == "in_store":
        place_id = command.place_id or uow.actor.store_id
        if place_id is None:
            raise InvalidInput("Give the store taking the goods back (place_id).", field="place_id")
    else:
        place_id = command.place_id or policy.returns_warehouse_id
        if place_id is None:
            raise InvalidInput(
                "No returns warehouse is configured: give the place receiving the parcel (place_id).",
                field="place_id",
            )
    try:
        place = stores_service.get_place(uow, place_id)
    except NotFound as exc:
        raise InvalidInput(f"Place {place_id} does not exist.", field="place_id") from exc
    if command.method == "in_store" and place.kind != "store":
        raise InvalidInput(
            f"{place.name} is not a store: goods are handed back at a store's counter.", field="place_id"
        )
    return place_id


def _number() -> str:
    return f"R{clock.now():%y%m%d}-{secrets.token_hex(3).upper()}"


def create_return(uow: UnitOfWork, command: ReturnIn) -> ReturnOut:
    """Start a return of some lines of an order, from any channel, for the goods to come back in a
    store or by post. Refused (409 ``not-returnable``) outside the policy; never more than bought."""
    order = _order(uow, command.order_id)
    if order.status == "cancelled":
        raise NotReturnable(
            f"Order {order.number} was cancelled: nothing to return.", reason="order-cancelled"
        )
    policy = current_policy(uow)
    origin = policies.origin_of(order.mode)
    refusal = policies.method_refusal(policy, origin, command.method)
    if refusal:
        raise _refused(refusal, f"Order {order.number} ({origin} purchase) by {command.method}", "method")
    refusal = policies.refund_to_refusal(policy, command.refund_to)
    if refusal:
        raise _refused(refusal, "Refund", "refund_to")
    place_id = _return_place(uow, command, policy)

    by_line = {line.line_id: line for line in order.lines}
    for index, wanted in enumerate(command.lines):
        if wanted.line_id not in by_line:
            raise InvalidInput(
                f"Order {order.number} has no line {wanted.line_id}.", field=f"lines/{index}/line_id"
            )
    claims = _ensure_claims(uow, order)
    started, now = _window_start(order), clock.now()
    for index, wanted in enumerate(command.lines):
        line = by_line[wanted.line_id]
        facts = policies.LineFacts(
            line.line_id, line.sku, tuple(line.category_ids), line.quantity, claims[line.line_id].claimed
        )
        refusal = policies.line_refusal(
            policy, origin, facts, started_at=started, now=now, quantity=wanted.quantity
        )
        if refusal and refusal != policies.NOTHING_LEFT:
            raise _refused(refusal, f"Line {line.line_id} ({line.sku})", f"lines/{index}")
    # Claim in line order (the lock order), so two multi-line returns cannot deadlock.
    for index, wanted in sorted(enumerate(command.lines), key=lambda p: p[1].line_id):
        if not _claim(uow, order.id, wanted.line_id, wanted.quantity):
            uow.session.expire_all()
            claimed = _claims_read(uow, order.id).get(wanted.line_id, 0)
            bought = by_line[wanted.line_id].quantity
            raise ReturnExceedsBought(
                f"Line {wanted.line_id}: {bought} bought, {claimed} already being returned; "
                f"{wanted.quantity} more cannot be returned.",
                errors=[{"pointer": f"#/lines/{index}/quantity", "detail": "more than bought"}],
            )

    row = Return(
        id=new_id("ret"),
        number=_number(),
        order_id=order.id,
        order_number=order.number,
        customer_id=order.customer_id,
        channel=uow.actor.channel or "back-office",
        origin=origin,
        method=command.method,
        place_id=place_id,
        status="requested",
        refund_to=command.refund_to,
        currency=order.currency,
        shipping_refund=Decimal(0),
        total_refund=Decimal(0),
        refund_id=None,
        voucher_code=None,
        note=command.note,
        rejection_reason=None,
        received_at=None,
        refunded_at=None,
    )
    uow.session.add(row)
    lines = []
    for position, wanted in enumerate(command.lines):
        line = by_line[wanted.line_id]
        lines.append(
            ReturnLine(
                return_id=row.id,
                line_id=line.line_id,
                position=position,
                sku=line.sku,
                quantity=wanted.quantity,
                reason=wanted.reason,
                comment=wanted.comment,
                unit_price=policies.unit_price(line.total, line.quantity, order.currency),
                condition=None,
                action=None,
                received_quantity=0,
                accepted_quantity=0,
                restocked_quantity=0,
                refund_amount=Decimal(0),
                inspection_comment="",
            )
        )
    uow.session.add_all(lines)
    uow.session.flush()
    uow.record(
        ReturnCreated(
            **_facts(row),
            lines=[ReturnedLineFact(line_id=x.line_id, sku=x.sku, quantity=x.quantity) for x in lines],
        )
    )
    return _out(row, lines)


def _facts(row: Return) -> dict[str, Any]:
    return {
        "return_id": row.id,
        "number": row.number,
        "order_id": row.order_id,
        "customer_id": row.customer_id,
        "channel": row.channel,
        "method": row.method,
        "place_id": row.place_id,
    }


def _locked(uow: UnitOfWork, return_id: str, *allowed: str) -> Return:
    row = uow.session.scalars(
        select(Return)
        .where(Return.id == return_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()
    row = _visible(uow, row, return_id)
    if row.status not in allowed:
        raise ReturnStateConflict(
            f"Return {row.number} is {row.status}; this needs it {' or '.join(allowed)}.", state=row.status
        )
    return row


# --- receive and inspect -----------------------------------------------------------------------------------
def receive(uow: UnitOfWork, return_id: str, command: ReceiveIn) -> ReturnOut:
    """The goods are at the return place: inspect each line. Accepted units are restocked there (or
    written off), orders learns the returned quantities; refused units give their claim back."""
    row = _locked(uow, return_id, "requested")
    policy = current_policy(uow)
    if command.refund_to is not None:
        refusal = policies.refund_to_refusal(policy, command.refund_to)
        if refusal:
            raise _refused(refusal, "Refund", "refund_to")
        row.refund_to = command.refund_to
    lines = _lines_of(uow, row.id)
    by_line = {line.line_id: line for line in lines}
    inspections: dict[str, InspectionIn] = {}
    for index, inspection in enumerate(command.inspections):
        line = by_line.get(inspection.line_id)
        if line is None:
            raise InvalidInput(
                f"Return {row.number} has no line {inspection.line_id}.", field=f"inspections/{index}/line_id"
            )
        if inspection.quantity is not None and inspection.quantity > line.quantity:
            raise InvalidInput(
                f"Line {line.line_id}: {inspection.quantity} received but {line.quantity} announced.",
                field=f"inspections/{index}/quantity",
            )
        inspections[line.line_id] = inspection
    accepted_lines: list[ReturnedLine] = []
    facts, restocked, refused = [], [], []
    reference = f"return:{row.id}"
    for line in sorted(lines, key=lambda x: x.line_id):
        inspected = inspections.get(line.line_id)
        condition = inspected.condition if inspected else "resaleable"
        received = line.quantity if inspected is None or inspected.quantity is None else inspected.quantity
        action = policies.action_for(policy, condition)
        accepted = received if policies.is_accepted(action) else 0
        line.condition, line.action = condition, action
        line.received_quantity, line.accepted_quantity = received, accepted
        line.inspection_comment = inspected.comment if inspected else ""
        if accepted and action in ("restock", "write_off"):
            inventory_service.record_movement(
                uow,
                MovementIn(
                    kind="return",
                    sku=line.sku,
                    place_id=row.place_id,
                    quantity=accepted,
                    reference=reference,
                    reason=f"return {row.number} ({condition})",
                ),
            )
        if accepted and action == "write_off":
            inventory_service.record_movement(
                uow,
                MovementIn(
                    kind="adjustment",
                    sku=line.sku,
                    place_id=row.place_id,
                    quantity=-accepted,
                    reference=reference,
                    reason=f"write-off: return {row.number} ({condition})",
                ),
            )
        line.restocked_quantity = accepted if policies.is_restocked(action) else 0
        if line.restocked_quantity:
            restocked.append(
                ReturnedLineFact(line_id=line.line_id, sku=line.sku, quantity=line.restocked_quantity)
            )
        if line.quantity - accepted:
            refused.append(
                ReturnedLineFact(line_id=line.line_id, sku=line.sku, quantity=line.quantity - accepted)
            )
            _release(uow, row.order_id, line.line_id, line.quantity - accepted)
        if accepted:
            accepted_lines.append(ReturnedLine(line_id=line.line_id, quantity=accepted))
            facts.append(ReturnedLineFact(line_id=line.line_id, sku=line.sku, quantity=accepted))
    now = clock.now()
    row.received_at = now
    if accepted_lines:
        orders_service.record_returned(uow, row.order_id, accepted_lines)
        _price_lines(uow, row, lines)
        row.status = "received"
        uow.session.flush()
        uow.record(ReturnReceived(**_facts(row), lines=facts, restocked=restocked, refused=refused))
    else:
        row.status = "rejected"
        row.rejection_reason = "nothing accepted at inspection"
        uow.session.flush()
        uow.record(ReturnReceived(**_facts(row), lines=[], restocked=[], refused=refused))
        uow.record(ReturnRejected(**_facts(row), reason=row.rejection_reason))
    return _out(row, lines)


def _price_lines(uow: UnitOfWork, row: Return, lines: Sequence[ReturnLine]) -> None:
    """What the accepted units will be refunded, given the units of each line refunded before."""
    claims = {
        c.line_id: c
        for c in uow.session.scalars(
            select(Claim).where(Claim.order_id == row.order_id).execution_options(populate_existing=True)
        )
    }
    for line in lines:
        claim = claims[line.line_id]
        line.refund_amount = policies.refund_for(
            claim.line_total, claim.bought, claim.refunded, line.accepted_quantity, row.currency
        )
    row.total_refund = sum((line.refund_amount for line in lines), Decimal(0))


# --- refund ---------------------------------------------------------------------------------------------------
def refund(uow: UnitOfWork, return_id: str, command: RefundReturnIn) -> ReturnOut:
    """Pay back the accepted units, to the original payment or as a voucher (once: replaying a refunded
    return answers it as it is)."""
    row = _locked(uow, return_id, "received", "refunded")
    if row.status == "refunded":  # a replay, or a second click that waited for the first
        return _out(row, _lines_of(uow, row.id))
    policy = current_policy(uow)
    if command.refund_to is not None:
        refusal = policies.refund_to_refusal(policy, command.refund_to)
        if refusal:
            raise _refused(refusal, "Refund", "refund_to")
        row.refund_to = command.refund_to
    lines = _lines_of(uow, row.id)
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
    shipping = claims.get(SHIPPING_LINE)
    if shipping is not None:
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
            **_facts(row),
            lines=facts,
            total=str(total),
            currency=row.currency,
            refund_to=row.refund_to,
            refund_id=refund_id,
        )
    )
    return _out(row, lines)


# --- reject and cancel -----------------------------------------------------------------------------------------
def _end(uow: UnitOfWork, row: Return) -> list[ReturnLine]:
    lines = _lines_of(uow, row.id)
    for line in sorted(lines, key=lambda x: x.line_id):
        _release(uow, row.order_id, line.line_id, line.quantity)
    return lines


def reject(uow: UnitOfWork, return_id: str, command: RejectIn) -> ReturnOut:
    """Refuse a return not yet received (e.g. the parcel never came, or came empty)."""
    row = _locked(uow, return_id, "requested")
    lines = _end(uow, row)
    row.status = "rejected"
    row.rejection_reason = command.reason
    uow.session.flush()
    uow.record(ReturnRejected(**_facts(row), reason=command.reason))
    return _out(row, lines)


def cancel(uow: UnitOfWork, return_id: str) -> ReturnOut:
    """The customer changes their mind before sending the goods: the units may be returned later."""
    row = _locked(uow, return_id, "requested")
    lines = _end(uow, row)
    row.status = "cancelled"
    uow.session.flush()
    uow.record(ReturnCancelled(**_facts(row)))
    return _out(row, lines)


def expire_unsent(uow: UnitOfWork, *, limit: int = 200) -> int:
    """Cancel returns by post whose parcel never arrived within the policy's days: the units may be
    returned again (within the window). Returns how many were cancelled."""
    policy = current_policy(uow)
    cutoff = clock.now() - timedelta(days=policy.unsent_post_return_days)
    ids = uow.session.scalars(
        select(Return.id)
        .where(Return.status == "requested", Return.method == "by_post", Return.created_at < cutoff)
        .order_by(Return.id)
        .limit(limit)
    ).all()
    for return_id in ids:
        row = _locked(uow, return_id, "requested")
        _end(uow, row)
        row.status = "cancelled"
        row.rejection_reason = f"parcel not received within {policy.unsent_post_return_days} days"
        uow.session.flush()
        uow.record(ReturnCancelled(**_facts(row)))
    return len(ids)


# --- 360° -------------------------------------------------------------------------------------------------------
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
