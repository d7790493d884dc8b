"""loyalty: a person's erasure and export (GDPR).

The ledger is the programme's accounting (points are a liability) and stays, under the erased
customer's id; the free text staff wrote on entries (an adjustment's reason, its extra data) goes.
The erased customer's points can no longer be spent: nobody can sign in as them any more.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select, update

from comptoir.core import erasure
from comptoir.core.settings import Settings
from comptoir.core.uow import UnitOfWork
from comptoir.loyalty import service
from comptoir.loyalty.models import LedgerEntry


def erase_customers(uow: UnitOfWork, settings: Settings, customer_ids: Sequence[str]) -> int:
    reasons = {
        r
        for r in uow.session.scalars(
            select(LedgerEntry.reason).where(LedgerEntry.customer_id.in_(customer_ids))
        )
        if r
    }
    changed = uow.session.execute(
        update(LedgerEntry)
        .where(LedgerEntry.customer_id.in_(customer_ids))
        .values(reason=None, data={})
        .returning(LedgerEntry.id)
    ).all()
    if changed:
        erasure.redact(uow, settings, ids=list(customer_ids), values=sorted(reasons))
    return len(changed)


def export(uow: UnitOfWork, customer_id: str) -> dict[str, Any]:
    """The member's account and whole ledger."""
    entries: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        page = service.history(uow, customer_id, cursor=cursor, limit=200)
        entries += [e.model_dump(mode="json") for e in page.items]
        cursor = page.next_cursor
        if not cursor:
            break
    return {"account": service.account(uow, customer_id).model_dump(mode="json"), "entries": entries}
