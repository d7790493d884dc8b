"""returns: the domain's operations (its public interface with schemas.py and events.py).

A return moves through ``requested → received → refunded`` (or ``rejected`` / ``cancelled``), each
step one unit of work. Creating a return *claims* the units on ``returns_claims`` with a guarded
UPDATE (``claimed + n <= bought``), so two returns of the same line racing from two channels can never
take back more than was bought; refusing or cancelling gives the claim back. Inspection restocks the
accepted units at the return place (``inventory.record_movement``) and tells orders
(``record_returned``); the refund goes through ``payments.refund`` with the return id as reference,
and ``returns.return_refunded`` lets loyalty take the points back.

The work is done in the modules named below; this module is the domain's public surface, in one place:

* ``rules`` — the return policy in force; ``claims`` — the order's facts, the claims (the one lock)
  and what may come back; ``records`` — errors, reads and the return's row lock;
* ``creation``, ``inspection``, ``refunds``, ``closing`` — the steps of a return;
* ``counter`` — a return at a store's counter: created, received and refunded in one operation.
"""

from __future__ import annotations

from comptoir.returns.claims import returnability
from comptoir.returns.closing import cancel, expire_unsent, reject
from comptoir.returns.counter import take_back_in_store
from comptoir.returns.creation import create_return
from comptoir.returns.inspection import receive
from comptoir.returns.records import (
    LIVE_STATUSES,
    NotReturnable,
    ReturnExceedsBought,
    ReturnStateConflict,
    customer_section,
    get_return,
    list_returns,
    returns_of,
    returns_of_order,
)
from comptoir.returns.refunds import refund
from comptoir.returns.rules import current_policy, get_policy, set_policy

__all__ = [
    "LIVE_STATUSES",
    "NotReturnable",
    "ReturnExceedsBought",
    "ReturnStateConflict",
    "cancel",
    "create_return",
    "current_policy",
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
    "take_back_in_store",
]

# Reads for the back office (appended).
from comptoir.returns.reporting import ReasonCount, returns_by_reason

__all__ += ["ReasonCount", "returns_by_reason"]
