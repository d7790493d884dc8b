"""returns: a person's erasure and export (GDPR).

A return stays as the record of goods and money that moved back; what the person wrote (the
comments on each line, the return's note) and what staff wrote about it go.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select, update

from comptoir.core import erasure
from comptoir.core.settings import Settings
from comptoir.core.uow import UnitOfWork
from comptoir.returns import service
from comptoir.returns.models import Return, ReturnLine


def erase_customers(uow: UnitOfWork, settings: Settings, customer_ids: Sequence[str]) -> int:
    rows = uow.session.execute(
        select(Return.id, Return.note).where(Return.customer_id.in_(customer_ids))
    ).all()
    if not rows:
        return 0
    return_ids = [row.id for row in rows]
    texts = {row.note for row in rows if row.note}
    for comment, inspection in uow.session.execute(
        select(ReturnLine.comment, ReturnLine.inspection_comment).where(ReturnLine.return_id.in_(return_ids))
    ):
        texts |= {t for t in (comment, inspection) if t}
    uow.session.execute(
        update(ReturnLine)
        .where(ReturnLine.return_id.in_(return_ids))
        .values(comment="", inspection_comment="")
    )
    uow.session.execute(
        update(Return).where(Return.id.in_(return_ids)).values(note="", rejection_reason=None)
    )
    erasure.redact(uow, settings, ids=[*customer_ids, *return_ids], values=sorted(texts))
    return len(return_ids)


def export(uow: UnitOfWork, customer_id: str) -> dict[str, Any]:
    """Every return of the customer, with its lines and their comments."""
    returns = service.returns_of(uow, customer_id, limit=10_000)
    return {"returns": [r.model_dump(mode="json") for r in returns]}
