"""returns: the domain's operations (its public interface with schemas.py and events.py)."""

from __future__ import annotations

from typing import Any

from comptoir.core.errors import Conflict
from comptoir.core.uow import UnitOfWork
from comptoir.returns.schemas import (
    ReceiveIn,
    RefundReturnIn,
    RejectIn,
    ReturnabilityOut,
    ReturnIn,
    ReturnOut,
    ReturnPolicyIn,
    ReturnPolicyOut,
)


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


def create_return(uow: UnitOfWork, command: ReturnIn) -> ReturnOut:
    raise NotImplementedError


def receive(uow: UnitOfWork, return_id: str, command: ReceiveIn) -> ReturnOut:
    raise NotImplementedError


def refund(uow: UnitOfWork, return_id: str, command: RefundReturnIn) -> ReturnOut:
    raise NotImplementedError


def reject(uow: UnitOfWork, return_id: str, command: RejectIn) -> ReturnOut:
    raise NotImplementedError


def cancel(uow: UnitOfWork, return_id: str) -> ReturnOut:
    raise NotImplementedError


def get_return(uow: UnitOfWork, return_id: str) -> ReturnOut:
    raise NotImplementedError


def returns_of(uow: UnitOfWork, customer_id: str, limit: int = 20) -> list[ReturnOut]:
    raise NotImplementedError


def returns_of_order(uow: UnitOfWork, order_id: str) -> list[ReturnOut]:
    raise NotImplementedError


def returnability(uow: UnitOfWork, order_id: str) -> ReturnabilityOut:
    raise NotImplementedError


def get_policy(uow: UnitOfWork) -> ReturnPolicyOut:
    raise NotImplementedError


def set_policy(uow: UnitOfWork, command: ReturnPolicyIn, *, expected_version: int | None) -> ReturnPolicyOut:
    raise NotImplementedError


def customer_section(uow: UnitOfWork, customer_id: str) -> dict[str, Any]:
    """This domain's section of the 360° customer view: recent returns."""
    return {}
