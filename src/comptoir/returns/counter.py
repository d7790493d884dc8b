"""returns: goods taken back at a store's counter — created, received there and refunded in one operation.

The customer is at the counter with the goods, so the return skips the wait between steps. It spans
two transactions on purpose: the goods are back (stock, the order's returned quantities) whatever the
card provider then says, and the stock rows are not held while the provider answers. A refund that
fails leaves the return ``received``; it is retried with :func:`comptoir.returns.refunds.refund`.
This is the domain's one operation that commits, because it is a sequence of two units of work.
"""

from __future__ import annotations

from collections.abc import Callable

from comptoir.core.uow import UnitOfWork
from comptoir.returns.creation import create_return
from comptoir.returns.inspection import receive
from comptoir.returns.refunds import refund
from comptoir.returns.schemas import (
    InspectionIn,
    ReceiveIn,
    RefundReturnIn,
    ReturnIn,
    ReturnLineIn,
    ReturnOut,
    TakeBackIn,
)


def take_back_in_store(begin: Callable[[], UnitOfWork], command: TakeBackIn) -> ReturnOut:
    """Create the return at the store, receive and inspect it there (one commit), then refund it (a
    second commit). ``begin`` opens a unit of work as the seller. Returns the return as it ended:
    ``refunded``, or ``rejected`` when nothing was accepted at inspection. Should the refund raise, the
    error propagates and the goods stay taken back: the return is ``received``, its refund retried."""
    return_in = ReturnIn(
        order_id=command.order_id,
        lines=[ReturnLineIn(line_id=x.line_id, quantity=x.quantity, reason=x.reason) for x in command.lines],
        method="in_store",
        place_id=command.place_id,
        refund_to=command.refund_to,
    )
    inspections = ReceiveIn(
        inspections=[InspectionIn(line_id=x.line_id, condition=x.condition) for x in command.lines]
    )
    with begin() as uow:
        created = create_return(uow, return_in)
        received = receive(uow, created.id, inspections)
        uow.commit()
    if received.status != "received":
        return received
    with begin() as uow:
        done = refund(uow, created.id, RefundReturnIn())
        uow.commit()
    return done
