"""returns: the goods are at the return place — each line inspected, restocked or written off there."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import select

from comptoir.core import clock
from comptoir.core.errors import InvalidInput
from comptoir.core.uow import UnitOfWork
from comptoir.inventory import service as inventory_service
from comptoir.inventory.schemas import MovementIn
from comptoir.orders import service as orders_service
from comptoir.orders.schemas import ReturnedLine
from comptoir.returns import policies
from comptoir.returns.claims import release
from comptoir.returns.events import ReturnedLineFact, ReturnReceived, ReturnRejected
from comptoir.returns.models import Claim, Return, ReturnLine
from comptoir.returns.records import check_refund_to, facts_of, lines_of, locked, return_out
from comptoir.returns.rules import current_policy
from comptoir.returns.schemas import InspectionIn, ReceiveIn, ReturnOut, ReturnPolicyIn


@dataclass
class _Outcome:
    """What the inspection of the lines found, for orders and the ``returns.return_received`` fact."""

    accepted: list[ReturnedLine] = field(default_factory=list)
    facts: list[ReturnedLineFact] = field(default_factory=list)
    restocked: list[ReturnedLineFact] = field(default_factory=list)
    refused: list[ReturnedLineFact] = field(default_factory=list)


def receive(uow: UnitOfWork, return_id: str, command: ReceiveIn) -> ReturnOut:
    """The goods are at the return place: inspect each line. Accepted units are restocked there (or
    written off), orders learns the returned quantities; refused units give their claim back."""
    row = locked(uow, return_id, "requested")
    policy = current_policy(uow)
    if command.refund_to is not None:
        check_refund_to(policy, command.refund_to)
        row.refund_to = command.refund_to
    lines = lines_of(uow, row.id)
    inspections = _inspections(row, lines, command)
    outcome = _Outcome()
    for line in sorted(lines, key=lambda x: x.line_id):
        _inspect(uow, row, line, inspections.get(line.line_id), policy, outcome)
    row.received_at = clock.now()
    if outcome.accepted:
        orders_service.record_returned(uow, row.order_id, outcome.accepted)
        _price_lines(uow, row, lines)
        row.status = "received"
        uow.session.flush()
        uow.record(
            ReturnReceived(
                **facts_of(row), lines=outcome.facts, restocked=outcome.restocked, refused=outcome.refused
            )
        )
    else:
        row.status = "rejected"
        row.rejection_reason = "nothing accepted at inspection"
        uow.session.flush()
        uow.record(ReturnReceived(**facts_of(row), lines=[], restocked=[], refused=outcome.refused))
        uow.record(ReturnRejected(**facts_of(row), reason=row.rejection_reason))
    return return_out(row, lines)


def _inspections(row: Return, lines: Sequence[ReturnLine], command: ReceiveIn) -> dict[str, InspectionIn]:
    """The inspections by line id; 422 naming the inspection for an unknown line or too many units."""
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
    return inspections


def _inspect(
    uow: UnitOfWork,
    row: Return,
    line: ReturnLine,
    inspected: InspectionIn | None,
    policy: ReturnPolicyIn,
    outcome: _Outcome,
) -> None:
    """One line: its condition decides the action; stock moves at the return place; refused units
    give their claim back (a line not inspected is taken as received whole and resaleable)."""
    condition = inspected.condition if inspected else "resaleable"
    received = line.quantity if inspected is None or inspected.quantity is None else inspected.quantity
    action = policies.action_for(policy, condition)
    accepted = received if policies.is_accepted(action) else 0
    line.condition, line.action = condition, action
    line.received_quantity, line.accepted_quantity = received, accepted
    line.inspection_comment = inspected.comment if inspected else ""
    reference = f"return:{row.id}"
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
        outcome.restocked.append(
            ReturnedLineFact(line_id=line.line_id, sku=line.sku, quantity=line.restocked_quantity)
        )
    if line.quantity - accepted:
        outcome.refused.append(
            ReturnedLineFact(line_id=line.line_id, sku=line.sku, quantity=line.quantity - accepted)
        )
        release(uow, row.order_id, line.line_id, line.quantity - accepted)
    if accepted:
        outcome.accepted.append(ReturnedLine(line_id=line.line_id, quantity=accepted))
        outcome.facts.append(ReturnedLineFact(line_id=line.line_id, sku=line.sku, quantity=accepted))


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
