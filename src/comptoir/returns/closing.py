"""returns: ending a return before its goods come back — refused, cancelled, or expired unsent."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from comptoir.core import clock
from comptoir.core.uow import UnitOfWork
from comptoir.returns.claims import release
from comptoir.returns.events import ReturnCancelled, ReturnRejected
from comptoir.returns.models import Return, ReturnLine
from comptoir.returns.records import facts_of, lines_of, locked, return_out
from comptoir.returns.rules import current_policy
from comptoir.returns.schemas import RejectIn, ReturnOut


def _end(uow: UnitOfWork, row: Return) -> list[ReturnLine]:
    lines = lines_of(uow, row.id)
    for line in sorted(lines, key=lambda x: x.line_id):
        release(uow, row.order_id, line.line_id, line.quantity)
    return lines


def reject(uow: UnitOfWork, return_id: str, command: RejectIn) -> ReturnOut:
    """Refuse a return not yet received (e.g. the parcel never came, or came empty)."""
    row = locked(uow, return_id, "requested")
    lines = _end(uow, row)
    row.status = "rejected"
    row.rejection_reason = command.reason
    uow.session.flush()
    uow.record(ReturnRejected(**facts_of(row), reason=command.reason))
    return return_out(row, lines)


def cancel(uow: UnitOfWork, return_id: str) -> ReturnOut:
    """The customer changes their mind before sending the goods: the units may be returned later."""
    row = locked(uow, return_id, "requested")
    lines = _end(uow, row)
    row.status = "cancelled"
    uow.session.flush()
    uow.record(ReturnCancelled(**facts_of(row)))
    return return_out(row, lines)


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
        row = locked(uow, return_id, "requested")
        _end(uow, row)
        row.status = "cancelled"
        row.rejection_reason = f"parcel not received within {policy.unsent_post_return_days} days"
        uow.session.flush()
        uow.record(ReturnCancelled(**facts_of(row)))
    return len(ids)
