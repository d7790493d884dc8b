"""returns: starting a return of some lines of an order, from any channel, in a store or by post."""

from __future__ import annotations

import secrets
from decimal import Decimal

from comptoir.core import clock
from comptoir.core.errors import InvalidInput, NotFound
from comptoir.core.ids import new_id
from comptoir.core.uow import UnitOfWork
from comptoir.orders.schemas import OrderLineOut, OrderOut
from comptoir.returns import policies
from comptoir.returns.claims import claim, claims_read, ensure_claims, order_for_return, window_start
from comptoir.returns.events import ReturnCreated, ReturnedLineFact
from comptoir.returns.models import Return, ReturnLine
from comptoir.returns.records import (
    NotReturnable,
    ReturnExceedsBought,
    check_refund_to,
    facts_of,
    refused,
    return_out,
)
from comptoir.returns.rules import current_policy
from comptoir.returns.schemas import Origin, ReturnIn, ReturnOut, ReturnPolicyIn
from comptoir.stores import service as stores_service


def create_return(uow: UnitOfWork, command: ReturnIn) -> ReturnOut:
    """Start a return of some lines of an order, from any channel, for the goods to come back in a
    store or by post. Refused (409 ``not-returnable``) outside the policy; never more than bought."""
    order = order_for_return(uow, command.order_id)
    if order.status == "cancelled":
        raise NotReturnable(
            f"Order {order.number} was cancelled: nothing to return.", reason="order-cancelled"
        )
    policy = current_policy(uow)
    origin = policies.origin_of(order.mode)
    refusal = policies.method_refusal(policy, origin, command.method)
    if refusal:
        raise refused(refusal, f"Order {order.number} ({origin} purchase) by {command.method}", "method")
    check_refund_to(policy, command.refund_to)
    place_id = _return_place(uow, command, policy)
    by_line = {line.line_id: line for line in order.lines}
    for index, wanted in enumerate(command.lines):
        if wanted.line_id not in by_line:
            raise InvalidInput(
                f"Order {order.number} has no line {wanted.line_id}.", field=f"lines/{index}/line_id"
            )
    _check_lines(uow, order, command, policy, origin)
    _claim_lines(uow, order, command)
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
    lines = _new_lines(row, command, by_line, order.currency)
    uow.session.add_all(lines)
    uow.session.flush()
    uow.record(
        ReturnCreated(
            **facts_of(row),
            lines=[ReturnedLineFact(line_id=x.line_id, sku=x.sku, quantity=x.quantity) for x in lines],
        )
    )
    return return_out(row, lines)


def _check_lines(
    uow: UnitOfWork, order: OrderOut, command: ReturnIn, policy: ReturnPolicyIn, origin: Origin
) -> None:
    """Each line wanted back must be within the policy (window, exclusions); quantities are the claims'."""
    by_line = {line.line_id: line for line in order.lines}
    claims = ensure_claims(uow, order)
    started, now = window_start(order), clock.now()
    for index, wanted in enumerate(command.lines):
        line = by_line[wanted.line_id]
        facts = policies.LineFacts(
            line.line_id, line.sku, tuple(line.category_ids), line.quantity, claims[line.line_id].claimed
        )
        refusal = policies.line_refusal(
            policy, origin, facts, started_at=started, now=now, quantity=wanted.quantity
        )
        if refusal and refusal != policies.NOTHING_LEFT:
            raise refused(refusal, f"Line {line.line_id} ({line.sku})", f"lines/{index}")


def _claim_lines(uow: UnitOfWork, order: OrderOut, command: ReturnIn) -> None:
    """Claim the units of each line, in line order (the lock order): two multi-line returns cannot
    deadlock, and never more than bought is being returned."""
    bought_of = {line.line_id: line.quantity for line in order.lines}
    for index, wanted in sorted(enumerate(command.lines), key=lambda p: p[1].line_id):
        if not claim(uow, order.id, wanted.line_id, wanted.quantity):
            uow.session.expire_all()
            claimed = claims_read(uow, order.id).get(wanted.line_id, 0)
            raise ReturnExceedsBought(
                f"Line {wanted.line_id}: {bought_of[wanted.line_id]} bought, {claimed} already being returned; "
                f"{wanted.quantity} more cannot be returned.",
                errors=[{"pointer": f"#/lines/{index}/quantity", "detail": "more than bought"}],
            )


def _new_lines(
    row: Return, command: ReturnIn, by_line: dict[str, OrderLineOut], currency: str
) -> list[ReturnLine]:
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
                unit_price=policies.unit_price(line.total, line.quantity, currency),
                condition=None,
                action=None,
                received_quantity=0,
                accepted_quantity=0,
                restocked_quantity=0,
                refund_amount=Decimal(0),
                inspection_comment="",
            )
        )
    return lines


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
