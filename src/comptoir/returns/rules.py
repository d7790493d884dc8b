"""returns: the retailer's return policy in force (windows, exclusions, methods), read and replaced by staff."""

from __future__ import annotations

from comptoir.core import clock
from comptoir.core.errors import InvalidInput, NotFound, check_version
from comptoir.core.uow import UnitOfWork
from comptoir.returns import policies
from comptoir.returns.models import Policy
from comptoir.returns.schemas import ReturnPolicyIn, ReturnPolicyOut
from comptoir.stores import service as stores_service


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
